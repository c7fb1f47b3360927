"""gensim's ``wv.vectors_lockf``: per-word factors on the input-row updates (0 frozen, 1 normal)."""
import numpy as np
import pytest

from w2v import Word2Vec
from w2v.kernels import reference
from w2v.kernels.cbow import cbow_step
from w2v.kernels.skipgram import sg_step
from w2v.training import lock_factors

MODES = {"sg-ns": dict(sg=1, hs=0, negative=5), "sg-hs": dict(sg=1, hs=1, negative=0),
         "cbow-ns": dict(sg=0, hs=0, negative=5), "cbow-hs": dict(sg=0, hs=1, negative=0)}


def _model(sentences, mode, **kw):
    settings = dict(min_count=2, vector_size=32, epochs=1, workers=2, progress=False, seed=3, **MODES[mode])
    m = Word2Vec(**{**settings, **kw})
    m.build_vocab(sentences)
    return m


@pytest.mark.parametrize("mode", sorted(MODES))
def test_frozen_rows_stay_bit_identical_and_half_locked_rows_move_less(sentences_200k, mode):
    corpus = sentences_200k[:2500]                      # 50k words of real text
    m = _model(corpus, mode)
    n = len(m.wv.vectors)
    lockf = np.ones(n, np.float32)
    lockf[0::3] = 0.0                                   # frozen, frequent words among them
    lockf[1::3] = 0.5
    m.wv.vectors_lockf = lockf
    before = m.wv.vectors.copy()
    m.train(corpus, total_examples=len(corpus), epochs=m.epochs)
    frozen, half, free = np.arange(0, n, 3), np.arange(1, n, 3), np.arange(2, n, 3)
    np.testing.assert_array_equal(m.wv.vectors[frozen], before[frozen])
    moved = np.linalg.norm(m.wv.vectors - before, axis=1)
    assert (moved[free] > 0).mean() > 0.95
    # half a step per update moves a row about half as far (both trained on similar words)
    ratio = np.median(moved[half]) / np.median(moved[free])
    assert 0.3 < ratio < 0.75, ratio
    out = m.syn1neg if MODES[mode]["negative"] else m.syn1
    assert np.abs(out).sum() > 0                        # the output side still trains


def test_default_one_element_array_means_no_locking(sentences_200k):
    """gensim 4's default ``vectors_lockf = ones(1)``: training is bit-identical to no array (and trains)."""
    corpus = sentences_200k[:1000]
    a, b = _model(corpus, "sg-ns", workers=1), _model(corpus, "sg-ns", workers=1)
    b.wv.vectors_lockf = np.ones(1, np.float32)
    before = a.wv.vectors.copy()
    a.train(corpus, total_examples=len(corpus), epochs=a.epochs)
    b.train(corpus, total_examples=len(corpus), epochs=b.epochs)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    assert (a.wv.vectors != before).any(axis=1).mean() > 0.95  # the rows did train


@pytest.mark.parametrize("mode", sorted(MODES))
def test_one_element_factor_applies_to_every_word(sentences_200k, mode):
    """A one-element array scales every word's input updates: 0 freezes all rows (the output side
    still trains), 0.5 moves the rows less far than 1 does (less than half as far, 0.26-0.37 measured:
    with every row slowed, the output rows learn more slowly too)."""
    corpus = sentences_200k[:1000]
    moved, out = {}, {}
    for factor in (0.0, 0.5, 1.0):
        m = _model(corpus, mode, workers=1)
        m.wv.vectors_lockf = np.full(1, factor, np.float32)
        before = m.wv.vectors.copy()
        m.train(corpus, total_examples=len(corpus), epochs=m.epochs)
        moved[factor] = np.linalg.norm(m.wv.vectors - before, axis=1)
        out[factor] = m.syn1neg if MODES[mode]["negative"] else m.syn1
    np.testing.assert_array_equal(moved[0.0], 0)
    assert np.abs(out[0.0]).sum() > 0
    assert (moved[1.0] > 0).mean() > 0.95
    ratio = np.median(moved[0.5]) / np.median(moved[1.0])
    assert 0.15 < ratio < 0.75, ratio


@pytest.mark.parametrize("lockf, error, text", [
    (np.ones(7, np.float32), ValueError, r"shape \(7,\); expected shape \(1,\) or \(10,\)"),
    (np.ones((10, 1), np.float32), ValueError, r"shape \(10, 1\)"),
    (np.ones(10), TypeError, r"shape \(10,\) has dtype float64; expected float32"),
    (np.array([1, 0, np.nan] + [1] * 7, np.float32), ValueError, r"non-finite factor \(nan at index 2\)"),
    ([1.0] * 10, TypeError, "numpy float32 array"),
])
def test_bad_lock_arrays_are_refused_naming_the_shape(lockf, error, text):
    with pytest.raises(error, match=text):
        lock_factors(lockf, 10)


def test_bad_lock_array_fails_before_training(sentences_200k):
    corpus = sentences_200k[:500]
    m = _model(corpus, "sg-ns")
    lockf = np.ones(len(m.wv.vectors), np.float32)
    lockf[3] = np.inf
    m.wv.vectors_lockf = lockf
    before = m.wv.vectors.copy()
    with pytest.raises(ValueError, match=rf"vectors_lockf of shape \({len(lockf)},\) holds a non-finite factor"):
        m.train(corpus, total_examples=len(corpus), epochs=m.epochs)
    np.testing.assert_array_equal(m.wv.vectors, before)


def test_all_ones_selects_the_unlocked_path():
    assert lock_factors(None, 5)[1] is False
    assert lock_factors(np.ones(5, np.float32), 5)[1] is False
    factors, use = lock_factors(np.full(1, 0.5, np.float32), 5)
    assert use and factors.shape == (5,) and (factors == 0.5).all()


# --- the kernels' updates against the numpy reference ---------------------------------------

LOCKF = np.array([1.0, 0.0, 0.5, 1.0, 0.25, 0.0, 2.0, 1.0, 0.5], np.float32)
NS_T, NS_L = np.array([4, 1, 7], np.int32), np.array([1, 0, 0], np.float32)
HS_T, HS_L = np.array([7, 3, 0], np.int32), np.array([0, 1, 1], np.float32)


def _tables(v=9, d=6):
    rng = np.random.default_rng(5)
    return [rng.standard_normal((n, d)).astype(np.float32) * 0.5 for n in (v, v, v - 1)]


@pytest.mark.parametrize("one_by_one", [False, True])
def test_locked_skipgram_step_matches_reference(one_by_one):
    syn0, syn1neg, syn1 = _tables()
    ref = [a.copy() for a in (syn0, syn1neg, syn1)]
    before = syn0.copy()
    ctx = np.array([1, 2, 5, 2, 6], np.int32)          # frozen, half (twice), frozen, doubled
    K, d = len(ctx), syn0.shape[1]
    scratch = (np.zeros((K, d), np.float32), np.zeros((K, d), np.float32), np.zeros(K, np.float32))
    sg_step(syn0, syn1neg, syn1, ctx, K, one_by_one, NS_T, NS_L, 3, HS_T, HS_L, 3, np.float32(0.05),
            *scratch, False, False, LOCKF, True)
    reference.sg_step(*ref, ctx, NS_T, NS_L, HS_T, HS_L, alpha=0.05, one_by_one=one_by_one, lockf=LOCKF)
    for got, want in zip((syn0, syn1neg, syn1), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(syn0[[1, 5]], before[[1, 5]])
    assert not np.array_equal(syn0[2], before[2])


@pytest.mark.parametrize("cbow_mean", [0, 1])
def test_locked_cbow_step_matches_reference(cbow_mean):
    syn0, syn1neg, syn1 = _tables()
    ref = [a.copy() for a in (syn0, syn1neg, syn1)]
    before = syn0.copy()
    ctx = np.array([0, 1, 4, 4, 6], np.int32)
    d = syn0.shape[1]
    cbow_step(syn0, syn1neg, syn1, ctx, len(ctx), cbow_mean, NS_T, NS_L, 3, HS_T, HS_L, 3, np.float32(0.05),
              np.zeros((1, d), np.float32), np.zeros((1, d), np.float32), np.zeros(8, np.float32), False, False, LOCKF,
              True)
    reference.cbow_step(*ref, ctx, cbow_mean, NS_T, NS_L, HS_T, HS_L, alpha=0.05, lockf=LOCKF)
    for got, want in zip((syn0, syn1neg, syn1), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(syn0[1], before[1])
