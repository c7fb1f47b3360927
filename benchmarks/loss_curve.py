"""Why skip-gram's ``loss_history`` can rise over the last epochs while the model still improves.

``loss_history`` is an *online* loss: each pair's loss is added just before that pair's update, with
the tables as they are at that moment, over an epoch whose learning rate falls linearly to
``min_alpha``. This script trains skip-gram on the bundled sample (5 epochs, two workers, seed 1)
and, at each epoch end, also scores a *fixed* set of 100k (context, centre) pairs from the corpus with
5 fixed negatives each (the same pairs and negatives every epoch, the tables frozen): the loss of
the model as it stands. It does so with the default decaying learning rate and with a constant one
(``min_alpha=alpha``), and for the ``exact`` kernel (word2vec.c's loop) as well as the default.

    python benchmarks/loss_curve.py            # about a minute on two cores; prints a markdown table

Result (benchmarks/results/loss_curve.md): with the decaying rate the fixed-pair loss falls every
epoch while ``loss_history`` rises in the last two; with a constant rate ``loss_history`` falls
every epoch while the fixed-pair loss goes up and down. The training loss's shape follows the
learning rate, not the model's fit. Both kernels behave alike, so it is no kernel's bug.
"""
from __future__ import annotations

import lzma
import os
import platform
import tempfile
import time

import numpy as np

import w2v

PAIRS, NEGATIVES, SEED = 100_000, 5, 0


class FixedPairLoss(w2v.CallbackAny2Vec):
    """At each epoch end: the mean skip-gram negative-sampling loss of fixed pairs and negatives."""

    def __init__(self, words: list[str]):
        self.words, self.rows = words, []
        self.pairs = self.negatives = None

    def _draw(self, model) -> None:
        rng = np.random.default_rng(SEED)
        wv = model.wv
        ids = np.array([wv.key_to_index.get(w, -1) for w in self.words[:400_000]])
        centre = rng.integers(5, len(ids) - 5, PAIRS)
        context = centre + rng.choice([-3, -2, -1, 1, 2, 3], PAIRS)
        kept = (ids[centre] >= 0) & (ids[context] >= 0)
        self.pairs = ids[context[kept]], ids[centre[kept]]
        noise = np.array([wv.get_vecattr(k, "count") for k in wv.index_to_key], float) ** 0.75
        self.negatives = rng.choice(len(wv), (int(kept.sum()), NEGATIVES), p=noise / noise.sum())

    def on_epoch_end(self, model) -> None:
        if self.pairs is None:
            self._draw(model)
        context, centre = self.pairs
        v, u, n = model.wv.vectors[context], model.syn1neg[centre], model.syn1neg[self.negatives]
        loss = np.logaddexp(0, -(v * u).sum(1)) + np.logaddexp(0, np.einsum("ij,ikj->ik", v, n)).sum(1)
        self.rows.append((model.loss_history[-1], float(loss.mean())))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "sample.txt")
        with lzma.open(w2v.sample_corpus_path(), "rb") as src, open(path, "wb") as dst:
            dst.write(src.read())
        words = open(path, encoding="utf-8").read().split()
        print(f"# skip-gram, bundled sample, 5 epochs, 2 workers, seed 1; w2v {w2v.__version__}, "
              f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}")
        print("| kernel | learning rate | per epoch: loss_history (M) | per epoch: fixed-pair loss per pair |")
        print("|---|---|---|---|")
        for kernel, rate, extra in (("auto", "0.025 -> 0.0001 (default)", {}),
                                    ("exact", "0.025 -> 0.0001 (default)", {}),
                                    ("auto", "0.025 constant", {"min_alpha": 0.025})):
            fixed = FixedPairLoss(words)
            w2v.train(path, sg=1, epochs=5, workers=2, seed=1, kernel=kernel, callbacks=[fixed], progress=False,
                      cache_dir=False, **extra)
            history = ", ".join(f"{t / 1e6:.2f}" for t, _ in fixed.rows)
            pairs = ", ".join(f"{p:.3f}" for _, p in fixed.rows)
            print(f"| {kernel} | {rate} | {history} | {pairs} |", flush=True)


if __name__ == "__main__":
    main()
