"""Word classes: word2vec.c's ``-classes K`` k-means over the word vectors.

word2vec.c (``TrainModel``, after training) clusters the input vectors ``syn0`` like this, and
:func:`kmeans` does the same by default:

* initial classes round-robin: word i (in vocabulary order, most frequent first) is in class i % K;
* 10 iterations of: centroid = sum of its words' vectors / (number of words + 1), scaled to unit
  length; each word moves to the class whose unit centroid has the largest dot product with the
  word's (unnormalised) vector, the first such class on ties; an empty class gets no words again.

It is deterministic; ``seed`` replaces the round-robin start with a seeded random assignment.
Results equal word2vec.c's up to float rounding (it sums in float32, numpy here in float64).
"""
from __future__ import annotations

import numpy as np

from .fileutil import atomic_write

ROWS_PER_BLOCK = 8192


def kmeans(wv, k: int, iterations: int = 10, *, normalize: bool = False, seed: int | None = None) -> np.ndarray:
    """Class (0..k-1) of every word of ``wv`` (a :class:`~w2v.KeyedVectors`), in its index order.

    ``normalize=True`` clusters unit vectors (cosine k-means) instead of word2vec.c's raw ones.
    """
    vectors = np.asarray(wv.vectors, np.float32)
    n = len(vectors)
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"number of classes must be an int >= 1, got {k!r}")
    if k > n:
        raise ValueError(f"{k} classes asked for but the vocabulary has only {n} words")
    if isinstance(iterations, bool) or not isinstance(iterations, (int, np.integer)) or iterations < 0:
        raise ValueError(f"iterations must be an int >= 0, got {iterations!r}")
    if normalize:
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        vectors = vectors / np.where(norms > 0, norms, 1)
    if seed is None:
        labels = np.arange(n, dtype=np.int64) % k
    else:
        labels = np.random.default_rng(seed).permutation(np.arange(n, dtype=np.int64) % k)
    for _ in range(iterations):
        labels = assign(vectors, unit_centroids(vectors, labels, k))
    return labels


def unit_centroids(vectors: np.ndarray, labels: np.ndarray, k: int) -> np.ndarray:
    """word2vec.c's centroids: class sums / (class size + 1), to unit length (NaN rows when empty)."""
    sums = np.empty((k, vectors.shape[1]), np.float64)
    for j in range(vectors.shape[1]):  # one bincount per dimension: far faster than np.add.at
        sums[:, j] = np.bincount(labels, weights=vectors[:, j], minlength=k)
    sums /= (np.bincount(labels, minlength=k) + 1)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return sums / np.sqrt((sums * sums).sum(axis=1, keepdims=True))


def assign(vectors: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """Each row's class: the centroid with the largest dot product (first on ties; empty skipped)."""
    empty = np.isnan(centroids).any(axis=1)
    cent = np.where(empty[:, None], 0.0, centroids).astype(np.float32)
    labels = np.empty(len(vectors), np.int64)
    for a in range(0, len(vectors), ROWS_PER_BLOCK):
        scores = vectors[a:a + ROWS_PER_BLOCK] @ cent.T
        scores[:, empty] = -np.inf
        labels[a:a + ROWS_PER_BLOCK] = scores.argmax(axis=1)
    return labels


def word_classes(wv, k: int, iterations: int = 10, **kwargs) -> dict[str, int]:
    """{word: class} (see :func:`kmeans`)."""
    return dict(zip(wv.index_to_key, kmeans(wv, k, iterations, **kwargs).tolist()))


def save_classes(path, wv, labels: np.ndarray) -> None:
    """word2vec.c's classes file: one ``word class`` line per word, in vocabulary order; atomic."""
    with atomic_write(path, "w", encoding="utf-8") as f:
        f.writelines(f"{w} {c}\n" for w, c in zip(wv.index_to_key, np.asarray(labels).tolist()))
