"""Distributed training on a Dask LocalCluster against single-process w2v: quality, speed, bytes, faults.

    python benchmarks/distributed.py --shards DIR --cells single dist:2:sum:1000000 dist:2:mean:epoch \\
        --seeds 1 2 3 --out benchmarks/results/distributed.json
    python benchmarks/distributed.py --table benchmarks/results/distributed.json

Cells: ``single`` (one process, w2v.train on the same shard files, 2 threads); ``dist:N:RULE:ROUND``
(N worker processes x 1 thread, merge RULE, ROUND words per worker per round or ``epoch`` for one
merge per epoch, Spark's schedule, or ``auto``: the default, 500k words for the whole cluster; RULE
``dampedT`` is ``damped`` with a fixed half-saturation count T, ``dampedAS`` with DAMP_STEP = S);
``...:tailK`` after any of them: ``tail_every=K`` (``tail1``: every row every round);
``kill:N:RULE:ROUND`` (the same, one worker SIGKILLed during
epoch 3). Every run appends one JSON line to ``--out`` at once, so a long series keeps what it
measured. Timings: ``end_to_end_s`` is the train() call (vocabulary scan on the workers, encoding,
training); ``train_s`` runs from on_train_begin to on_train_end. Cluster start-up and numba
loading are excluded (a warm-up run precedes the timed one). Quality: gensim's evaluators, as
benchmarks/harness.py scores every library (analogy restricted to the top 30,000 words).
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# this file is named like the dask.distributed package: keep its folder off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("w2v_bench_harness", HERE / "harness.py")
harness = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(harness)
score_vectors = harness.score_vectors

SETTINGS = dict(sg=1, hs=0, negative=5, vector_size=100, window=5, min_count=5, sample=1e-3,
                alpha=0.025, min_alpha=1e-4)


class Clock:
    """Callbacks that time the training phase (after vocabulary and encoding)."""

    def __init__(self, on_epoch_end=None):
        self.begin = self.end = None
        self.epochs = 0
        self.hook = on_epoch_end

    def on_train_begin(self, model):
        self.begin = time.perf_counter()

    def on_train_end(self, model):
        self.end = time.perf_counter()

    def on_epoch_end(self, model):
        self.epochs += 1
        if self.hook:
            self.hook(self.epochs)


def run_single(files, epochs, seed, vectors):
    import w2v

    clock = Clock()
    start = time.perf_counter()
    model = w2v.train(files, epochs=epochs, seed=seed, workers=2, progress=False, cache_dir=False,
                      compute_loss=True, callbacks=[clock], **SETTINGS)
    wall = time.perf_counter() - start
    model.wv.save_word2vec_format(vectors, binary=True)
    return dict(end_to_end_s=wall, train_s=clock.end - clock.begin, words=model.corpus_total_words,
                loss=_losses(model))


def _losses(model):
    """Each epoch's training loss per effective word (the kernels' loss over the words trained)."""
    per_epoch = max(1, model.last_train_words // max(1, len(model.loss_history)))
    return [round(x / per_epoch, 5) for x in model.loss_history]


def run_dist(files, n, rule, round_words, epochs, seed, vectors, kill, tail_every="auto"):
    import w2v.distributed
    from dask.distributed import Client, LocalCluster

    if rule.startswith("damped") and rule != "damped":  # dampedT: DAMP_UPDATES = T; dampedAS: DAMP_STEP = S
        import w2v.distributed.merge as mg
        if rule.startswith("dampedA"):
            mg.DAMP_STEP = float(rule[7:])
        else:
            mg.DAMP_UPDATES, mg.DAMP_STEP = float(rule[6:]), None
        rule = "damped"
    cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        warm = Path(tempfile.mkdtemp()) / "warm"
        warm.mkdir()
        for k in range(n):
            (warm / f"{k}.txt").write_text("the cat sat on the mat and the dog ran off\n" * 200)
        w2v.distributed.train(str(warm), client, epochs=1, min_count=1, progress=False, cache_dir=False,
                              **{k: v for k, v in SETTINGS.items() if k != "min_count"})
        killed = {}

        def kill_one(epoch):
            if kill and epoch == 2:
                pids = client.run(os.getpid)
                victim = sorted(pids)[0]

                def later():
                    time.sleep(3.0)
                    os.kill(pids[victim], signal.SIGKILL)
                    killed.update(worker=victim, at=time.perf_counter())
                threading.Thread(target=later, daemon=True).start()

        clock = Clock(kill_one)
        start = time.perf_counter()
        model = w2v.distributed.train(files, client, epochs=epochs, seed=seed, progress=False, cache_dir=False,
                                      compute_loss=True, callbacks=[clock], merge=rule, tail_every=tail_every,
                                      round_words=None if round_words == "epoch" else round_words if round_words == "auto" else int(round_words),
                                      **SETTINGS)
        wall = time.perf_counter() - start
        model.wv.save_word2vec_format(vectors, binary=True)
        stats = model.cluster_stats
        per_epoch = {}
        for s in stats:
            per_epoch.setdefault(s["epoch"], []).append(s)
        rounds = [s for s in stats if not s["lost"]]
        return dict(end_to_end_s=wall, train_s=clock.end - clock.begin, words=model.corpus_total_words,
                    loss=_losses(model), rounds=len(stats), rounds_per_epoch=len(stats) / max(1, len(per_epoch)),
                    bytes_per_round=statistics.median(s["bytes_up"] + s["bytes_down"] for s in rounds),
                    bytes_up_per_round=statistics.median(s["bytes_up"] for s in rounds),
                    bytes_per_epoch=statistics.median(sum(s["bytes_up"] + s["bytes_down"] for s in v)
                                                      for v in per_epoch.values()),
                    round_s=statistics.median(s["seconds"] for s in rounds),
                    round_train_s=statistics.median(s["train_seconds"] for s in rounds),
                    round_phases_s={k: statistics.median(s.get(k, 0.0) for s in rounds) for k in
                                    ("apply_seconds", "collect_seconds", "await_seconds", "merge_seconds",
                                     "send_seconds")},
                    lost=[s["lost"] for s in stats if s["lost"]], killed=killed.get("worker"))
    finally:
        client.close()
        cluster.close()


def run_cell(cell, files, epochs, seed, keep_vectors=None):
    parts = cell.split(":")
    with tempfile.TemporaryDirectory() as tmp:
        vectors = os.path.join(tmp, "v.bin")
        load = os.getloadavg()[0]
        if parts[0] == "single":
            result = run_single(files, epochs, seed, vectors)
        else:
            kind, n, rule, round_words = parts[:4]
            extra = parts[4:]
            tail = [int(x[4:]) for x in extra if x.startswith("tail")]
            result = run_dist(files, int(n), rule, round_words, epochs, seed, vectors, kind == "kill",
                              tail_every=tail[0] if tail else "auto")
        result.update(score_vectors(vectors))
        if keep_vectors:  # for benchmarks/compare_vectors.py
            Path(keep_vectors).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(vectors, Path(keep_vectors) / f"{cell.replace(':', '_')}_seed{seed}.bin")
    result.update(cell=cell, seed=seed, epochs=epochs, load_1m_before=load, load_1m_after=os.getloadavg()[0])
    return result


def table(path):
    rows = [json.loads(line) for line in open(path) if line.strip()]
    cells = {}
    for r in rows:
        cells.setdefault(r["cell"], []).append(r)
    base = cells.get("single")
    ref_a = statistics.median(r["analogy"] for r in base) if base else None
    ref_w = statistics.median(r["wordsim353"] for r in base) if base else None
    out = ["| cell | seeds | analogy | d analogy (pts) | wordsim353 | d wordsim | loss | rounds/epoch | MB/round "
           "| MB/epoch | train s | end-to-end s | load |", "|" + "---|" * 13]
    for cell, rs in cells.items():
        med = lambda k: statistics.median(r[k] for r in rs if r.get(k) is not None) if any(r.get(k) is not None for r in rs) else None  # noqa: E731
        a, w = med("analogy"), med("wordsim353")
        da = f"{(a - ref_a) * 100:+.2f}" if ref_a is not None else ""
        dw = f"{w - ref_w:+.3f}" if ref_w is not None else ""
        fmt = lambda v, f: "" if v is None else format(v, f)  # noqa: E731
        losses = [r["loss"][-1] for r in rs if r.get("loss")]  # the last epoch's loss per word
        loss = fmt(statistics.median(losses) if losses else None, ".2f")
        out.append(f"| {cell} | {len(rs)} | {a:.4f} | {da} | {w:.4f} | {dw} | {loss} | {fmt(med('rounds_per_epoch'), '.1f')} "
                   f"| {fmt(med('bytes_per_round') and med('bytes_per_round') / 1e6, '.1f')} "
                   f"| {fmt(med('bytes_per_epoch') and med('bytes_per_epoch') / 1e6, '.1f')} | {med('train_s'):.1f} "
                   f"| {med('end_to_end_s'):.1f} | {med('load_1m_before'):.1f} |")
    return "\n".join(out)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shards", help="directory of the corpus shard files")
    ap.add_argument("--cells", nargs="+", default=["single", "dist:2:sum:1000000", "dist:2:mean:epoch"])
    ap.add_argument("--seeds", nargs="+", type=int, default=[1])
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--out", default=str(Path(__file__).resolve().parent / "results" / "distributed.jsonl"))
    ap.add_argument("--table", metavar="JSONL", help="print the table of a results file and exit")
    ap.add_argument("--keep-vectors", metavar="DIR", help="keep each run's vectors (word2vec binary) in DIR")
    args = ap.parse_args(argv)
    if args.table:
        print(table(args.table))
        return 0
    logging.basicConfig(level=logging.WARNING)
    files = sorted(str(p) for p in Path(args.shards).iterdir() if p.is_file())
    for seed in args.seeds:
        for cell in args.cells:
            result = run_cell(cell, files, args.epochs, seed, args.keep_vectors)
            print(json.dumps(result), flush=True)
            with open(args.out, "a") as f:
                f.write(json.dumps(result) + "\n")
    print(table(args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
