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

from w2v.kernels import train_chunk  # noqa: E402
from w2v.kernels.sentences import RING, SLOT_STRIDE  # noqa: E402

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


def w2v_step(g, sg, window, d, syn0, syn1, alpha, cbow_mean):
    v = len(syn0)
    codes, points, lengths = huffman_of(g)
    ids = np.array([g.wv.key_to_index[w] for w in SENTENCE], np.int32)
    span, width = 2 * window, codes.shape[1]
    train_chunk(syn0, np.zeros((0, d), np.float32), syn1, ids, np.array([0, len(ids)], np.int64), 0, 1,
                np.full(v, 2**32, np.uint64), np.zeros(v, np.uint64), np.zeros(v, np.int32),
                codes, points, lengths, sg, cbow_mean, window, False, 0, 1, False, False, alpha, alpha,
                10**9, np.zeros(SLOT_STRIDE, np.int64), 0, np.zeros(1, np.int32), np.ones(1, np.uint64),
                np.zeros(SLOT_STRIDE), np.zeros(len(ids), np.int32), np.zeros(span, np.int32),
                np.zeros((span, d), np.float32), np.zeros((span, d), np.float32), np.zeros(span, np.float32),
                np.zeros((RING, 1), np.int32), np.zeros(RING, np.int32), np.zeros(1, np.float32),
                np.zeros(width, np.int32), np.zeros(width, np.float32), True)


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
