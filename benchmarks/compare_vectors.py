"""Where two or more trained models differ, by word frequency: vector norms, shared neighbours, analogy sections.

    python benchmarks/compare_vectors.py REFERENCE.bin OTHER.bin [MORE.bin ...]

Every file is word2vec binary format with words in descending frequency (what w2v and gensim
save), e.g. from ``benchmarks/distributed.py --keep-vectors DIR``. Prints, per frequency-rank band
(0-100, 100-1k, 1k-5k, 5k-30k, 30k+), each model's mean input-vector norm; the share of the
top-10 neighbours (among the 30,000 most frequent words) each model has in common with the first,
for 200 words sampled per band (seeded); and each model's accuracy per section of gensim's
questions-words.txt (restricted to the 30,000 most frequent words, as the benchmarks score).
Used to find what distributed training changed (benchmarks/README.md, "Distributed": the noise draws
in an output row's update count, 2026-12-03).
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

BANDS = ((0, 100), (100, 1000), (1000, 5000), (5000, 30000))
TOP = 30000


def neighbours(kv, words: list[str]) -> list[set[str]]:
    top = kv.vectors[:TOP] / np.linalg.norm(kv.vectors[:TOP], axis=1, keepdims=True)
    out = []
    for w in words:
        sims = top @ (kv[w] / np.linalg.norm(kv[w]))
        sims[kv.key_to_index[w]] = -np.inf
        out.append({kv.index_to_key[i] for i in np.argsort(-sims)[:10]})
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("vectors", nargs="+", type=Path)
    args = ap.parse_args()
    from gensim.models import KeyedVectors
    from gensim.test.utils import datapath

    models = {p.stem: KeyedVectors.load_word2vec_format(str(p), binary=True) for p in args.vectors}
    names = list(models)
    ref = models[names[0]]
    bands = BANDS + ((TOP, len(ref)),)
    print("| model | mean norm, ranks " + " / ".join(f"{a}-{b}" for a, b in bands) + " |\n|---|---|")
    for name, kv in models.items():
        norms = np.linalg.norm(kv.vectors, axis=1)
        print(f"| {name} | " + " / ".join(f"{norms[a:b].mean():.2f}" for a, b in bands) + " |")
    rng = np.random.default_rng(0)
    samples = [[ref.index_to_key[i] for i in rng.choice(np.arange(a, b), size=min(200, b - a), replace=False)]
               for a, b in BANDS]
    ref_nn = [neighbours(ref, words) for words in samples]
    print(f"\n| model | top-10 neighbours shared with {names[0]}, ranks " +
          " / ".join(f"{a}-{b}" for a, b in BANDS) + " |\n|---|---|")
    for name, kv in list(models.items())[1:]:
        shares = [np.mean([len(x & y) / 10 for x, y in zip(r, neighbours(kv, words))])
                  for r, words in zip(ref_nn, samples)]
        print(f"| {name} | " + " / ".join(f"{x:.3f}" for x in shares) + " |")
    sections = {n: kv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=TOP)[1]
                for n, kv in models.items()}
    print("\n| section | questions | " + " | ".join(names) + " |\n|---|---|" + "---|" * len(names))
    for i, sec in enumerate(sections[names[0]]):
        n = len(sec["correct"]) + len(sec["incorrect"])
        cells = [len(sections[m][i]["correct"]) / max(1, n) for m in names]
        print(f"| {sec['section']} | {n} | " + " | ".join(f"{c:.3f}" for c in cells) + " |")


if __name__ == "__main__":
    main()
