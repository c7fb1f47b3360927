"""Changed rows of a replica's tables, packed for the wire, and applied back: the distributed
exchange's per-round work (:mod:`w2v.distributed.wire`) as single passes over the tables.

A row's change travels as int16 steps of a per-row float32 scale (``change = q * scale``,
``scale = max |change| / STEPS``): half the bytes of float32, and a resolution of 1/65,534 of the
row's largest change, far below the noise of one round of SGD. Every replica and the driver apply
the same decoded values, so the replicas stay identical to the driver's tables.

In numpy the same work takes a comparison of the whole table, a gather, a subtraction, a scatter
and the encoding, each a pass over tens of megabytes; here it is one pass that stops reading a
row at its first changed element. :mod:`.reference` has the numpy versions the tests compare with.
"""
import numpy as np
from numba import njit

#: int16 steps of a row's largest change
STEPS = 32767


@njit(cache=True, nogil=True, inline="always")
def _scale(row, base):
    """max |row - base| / STEPS (``base`` None: of ``row``); NaN where the change is not finite, so
    that it decodes to NaN (caught at the epoch's end) rather than to a silent zero."""
    largest = np.float32(0.0)
    finite = True
    for j in range(row.shape[0]):
        d = np.float32(row[j] - base[j]) if base is not None else np.float32(row[j])
        if not np.isfinite(d):
            finite = False
        elif abs(d) > largest:
            largest = abs(d)
    return np.float32(largest / np.float32(STEPS)) if finite else np.float32(np.nan)


@njit(cache=True, nogil=True)
def take_changes(table, base, ids, steps, scales):
    """Move every changed row's change (``table - base``) into ``ids``/``steps``/``scales``, in row
    order, and put the row back at ``base``; return how many rows changed."""
    n = 0
    dim = table.shape[1]
    for r in range(table.shape[0]):
        changed = False
        for j in range(dim):
            if table[r, j] != base[r, j]:
                changed = True
                break
        if not changed:
            continue
        scale = _scale(table[r], base[r])
        for j in range(dim):
            d = np.float32(table[r, j] - base[r, j])
            steps[n, j] = np.int16(np.rint(d / scale)) if np.isfinite(scale) else np.int16(0)
            table[r, j] = base[r, j]
        ids[n] = r
        scales[n] = scale
        n += 1
    return n


@njit(cache=True, nogil=True)
def pack_rows(rows, steps, scales):
    """Encode float32 ``rows`` as ``steps * scales[:, None]`` (the same encoding as take_changes)."""
    dim = rows.shape[1]
    for i in range(rows.shape[0]):
        scale = _scale(rows[i], None)
        scales[i] = scale
        for j in range(dim):
            steps[i, j] = np.int16(np.rint(rows[i, j] / scale)) if scale > 0 else np.int16(0)


@njit(cache=True, nogil=True)
def add_changes(base, table, ids, steps, scales):
    """``base[ids] += steps * scales``, then those rows of ``table`` = ``base`` (a replica taking the
    merged change of a round)."""
    dim = base.shape[1]
    for i in range(ids.shape[0]):
        r = ids[i]
        s = scales[i]
        for j in range(dim):
            base[r, j] += np.float32(steps[i, j]) * s
            table[r, j] = base[r, j]


@njit(cache=True, nogil=True)
def sum_changes(n_rows, ids, steps, scales, weights, out_ids, out_rows, out_weights):
    """The ``sum`` merge of packed deltas laid end to end (``ids`` etc. concatenated, each delta's
    ids unique): the union of their rows in ascending order into ``out_ids``, each row's summed
    float32 change into ``out_rows`` (added in the order of the entries, as the numpy merge adds
    the deltas) and its summed weight into ``out_weights``; returns the number of rows."""
    slot = np.full(n_rows, -1, np.int64)
    for i in range(ids.shape[0]):
        slot[ids[i]] = 0
    n = 0
    for r in range(n_rows):
        if slot[r] == 0:
            slot[r] = n
            out_ids[n] = r
            n += 1
    dim = steps.shape[1]
    out_rows[:n] = 0.0
    summed = np.zeros(n, np.float64)
    for i in range(ids.shape[0]):
        k = slot[ids[i]]
        s = scales[i]
        for j in range(dim):
            out_rows[k, j] += np.float32(steps[i, j]) * s
        summed[k] += weights[i]
    for k in range(n):
        out_weights[k] = np.float32(summed[k])
    return n
