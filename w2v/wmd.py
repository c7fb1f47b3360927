"""Word Mover's Distance over KeyedVectors (Kusner et al. 2015), computed as gensim 4.4 does.

Kept apart from :mod:`w2v.vectors` because it needs the optional POT package (``pip install
'w2v[wmd]'``), imported only when a distance is asked for.
"""
from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def wmdistance(kv, document1, document2, norm=True) -> float:
    """WMD between two token lists: the cheapest way to move one's word mass onto the other's.

    Unknown tokens are dropped; a document left empty gives ``inf``, and so does an all-zero
    distance matrix (as in gensim); identical single-token documents give 0. ``norm`` uses
    unit-length vectors. Raises ImportError naming the package when POT is missing.
    """
    try:
        from ot import emd2
    except ImportError:
        raise ImportError("KeyedVectors.wmdistance needs the POT (Python Optimal Transport) package: "
                          "pip install POT  (or: pip install 'w2v[wmd]')") from None
    doc1 = [t for t in document1 if t in kv]
    doc2 = [t for t in document2 if t in kv]
    if len(doc1) < len(document1) or len(doc2) < len(document2):
        logger.info("Removed %d and %d OOV words from document 1 and 2 (respectively).",
                    len(document1) - len(doc1), len(document2) - len(doc2))
    if not doc1 or not doc2:
        logger.warning("At least one of the documents had no words that were in the vocabulary.")
        return float("inf")
    vocab = {t: i for i, t in enumerate(dict.fromkeys(doc1 + doc2))}
    if len(vocab) == 1:
        return 0.0
    distance = _distance_matrix(kv, list(dict.fromkeys(doc1)), list(dict.fromkeys(doc2)), vocab, norm)
    if abs(distance.sum()) < 1e-8:
        logger.info("The distance matrix is all zeros. Aborting (returning inf).")
        return float("inf")
    return float(emd2(_nbow(doc1, vocab), _nbow(doc2, vocab), distance))


def _distance_matrix(kv, set1: list, set2: list, vocab: dict, norm: bool) -> np.ndarray:
    """Euclidean distances from each word of document 1 to each of document 2 (zeros elsewhere, as gensim)."""
    table = kv.get_normed_vectors() if norm else kv.vectors
    v1 = table[[kv.get_index(t) for t in set1]].astype(np.float64)
    v2 = table[[kv.get_index(t) for t in set2]].astype(np.float64)
    distance = np.zeros((len(vocab), len(vocab)), dtype=np.float64)
    distance[np.ix_([vocab[t] for t in set1], [vocab[t] for t in set2])] = np.sqrt(
        np.maximum(((v1[:, None, :] - v2[None, :, :]) ** 2).sum(axis=2), 0.0))
    return distance


def _nbow(document: list, vocab: dict) -> np.ndarray:
    """Normalised bag-of-words frequencies of ``document`` over ``vocab`` (what POT's emd2 expects)."""
    weights = np.zeros(len(vocab), dtype=np.float64)
    for token in document:
        weights[vocab[token]] += 1.0
    return weights / len(document)
