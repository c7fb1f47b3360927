"""The ``measured`` merge rule's saturation Q by frequency bucket, every third round (driver side).

    python benchmarks/distributed_saturation.py SHARD_DIR 8 measured 1

Arguments: shard directory, worker processes, merge rule (``measured``, or ``measuredT``:
MEASURE_MIN = T), epochs. Prints, per table (syn0 first, then syn1neg), for rows ranked by their
update count (update_weights, summed over replicas) in buckets [0:10], [10:100], ...: w = median
updates per replica, c = mean replicas touching the row, Q = median/mean measured saturation,
|d| = median norm of one replica's change; and the loss per word of every third round. Settings
as benchmarks/distributed.py (seed 1). What it showed: benchmarks/README.md, "Measured saturation".
"""
import logging
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# benchmarks/distributed.py is named like the dask.distributed package: keep this folder off the path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import numpy as np  # noqa: E402

BUCKETS = (0, 10, 100, 1000, 10000)


def bucket_line(deltas, n_rows: int) -> str:
    weight, count, q_sum, norm = (np.zeros(n_rows) for _ in range(4))
    for d in deltas:
        weight[d.ids] += d.weights
        count[d.ids] += 1
        q_sum[d.ids] += d.saturation
        norm[d.ids] += np.linalg.norm(d.rows, axis=1)
    order = np.argsort(-weight)
    parts = []
    for a, b in zip(BUCKETS, BUCKETS[1:] + (n_rows,)):
        ids = order[a:b]
        ids = ids[count[ids] > 0]
        if len(ids):
            q = q_sum[ids] / count[ids]
            parts.append(f"[{a}:{b}] w={np.median(weight[ids] / count[ids]):.0f} c={count[ids].mean():.1f} "
                         f"Q={np.median(q):.2f}/{q.mean():.2f} |d|={np.median(norm[ids] / count[ids]):.3f}")
    return " ; ".join(parts)


def main() -> None:
    import w2v.distributed
    import w2v.distributed.driver as drv
    import w2v.distributed.merge as mg
    from dask.distributed import Client, LocalCluster

    shard_dir, n, rule, epochs = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    if rule.startswith("measured") and rule != "measured":
        mg.MEASURE_MIN, rule = float(rule[8:]), "measured"
    rounds = [0]
    merge, run_round = mg.merge, drv.ClusterRun._round

    def logged_merge(deltas, n_rows, dim, rule, alpha=None):
        live = [d for d in deltas if len(d.ids)]
        if live and live[0].saturation is not None and rounds[0] % 3 == 0:
            print(f"round {rounds[0]} alpha={alpha:.4f}: {bucket_line(live, n_rows)}", flush=True)
        return merge(deltas, n_rows, dim, rule, alpha)

    def logged_round(self, *args, **kwargs):
        loss = run_round(self, *args, **kwargs)
        if rounds[0] % 3 == 0:
            print(f"round {rounds[0]} loss per word {loss / max(1, self.stats[-1]['words']):.3f}", flush=True)
        rounds[0] += 1
        return loss

    drv.merge, drv.ClusterRun._round = logged_merge, logged_round
    logging.basicConfig(level=logging.WARNING)
    files = sorted(str(p) for p in Path(shard_dir).iterdir() if p.is_file())
    with LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None) as cluster, \
            Client(cluster) as client:
        model = w2v.distributed.train(files, client, epochs=epochs, seed=1, progress=False, cache_dir=False,
                                      compute_loss=True, merge=rule, sg=1, hs=0, negative=5, vector_size=100,
                                      window=5, min_count=5, sample=1e-3)
    print("loss per epoch", model.loss_history)


if __name__ == "__main__":
    main()
