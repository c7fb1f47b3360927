"""Bytes and seconds of a Dask round, tree against star, at 2, 4 and 8 workers; projected to 32.

    python benchmarks/distributed_rounds.py --shards /tmp/tree-shards
    python benchmarks/distributed_rounds.py --report benchmarks/results/<date>-<commit>-distributed-rounds.json

Each cell is one epoch on a LocalCluster of N worker processes x 1 thread (``--shards``: a
folder of at least 8 files), every setting as benchmarks/distributed.py's SETTINGS, the default
round (ROUND_WORDS for the whole cluster) and one merge rule at every k (``--merge``, default
``damped``, every row every round: "auto" would be ``sum`` at 2 workers, whose rounds report the
rare rows every 8th round only, so its bytes would not compare), with the round merged by the
tree (``reduce="tree"``, w2v.distributed.reduce) or by the driver (``reduce="star"``). Measured
per round, medians over the epoch's rounds: bytes through the driver (both directions), bytes
between workers, bytes into each tree level, and the seconds of each phase (training, merge,
passing the merged change on). The projection to 32 workers on a 10 Gbit/s network is a model
fed by those measurements (``project``), and the report says which figures are which.

Writes benchmarks/results/<date>-<commit>-distributed-rounds.json, .md and .png.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
# this folder holds distributed.py, named like the dask.distributed package: keep it off the import path
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
_spec = importlib.util.spec_from_file_location("w2v_bench_distributed", HERE / "distributed.py")
_bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench)
SETTINGS = _bench.SETTINGS

#: the network of the projection: 10 Gbit/s, in bytes per second
LINK_BYTES_PER_SECOND = 1.25e9
PROJECTED_WORKERS = (16, 32)


def measure(shards: list, workers: int, exchange: str, rule: str) -> dict:
    """One epoch on a fresh LocalCluster of ``workers`` processes; the per-round figures."""
    import w2v
    import w2v.distributed
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as client:
        started = time.perf_counter()
        model = w2v.distributed.fit(w2v.Word2Vec(epochs=1, progress=False, cache_dir=False, seed=1, **SETTINGS),
                                    shards, client, merge_rule=rule, reduce=exchange)
        wall = time.perf_counter() - started
    rounds = [s for s in model.cluster_stats if s["words"]]

    def median(key):
        return statistics.median(s[key] for s in rounds)

    levels = max(len(s["tree_level_bytes"]) for s in rounds)
    return dict(
        workers=workers, exchange=[s["exchange"] for s in rounds], rounds=len(rounds), wall_s=wall,
        words=sum(s["words"] for s in model.cluster_stats), rows=median("rows"),
        bytes_driver_up=median("bytes_driver_up"), bytes_driver_down=median("bytes_driver_down"),
        bytes_driver=statistics.median(s["bytes_driver_up"] + s["bytes_driver_down"] for s in rounds),
        bytes_workers=median("bytes_workers"), bytes_up=median("bytes_up"), bytes_down=median("bytes_down"),
        tree_level_bytes=[statistics.median(s["tree_level_bytes"][i] for s in rounds if len(s["tree_level_bytes"]) > i)
                          for i in range(levels)],
        seconds=median("seconds"), train_seconds=median("train_seconds"), await_seconds=median("await_seconds"),
        merge_seconds=median("merge_seconds"), send_seconds=median("send_seconds"),
        words_per_worker=statistics.median(s["words"] / s["workers"] for s in rounds),
        per_round=[{k: v for k, v in s.items() if k not in ("lost", "missed")} for s in rounds])


def project(cells: list) -> dict:
    """Seconds per round at 2-32 workers on 10 Gbit/s links, from the measured cells.

    compute: the words each worker trains per round (ROUND_WORDS / k) at the words/s of a 1-thread
    worker measured at 2 workers (the least contended cell on this machine).
    tree: each level's transfers run in parallel on different links, so a level costs one
    transfer; every level is charged the largest per-transfer size measured at 8 workers (the
    top level's partial, which covers half of the round's words at any k: a bound from above),
    times ceil(log2 k) levels; then the broadcast, ceil(log2 k) generations of the merged change
    (measured at 8), and the driver's one fetch of it.
    star: the driver's link carries every worker's change (bytes_up, fitted as a power of k on
    the measured cells) and k copies of the merged change, one after another.
    merging (CPU, not network; shown beside, not added): the tree's levels one after another, each
    the longest combine measured at 2 workers (one node, the least contended); the star's driver
    merging k changes, at the per-change seconds measured at 8 workers.
    Task latencies (a few ms a hop) are left out of both.
    """
    from w2v.distributed.driver import ROUND_WORDS
    from w2v.distributed.reduce import generations

    tree = {c["workers"]: c for c in cells if c["exchange_kind"] == "tree"}
    star = {c["workers"]: c for c in cells if c["exchange_kind"] == "star"}
    base = tree.get(2) or star.get(2)
    words_per_second = base["words_per_worker"] / base["train_seconds"]
    top = max(tree)
    per_transfer = max(b / (top >> (i + 1)) for i, b in enumerate(tree[top]["tree_level_bytes"]))
    merged = tree[top]["bytes_driver_up"]  # the merged change and k small summaries
    ks = sorted(star)
    import numpy as np
    node_seconds = statistics.median(max(s["tree_level_seconds"]) for s in tree[min(tree)]["per_round"])
    star_merge_per_change = star[max(star)]["merge_seconds"] / max(star)
    slope, intercept = np.polyfit(np.log(ks), np.log([star[k]["bytes_up"] for k in ks]), 1)
    merged_star = statistics.median(star[k]["bytes_down"] / k for k in ks)
    rows = []
    for k in sorted(set(ks) | set(tree) | set(PROJECTED_WORKERS)):
        levels = generations(k)
        up = float(np.exp(intercept) * k ** slope)
        rows.append(dict(
            workers=k, measured=k in tree, levels=levels,
            compute_s=ROUND_WORDS / k / words_per_second,
            tree_comm_s=(levels * per_transfer + levels * merged + merged) / LINK_BYTES_PER_SECOND,
            tree_driver_bytes=merged, star_driver_bytes=up + k * merged_star,
            star_comm_s=(up + k * merged_star) / LINK_BYTES_PER_SECOND,
            tree_merge_s=levels * node_seconds, star_merge_s=k * star_merge_per_change))
    return dict(words_per_second_1_thread=words_per_second, per_transfer_bytes=per_transfer,
                merged_bytes=merged, star_up_fit=dict(slope=slope, scale=float(np.exp(intercept))),
                merged_copy_bytes_star=merged_star, link_bytes_per_second=LINK_BYTES_PER_SECOND,
                node_seconds=node_seconds, star_merge_seconds_per_change=star_merge_per_change, rows=rows)


def report(data: dict, stem: Path) -> None:
    """The .md table and the .png plot of a results file."""
    cells, proj = data["cells"], data["projection"]
    lines = [f"# Dask rounds: tree vs star ({data['date']}, {data['commit']})", "",
             f"Corpus: {data['corpus']} ({data['words']} words per epoch), 1 epoch, SETTINGS of "
             f"benchmarks/distributed.py, round_words='auto', merge={data['merge']!r}; LocalCluster of N processes x 1 "
             f"thread on a {data['cpus']}-core machine shared with other jobs: seconds are noisy, bytes are exact.",
             "", "## Measured (medians over the epoch's rounds)", "",
             "| workers | exchange | rounds | rows merged | MB through driver (up + down) | MB between workers "
             "| MB per tree level | train s | merge s | pass-on s | round s |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for c in cells:
        lines.append(f"| {c['workers']} | {c['exchange_kind']} | {c['rounds']} | {c['rows']:.0f} | "
                     f"{c['bytes_driver'] / 1e6:.2f} ({c['bytes_driver_up'] / 1e6:.2f} + "
                     f"{c['bytes_driver_down'] / 1e6:.2f}) | {c['bytes_workers'] / 1e6:.2f} | "
                     f"{' / '.join(f'{b / 1e6:.2f}' for b in c['tree_level_bytes']) or '-'} | "
                     f"{c['train_seconds']:.2f} | {c['merge_seconds']:.3f} | {c['send_seconds']:.3f} | "
                     f"{c['seconds']:.2f} |")
    lines += ["", "## Projected: seconds per round on 10 Gbit/s (a model fed by the measurements above)", "",
              f"1-thread worker: {proj['words_per_second_1_thread']:.0f} words/s (measured at 2 workers); "
              f"largest per-transfer partial {proj['per_transfer_bytes'] / 1e6:.2f} MB and merged change "
              f"{proj['merged_bytes'] / 1e6:.2f} MB (measured at 8 workers); star uploads fitted as "
              f"{proj['star_up_fit']['scale'] / 1e6:.2f} MB x k^{proj['star_up_fit']['slope']:.2f}. "
              f"A tree node's combine {proj['node_seconds']:.3f} s (measured at 2 workers), the star's merge "
              f"{proj['star_merge_seconds_per_change']:.3f} s per worker's change (measured at 8). "
              "Rows at 2/4/8 workers use measured bytes; 16 and 32 are projected.", "",
              "| workers | levels | compute s | tree comm s | star comm s | MB through driver: tree | star "
              "| tree merge s (CPU) | star merge s (CPU) |",
              "|---|---|---|---|---|---|---|---|---|"]
    for r in proj["rows"]:
        lines.append(f"| {r['workers']}{'' if r['measured'] else ' (projected)'} | {r['levels']} | "
                     f"{r['compute_s']:.3f} | {r['tree_comm_s']:.4f} | {r['star_comm_s']:.4f} | "
                     f"{r['tree_driver_bytes'] / 1e6:.2f} | {r['star_driver_bytes'] / 1e6:.2f} | "
                     f"{r['tree_merge_s']:.2f} | {r['star_merge_s']:.2f} |")
    lines += ["", project.__doc__.strip().replace("\n    ", "\n"), ""]
    stem.with_suffix(".md").write_text("\n".join(lines))
    plot(data, stem.with_suffix(".png"))


def plot(data: dict, path: Path) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cells, rows = data["cells"], data["projection"]["rows"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    for kind, colour in (("tree", "tab:blue"), ("star", "tab:red")):
        measured = sorted((c["workers"], c["bytes_driver"] / 1e6) for c in cells if c["exchange_kind"] == kind)
        left.plot(*zip(*measured), "o-", color=colour, label=f"{kind}, measured")
        projected = [(r["workers"], r[f"{kind}_driver_bytes"] / 1e6) for r in rows if r["workers"] >= max(
            w for w, _ in measured)]
        left.plot(*zip(*projected), "--", color=colour, label=f"{kind}, projected")
    left.set(xscale="log", xlabel="workers", ylabel="MB through the driver per round",
             title="Bytes through the driver per round")
    left.legend()
    ks = [r["workers"] for r in rows]
    right.plot(ks, [r["compute_s"] for r in rows], "k-", label="compute (1-thread worker)")
    right.plot(ks, [r["tree_comm_s"] for r in rows], "-", color="tab:blue", label="tree communication")
    right.plot(ks, [r["star_comm_s"] for r in rows], "-", color="tab:red", label="star communication")
    right.plot(ks, [r["tree_merge_s"] for r in rows], ":", color="tab:blue", label="tree merging (CPU, this machine)")
    right.plot(ks, [r["star_merge_s"] for r in rows], ":", color="tab:red", label="star merging (CPU, this machine)")
    right.axvspan(8, 32, color="0.92", label="projected beyond 8")
    right.set(xscale="log", yscale="log", xlabel="workers", ylabel="seconds per round (log)",
              title="Projected round on 10 Gbit/s (ROUND_WORDS per round)")
    right.legend(fontsize=8)
    for axis in (left, right):
        axis.set_xticks([2, 4, 8, 16, 32], ["2", "4", "8", "16", "32"])
        axis.set_xticks([], minor=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shards", default="/tmp/tree-shards", help="folder of the corpus's shard files (at least 8)")
    ap.add_argument("--workers", type=int, nargs="+", default=[2, 4, 8])
    ap.add_argument("--exchanges", nargs="+", default=["tree", "star"], choices=["tree", "star"])
    ap.add_argument("--merge", default="damped", help="the merge rule of every cell (default: damped)")
    ap.add_argument("--report", metavar="JSON", help="write the .md and .png of a results file and exit")
    args = ap.parse_args(argv)
    if args.report:
        path = Path(args.report)
        data = json.loads(path.read_text())
        data["projection"] = project(data["cells"])
        path.write_text(json.dumps(data, indent=1, default=float))
        report(data, path.with_suffix(""))
        return
    shards = sorted(str(p) for p in Path(args.shards).iterdir() if p.is_file())
    if len(shards) < max(args.workers):
        raise SystemExit(f"--shards {args.shards}: {len(shards)} files, fewer than the {max(args.workers)} workers")
    commit = _bench.harness.head_commit()
    date = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    cells = []
    for workers in args.workers:
        for exchange in args.exchanges:
            cell = measure(shards, workers, exchange, args.merge)
            cell["exchange_kind"] = exchange
            cells.append(cell)
            print(f"{workers} workers, {exchange}: {cell['bytes_driver'] / 1e6:.2f} MB through the driver, "
                  f"{cell['bytes_workers'] / 1e6:.2f} MB between workers, {cell['seconds']:.2f} s per round "
                  f"({cell['rounds']} rounds)", flush=True)
    import os
    data = dict(date=date, commit=commit, corpus=args.shards, words=cells[0]["words"], cpus=os.cpu_count(), merge=args.merge,
                settings=SETTINGS, cells=cells)
    data["projection"] = project(cells)
    stem = HERE / "results" / f"{date}-{commit}-distributed-rounds"
    stem.with_suffix(".json").write_text(json.dumps(data, indent=1, default=float))
    report(data, stem)
    print(f"wrote {stem}.json, .md, .png")


if __name__ == "__main__":
    main()
