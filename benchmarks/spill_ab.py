"""One process trains the same encoded corpus alternately from its spill file and from an in-memory
copy: whether reading each chunk from the spill file (w2v.idstore) costs training time, without the
noise of separate processes.

    python benchmarks/spill_ab.py CORPUS [--sg 1] [--hs 1] [--rounds 4]

CORPUS must hold more than 8M words (so its ids spill). Prints seconds and CPU seconds per run.
"""
from __future__ import annotations

import argparse
import json
import os
import time

import w2v
from w2v.encode import EncodedCorpus


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--hs", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=4)
    ap.add_argument("--max-load", type=float, default=1.3)
    args = ap.parse_args()
    model = w2v.Word2Vec(sg=args.sg, hs=args.hs, negative=0 if args.hs else 5, workers=2, epochs=1,
                         cache_dir=False, progress=False)
    model.build_vocab(args.corpus)
    spilled = model._encoded
    memory = EncodedCorpus(spilled.ids.copy(), spilled.offsets.copy(), spilled.raw_words)
    if spilled.in_memory:
        raise SystemExit("the corpus did not spill (8M words or fewer): nothing to compare")
    runs: dict = {"spilled": [], "memory": []}
    for r in range(args.rounds):
        order = (("spilled", spilled), ("memory", memory))
        for name, encoded in order if r % 2 == 0 else order[::-1]:
            while os.getloadavg()[0] > args.max_load:
                time.sleep(2)
            wall, cpu = time.perf_counter(), time.process_time()
            model.run_training(encoded, 1, model.alpha, model.min_alpha)
            runs[name].append({"s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
                               "load": os.getloadavg()[0]})
            print(name, json.dumps(runs[name][-1]), flush=True)
    print(json.dumps(runs))


if __name__ == "__main__":
    main()
