"""Do w2v's vectors have the same nearest neighbours as gensim's? (issue 3's acceptance metric)

    python benchmarks/nn_overlap.py                       # skip-gram, 5 epochs, 2 workers, wiki17m
    python benchmarks/nn_overlap.py --epochs 1 --w2v-seeds

For the words at vocabulary frequency ranks 100-1100, take each word's top-10 cosine neighbours
under w2v's skip-gram vectors and under gensim's (seed 1) and report the mean overlap (0..1). Two
gensim runs that differ only in their seed do not agree perfectly either, so their overlap is
reported beside it as the noise floor: w2v matches gensim when w2v-vs-gensim is close to
gensim-vs-gensim. ``--w2v-seeds`` adds w2v-vs-w2v for the same reason. Training runs go through
harness.run_spec (fresh subprocesses, one at a time); results go to benchmarks/results/nn_overlap.{json,md}.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

import harness


def neighbour_sets(kv, queries: list[str], vocab: list[str], topn: int, chunk: int = 256) -> list[set]:
    """Top-``topn`` cosine neighbours of each query among ``vocab`` (the words all runs share).

    Searching the shared vocabulary, not each model's own, keeps a word that one model dropped
    from counting as a disagreement.
    """
    m = np.stack([kv[w] for w in vocab]).astype(np.float32)
    m /= np.linalg.norm(m, axis=1, keepdims=True) + 1e-12
    index = {w: i for i, w in enumerate(vocab)}
    rows = np.array([index[w] for w in queries])
    result = []
    for start in range(0, len(rows), chunk):
        ids = rows[start:start + chunk]
        sims = m[ids] @ m.T
        sims[np.arange(len(ids)), ids] = -np.inf  # a word is not its own neighbour
        best = np.argpartition(-sims, topn, axis=1)[:, :topn]
        result += [{vocab[j] for j in row} for row in best]
    return result


def mean_overlap(a: list[set], b: list[set], topn: int) -> float:
    """Mean fraction of shared neighbours, 1.0 = identical top-n lists (order ignored)."""
    return float(np.mean([len(x & y) / topn for x, y in zip(a, b)]))


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus", help="default: ../shared/corpora/wiki17m.txt.xz if present, else the sample")
    p.add_argument("--mode", default="sg-ns", choices=list(harness.MODES))
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--kernel", default="auto", choices=("auto", "shared", "exact", "batched"), help="w2v's kernel")
    p.add_argument("--ranks", default="100:1100",
                   help="frequency ranks of the query words (default %(default)s)")
    p.add_argument("--topn", type=int, default=10)
    p.add_argument("--w2v-seeds", action="store_true",
                   help="also train w2v with seed 2 (w2v's own noise floor)")
    p.add_argument("--reuse", action="store_true",
                   help="reuse vectors of identical earlier runs (kept in the cache) instead of retraining")
    p.add_argument("--out", default=str(harness.RESULTS / "nn_overlap"), help="output prefix for .json/.md")
    return p.parse_args(argv)


def train_all(args, corpus: Path) -> dict:
    """The runs to compare, keyed ``lib/seed``; each one is a fresh subprocess like compare.py's."""
    wanted = [("w2v", 1), ("gensim", 1), ("gensim", 2)] + ([("w2v", 2)] if args.w2v_seeds else [])
    runs = {}
    for lib, seed in wanted:
        print(f"training {lib} seed {seed} ({args.mode}, {args.epochs} epochs) ...", end=" ", flush=True)
        run = harness.run_spec(lib, args.mode, args.epochs, args.workers, corpus, kernel=args.kernel,
                               seed=seed, reuse=args.reuse)
        if "error" in run:
            raise SystemExit(f"{lib} seed {seed} failed")
        print(f"{run['wall_s']:.1f}s" + (" (reused)" if run.get("reused") else ""), flush=True)
        runs[f"{lib}/{seed}"] = run
    return runs


def main(argv=None) -> int:
    from gensim.models import KeyedVectors

    args = parse_args(argv)
    corpus = harness.resolve_corpus(args.corpus)
    runs = train_all(args, corpus)
    kvs = {name: KeyedVectors.load_word2vec_format(run["vectors"], binary=True) for name, run in runs.items()}
    reference = kvs["gensim/1"].index_to_key  # frequency order
    shared = [w for w in reference if all(w in kv.key_to_index for kv in kvs.values())]
    lo, hi = (int(x) for x in args.ranks.split(":"))
    queries = [w for w in reference[lo:hi] if w in set(shared)]
    neighbours = {name: neighbour_sets(kv, queries, shared, args.topn) for name, kv in kvs.items()}
    pairs = [("w2v/1", "gensim/1"), ("w2v/1", "gensim/2"), ("gensim/1", "gensim/2")]
    pairs += [("w2v/1", "w2v/2")] if args.w2v_seeds else []
    overlaps = {f"{a} vs {b}": mean_overlap(neighbours[a], neighbours[b], args.topn) for a, b in pairs}

    lines = [f"Mean top-{args.topn} neighbour overlap, words at frequency ranks {args.ranks} "
             f"({len(queries)} words), {args.mode}, {args.epochs} epochs, {args.workers} workers, "
             f"w2v kernel {args.kernel}, "
             f"corpus `{corpus.name}`:", "", "| pair | overlap |", "|---|---|"]
    lines += [f"| {pair} | {value:.3f} |" for pair, value in overlaps.items()]
    print("\n" + "\n".join(lines))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    harness.write_text(f"{args.out}.md", "\n".join(lines) + "\n")
    harness.write_text(f"{args.out}.json", json.dumps(dict(
        meta=dict(harness.environment(), corpus=str(corpus), mode=args.mode, epochs=args.epochs,
                  workers=args.workers, kernel=args.kernel, ranks=args.ranks, topn=args.topn,
                  queries=len(queries),
                  shared_vocab=len(shared)),
        overlap=overlaps, runs=runs), indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
