"""Does the skip-gram HS tree-top copy cost quality? 5 epochs, 2 workers, with and without it.

    python benchmarks/hs_tree_top.py --corpus wiki17m.txt --seeds 1,2,3

For each seed, trains w2v's skip-gram with hierarchical softmax twice in fresh subprocesses, with
``hot_rows.HOT_ROWS`` = 0 (no private copies: plain Hogwild on the whole tree) and 64 (the
default), scores both by gensim's evaluators (harness.score_vectors) and prints one JSON line per
run (wall and CPU seconds, load, analogy, wordsim353, simlex999); the lines go to
``benchmarks/results/hs_tree_top_quality.jsonl``.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import harness

CHILD = """
import json, os, resource, sys, time
sys.path.insert(0, {bench!r})
import harness
from w2v.kernels import hot_rows
import w2v
hot_rows.HOT_ROWS = int(sys.argv[1])
seed, corpus, out = int(sys.argv[2]), sys.argv[3], sys.argv[4]
params = dict(harness.COMMON, **harness.MODES["sg-hs"], epochs=5, workers=2, seed=seed)
start = time.perf_counter()
model = w2v.train(corpus, **params, cache_dir=False, progress=False)
wall = time.perf_counter() - start
usage = resource.getrusage(resource.RUSAGE_SELF)
model.wv.save_word2vec_format(out, binary=True)
print(json.dumps(dict(hot=hot_rows.HOT_ROWS, seed=seed, wall=round(wall, 1),
                      cpu=round(usage.ru_utime + usage.ru_stime, 1), load=os.getloadavg()[0],
                      **harness.score_vectors(out))))
os.unlink(out)
"""


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--corpus")
    p.add_argument("--seeds", default="1,2,3")
    p.add_argument("--out", default=str(harness.RESULTS / "hs_tree_top_quality.jsonl"))
    args = p.parse_args()
    corpus = harness.resolve_corpus(args.corpus)
    code = CHILD.format(bench=str(Path(__file__).parent))
    lines = []
    for seed in (int(s) for s in args.seeds.split(",")):
        for rows in (0, 64):
            vectors = harness.CACHE / f"hs-tree-top-{rows}-{seed}.bin"
            vectors.parent.mkdir(parents=True, exist_ok=True)
            proc = subprocess.run([sys.executable, "-c", code, str(rows), str(seed), str(corpus), str(vectors)],
                                  capture_output=True, text=True, check=True)
            lines.append(proc.stdout.strip().splitlines()[-1])
            print(lines[-1], flush=True)
    harness.write_text(args.out, "\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
