"""Graded quality gates, one per training mode, on real text.

Each mode trains on the bundled sample (2M words of Wikipedia) with one worker and a fixed seed
(bit-for-bit repeatable on one machine), and must reach about 85% of the score measured for it.
A kernel that learns clearly less (a lost update, a wrong gradient, fewer pairs) falls below its
gate; the old check "4 number words among the neighbours of 'three'" was met by far worse models.

The score is gensim's analogy accuracy on ``questions-words.txt`` restricted to the sample's
vocabulary (questions with a word the sample lacks are skipped: ~10k of 19.5k remain): a
continuous score with ~200-600 right answers here, so a 15% drop is several times the
seed-to-seed spread. Measured 2026-12-07 (w2v 0.1.0): the value with seed 1, the range over
seeds 1-5 (a different CPU may round differently, which acts like another seed), and gensim 4.4
at the same settings (one worker, seed 1). CBOW trains 5 epochs (gensim's default; 3 left it at
~0.02, too few right answers for a 15% gate), skip-gram 3. The gates replace
``test_train.py``'s neighbour count and its one analogy check (skip-gram, > 0.025).

The corpus is the sample's words cut into 1000-word sentences, in memory (the figures depend on the
cut: the same words read from the file, line by line, score within the seed range but not the same).
CBOW with summed context rows (``cbow_mean=0``, alpha 0.01) scores ~0.005 on analogies, at noise
level, and no continuous score tracked its training (its number/month separation is as high after
one epoch as after three), so it keeps only a smoke check here; the kernel-against-reference tests
check its arithmetic.
"""
from __future__ import annotations

import lzma

import pytest

import w2v

gensim_utils = pytest.importorskip("gensim.test.utils")

COMMON = dict(vector_size=50, workers=1, seed=1, progress=False, cache_dir=False)


@pytest.fixture(scope="module")
def sample_sentences() -> list[list[str]]:
    """The whole bundled sample (~2.1M words) as 1000-word sentences."""
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        words = f.read().split()
    return [words[i:i + 1000] for i in range(0, len(words), 1000)]


#: mode -> (settings, measured analogy accuracy with seed 1, threshold)
ANALOGY_GATES = {
    # seed 1: 0.0348; seeds 1-5: 0.0327-0.0376; gensim: 0.0349
    "cbow-ns": (dict(sg=0, hs=0, negative=5, epochs=5), 0.0348, 0.0297),
    # seed 1: 0.0321; seeds 1-5: 0.0305-0.0325 (mean 0.0314); gensim: 0.0289
    "cbow-hs": (dict(sg=0, hs=1, negative=0, epochs=5), 0.0321, 0.0265),
    # seed 1: 0.0427; seeds 1-5: 0.0414-0.0452; gensim: 0.0427
    "sg-ns-shared": (dict(sg=1, hs=0, negative=5, epochs=3, kernel="shared"), 0.0427, 0.0363),
    # seed 1: 0.0474; seeds 1-5: 0.0417-0.0474 (mean 0.0450); gensim: 0.0427
    "sg-ns-exact": (dict(sg=1, hs=0, negative=5, epochs=3, kernel="exact"), 0.0474, 0.0383),
    # seed 1: 0.0447; seeds 1-5: 0.0417-0.0492 (mean 0.0446); gensim: 0.0427
    "sg-ns-batched": (dict(sg=1, hs=0, negative=5, epochs=3, kernel="batched"), 0.0447, 0.0380),
    # seed 1: 0.0665; seeds 1-5: 0.0582-0.0665 (mean 0.0603); gensim: 0.0571
    "sg-hs": (dict(sg=1, hs=1, negative=0, epochs=3), 0.0665, 0.0513),
}

NUMBERS = ["one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"]


def train(sentences, settings: dict) -> w2v.Word2Vec:
    return w2v.train(sentences, **COMMON, **settings)


def analogy_accuracy(wv) -> tuple[float, int]:
    """gensim's analogy accuracy over the questions whose words the vectors know; (accuracy, questions)."""
    accuracy, sections = wv.evaluate_word_analogies(gensim_utils.datapath("questions-words.txt"),
                                                    restrict_vocab=300_000)
    total = sections[-1]
    return accuracy, len(total["correct"]) + len(total["incorrect"])


@pytest.mark.slow  # 4-10 s each: the whole sample, one thread
@pytest.mark.parametrize("mode", sorted(ANALOGY_GATES))
def test_analogy_accuracy_reaches_the_modes_gate(sample_sentences, mode):
    settings, measured, threshold = ANALOGY_GATES[mode]
    accuracy, questions = analogy_accuracy(train(sample_sentences, settings).wv)
    assert questions > 9000, questions  # the whole sample was read and kept
    assert accuracy >= threshold, f"{mode}: analogy accuracy {accuracy:.4f} < gate {threshold} (measured {measured})"


def test_cbow_sum_learns_that_numbers_neighbour_numbers(sample_sentences):
    """A smoke check only (see the module's docstring): 6-8 of the 10 nearest neighbours of 'three'
    are number words after 3 epochs; an untrained model has none."""
    wv = train(sample_sentences, dict(sg=0, cbow_mean=0, alpha=0.01, epochs=3)).wv
    near = [w for w, _ in wv.most_similar("three", topn=10)]
    assert len(set(NUMBERS) & set(near)) >= 4, near
