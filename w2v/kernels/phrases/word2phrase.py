"""word2phrase.c's decision to glue a token to the one before it, over word ids.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..borrow import borrowed
from .table import LOW32, lookup, span_key


@njit(cache=True, nogil=True, inline="always", error_model="numpy")
def _w2p_joins(cab, pa, pb, min_count, tw, thr):
    """word2phrase.c's test for gluing b to a: all three counts at least ``min_count`` and the
    float32 score ``(cab - min_count) / pa / pb * train_words`` above the threshold."""
    if pa < min_count or pb < min_count or cab < min_count:
        return False
    return np.float32(cab - min_count) / np.float32(pa) / np.float32(pb) * tw > thr


@njit(cache=True, nogil=True, error_model="numpy")
def word2phrase_pairs(n_entries, entries, counts, min_count, threshold, train_words):
    """Entries of two one-part words (a, b) that word2phrase joins whenever a was not itself just
    joined (``pa`` = count(a)): the score is then a property of the pair alone. These few
    (about 1 in 40 pairs of wiki17m) make the small table :func:`word2phrase_joins` looks pairs
    up in, instead of the table of every distinct pair."""
    keep = np.empty(1024, np.int64)
    m = 0
    tw = np.float32(train_words)
    thr = np.float32(threshold)
    for e in range(n_entries):
        k = entries[e, 0]
        if k < 0 or (k & LOW32) == 0:  # a longer key, or a unigram
            continue
        if _w2p_joins(entries[e, 1], counts[(k >> 32) - 1], counts[(k & LOW32) - 1], min_count, tw, thr):
            if m == len(keep):
                keep = np.concatenate((keep, np.empty(m, np.int64)))
            keep[m] = e
            m += 1
    return keep[:m].copy()


@njit(cache=True, nogil=True, error_model="numpy")
def word2phrase_joins(ids, ends, carry, counts, wp_start, wp_len, wp_parts, min_count, threshold,
                      train_words, slots, entries, arena, jfirst, jslots, jentries, jarena, joins):
    """word2phrase.c's TrainModel decision for every token of a block: joins[k] = 1 when token k
    is glued to token k-1 with '_'. ``ends`` are the positions where lines end (a line ends before
    token ``ends[j]``); ``carry`` = [previous id or -1 at a line start, its count ``pa``] links
    blocks. Scores are computed in float32 like word2phrase (its ``real`` is float).

    A pair of one-part words whose first was not just joined is looked up in the small table of
    :func:`word2phrase_pairs` (``jslots``...; ``jfirst[w]``: w begins one of its pairs), which
    stays in cache; any other pair goes through the full count table (slots, entries, arena)."""
    # arguments borrowed: no atomic reference counting in the loops (see kernels.borrow)
    ids, ends, carry, counts = borrowed(ids), borrowed(ends), borrowed(carry), borrowed(counts)
    wp_start, wp_len, wp_parts, slots = borrowed(wp_start), borrowed(wp_len), borrowed(wp_parts), borrowed(slots)
    entries, arena, jfirst, jslots = borrowed(entries), borrowed(arena), borrowed(jfirst), borrowed(jslots)
    jentries, jarena, joins = borrowed(jentries), borrowed(jarena), borrowed(joins)
    key = np.empty(2, np.int32)
    buf = np.empty(64, np.int32)
    tw = np.float32(train_words)
    thr = np.float32(threshold)
    prev, pa = carry[0], carry[1]
    j = 0
    for k in range(len(ids)):
        while j < len(ends) and ends[j] <= k:
            prev = -1
            j += 1
        w = ids[k]
        pb = counts[w]
        joins[k] = 0
        if prev >= 0 and wp_len[prev] == 1 and wp_len[w] == 1 and pa == counts[prev]:
            if jfirst[prev]:
                key[0] = prev
                key[1] = w
                if lookup(key, 0, 2, jslots, jentries, jarena) >= 0:
                    joins[k] = 1
                    pb = 0
        elif prev >= 0 and counts[prev] >= min_count and pb >= min_count and pa >= min_count:
            key[0] = prev
            key[1] = w
            need = wp_len[prev] + wp_len[w]
            if need > len(buf):
                buf = np.empty(2 * need, np.int32)
            length = span_key(key, 0, 2, wp_start, wp_len, wp_parts, buf)
            e = lookup(buf, 0, length, slots, entries, arena)
            if e >= 0 and _w2p_joins(entries[e, 1], pa, pb, min_count, tw, thr):
                joins[k] = 1
                pb = 0
        prev = w
        pa = pb
    if j < len(ends):
        prev = -1
    carry[0] = prev
    carry[1] = pa
