"""The FastText kernel's updates equal gensim's own ``fasttext_inner`` ones on a deterministic case.

Hierarchical softmax with sample=0 and no window shrinking draws no random numbers, so gensim's
``train_batch_any`` and w2v's ``train_fasttext_chunk`` start from the same tables and Huffman codes
and must end with the same ``vectors_vocab``, ``vectors_ngrams`` and ``syn1`` (to float rounding):
this pins down which rows are the input, the 1/len scaling, the update order and the sigmoid table.
"""
import numpy as np
import pytest

fasttext_inner = pytest.importorskip("gensim.models.fasttext_inner")
gensim_fasttext = pytest.importorskip("gensim.models.fasttext")

from w2v.fasttext.hashing import ngram_buckets  # noqa: E402
from w2v.fasttext.kernels import UPDATE_EXACT, row_growths, train_fasttext_chunk  # noqa: E402
from w2v.kernels.sentences import SLOT_STRIDE  # noqa: E402

SENTENCE = "banana bandana band a bandit and banal ban nab ana banana and bandit anaconda".split()
D, BUCKET, WINDOW = 8, 50, 3


def huffman_of(g):
    codes = [g.wv.get_vecattr(w, "code") for w in g.wv.index_to_key]
    points = [g.wv.get_vecattr(w, "point") for w in g.wv.index_to_key]
    width = max(map(len, codes))
    c = np.zeros((len(codes), width), np.uint8)
    p = np.zeros((len(codes), width), np.int32)
    for i, (code, point) in enumerate(zip(codes, points)):
        c[i, :len(code)], p[i, :len(point)] = code, point
    return c, p, np.array([len(x) for x in codes], np.int32)


@pytest.mark.parametrize("sg,cbow_mean", [(1, 1), (0, 1), (0, 0)])
def test_kernel_equals_gensims_fasttext_inner(sg, cbow_mean):
    g = gensim_fasttext.FastText(vector_size=D, window=WINDOW, min_count=1, sg=sg, hs=1, negative=0, sample=0,
                                 shrink_windows=False, workers=1, bucket=BUCKET, cbow_mean=cbow_mean)
    g.build_vocab([SENTENCE])
    rng = np.random.default_rng(0)
    g.wv.vectors_vocab[:] = rng.uniform(-0.5, 0.5, g.wv.vectors_vocab.shape)
    g.wv.vectors_ngrams[:] = rng.uniform(-0.5, 0.5, g.wv.vectors_ngrams.shape)
    g.syn1[:] = rng.uniform(-0.5, 0.5, g.syn1.shape)
    vocab, ngrams, syn1 = g.wv.vectors_vocab.copy(), g.wv.vectors_ngrams.copy(), g.syn1.copy()
    initial = vocab.copy()
    fasttext_inner.train_batch_any(g, [SENTENCE], 0.05, np.zeros(D, np.float32), np.zeros(D, np.float32))

    words = list(g.wv.index_to_key)
    starts, ids = ngram_buckets(words, 3, 6, BUCKET)
    codes, points, lengths = huffman_of(g)
    v = len(words)
    sent_ids = np.array([g.wv.key_to_index[w] for w in SENTENCE], np.int32)
    one = np.ones(1, np.float32)
    span = 2 * WINDOW
    train_fasttext_chunk(vocab, ngrams, np.zeros((0, D), np.float32), syn1, starts, ids, row_growths(starts, ids),
                         one, one, False, sent_ids, np.array([0, len(sent_ids)], np.int64), 0, 1,
                         np.full(v, 2**32, np.uint64), np.zeros(v, np.uint64), np.zeros(v, np.int32),
                         codes, points, lengths, sg, cbow_mean, WINDOW, False, 0, 1, False, UPDATE_EXACT,
                         0.05, 0.05, 10**9, 10**9, 1, np.zeros(SLOT_STRIDE, np.int64), 0, np.zeros(1, np.int32),
                         np.ones(1, np.uint64), np.zeros(SLOT_STRIDE), np.zeros(len(sent_ids), np.int32),
                         np.zeros(span, np.int32), np.zeros((span, 1), np.int32), np.zeros(span, np.int32),
                         np.zeros(D, np.float32), np.zeros(D, np.float32), np.zeros(D, np.float32),
                         np.zeros((span + 1, D), np.float32), np.zeros((span + 1, D), np.float32),
                         np.zeros(span + 1, np.float32), np.zeros(span + 1, np.int32), np.zeros(span + 1, np.int32))
    assert np.abs(g.wv.vectors_vocab - initial).max() > 1e-3  # the case trains something
    np.testing.assert_allclose(vocab, g.wv.vectors_vocab, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ngrams, g.wv.vectors_ngrams, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(syn1, g.syn1, rtol=1e-4, atol=1e-5)
