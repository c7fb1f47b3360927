"""The learning-rate schedule: gensim's linear decay in steps of ``batch_words`` words per epoch."""
import numpy as np
import pytest

from w2v import Word2Vec
from w2v.kernels.sentences import scheduled_alpha

alpha = scheduled_alpha.py_func


def test_rate_falls_in_steps_of_batch_words_and_restarts_them_each_epoch():
    # 2 epochs of 25k words, batch_words=10k: steps at 10k and 20k words into each epoch
    at = [alpha(0.1, 0.0, done, 50_000, 25_000, 10_000) for done in (0, 9_999, 10_000, 24_999, 25_000, 34_999)]
    assert at == pytest.approx([0.1, 0.1, 0.08, 0.06, 0.05, 0.05])
    assert alpha(0.1, 0.0, 12_345, 50_000, 25_000, 1) == pytest.approx(0.1 * (1 - 12_345 / 50_000))
    assert alpha(0.1, 0.01, 50_000, 50_000, 25_000, 10_000) == 0.01


def _train(sentences, **kw):
    m = Word2Vec(min_count=1, vector_size=16, epochs=1, workers=1, progress=False, seed=7, sg=1, **kw)
    m.build_vocab(sentences)
    m.train(sentences, total_examples=len(sentences), epochs=m.epochs)
    return m.wv.vectors


def test_an_epoch_smaller_than_batch_words_trains_at_the_starting_rate(sentences_200k):
    """As in gensim: one job, one rate. ~6k words, 1 epoch: bit-identical to a constant rate."""
    corpus = sentences_200k[:300]
    stepped = _train(corpus)                                       # batch_words=10000, the default
    constant = _train(corpus, min_alpha=0.025)
    per_sentence = _train(corpus, batch_words=1)
    np.testing.assert_array_equal(stepped, constant)
    assert not np.array_equal(per_sentence, constant)


def test_batch_words_is_validated():
    with pytest.raises(ValueError, match="batch_words must be >= 1"):
        Word2Vec(batch_words=0)
    with pytest.raises(TypeError, match="batch_words must be an int"):
        Word2Vec(batch_words=1.5)
