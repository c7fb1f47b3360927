"""The two numeric building blocks every ranking query shares: row normalisation and top-k selection.

They live apart from :mod:`w2v.vectors` so that :mod:`w2v.evaluate` (batched analogies) can use them
without importing the KeyedVectors class, which itself delegates to the evaluators: no import circle.
"""
from __future__ import annotations

import numpy as np


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix`` with every row scaled to unit L2 length (all-zero rows stay zero).

    This is the single place that normalises vectors, so every cosine in the library agrees to
    the last bit. Norms are accumulated in float64 to avoid float32 overflow/rounding on long
    vectors; zero rows are left as zeros instead of turning into NaNs.
    """
    matrix = np.asarray(matrix)
    dtype = matrix.dtype if np.issubdtype(matrix.dtype, np.floating) else np.float32
    norms = np.sqrt(np.einsum("...i,...i->...", matrix, matrix, dtype=np.float64))
    norms = np.where(norms == 0.0, 1.0, norms)
    return (matrix / norms[..., None]).astype(dtype, copy=False)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``scores`` along the last axis, best first.

    Works on a 1-D score vector (one query) or a 2-D block (one row per query), so single
    queries and batched evaluation share the same selection. Each row is first shrunk to a few
    candidates (:func:`_top_candidates`), then ``np.argpartition`` picks the ``k`` winners and
    only those are sorted: O(n) per row, no full sort. Equal scores are listed in index order;
    which of several equal scores straddling the cut-off is kept is unspecified (as in gensim).
    """
    scores = np.asarray(scores)
    n = scores.shape[-1]
    k = max(0, min(int(k), n))
    if k == 0:
        return np.empty(scores.shape[:-1] + (0,), dtype=np.intp)
    values, index = _top_candidates(scores.reshape(-1, n), k)
    if k < values.shape[1]:
        part = np.argpartition(values, values.shape[1] - k, axis=1)[:, values.shape[1] - k:]
        values, index = np.take_along_axis(values, part, axis=1), np.take_along_axis(index, part, axis=1)
    order = np.lexsort((index, -values), axis=1)
    return np.take_along_axis(index, order, axis=1).reshape(scores.shape[:-1] + (k,))


_CANDIDATE_BLOCK = 64


def _top_candidates(flat: np.ndarray, k: int):
    """Shrink each row of ``flat`` to (value, index) candidates that surely hold its top ``k``.

    Rows are cut into blocks of 64. The k-th largest block maximum is a lower bound for the
    row's k-th largest value (k blocks each hold a value at least that big), so only blocks whose
    maximum reaches it can contain a winner: typically about k of them. Block maxima are a fast
    vectorised reduction, so this is several times quicker than argpartition over whole rows of
    a (questions x vocabulary) score block. The few trailing columns are always kept; rows too
    short to gain, or holding NaNs, are returned whole. Padding slots hold -inf.
    """
    rows, n = flat.shape
    n_blocks = n // _CANDIDATE_BLOCK
    if n_blocks < 4 * k:
        return flat, np.broadcast_to(np.arange(n), flat.shape)
    split = n_blocks * _CANDIDATE_BLOCK
    blocked = flat[:, :split].reshape(rows, n_blocks, _CANDIDATE_BLOCK)
    maxima = blocked.max(axis=2)
    threshold = np.partition(maxima, n_blocks - k, axis=1)[:, n_blocks - k]
    hit_rows, hit_blocks = np.nonzero(maxima >= threshold[:, None])
    counts = np.bincount(hit_rows, minlength=rows)
    if counts.min() < k:  # NaNs defeat the comparison: use the plain path
        return flat, np.broadcast_to(np.arange(n), flat.shape)
    slot = np.arange(len(hit_rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    chosen = np.full((rows, int(counts.max())), -1, dtype=np.intp)
    chosen[hit_rows, slot] = hit_blocks
    values = np.take_along_axis(blocked, np.maximum(chosen, 0)[:, :, None], axis=1)
    values[chosen < 0] = -np.inf
    index = np.maximum(chosen, 0)[:, :, None] * _CANDIDATE_BLOCK + np.arange(_CANDIDATE_BLOCK)
    tail = np.broadcast_to(np.arange(split, n), (rows, n - split))
    return (np.concatenate([values.reshape(rows, -1), flat[:, split:]], axis=1),
            np.concatenate([index.reshape(rows, -1), tail], axis=1))
