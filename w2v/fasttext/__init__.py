"""FastText: subword word vectors (Bojanowski et al. 2017) with gensim 4.4's API and Facebook's files.

``FastText`` trains (skip-gram or CBOW, negative sampling or hierarchical softmax) over the same
corpus path as :class:`w2v.Word2Vec`; ``model.wv`` answers for any string. Facebook's ``.bin``
models are read and written by :func:`load_facebook_model`, :func:`load_facebook_vectors` and
:func:`save_facebook_model`; ``python -m w2v.fasttext`` is fastText's command line.
"""
from .facebook import FacebookFormatError, load_facebook_model, load_facebook_vectors, save_facebook_model
from .hashing import compute_ngrams, compute_ngrams_bytes, ft_hash_bytes, ft_ngram_hashes, ngram_buckets
from .keyedvectors import FastTextKeyedVectors
from .model import FastText

__all__ = ["FacebookFormatError", "FastText", "FastTextKeyedVectors", "load_facebook_model", "load_facebook_vectors",
           "save_facebook_model", "compute_ngrams", "compute_ngrams_bytes", "ft_hash_bytes",
           "ft_ngram_hashes", "ngram_buckets"]
