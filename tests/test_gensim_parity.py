"""The kernels' updates equal gensim's own Cython ones, step for step, on a deterministic case.

Hierarchical softmax with sample=0 and no window shrinking draws no random numbers, so gensim's
``train_batch_cbow``/``train_batch_sg`` and w2v's ``train_chunk`` can start from the same tables and
Huffman codes and must end with the same tables (to float rounding). This pins down the window,
the update order, the sigmoid table and its index rounding (word2vec.c's integer 1000/6/2 = 83).
"""
import numpy as np
import pytest

gensim_models = pytest.importorskip("gensim.models")
word2vec_inner = pytest.importorskip("gensim.models.word2vec_inner")

from w2v.kernels.arguments import Corpus, Counters, Mode, Schedule, Scratch, Settings, Tables, WordTables  # noqa: E402
from w2v.kernels.sentences import RING, SLOT_STRIDE, chunk_kernel  # noqa: E402
from w2v.kernels.skipgram import SG_EXACT  # noqa: E402

SENTENCE = "a b c a d e b f a c g a b h b a".split()


def gensim_step(sg, window, d, syn0, syn1, alpha, cbow_mean):
    g = gensim_models.Word2Vec(vector_size=d, window=window, min_count=1, sg=sg, hs=1, negative=0,
                               sample=0, shrink_windows=False, workers=1, cbow_mean=cbow_mean)
    g.build_vocab([SENTENCE])
    g.wv.vectors[:] = syn0
    g.syn1[:] = syn1
    work, neu1 = np.zeros(d, np.float32), np.zeros(d, np.float32)
    if sg:
        word2vec_inner.train_batch_sg(g, [SENTENCE], alpha, work, False)
    else:
        word2vec_inner.train_batch_cbow(g, [SENTENCE], alpha, work, neu1, False)
    return g


def huffman_of(g):
    codes = [g.wv.get_vecattr(w, "code") for w in g.wv.index_to_key]
    points = [g.wv.get_vecattr(w, "point") for w in g.wv.index_to_key]
    width = max(map(len, codes))
    c = np.zeros((len(codes), width), np.uint8)
    p = np.zeros((len(codes), width), np.int32)
    for i, (code, point) in enumerate(zip(codes, points)):
        c[i, :len(code)], p[i, :len(point)] = code, point
    return c, p, np.array([len(x) for x in codes], np.int32)


def w2v_step(g, sg, window, d, syn0, syn1, alpha, cbow_mean, hot_first=None, merge_every=1):
    v = len(syn0)
    codes, points, lengths = huffman_of(g)
    hot_first = v - 1 if hot_first is None else hot_first
    ids = np.array([g.wv.key_to_index[w] for w in SENTENCE], np.int32)
    span, width = 2 * window, codes.shape[1]
    hot = v - 1 - hot_first
    train_chunk = chunk_kernel(Mode(sg=bool(sg), hs=True, ns=False, sg_kernel=SG_EXACT))
    train_chunk(Tables(syn0, np.zeros((0, d), np.float32), syn1), Corpus(ids, np.array([0, len(ids)], np.int64)), 0, 1,
                WordTables(np.full(v, 2**32, np.uint64), np.zeros(v, np.uint64), np.zeros(v, np.int32), codes, points,
                           lengths, np.ones(1, np.float32), False, hot_first),
                Settings(window=window, shrink_windows=False, cbow_mean=bool(cbow_mean), negative=0,
                         compute_loss=False, ns_skip_saturated=True, merge_every=merge_every),
                Schedule(alpha, alpha, 10**9, 10**9, 1),
                Counters(np.zeros(SLOT_STRIDE, np.int64), np.zeros(SLOT_STRIDE), np.zeros(1, np.int32)), 0,
                np.ones(1, np.uint64),
                Scratch(np.zeros(len(ids), np.int32), np.zeros(span, np.int32), np.zeros((span, d), np.float32),
                        np.zeros((span, d), np.float32), np.zeros(span, np.float32), np.zeros((RING, 1), np.int32),
                        np.zeros(RING, np.int32), np.zeros(1, np.float32), np.zeros(width, np.int32),
                        np.zeros(width, np.float32), np.zeros((hot, d), np.float32), np.zeros((hot, d), np.float32)))


@pytest.mark.parametrize("sg,cbow_mean", [(0, 1), (0, 0), (1, 1)], ids=["cbow-mean", "cbow-sum", "skipgram"])
def test_updates_equal_gensims_cython(sg, cbow_mean):
    window, d, alpha = 2, 8, 0.05
    rng = np.random.default_rng(0)
    v = len(set(SENTENCE))
    syn0 = (rng.standard_normal((v, d)) * 0.4).astype(np.float32)
    syn1 = (rng.standard_normal((v, d)) * 0.4).astype(np.float32)
    g = gensim_step(sg, window, d, syn0, syn1, alpha, cbow_mean)
    ours0, ours1 = syn0.copy(), syn1.copy()
    w2v_step(g, sg, window, d, ours0, ours1, alpha, cbow_mean)
    assert np.abs(ours0 - syn0).max() > 0.02  # the step really moved the vectors
    np.testing.assert_allclose(ours0, g.wv.vectors, atol=2e-6)
    np.testing.assert_allclose(ours1, g.syn1, atol=2e-6)


@pytest.mark.parametrize("hot,merge_every", [(3, 1), (3, 4), (7, 1000)])
def test_skipgram_with_private_hot_rows_equals_gensims_cython(hot, merge_every):
    """The top ``hot`` inner nodes trained in a thread's private copies, merged every
    ``merge_every`` centre words (and at the end): still gensim's updates (kernels.hot_rows)."""
    window, d, alpha = 2, 8, 0.05
    rng = np.random.default_rng(0)
    v = len(set(SENTENCE))
    syn0 = (rng.standard_normal((v, d)) * 0.4).astype(np.float32)
    syn1 = (rng.standard_normal((v, d)) * 0.4).astype(np.float32)
    g = gensim_step(1, window, d, syn0, syn1, alpha, 1)
    ours0, ours1 = syn0.copy(), syn1[:v - 1].copy()
    w2v_step(g, 1, window, d, ours0, ours1, alpha, 1, hot_first=v - 1 - hot, merge_every=merge_every)
    assert np.abs(ours1[-hot:] - syn1[v - 1 - hot:v - 1]).max() > 0.02  # the copied rows moved
    np.testing.assert_allclose(ours0, g.wv.vectors, atol=2e-6)
    np.testing.assert_allclose(ours1, g.syn1[:v - 1], atol=2e-6)


def gensim_negatives(g, sentence_ids, window, negative):
    """Replay gensim's draws: its 48-bit LCG seeded from model.random, bisecting cum_table."""
    import bisect
    r = np.random.RandomState()
    r.set_state(g.random.get_state())
    state = (2**24) * r.randint(0, 2**24) + r.randint(0, 2**24)
    cum = g.cum_table.tolist()
    draws = []
    for word in sentence_ids:
        targets = [word]
        for _ in range(negative):
            t = bisect.bisect_left(cum, (state >> 16) % cum[-1])
            state = (state * 25214903917 + 11) & (2**48 - 1)
            if t != word:
                targets.append(t)
        draws.append(targets)
    return draws


@pytest.mark.parametrize("cbow_mean", [1, 0])
def test_negative_sampling_cbow_equals_gensims_cython(cbow_mean):
    """Given gensim's own negatives, w2v's CBOW step reproduces gensim's tables."""
    from w2v.kernels.cbow import cbow_step
    window, d, alpha, negative = 2, 8, 0.05, 5
    g = gensim_models.Word2Vec(vector_size=d, window=window, min_count=1, sg=0, hs=0, negative=negative,
                               sample=0, shrink_windows=False, workers=1, cbow_mean=cbow_mean, seed=5)
    g.build_vocab([SENTENCE])
    rng = np.random.default_rng(1)
    syn0 = (rng.standard_normal(g.wv.vectors.shape) * 0.4).astype(np.float32)
    syn1neg = (rng.standard_normal(g.syn1neg.shape) * 0.4).astype(np.float32)
    ids = [g.wv.key_to_index[w] for w in SENTENCE]
    draws = gensim_negatives(g, ids, window, negative)
    g.wv.vectors[:], g.syn1neg[:] = syn0, syn1neg
    word2vec_inner.train_batch_cbow(g, [SENTENCE], alpha, np.zeros(d, np.float32), np.zeros(d, np.float32), False)
    span = 2 * window
    H, dH = np.zeros((span, d), np.float32), np.zeros((span, d), np.float32)
    labels = np.array([1] + [0] * negative, np.float32)
    for i, targets in enumerate(draws):
        ctx = np.array([ids[j] for j in range(max(0, i - window), min(len(ids), i + window + 1)) if j != i], np.int32)
        t = np.array(targets, np.int32)
        cbow_step(syn0, syn1neg, syn1neg[:0], ctx, len(ctx), cbow_mean, t, labels, len(t), t, labels, 0,
                  np.float32(alpha), H, dH, np.zeros(span, np.float32), False, True, np.ones(1, np.float32), False)
    np.testing.assert_allclose(syn0, g.wv.vectors, atol=2e-6)
    np.testing.assert_allclose(syn1neg, g.syn1neg, atol=2e-6)
