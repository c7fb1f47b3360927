"""``sample``, ``shrink_windows`` and ``ns_exponent`` change what is trained, as word2vec.c and gensim
define them. The parity tests with gensim turn the first two off (``sample=0, shrink_windows=False``)
to compare tables exactly, so these tests measure each setting's effect through the public API:

* ``sample``: which words survive subsampling, read from which input rows moved;
* ``shrink_windows``: the distribution of the context reach, read from the loss (the number of
  (context, centre) pairs trained) on sentences of each length;
* ``ns_exponent``: the noise distribution, read from which output rows of never-seen words moved.

Each is a statistical test (one worker, fixed seed: the same draws every run) whose tolerance is several
standard deviations of its sampling noise wide.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import w2v

ONE_THREAD = dict(workers=1, seed=3, progress=False)


# --------------------------------------------------------------------------- sample


def keep_probability(count: int, total: int, sample: float) -> float:
    """word2vec.c's and gensim's subsampling: keep with ``(sqrt(c / t) + 1) * t / c``, ``t = sample * total``."""
    t = sample * total
    return min(1.0, (math.sqrt(count / t) + 1) * t / count)


@pytest.mark.parametrize("sg", [1, 0])
@pytest.mark.parametrize("sample", [0.0, 1e-3, 1e-2])
def test_sample_drops_a_frequent_word_with_gensims_keep_probability(sg, sample):
    """5,000 two-word sentences ``a<i> the``: ``a<i>`` (seen once, always kept) trains its input row
    only as the context of ``the``, so the share of ``a<i>`` rows that moved is the share of
    sentences where ``the`` survived subsampling: 1 with ``sample=0``, else gensim's keep
    probability for a word making half the corpus (0.047 at 1e-3, 0.161 at 1e-2)."""
    n = 5000
    corpus = [[f"a{i}", "the"] for i in range(n)]
    model = w2v.Word2Vec(sg=sg, sample=sample, window=1, min_count=1, vector_size=8, epochs=1, **ONE_THREAD)
    model.build_vocab(corpus)
    before = model.wv.vectors.copy()
    model.train(corpus, total_examples=n, epochs=1)
    rows = [model.wv.key_to_index[f"a{i}"] for i in range(n)]
    moved = float((model.wv.vectors[rows] != before[rows]).any(axis=1).mean())
    if sample == 0:
        assert moved > 0.998, moved  # the very first pair meets an all-zero output row and moves nothing
        return
    p = keep_probability(n, 2 * n, sample)
    assert moved == pytest.approx(p, abs=5 * math.sqrt(p * (1 - p) / n)), (moved, p)
    the = model.wv.key_to_index["the"]
    assert (model.wv.vectors[the] != before[the]).any()  # 'the' itself trained whenever it was kept


# --------------------------------------------------------------------------- shrink_windows


def pairs_per_sentence(length: int, window: int, shrink: bool, n_sentences: int = 4000) -> float:
    """Skip-gram pairs trained per sentence of ``length`` words, read from the loss.

    Two words, hierarchical softmax (one inner node: every pair scores one node) and a learning
    rate of 1e-8, so no row moves measurably: every pair adds the same loss, -log(sigmoid(0)).
    The calibration is a window of 1, where each sentence of ``length`` words has exactly
    ``2 * (length - 1)`` pairs whatever the window draw.
    """
    def loss(n_words, reach, shrink_windows):
        rng = np.random.default_rng(n_words)
        corpus = [list(rng.choice(["x", "y"], n_words)) for _ in range(n_sentences)]
        model = w2v.train(corpus, sg=1, hs=1, negative=0, alpha=1e-8, min_alpha=1e-8, window=reach, sample=0,
                          shrink_windows=shrink_windows, min_count=1, vector_size=4, epochs=1, cache_dir=False,
                          **ONE_THREAD)
        return model.loss_history[-1] / n_sentences

    per_pair = loss(10, 1, True) / 18
    return loss(length, window, shrink) / per_pair


@pytest.mark.parametrize("shrink", [True, False])
def test_shrink_windows_draws_the_reach_uniformly_from_1_to_window(shrink):
    """A sentence of n words trains S(n) = 2 * sum_k (n - k) P(reach >= k) pairs, so the second
    differences of S give the reach distribution: P(reach >= k) = (window - k + 1) / window with
    shrinking (word2vec.c's ``b = rand() % window``), 1 up to the window without."""
    window = 4
    S = [0.0] + [pairs_per_sentence(n, window, shrink) for n in range(2, window + 2)]  # S[n - 1] = S(n)
    at_least = [(S[k] - 2 * S[k - 1] + (S[k - 2] if k >= 2 else 0.0)) / 2 for k in range(1, window + 1)]
    expected = [(window - k + 1) / window if shrink else 1.0 for k in range(1, window + 1)]
    np.testing.assert_allclose(at_least, expected, atol=0.05)
    if not shrink:
        np.testing.assert_allclose(S[1:], [2 * sum(n - k for k in range(1, n)) for n in range(2, window + 2)],
                                   rtol=1e-3)


# --------------------------------------------------------------------------- ns_exponent

#: counts of the never-seen words, 1,500 words per count
GHOST_COUNTS = (1, 3, 10, 30, 100, 300, 1000, 3000)
GHOSTS_PER_COUNT = 1500


def fitted_exponent(touched: np.ndarray) -> float:
    """Maximum-likelihood exponent ``a`` of ``draws ~ Poisson(exp(b) * count**a)`` from how many
    of each count's words were drawn at least once (``touched[i]`` of ``GHOSTS_PER_COUNT``)."""
    a = np.arange(-1.5, 1.5, 0.005)[:, None, None]
    b = np.linspace(-14.0, 4.0, 721)[None, :, None]
    lam = np.exp(b + a * np.log(np.array(GHOST_COUNTS, np.float64)))
    k, n = touched.astype(np.float64), GHOSTS_PER_COUNT
    with np.errstate(divide="ignore"):
        loglik = (k * np.log(-np.expm1(-lam)) - (n - k) * lam).sum(axis=-1)
    i, _ = np.unravel_index(np.nanargmax(loglik), loglik.shape)
    return float(a[i, 0, 0])


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("ns_exponent", [-0.5, 0.0, 0.75, 1.0])
def test_negatives_are_drawn_in_proportion_to_count_to_the_ns_exponent(sg, ns_exponent):
    """The vocabulary holds 12,000 words that the corpus never contains, with counts from 1 to 3,000
    (``build_vocab_from_freq``): their output rows start at zero and move only when drawn as a
    negative, so which ones moved samples the noise distribution. The exponent fitted to the
    share drawn per count must be ``ns_exponent`` (gensim's ``count ** ns_exponent``)."""
    freqs = {"x": 500, "y": 500}
    for count in GHOST_COUNTS:
        freqs.update({f"ghost{count}_{i}": count for i in range(GHOSTS_PER_COUNT)})
    rng = np.random.default_rng(0)
    corpus = [list(rng.choice(["x", "y"], 10)) for _ in range(150)]
    model = w2v.Word2Vec(sg=sg, negative=5, ns_exponent=ns_exponent, sample=0, min_count=1, vector_size=4, epochs=1,
                         **ONE_THREAD)
    model.build_vocab_from_freq(freqs)
    model.train(corpus, total_examples=len(corpus), epochs=1)
    touched = np.array([sum(model.syn1neg[model.wv.key_to_index[f"ghost{count}_{i}"]].any()
                            for i in range(GHOSTS_PER_COUNT)) for count in GHOST_COUNTS])
    assert fitted_exponent(touched) == pytest.approx(ns_exponent, abs=0.1), touched
