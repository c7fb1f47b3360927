"""The numeric building blocks every ranking query shares: row norms and normalisation, cosine
scores against a table, and top-k selection.

A table may be as large as memory allows, or a read-only memory map shared between processes:
everything here reads it block by block or through one BLAS product, and never makes a copy of
it (the only full-size results are one norm or one score per row).

They live apart from :mod:`w2v.vectors` so that :mod:`w2v.evaluate` (batched analogies) can use them
without importing the KeyedVectors class, which itself delegates to the evaluators: no import circle.
"""
from __future__ import annotations

import numpy as np


#: Rows per block for the passes over a whole table: 2048 rows of 300 floats is ~5 MB in float64,
#: so the temporaries stay in cache-sized blocks whatever the table's size (a 1M x 300 table would
#: otherwise need a 2.4 GB float64 copy for one division).
_BLOCK_ROWS = 2048


def row_norms(matrix: np.ndarray) -> np.ndarray:
    """L2 norm of each row of a 2-D ``matrix``, in its float dtype (float32 for integer input).

    Computed block by block, squares accumulated in float64 (float32 sums over long rows drift
    in the last digits), so the only full-size result is the one norm per row: no temporary as
    large as the table, which may be a read-only memory map that must not be copied.
    """
    matrix = np.asarray(matrix)
    dtype = matrix.dtype if np.issubdtype(matrix.dtype, np.floating) else np.dtype(np.float32)
    out = np.empty(len(matrix), dtype=dtype)
    scratch = np.empty((min(_BLOCK_ROWS, len(matrix)), matrix.shape[1]), dtype=np.float64)
    for start in range(0, len(matrix), _BLOCK_ROWS):
        block = scratch[: min(_BLOCK_ROWS, len(matrix) - start)]
        np.copyto(block, matrix[start:start + len(block)], casting="unsafe")
        out[start:start + len(block)] = np.sqrt(np.einsum("ij,ij->i", block, block))
    return out


def unit_rows(matrix: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Return ``matrix`` with every row scaled to unit L2 length (all-zero rows stay zero).

    Norms are accumulated and each row divided in float64, then the result is rounded to the
    input's float dtype, so a row normalised here and one normalised on its own agree to the
    last bit; zero rows are left as zeros instead of turning into NaNs. A 2-D matrix is done
    block by block (:func:`row_norms`), so the only full-size array is the result itself;
    ``out`` (which may be ``matrix``) receives it in place.
    """
    matrix = np.asarray(matrix)
    dtype = matrix.dtype if np.issubdtype(matrix.dtype, np.floating) else np.dtype(np.float32)
    if matrix.ndim != 2:
        norms = np.sqrt(np.einsum("...i,...i->...", matrix, matrix, dtype=np.float64))
        norms = np.where(norms == 0.0, 1.0, norms)
        result = (matrix / norms[..., None]).astype(dtype, copy=False)
        if out is not None:
            out[...] = result
            return out
        return result
    if out is None:
        out = np.empty(matrix.shape, dtype=dtype)
    for start in range(0, len(matrix), _BLOCK_ROWS):
        block = matrix[start:start + _BLOCK_ROWS].astype(np.float64)  # a copy: ``matrix`` is only read
        norms = np.sqrt(np.einsum("ij,ij->i", block, block))
        norms[norms == 0.0] = 1.0
        block /= norms[:, None]
        out[start:start + len(block)] = block
    return out


def cosine_scores(table: np.ndarray, norms: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Cosine of every row of ``table`` with the unit vector(s) ``query`` (``(d,)`` or ``(d, k)``).

    ``table @ query`` divided by each row's norm: the same scores as against a normalised copy
    of the table (to float rounding), which is what gensim computes too, but read straight from
    the table, so a query never needs a second table-sized array (nor writes to a memory-mapped
    one). All-zero rows score 0 (gensim gives NaN).
    """
    if table.dtype in (np.float32, np.float64):
        scores = table @ np.asarray(query, dtype=table.dtype)  # mixed dtypes would cast the whole table
    else:  # float16 and friends have no BLAS product: score them block by block in float32
        query = np.asarray(query, dtype=np.float32)
        scores = np.empty((len(table),) + query.shape[1:], dtype=np.float32)
        for start in range(0, len(table), _BLOCK_ROWS):
            scores[start:start + _BLOCK_ROWS] = table[start:start + _BLOCK_ROWS].astype(np.float32) @ query
    divisor = norms if scores.ndim == 1 else norms[:, None]
    np.divide(scores, divisor, out=scores, where=divisor != 0)
    return scores


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
