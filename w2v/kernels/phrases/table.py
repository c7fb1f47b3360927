"""The n-gram count table: keys of id sequences, their hashing, lookup, insertion and pruning, and
the portable layout of a saved table (the layout is described in :mod:`w2v.kernels.phrases`).
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..prefetch import prefetch_item


_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)

N_ENTRIES, ARENA_USED, MIN_REDUCE, WORDS, PRUNES = 0, 1, 2, 3, 4

MIX = np.uint64(0x9E3779B97F4A7C15)
_LONG = np.int64(-(1 << 63))           # sign bit: a key of three or more ids
_START_MASK = np.int64((1 << 40) - 1)  # a long key's arena start
_HI_MASK = np.int64((1 << 23) - 1)     # the 23 hash bits a long key keeps
LOW32 = np.int64(0xFFFFFFFF)
#: how many entries ahead fill_slots asks for an entry's home slot
FILL_AHEAD = 16


@njit(cache=True, nogil=True, inline="always")
def _short_key(seq, start, length):
    """The key number of one or two ids."""
    k = (np.int64(seq[start]) + 1) << 32
    if length == 2:
        k |= np.int64(seq[start + 1]) + 1
    return k


@njit(cache=True, nogil=True, inline="always")
def _fnv(seq, start, length):
    """64-bit FNV-1a of a key of three or more ids (as int64)."""
    h = _FNV_OFFSET
    for k in range(start, start + length):
        v = np.uint64(np.uint32(seq[k]))
        h = (h ^ (v & np.uint64(0xFFFF))) * _FNV_PRIME
        h = (h ^ (v >> np.uint64(16))) * _FNV_PRIME
    return np.int64(h)


@njit(cache=True, nogil=True, inline="always")
def home_slot(tag, mask):
    return np.int64(((np.uint64(tag) * MIX) >> np.uint64(29)) & np.uint64(mask))


@njit(cache=True, nogil=True, inline="always")
def _fingerprint(tag, mask):
    """The hash bits a slot keeps beside its entry index: bits of the same product as
    :func:`home_slot` but above the ones it uses, those of a 31-bit number that the entry index
    (below ``mask``: entries < slots) leaves free. A probe compares them in the slot array
    and reads the entry (a cache miss into a table of MBs) only when they match."""
    return np.int64((np.uint64(tag) * MIX) >> np.uint64(33)) & ~mask


@njit(cache=True, nogil=True, inline="always")
def _long_tag(h):
    """The sign bit and hash bits a long key's number carries (its arena start is or-ed in)."""
    return _LONG | (((h >> 41) & _HI_MASK) << 40)


@njit(cache=True, nogil=True, inline="always")
def _find(seq, start, length, slots, entries, arena):
    """(slot, entry, tag, fingerprint) of the key seq[start:start+length]; entry -1 (and the
    free slot) if absent. A slot holds ``entry | fingerprint`` (-1 when free): the entry of a
    slot whose fingerprint matches is compared, a short key as one number, a long one by its
    hash bits, then in the arena."""
    mask = len(slots) - 1
    if length <= 2:
        tag = _short_key(seq, start, length)
        p = home_slot(tag, mask)
        fp = _fingerprint(tag, mask)
        while True:
            v = slots[p]
            if v < 0:
                return p, np.int64(-1), tag, fp
            if (v & ~mask) == fp:
                e = v & mask
                if entries[e, 0] == tag:
                    return p, e, tag, fp
            p = (p + 1) & mask
    h = _fnv(seq, start, length)
    tag = _long_tag(h)
    p = home_slot(h, mask)
    fp = _fingerprint(h, mask)
    while True:
        v = slots[p]
        if v < 0:
            return p, np.int64(-1), tag, fp
        if (v & ~mask) != fp:
            p = (p + 1) & mask
            continue
        e = v & mask
        k = entries[e, 0]
        if k < 0 and (k & ~_START_MASK) == tag:
            s = k & _START_MASK
            if arena[s] == length:
                same = True
                for j in range(length):
                    if arena[s + 1 + j] != seq[start + j]:
                        same = False
                        break
                if same:
                    return p, e, tag, fp
        p = (p + 1) & mask


@njit(cache=True, nogil=True, inline="always")
def add_key(seq, start, length, count, slots, entries, arena, state):
    """Add ``count`` to the key seq[start:start+length] (a new entry if absent); return its entry.
    The caller guarantees room: a free entry, a slot under the load limit, arena for a long key."""
    p, e, tag, fp = _find(seq, start, length, slots, entries, arena)
    if e >= 0:
        entries[e, 1] += count
        return e
    e = state[N_ENTRIES]
    state[N_ENTRIES] = e + 1
    slots[p] = e | fp
    if length <= 2:
        entries[e, 0] = tag
    else:
        s = state[ARENA_USED]
        arena[s] = length
        for j in range(length):
            arena[s + 1 + j] = seq[start + j]
        state[ARENA_USED] = s + 1 + length
        entries[e, 0] = tag | s
    entries[e, 1] = count
    return e


@njit(cache=True, nogil=True, inline="always")
def key_length(entries, arena, e):
    k = entries[e, 0]
    if k < 0:
        return np.int64(arena[k & _START_MASK])
    return np.int64(1) if (k & LOW32) == 0 else np.int64(2)


@njit(cache=True, nogil=True, inline="always")
def key_part(entries, arena, e, j):
    """Id j of entry e's key."""
    k = entries[e, 0]
    if k < 0:
        return np.int64(arena[(k & _START_MASK) + 1 + j])
    return (k >> 32) - 1 if j == 0 else (k & LOW32) - 1


@njit(cache=True, nogil=True, inline="always")
def _entry_slot(entries, arena, e, mask):
    """(home slot, fingerprint) of entry e (recomputed from its key)."""
    k = entries[e, 0]
    if k < 0:
        s = k & _START_MASK
        k = _fnv(arena, s + 1, arena[s])
    return home_slot(k, mask), _fingerprint(k, mask)


@njit(cache=True, nogil=True)
def lookup(seq, start, length, slots, entries, arena):
    """Entry index of the key seq[start:start+length], or -1."""
    return _find(seq, start, length, slots, entries, arena)[1]


@njit(cache=True, nogil=True)
def fill_slots(n_entries, entries, arena, slots):
    """Place entries 0..n_entries-1 into ``slots`` (every slot is reset; a power-of-two size,
    more slots than entries: an entry index fits below the mask, its fingerprint above).

    The slots of a large table are written at random, each a cache miss: the home slot of a
    short key ``FILL_AHEAD`` entries on is prefetched, so those misses overlap (3x faster on a
    table of 4M entries, where rebuilding the slots as the table grew was a fifth of counting)."""
    slots[:] = -1
    mask = len(slots) - 1
    for e in range(n_entries):
        if e + FILL_AHEAD < n_entries and entries[e + FILL_AHEAD, 0] >= 0:
            prefetch_item(slots, home_slot(entries[e + FILL_AHEAD, 0], mask))
        p, fp = _entry_slot(entries, arena, e, mask)
        while slots[p] >= 0:
            p = (p + 1) & mask
        slots[p] = e | fp


@njit(cache=True, nogil=True)
def flat_keys(n_entries, entries, arena, elen, flat):
    """Every entry's key, one after another, into ``flat`` (lengths into ``elen``); returns the
    number of ids written (the portable layout of saved tables)."""
    n = 0
    for e in range(n_entries):
        length = key_length(entries, arena, e)
        elen[e] = length
        for j in range(length):
            flat[n] = key_part(entries, arena, e, j)
            n += 1
    return n


@njit(cache=True, nogil=True)
def add_flat(elen, ecount, flat, slots, entries, arena, state):
    """Add the keys of :func:`flat_keys`' layout with their counts (the table has room)."""
    s = 0
    for e in range(len(elen)):
        add_key(flat, s, elen[e], ecount[e], slots, entries, arena, state)
        s += elen[e]


@njit(cache=True, nogil=True)
def add_entries(keep, o_entries, o_arena, count, slots, entries, arena, state):
    """Add the keys of another table's entries ``keep`` (in that order), each with ``count``
    (< 0: its own count); the table has room. Returns the number of arena ids used."""
    buf = np.empty(16, np.int32)
    for e in keep:
        length = key_length(o_entries, o_arena, e)
        if length > len(buf):
            buf = np.empty(2 * length, np.int32)
        for j in range(length):
            buf[j] = key_part(o_entries, o_arena, e, j)
        add_key(buf, 0, length, o_entries[e, 1] if count < 0 else count, slots, entries, arena, state)
    return state[ARENA_USED]


@njit(cache=True, nogil=True)
def prune(min_reduce, slots, entries, arena, state):
    """gensim's ``prune_vocab``: drop every entry counted fewer than ``min_reduce`` times, keeping
    the survivors' order (and compacting the arena); rebuild the hash slots."""
    n = 0
    used = 0
    for e in range(state[N_ENTRIES]):
        if entries[e, 1] < min_reduce:
            continue
        k = entries[e, 0]
        if k < 0:
            s = k & _START_MASK
            length = arena[s]
            for j in range(length + 1):
                arena[used + j] = arena[s + j]
            k = (k & ~_START_MASK) | used
            used += length + 1
        entries[n, 0] = k
        entries[n, 1] = entries[e, 1]
        n += 1
    state[N_ENTRIES] = n
    state[ARENA_USED] = used
    fill_slots(n, entries, arena, slots)


@njit(cache=True, nogil=True, inline="always")
def span_key(ids, a, b, wp_start, wp_len, wp_parts, buf):
    """The key of tokens ids[a:b]: their parts (a word's delimiter-separated pieces) one after
    another, written into buf; returns its length, or -1 if a token is unknown (id < 0)."""
    n = 0
    for k in range(a, b):
        w = ids[k]
        if w < 0:
            return -1
        s = wp_start[w]
        for j in range(wp_len[w]):
            buf[n] = wp_parts[s + j]
            n += 1
    return n
