"""w2v: a fast word2vec trainer with a gensim-style API and word2vec.c file formats.

    import w2v
    model = w2v.train("corpus.txt", sg=1, vector_size=100)
    model.wv.most_similar("king")
"""
from .vectors import KeyedVectors

__version__ = "0.1.0"

__all__ = ["KeyedVectors", "__version__"]
