"""The three skip-gram updates (kernel="exact", "shared", "batched") differ exactly where they say.

Run through the public training path on one sentence with subsampling and window shrinking off, so
every random draw is accounted for: the splitmix64 state advances by a fixed odd constant per draw,
so the number of draws a training run made is read back from the thread's RNG state.
"""
import numpy as np
import pytest

import w2v
from w2v.kernels.common import _GOLDEN
from w2v.vocab import Vocabulary

SENTENCE = [f"w{i}" for i in range(12)]    # twelve distinct words: no context row repeats in a window
WINDOW, NEGATIVE = 2, 3
PAIRS = sum(min(len(SENTENCE), i + WINDOW + 1) - max(0, i - WINDOW) - 1 for i in range(len(SENTENCE)))


def train_one_sentence(kernel, noise_word=None, monkeypatch=None):
    model = w2v.Word2Vec(sg=1, kernel=kernel, window=WINDOW, negative=NEGATIVE, min_count=1, sample=0,
                         shrink_windows=False, workers=1, epochs=1, vector_size=8, alpha=0.5,
                         progress=False, cache_dir=False)
    model.build_vocab([SENTENCE + ["noise"]])
    if noise_word is not None:  # every negative draw returns this word
        v = len(model.vocab)
        table = (np.zeros(v, np.uint64), np.full(v, model.vocab.word_to_id[noise_word], np.int32))
        monkeypatch.setattr(Vocabulary, "noise_table", lambda self, exponent=0.75: table)
    model.syn1neg[:] = np.random.default_rng(0).standard_normal(model.syn1neg.shape) * 0.3  # not 0: HogBatch
    # and word2vec.c's order only differ once output rows carry information
    before = int(model.rng_states[0, 0])
    model.train([SENTENCE], total_examples=1, epochs=1)
    draws = (int(model.rng_states[0, 0]) - before) * pow(int(_GOLDEN), -1, 2**64) % 2**64
    return model, draws


@pytest.mark.parametrize("kernel,negative_draws", [
    ("exact", NEGATIVE * PAIRS),                   # fresh negatives for every (context, centre) pair
    ("shared", NEGATIVE * len(SENTENCE)),          # one draw per centre word, shared by its window
    ("batched", NEGATIVE * len(SENTENCE)),
])
def test_negatives_are_drawn_per_pair_or_per_centre(kernel, negative_draws):
    _, draws = train_one_sentence(kernel)
    assert draws == len(SENTENCE) + negative_draws  # one subsampling draw per word, then negatives


def test_shared_equals_exact_when_their_negatives_are_the_same(monkeypatch):
    """With one possible negative, the only difference left is when the draws happen: the tables
    must then be identical, i.e. "shared" keeps word2vec.c's update order pair for pair.
    HogBatch's block update is a different computation and must not be."""
    models = {k: train_one_sentence(k, "noise", monkeypatch)[0] for k in ("exact", "shared", "batched")}
    exact, shared, batched = (models[k] for k in ("exact", "shared", "batched"))
    start = np.random.default_rng(0).standard_normal(exact.syn1neg.shape) * 0.3
    assert np.abs(exact.syn1neg - start).max() > 1e-2  # training really moved the rows
    np.testing.assert_array_equal(shared.wv.vectors, exact.wv.vectors)
    np.testing.assert_array_equal(shared.syn1neg, exact.syn1neg)
    assert np.abs(batched.syn1neg - exact.syn1neg).max() > 1e-3


def test_auto_is_the_shared_kernel():
    assert w2v.TrainParams(sg=1).sg_kernel == "shared"
    assert w2v.TrainParams(sg=1, hs=1, negative=0).sg_kernel == "shared"
    assert w2v.TrainParams(sg=1, kernel="exact").sg_kernel == "exact"
    assert w2v.TrainParams(sg=1, kernel="batched").sg_kernel == "batched"
