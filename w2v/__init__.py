"""w2v: a fast word2vec trainer with a gensim-style API and word2vec.c file formats.

    import w2v
    model = w2v.train("corpus.txt", sg=1, vector_size=100)
    model.wv.most_similar("king")

Data flow, one module per step: :mod:`w2v.corpus` (reading) -> :mod:`w2v.vocab` (vocabulary and
its tables) -> :mod:`w2v.encode` (int32 ids) -> :mod:`w2v.training` (threads, epochs) ->
:mod:`w2v.kernels` (numba updates) -> :mod:`w2v.vectors` (queries, formats, evaluation).
"""
from .callbacks import CallbackAny2Vec
from .classes import kmeans
from .corpus import CorpusError, DirectoryCorpus, sample_corpus_path
from .fasttext import FastText
from .model import Word2Vec, load, train
from .params import TrainParams
from .phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases
from .restart import resume
from .vectors import KeyedVectors
from .vocab import RULE_DEFAULT, RULE_DISCARD, RULE_KEEP, Vocabulary

__version__ = "0.1.0"

__all__ = ["CallbackAny2Vec", "CorpusError", "DirectoryCorpus", "ENGLISH_CONNECTOR_WORDS", "FastText", "FrozenPhrases",
           "KeyedVectors", "Phrases", "RULE_DEFAULT", "RULE_DISCARD", "RULE_KEEP", "TrainParams", "Vocabulary",
           "Word2Vec", "kmeans", "load", "resume", "sample_corpus_path", "train",
           "__version__"]
