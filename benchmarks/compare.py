"""w2v vs gensim, side by side, on one corpus with the same settings.

    python benchmarks/compare.py                                   # the full grid (long: hours)
    python benchmarks/compare.py --modes sg-ns,cbow-ns --epochs 1 --workers 2 --repeats 3

For every (mode, epochs, workers) configuration both libraries are run ``--repeats`` times,
alternating w2v and gensim so that load from other users of the machine hits both alike; each run
is a fresh subprocess (see harness.py for exactly what is timed). The medians are printed as a
table and written to ``benchmarks/results/latest.{json,md,png}`` (``--out`` changes the prefix).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import harness


def parse_args(argv=None) -> argparse.Namespace:
    """Every grid axis is a comma-separated list, so any subset of the full grid is one command."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", help="text corpus (default: ../shared/corpora/wiki17m.txt.xz if present, "
                                    "else the bundled sample)")
    p.add_argument("--modes", default=",".join(harness.MODES), help="default: %(default)s")
    p.add_argument("--epochs", default="1,5", help="default: %(default)s")
    p.add_argument("--workers", default="1,2", help="default: %(default)s")
    p.add_argument("--repeats", type=int, default=1, help="runs per library and configuration (default 1)")
    p.add_argument("--first-seed", type=int, default=1,
                   help="seed of the first repeat (repeat r uses first-seed + r; default 1): more seeds "
                        "for a quality gap, without re-running the first ones")
    p.add_argument("--libs", default=",".join(harness.LIBS), help="default: %(default)s")
    p.add_argument("--kernel", default="auto", choices=("auto", "shared", "exact", "batched"), help="w2v's kernel")
    p.add_argument("--no-score", action="store_true", help="skip the quality evaluation (timing only)")
    p.add_argument("--max-load", type=float, default=None,
                   help="start each run only once the 1-minute load average is below this (e.g. 1.0); "
                        "the load each run started at is recorded either way")
    p.add_argument("--wait", type=float, default=600.0, help="longest wait for --max-load, seconds (default 600)")
    p.add_argument("--out", default=str(harness.RESULTS / "latest"),
                   help="output prefix for .json/.md/.png (default: benchmarks/results/latest)")
    args = p.parse_args(argv)
    args.modes = args.modes.split(",")
    args.epochs = [int(e) for e in args.epochs.split(",")]
    args.workers = [int(w) for w in args.workers.split(",")]
    args.libs = args.libs.split(",")
    unknown = sorted(set(args.modes) - set(harness.MODES)) + sorted(set(args.libs) - set(harness.LIBS))
    if unknown:
        p.error(f"unknown mode or library: {', '.join(unknown)}")
    return args


def run_grid(args, corpus: Path) -> list[dict]:
    """Every configuration x repeat x library, one at a time (2 cores: parallel runs would lie)."""
    runs = []
    configs = [(m, e, w) for m in args.modes for e in args.epochs for w in args.workers]
    for n, (mode, epochs, workers) in enumerate(configs, 1):
        for repeat in range(args.repeats):
            for lib in args.libs:
                print(f"[{n}/{len(configs)}] {mode} epochs={epochs} workers={workers} "
                      f"repeat {repeat + 1}/{args.repeats}: {lib} ...", end=" ", flush=True)
                # A per-process tag: the vectors are deleted after scoring, and must never be
                # another benchmark's (nn_overlap.py keeps its own for --reuse).
                # Repeat r uses seed first_seed + r in both libraries: the medians average over
                # seeds too, so a quality difference is not one lucky seed.
                if args.max_load is not None:
                    harness.wait_for_quiet(args.max_load, args.wait)
                run = harness.run_spec(lib, mode, epochs, workers, corpus, kernel=args.kernel,
                                       seed=args.first_seed + repeat, tag=f"-p{os.getpid()}")
                if "error" not in run and not args.no_score:
                    run.update(harness.score_vectors(run["vectors"]))
                harness.discard(run)
                print(_run_line(run), flush=True)
                runs.append(dict(run, repeat=repeat))
    return runs


def _run_line(run: dict) -> str:
    """One progress line per run, so a long grid shows its numbers as it goes."""
    if "error" in run:
        return "failed"
    quality = "".join(f", {k} {run[k]:.3f}" for k in ("analogy", "wordsim353", "simlex999") if k in run)
    return (f"{run['wall_s']:.1f}s ({run['cpu_s']:.0f} CPU s, load {run['load_1m_before']:.1f}), "
            f"{run['words_per_s']:,.0f} words/s, {run['peak_rss_mb']:.0f} MB{quality}")


METRICS = ("wall_s", "cpu_s", "words_per_s", "peak_rss_mb", "load_1m_before",
           "analogy", "wordsim353", "simlex999")


def summarize(runs: list[dict], libs: list[str]) -> list[dict]:
    """Medians per configuration and library, plus the speed ratio w2v/gensim (>1: w2v is faster)."""
    rows = []
    for key in dict.fromkeys((r["mode"], r["epochs"], r["workers"]) for r in runs):
        row = dict(zip(("mode", "epochs", "workers"), key))
        for lib in libs:
            same = [r for r in runs if (r["mode"], r["epochs"], r["workers"]) == key and r["lib"] == lib]
            row[lib] = {m: harness.median_of(same, m) for m in METRICS}
            row[lib]["runs"] = sum("error" not in r for r in same)
        speeds = [row.get(lib, {}).get("words_per_s") for lib in ("w2v", "gensim")]
        row["speed_ratio"] = speeds[0] / speeds[1] if all(speeds) else None
        rows.append(row)
    return rows


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def markdown_table(rows: list[dict]) -> str:
    """The summary as a GitHub markdown table (cells are ``w2v / gensim``), for the README."""
    head = ("| mode | epochs | workers | wall s | words/s | speed ratio | CPU s | "
            "analogy | wordsim353 | simlex999 | peak RSS MB |")
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        a, g = r.get("w2v", {}), r.get("gensim", {})

        def pair(metric, spec):
            return f"{_fmt(a.get(metric), spec)} / {_fmt(g.get(metric), spec)}"

        lines.append(f"| {r['mode']} | {r['epochs']} | {r['workers']} | {pair('wall_s', '.1f')} | "
                     f"{pair('words_per_s', ',.0f')} | {_fmt(r['speed_ratio'], '.2f')}x | "
                     f"{pair('cpu_s', '.0f')} | "
                     f"{pair('analogy', '.3f')} | {pair('wordsim353', '.3f')} | {pair('simlex999', '.3f')} | "
                     f"{pair('peak_rss_mb', '.0f')} |")
    return "\n".join(lines)


def plot(rows: list[dict], path: Path) -> bool:
    """Speed ratio per configuration and the three quality scores side by side; False without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install 'w2v[plot]')", file=sys.stderr)
        return False
    labels = [f"{r['mode']}\ne{r['epochs']} w{r['workers']}" for r in rows]
    x = range(len(rows))
    fig, axes = plt.subplots(2, 2, figsize=(max(10, 1.3 * len(rows) + 4), 8), constrained_layout=True)
    ax = axes[0][0]
    ax.bar(x, [r["speed_ratio"] or 0 for r in rows], color="tab:green")
    ax.axhline(1, color="black", lw=0.8, ls="--")
    ax.set(title="speed ratio w2v/gensim (>1: w2v faster)", xticks=list(x), xticklabels=labels)
    for ax, metric in zip((axes[0][1], axes[1][0], axes[1][1]), ("analogy", "wordsim353", "simlex999")):
        for offset, lib, color in ((-0.2, "w2v", "tab:blue"), (0.2, "gensim", "tab:orange")):
            ax.bar([i + offset for i in x], [(r.get(lib, {}).get(metric) or 0) for r in rows], 0.4,
                   label=lib, color=color)
        ax.set(title=metric + (" accuracy (top 30k)" if metric == "analogy" else " Spearman"),
               xticks=list(x), xticklabels=labels)
        ax.legend(loc="lower right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def write_results(prefix: Path, corpus: Path, runs: list[dict], rows: list[dict]) -> list[str]:
    """latest.json (every run + medians + environment), latest.md (table) and latest.png (plot, with
    matplotlib); return the names of the files written."""
    prefix.parent.mkdir(parents=True, exist_ok=True)
    words = next((r["corpus_words"] for r in runs if "corpus_words" in r), None)
    load = harness.median_of(runs, "load_1m_before")
    meta = dict(harness.environment(), corpus=str(corpus), corpus_words=words,
                timing="wall time of the training call (vocabulary scan + training), numba compile excluded "
                       "by an untimed warm-up run in the same process; medians over repeats")
    doc = dict(meta=meta, summary=rows, runs=runs)
    harness.write_text(f"{prefix}.json", json.dumps(doc, indent=1) + "\n")
    md = (f"Corpus: `{corpus.name}` ({words:,} words); vector_size 100, window 5, min_count 5, sample 1e-3, "
          f"alpha 0.025; {meta['cores']} cores, median 1-minute load average before a run {load:.1f} "
          f"(above {meta['cores']}: other processes competed for the CPU); medians of repeated runs; "
          f"cells are w2v / gensim. "
          f"Speed ratio = w2v words/s ÷ gensim words/s. Quality scored by gensim's evaluators for both.\n\n"
          if words else "") + markdown_table(rows) + "\n"
    harness.write_text(f"{prefix}.md", md)
    plotted = plot(rows, Path(f"{prefix}.png"))
    return [f"{prefix}.{ext}" for ext in ("json", "md") + (("png",) if plotted else ())]


def main(argv=None) -> int:
    args = parse_args(argv)
    corpus = harness.resolve_corpus(args.corpus)
    print(f"corpus: {corpus}", flush=True)
    runs = run_grid(args, corpus)
    rows = summarize(runs, args.libs)
    print()
    print(markdown_table(rows))
    written = write_results(Path(args.out), corpus, runs, rows)
    print(f"\nwrote {', '.join(written)}")
    return 0 if all("error" not in r for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
