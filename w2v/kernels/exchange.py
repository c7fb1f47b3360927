"""Changed rows of a replica's tables, packed for the wire, and applied back: the distributed
exchange's per-round work (:mod:`w2v.distributed.wire`) as single passes over the tables.

A row's change travels as int8 steps of a per-row float32 scale (``change = q * scale``,
``scale = max |change| / STEPS``): a quarter of the bytes of float32, and a resolution of 1/254
of the row's largest change, far below the noise of one round of SGD (measured: the same
quality on wiki17m as int16 and float32; benchmarks/README.md). Every replica and the driver
apply the same decoded values, and a replica takes its own exact change back when the merged
change that holds it arrives, so the replicas stay equal to the driver's tables (to float32
rounding).

In numpy the same work takes a comparison of the whole table, a gather, a subtraction, a scatter
and the encoding, each a pass over tens of megabytes; here one pass finds the changed rows
(reading a row only up to its first changed element) and a second reads only those, into
buffers of their size. :mod:`.reference` has the numpy versions the tests compare with.

The entry kernels' arguments, by name (V rows of a table, d its width, n the rows that travel):

* ``table``, ``base``: float32 (V, d), a replica's (or the driver's) table and its copy as of
  the last reported change; written in place where a kernel says so.
* ``ids``, ``own_ids``, ``out_ids``: int32 (n,), row numbers, ascending unless said otherwise.
* ``steps``, ``out_steps``: int8 (n, d) (:data:`STEP_TYPE`), a change in units of its row's scale.
* ``scales``, ``out_scales``: float32 (n,), each row's scale (its largest change / :data:`STEPS`).
* ``exact``, ``own_rows``, ``rows``: float32 (n, d), changes as they were, before packing.
* ``weights``: float64 (n,) in :func:`sum_changes` (the deltas' update counts, summed);
  ``out_weights``: float32 (n,).
"""
import numpy as np
from numba import njit

#: a row's change is sent as integers of this type, its largest element as +-STEPS
STEP_TYPE = np.int8
STEPS = 127


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


@njit(cache=True, nogil=True, inline="always")
def _step(x, scale):
    """One element of a packed row: ``x / scale`` rounded (0 where the scale is 0 or NaN, so a
    NaN row decodes to NaN through its scale)."""
    return np.rint(x / scale) if scale > 0 else 0.0


@njit(cache=True, nogil=True)
def changed_rows(table, base, ids):
    """Ids of the rows where ``table`` differs from ``base`` into ``ids`` (ascending), reading a row
    only up to its first changed element; returns how many."""
    n = 0
    dim = table.shape[1]
    for r in range(table.shape[0]):
        for j in range(dim):
            if table[r, j] != base[r, j]:
                ids[n] = r
                n += 1
                break
    return n


@njit(cache=True, nogil=True)
def take_changes(table, base, ids, exact, steps, scales):
    """Report the rows ``ids``: each change (``table - base``) into ``exact`` and packed into
    ``steps``/``scales``, and ``base`` caught up with ``table`` (the change is reported)."""
    dim = table.shape[1]
    for n in range(ids.shape[0]):
        r = ids[n]
        scale = _scale(table[r], base[r])
        for j in range(dim):
            d = np.float32(table[r, j] - base[r, j])
            exact[n, j] = d
            steps[n, j] = _step(d, scale)
            base[r, j] = table[r, j]
        scales[n] = scale


@njit(cache=True, nogil=True)
def pack_rows(rows, steps, scales):
    """Encode float32 ``rows`` as ``steps * scales[:, None]`` (the same encoding as take_changes)."""
    dim = rows.shape[1]
    for i in range(rows.shape[0]):
        scale = _scale(rows[i], None)
        scales[i] = scale
        for j in range(dim):
            steps[i, j] = _step(rows[i, j], scale)


@njit(cache=True, nogil=True)
def add_to(table, ids, steps, scales):
    """The driver takes a merged change: ``table[ids] += steps * scales``."""
    dim = table.shape[1]
    for i in range(ids.shape[0]):
        r = ids[i]
        s = scales[i]
        for j in range(dim):
            table[r, j] += np.float32(steps[i, j]) * s


@njit(cache=True, nogil=True)
def take_merged(base, table, ids, steps, scales, own_ids, own_rows):
    """A replica takes a merged change (``steps * scales`` on rows ``ids``), less its own change of
    the same round (which the merged change holds; none: empty ``own_ids``), added to ``base`` and
    ``table`` alike, so a row's unreported change (``table - base``) stays as it was. One pass;
    both ids ascending (the merged rows hold every own row where the merge took the replica's
    result, the usual case)."""
    dim = base.shape[1]
    k = 0
    for i in range(ids.shape[0]):
        r = ids[i]
        while k < own_ids.shape[0] and own_ids[k] < r:  # an own row the merge did not hold
            _take_back(base, table, own_ids[k], own_rows[k])
            k += 1
        s = scales[i]
        mine = k < own_ids.shape[0] and own_ids[k] == r
        for j in range(dim):
            change = np.float32(steps[i, j]) * s
            if mine:
                change -= own_rows[k, j]
            base[r, j] += change
            table[r, j] += change
        if mine:
            k += 1
    while k < own_ids.shape[0]:
        _take_back(base, table, own_ids[k], own_rows[k])
        k += 1


@njit(cache=True, nogil=True, inline="always")
def _take_back(base, table, r, own_row):
    for j in range(base.shape[1]):
        base[r, j] -= own_row[j]
        table[r, j] -= own_row[j]


@njit(cache=True, nogil=True)
def sum_changes(ids, steps, scales, weights, table, out_ids, out_steps, out_scales, out_weights):
    """The ``sum`` merge of packed deltas laid end to end (``ids`` etc. concatenated, each delta's
    ids unique), packed and applied to the driver's ``table`` in one pass: for each row of the
    union, in ascending order, its changes are added in the order of the entries (as the numpy
    merge adds the deltas, so the float32 sum is the same), the sum is packed into ``out_steps`` /
    ``out_scales`` as :func:`pack_rows` does and added to ``table`` decoded, as every replica
    decodes it; weights are summed. Returns the number of rows."""
    n_rows, dim = table.shape
    first = np.full(n_rows, -1, np.int64)   # each row's entries, as a list in entry order
    after = np.full(ids.shape[0], -1, np.int64)
    last = np.full(n_rows, -1, np.int64)
    for i in range(ids.shape[0]):
        r = ids[i]
        if first[r] < 0:
            first[r] = i
        else:
            after[last[r]] = i
        last[r] = i
    row = np.zeros(dim, np.float32)
    n = 0
    for r in range(n_rows):
        i = first[r]
        if i < 0:
            continue
        row[:] = 0.0
        weight = 0.0
        while i >= 0:
            s = scales[i]
            for j in range(dim):
                row[j] += np.float32(steps[i, j]) * s
            weight += weights[i]
            i = after[i]
        scale = _scale(row, None)
        for j in range(dim):
            out_steps[n, j] = _step(row[j], scale)
            table[r, j] += np.float32(out_steps[n, j]) * scale
        out_ids[n] = r
        out_scales[n] = scale
        out_weights[n] = np.float32(weight)
        n += 1
    return n
