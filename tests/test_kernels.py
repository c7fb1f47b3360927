"""The numba updates match their numpy statements (w2v.kernels.reference) on tiny fixed cases."""
import numpy as np
import pytest
from numba import njit

from w2v.kernels import reference
from w2v.kernels.cbow import cbow_step
from w2v.kernels.common import draw_noise, path_update_range, path_update_two_rows
from w2v.kernels.skipgram import sg_step
from w2v.vocab import Vocabulary, build_alias_table

ALPHA = np.float32(0.05)


def tables(v=9, d=6, seed=0, scale=1.0):
    rng = np.random.default_rng(seed)
    syn0 = (rng.standard_normal((v, d)) * scale).astype(np.float32)
    syn1neg = (rng.standard_normal((v, d)) * scale).astype(np.float32)
    syn1 = (rng.standard_normal((v - 1, d)) * scale).astype(np.float32)
    return syn0, syn1neg, syn1


def scratch(k, d, t=8):
    """H, dH (k x d) and the gradients G, one per input row or per path node (as ThreadScratch sizes it)."""
    return (np.zeros((k, d), np.float32), np.zeros((k, d), np.float32), np.zeros(max(k, t), np.float32))


def i32(*xs):
    return np.array(xs, dtype=np.int32)


def f32(*xs):
    return np.array(xs, dtype=np.float32)


NS_T, NS_L = i32(4, 1, 7, 1), f32(1, 0, 0, 0)      # centre word 4, a repeated negative
HS_T, HS_L = i32(7, 3, 0), f32(0, 1, 1)             # inner nodes on a Huffman path
NO_LOCK = (np.ones(1, np.float32), False)          # (lockf, use_lockf): nothing locked


@pytest.mark.parametrize("use_hs,use_ns", [(0, 1), (1, 0), (1, 1)])
@pytest.mark.parametrize("ctx", [i32(2, 5, 2, 8), i32(2, 5, 2), i32(7)], ids=["K4", "K3", "K1"])
@pytest.mark.parametrize("one_by_one", [False, True], ids=["block", "one-by-one"])
def test_skipgram_step_matches_reference(use_hs, use_ns, ctx, one_by_one):
    syn0, syn1neg, syn1 = tables()
    ref = [a.copy() for a in (syn0, syn1neg, syn1)]  # context word 2 appears twice in K4 and K3
    nt, ht = (len(NS_T) if use_ns else 0), (len(HS_T) if use_hs else 0)
    sg_step(syn0, syn1neg, syn1, ctx, len(ctx), one_by_one, NS_T, NS_L, nt, HS_T, HS_L, ht, ALPHA,
            *scratch(len(ctx), syn0.shape[1]), False, False, *NO_LOCK)
    reference.sg_step(*ref, ctx, NS_T[:nt], NS_L[:nt], HS_T[:ht], HS_L[:ht], alpha=float(ALPHA),
                      one_by_one=one_by_one)
    for got, want in zip((syn0, syn1neg, syn1), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cbow_mean", [0, 1])
def test_cbow_matches_reference(cbow_mean):
    syn0, syn1neg, syn1 = tables(scale=0.3)
    ref = [a.copy() for a in (syn0, syn1neg, syn1)]
    ctx = i32(0, 3, 3, 6)
    cbow_step(syn0, syn1neg, syn1, ctx, len(ctx), cbow_mean, NS_T, NS_L, len(NS_T), HS_T, HS_L,
              len(HS_T), ALPHA, *scratch(len(ctx), syn0.shape[1]), False, False, *NO_LOCK)
    reference.cbow_step(*ref, ctx, cbow_mean, NS_T, NS_L, HS_T, HS_L, alpha=float(ALPHA))
    for got, want in zip((syn0, syn1neg, syn1), ref):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_updates_touch_only_rows_that_were_used():
    syn0, syn1neg, syn1 = tables()
    before = [a.copy() for a in (syn0, syn1neg, syn1)]
    ctx = i32(2, 5)
    sg_step(syn0, syn1neg, syn1, ctx, 2, False, NS_T, NS_L, len(NS_T), HS_T, HS_L, len(HS_T), ALPHA,
            *scratch(2, syn0.shape[1]), False, False, *NO_LOCK)
    for table, old, used in zip((syn0, syn1neg, syn1), before, (ctx, NS_T, HS_T)):
        changed = np.flatnonzero(np.any(table != old, axis=1))
        assert set(changed) <= set(used.tolist())
        assert len(changed) > 0


def test_saturated_scores_follow_word2vec_c():
    """|f| > 6: HS skips the pair, NS uses the clipped sigmoid (label - 0/1)."""
    d = 4
    syn0 = np.full((3, d), 2.0, np.float32)          # f = 2*2*4 = 16 against a row of 2s
    syn_out = np.full((3, d), 2.0, np.float32)
    dH = reference.block_update(syn0[[0]], syn_out.copy(), [1], [0.0], 0.1, skip_saturated=True)
    assert np.all(dH == 0)
    out = syn_out.copy()
    dH = reference.block_update(syn0[[0]], out, [1], [0.0], 0.1)
    np.testing.assert_allclose(dH, -0.1 * syn_out[[1]])  # g = (0 - 1) * alpha
    syn1neg, syn1 = syn_out.copy(), syn_out.copy()
    sg_step(syn0, syn1neg, syn1, i32(0), 1, True, i32(1), f32(0), 1, i32(2), f32(0), 1, np.float32(0.1),
            *scratch(1, d), False, False, *NO_LOCK)
    np.testing.assert_allclose(syn1[2], syn_out[2])          # hs pair skipped
    np.testing.assert_allclose(syn1neg[1], syn_out[1] - 0.1 * 2.0)


def test_loss_is_positive_and_larger_for_wrong_predictions():
    syn0, syn1neg, syn1 = tables(scale=0.5)
    H, dH, G = scratch(1, syn0.shape[1])
    right = sg_step(syn0.copy(), syn0.copy(), syn1, i32(0), 1, True, i32(0), f32(1), 1, HS_T, HS_L, 0,
                    np.float32(0), H, dH, G, True, False, *NO_LOCK)
    wrong = sg_step(syn0.copy(), -syn0.copy(), syn1, i32(0), 1, True, i32(0), f32(1), 1, HS_T, HS_L, 0,
                    np.float32(0), H, dH, G, True, False, *NO_LOCK)
    assert 0 < right < wrong


def test_alias_table_encodes_the_distribution_exactly():
    probs = np.array([0.5, 0.2, 0.15, 0.1, 0.05])
    thr, alias = build_alias_table(probs)
    n = len(probs)
    keep = thr.astype(np.float64) / 2**32
    implied = keep.copy()
    np.add.at(implied, alias, 1.0 - keep)
    np.testing.assert_allclose(implied / n, probs, atol=1e-9)


@njit
def _draws(thr, alias, n, seed):
    rng = np.array([seed], dtype=np.uint64)
    out = np.zeros(len(alias), np.int64)
    for _ in range(n):
        out[draw_noise(rng, thr, alias)] += 1
    return out


def test_negative_draws_follow_count_to_the_075():
    vocab = Vocabulary(["a", "b", "c", "d"], [1000, 300, 50, 5])
    thr, alias = vocab.noise_table(0.75)
    counts = _draws(thr, alias, 400_000, 12345)
    want = vocab.counts ** 0.75 / (vocab.counts ** 0.75).sum()
    np.testing.assert_allclose(counts / counts.sum(), want, atol=0.004)


def test_negative_sampling_can_skip_saturated_pairs_like_gensim():
    d = 4
    syn0 = np.full((3, d), 2.0, np.float32)
    syn1neg = np.full((3, d), 2.0, np.float32)
    before = syn1neg.copy()
    sg_step(syn0, syn1neg, syn0[:2].copy(), i32(0), 1, True, i32(1), f32(0), 1, i32(0), f32(0), 0,
            np.float32(0.1), *scratch(1, d), False, True, *NO_LOCK)
    np.testing.assert_array_equal(syn1neg, before)


@njit  # not cached: its cache would not notice a change to path_update_range in w2v.kernels.common
def _path_update(H, syn1, targets, labels, t0, t1, alpha, dH, G):
    return path_update_range(H, 0, syn1, targets, labels, t0, t1, alpha, dH, G, True)


@pytest.mark.parametrize("length", [1, 2, 5, 6])
def test_path_update_matches_reference(length):
    """Hierarchical softmax's path update (scores first, two targets per pass) is word2vec.c's
    node-after-node update (the numpy reference) for odd and even paths, a saturated node included."""
    rng = np.random.default_rng(length)
    syn1 = (rng.standard_normal((12, 6)) * 0.5).astype(np.float32)
    H = (rng.standard_normal((1, 6)) * 0.5).astype(np.float32)
    targets = rng.choice(12, length, replace=False).astype(np.int32)
    labels = rng.integers(0, 2, length).astype(np.float32)
    syn1[targets[0]] = H[0] * (40.0 if labels[0] else -40.0)        # |f| >= 6: this pair is skipped
    dH, G = np.zeros_like(H), np.zeros(length, np.float32)
    ref_syn1 = syn1.copy()
    want_dH = reference.block_update(H, ref_syn1, targets, labels, float(ALPHA), skip_saturated=True)
    loss = _path_update(H, syn1, targets, labels, 0, length, ALPHA, dH, G)
    np.testing.assert_allclose(syn1, ref_syn1, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dH, want_dH, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(syn1[targets[0]], ref_syn1[targets[0]])
    assert G[0] == 0.0 and (loss > 0) == (length > 1)   # the saturated pair was guessed right: no loss


@njit  # not cached, as _path_update
def _path_update_two_rows(H, syn_hot, syn1, targets, labels, hot_length, length, alpha, dH, G):
    return path_update_two_rows(H, 0, syn_hot, syn1, targets, labels, hot_length, length, alpha, dH, G, True)


@pytest.mark.parametrize("length, hot_length", [(1, 0), (2, 1), (5, 2), (6, 3), (12, 0), (13, 4)])
def test_two_row_path_update_is_one_row_after_the_other(length, hot_length):
    """Skip-gram's two-rows-at-once path update equals the numpy reference's node-after-node update
    of the first row and then of the second (which sees the nodes as the first left them), with the
    path's top in a separate table (the thread's copies), d = 100 (the vector loops and their tails)
    and a saturated node for the first row; the loss is both rows' loss."""
    rng = np.random.default_rng(length)
    d = 100
    syn1 = (rng.standard_normal((20, d)) * 0.2).astype(np.float32)
    syn_hot = (rng.standard_normal((4, d)) * 0.2).astype(np.float32)
    H = (rng.standard_normal((2, d)) * 0.2).astype(np.float32)
    labels = rng.integers(0, 2, length).astype(np.float32)
    targets = np.concatenate([rng.choice(4, hot_length, replace=False),
                              rng.choice(20, length - hot_length, replace=False)]).astype(np.int32)
    table0 = syn_hot if hot_length else syn1
    table0[targets[0]] = H[0] * (4.0 if labels[0] else -4.0)          # |f| >= 6 for the first row
    whole = np.concatenate([syn_hot, syn1])                           # the reference sees one table
    path = np.where(np.arange(length) < hot_length, targets, targets + 4)
    want_dH = np.concatenate([reference.block_update(H[k:k + 1], whole, path, labels, float(ALPHA),
                                                     skip_saturated=True) for k in (0, 1)])
    dH, G = np.zeros_like(H), np.zeros(2 * length, np.float32)
    loss = _path_update_two_rows(H, syn_hot, syn1, targets, labels, hot_length, length, ALPHA, dH, G)
    np.testing.assert_allclose(np.concatenate([syn_hot, syn1]), whole, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(dH, want_dH, rtol=1e-5, atol=1e-6)
    assert G[0] == 0.0 and loss > 0


def test_borrowed_array_is_the_same_memory_without_a_reference_count():
    """borrowed(a) reads and writes a's own data (views of it too); it only drops the meminfo."""
    from w2v.kernels.borrow import borrowed

    @njit
    def fill_through_borrowed(a, value):
        b = borrowed(a)
        for i in range(b.shape[0]):
            b[i, 0] = value
        tail = borrowed(a)[1:]          # a view of a borrowed array
        tail[0, 1] = -value
        return b.shape, tail.shape, b[0, 0] + tail[0, 0]

    a = np.zeros((3, 2), np.float32)
    shape, tail_shape, total = fill_through_borrowed(a, np.float32(2.5))
    assert shape == (3, 2) and tail_shape == (2, 2) and total == 5.0
    np.testing.assert_array_equal(a, [[2.5, 0.0], [2.5, -2.5], [2.5, 0.0]])


def test_sigmoid_table_index_is_computed_in_float32_like_word2vec_c():
    """word2vec.c and gensim index expTable with float arithmetic on a float score: (f + 6) * 83 in
    float32. For f = 3.4819274f that is 787 where float64 arithmetic gives 786."""
    from w2v.kernels.common import _table_index

    index = njit(lambda x: _table_index(x))
    for f, expected in ((3.4819274, 787), (1.2650602, 603), (-1.7590362, 352)):
        x = np.float32(f)
        assert int((x + np.float32(6)) * np.float32(83)) == expected
        assert index(x) == expected
