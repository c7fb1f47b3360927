"""Numba kernels for phrase detection: n-gram counting, pruning, and applying phrases over word ids.

gensim's ``Phrases`` keeps one dict of strings (unigrams and delimiter-joined bigrams) and makes a
Python call per token. Here the same counts live in one open-addressing hash table keyed by
*id sequences*: a unigram is the key ``(a,)``, a bigram with connector words in between is
``(a, c1, ..., ck, b)``. The table never holds a Python object, and gensim's memory bound (prune
every entry rarer than ``min_reduce`` when the table outgrows ``max_vocab_size``) is applied to
the same entries in the same order.

Table layout (all numpy arrays, owned by :class:`w2v.ngrams.NgramTable`), 16 bytes per entry plus
4 per slot (about 25 bytes per entry at the peak; gensim's dict of strings takes ~100):

* ``entries`` int64[cap, 2]: (key, count) in first-seen order. A key of one or two ids *is* the
  number ``(a + 1) << 32 | (b + 1)`` (``b + 1`` = 0 for a unigram), so the common keys need no
  other storage. A longer key is negative: the sign bit, 23 bits of its FNV hash (bits 40-62)
  and where it starts in ``arena`` (bits 0-39);
* ``arena`` int32: the longer keys only, each as its length followed by its ids;
* ``slots`` int32[2^k]: -1, or an entry index (below the mask: there are more slots than
  entries) or-ed with a fingerprint of its key's hash in the bits above (:func:`_fingerprint`),
  open addressing with linear probing, load <= 0.7. A probe reads an entry only when the
  fingerprint matches, so the slots it passes over cost no cache miss into ``entries``;
* ``state`` int64: [entries, arena used, min_reduce, corpus words, prunes].

Kernels that may add entries stop *before* a sentence that could overflow the arrays and return
its index; the Python side grows the arrays and calls again. Pure numpy/Python references for
tests are in :mod:`w2v.kernels.phrases_reference`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .borrow import borrowed
from .prefetch import prefetch_item, prefetch_row
from .unaligned import store_u64

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)

N_ENTRIES, ARENA_USED, MIN_REDUCE, WORDS, PRUNES = 0, 1, 2, 3, 4

_MIX = np.uint64(0x9E3779B97F4A7C15)
_LONG = np.int64(-(1 << 63))           # sign bit: a key of three or more ids
_START_MASK = np.int64((1 << 40) - 1)  # a long key's arena start
_HI_MASK = np.int64((1 << 23) - 1)     # the 23 hash bits a long key keeps
_LOW32 = np.int64(0xFFFFFFFF)
#: how many tokens ahead count_ngrams asks for a pair's slot, then (half as far) for its entry
SLOT_AHEAD, ENTRY_AHEAD = 16, 8
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
def _slot(tag, mask):
    return np.int64(((np.uint64(tag) * _MIX) >> np.uint64(29)) & np.uint64(mask))


@njit(cache=True, nogil=True, inline="always")
def _fingerprint(tag, mask):
    """The hash bits a slot keeps beside its entry index: bits of the same product as
    :func:`_slot` but above the ones it uses, those of a 31-bit number that the entry index
    (below ``mask``: entries < slots) leaves free. A probe compares them in the slot array
    and reads the entry (a cache miss into a table of MBs) only when they match."""
    return np.int64((np.uint64(tag) * _MIX) >> np.uint64(33)) & ~mask


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
        p = _slot(tag, mask)
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
    p = _slot(h, mask)
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
def _add(seq, start, length, count, slots, entries, arena, state):
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
def _key_len(entries, arena, e):
    k = entries[e, 0]
    if k < 0:
        return np.int64(arena[k & _START_MASK])
    return np.int64(1) if (k & _LOW32) == 0 else np.int64(2)


@njit(cache=True, nogil=True, inline="always")
def _key_part(entries, arena, e, j):
    """Id j of entry e's key."""
    k = entries[e, 0]
    if k < 0:
        return np.int64(arena[(k & _START_MASK) + 1 + j])
    return (k >> 32) - 1 if j == 0 else (k & _LOW32) - 1


@njit(cache=True, nogil=True, inline="always")
def _entry_slot(entries, arena, e, mask):
    """(home slot, fingerprint) of entry e (recomputed from its key)."""
    k = entries[e, 0]
    if k < 0:
        s = k & _START_MASK
        k = _fnv(arena, s + 1, arena[s])
    return _slot(k, mask), _fingerprint(k, mask)


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
            prefetch_item(slots, _slot(entries[e + FILL_AHEAD, 0], mask))
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
        length = _key_len(entries, arena, e)
        elen[e] = length
        for j in range(length):
            flat[n] = _key_part(entries, arena, e, j)
            n += 1
    return n


@njit(cache=True, nogil=True)
def add_flat(elen, ecount, flat, slots, entries, arena, state):
    """Add the keys of :func:`flat_keys`' layout with their counts (the table has room)."""
    s = 0
    for e in range(len(elen)):
        _add(flat, s, elen[e], ecount[e], slots, entries, arena, state)
        s += elen[e]


@njit(cache=True, nogil=True)
def add_entries(keep, o_entries, o_arena, count, slots, entries, arena, state):
    """Add the keys of another table's entries ``keep`` (in that order), each with ``count``
    (< 0: its own count); the table has room. Returns the number of arena ids used."""
    buf = np.empty(16, np.int32)
    for e in keep:
        length = _key_len(o_entries, o_arena, e)
        if length > len(buf):
            buf = np.empty(2 * length, np.int32)
        for j in range(length):
            buf[j] = _key_part(o_entries, o_arena, e, j)
        _add(buf, 0, length, o_entries[e, 1] if count < 0 else count, slots, entries, arena, state)
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
def _prefetch_pair(ids, j, slots, entries):
    """Prefetch hints for the pair (ids[j-1], ids[j]) as if both were one-part words (the common
    case; otherwise the hint is merely wasted): its home slot some tokens ahead, and the entry that
    slot points to once the slot has arrived. The table is far larger than the caches, so this
    overlaps the two memory waits of each pair with the work on the tokens before it."""
    mask = len(slots) - 1
    n = len(ids)
    if j + SLOT_AHEAD < n:
        tag = ((np.int64(ids[j + SLOT_AHEAD - 1]) + 1) << 32) | (np.int64(ids[j + SLOT_AHEAD]) + 1)
        prefetch_item(slots, _slot(tag, mask))
    if j + ENTRY_AHEAD < n:
        tag = ((np.int64(ids[j + ENTRY_AHEAD - 1]) + 1) << 32) | (np.int64(ids[j + ENTRY_AHEAD]) + 1)
        e = slots[_slot(tag, mask)]
        if e >= 0:
            prefetch_row(entries, e & mask)


@njit(cache=True, nogil=True, inline="always")
def _span_key(ids, a, b, wp_start, wp_len, wp_parts, buf):
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


@njit(cache=True, nogil=True)
def flush_pairs(pair_cache, entries, clear):
    """Add the counts ``pair_cache`` holds back into their entries (and forget the pairs if
    ``clear``: entries are about to move)."""
    for q in range(len(pair_cache)):
        if pair_cache[q, 0] >= 0 and pair_cache[q, 2] > 0:
            entries[pair_cache[q, 1], 1] += pair_cache[q, 2]
            pair_cache[q, 2] = 0
        if clear:
            pair_cache[q, 0] = -1


@njit(cache=True, nogil=True, inline="always")
def _count_pair(v, w, buf, pair_cache, slots, entries, arena, state):
    """Count the pair of one-part words (v, w). The pair last seen in its ``pair_cache`` row
    (key, entry, pending count) is counted there: frequent pairs make most of a text and their
    rows stay in cache, where the table is probed at random in memory. Another pair takes the
    row over (the pending count goes to its entry first); a new pair gets its entry at once, so
    entries keep first-seen order."""
    tag = ((np.int64(v) + 1) << 32) | (np.int64(w) + 1)
    q = np.int64((np.uint64(tag) * _MIX) >> np.uint64(40)) & (len(pair_cache) - 1)
    if pair_cache[q, 0] == tag:
        pair_cache[q, 2] += 1
        return
    if pair_cache[q, 0] >= 0 and pair_cache[q, 2] > 0:
        entries[pair_cache[q, 1], 1] += pair_cache[q, 2]
    buf[0] = v
    buf[1] = w
    pair_cache[q, 0] = tag
    pair_cache[q, 1] = _add(buf, 0, 2, 1, slots, entries, arena, state)
    pair_cache[q, 2] = 0


@njit(cache=True, nogil=True)
def count_ngrams(ids, offsets, first, is_conn, wp_start, wp_len, wp_parts, buf, word_entry, pair_cache,
                 max_vocab_size, settle, slots, entries, arena, state):
    """gensim's ``Phrases._learn_vocab`` over sentences ``first..`` of (ids, offsets).

    Every non-connector word counts as a unigram and, with the previous non-connector word of its
    sentence (and the connector words between them), as an n-gram; all words count towards the
    corpus size; after each sentence the table is pruned if it outgrew ``max_vocab_size``.
    Keys are sequences of *parts* (a word split at the delimiter), so two spans whose
    delimiter-joined strings are equal share one entry, exactly as gensim's string keys do.
    ``word_entry[w]`` is (entry of one-part word w's unigram or -1 if not known yet, count held
    back): a unigram is counted there, in a dense array of a few MB whose rows of frequent words
    stay in cache, not in its entry (one line of a table of tens of MB). The held counts go to
    the entries before a prune and in :func:`flush_unigrams` (``settle``: at every return);
    the entry column is reset whenever entries move.
    Returns the sentence it stopped before (len(offsets) - 1 when done; earlier when the arrays
    might not hold the next sentence's new entries: grow them and call again).
    """
    # arguments borrowed: no atomic reference counting in the loops (see kernels.borrow)
    ids, offsets, is_conn, wp_start = borrowed(ids), borrowed(offsets), borrowed(is_conn), borrowed(wp_start)
    wp_len, wp_parts, buf, word_entry = borrowed(wp_len), borrowed(wp_parts), borrowed(buf), borrowed(word_entry)
    pair_cache, slots, entries, arena = borrowed(pair_cache), borrowed(slots), borrowed(entries), borrowed(arena)
    state = borrowed(state)
    n_sent = len(offsets) - 1
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    for s in range(first, n_sent):
        a, b = offsets[s], offsets[s + 1]
        n = b - a
        parts = 0
        for k in range(a, b):
            parts += wp_len[ids[k]]
        if (state[N_ENTRIES] + 2 * n > limit or state[N_ENTRIES] + 2 * n > len(entries)
                or state[ARENA_USED] + 3 * parts + 2 * n > len(arena) or parts > len(buf)):
            flush_pairs(pair_cache, entries, False)
            if settle:
                flush_unigrams(word_entry, entries, False)
            return s
        start = -1
        for k in range(a, b):
            _prefetch_pair(ids, k, slots, entries)
            w = ids[k]
            if not is_conn[w]:
                if word_entry[w, 0] >= 0:
                    word_entry[w, 1] += 1
                else:
                    e = _add(wp_parts, wp_start[w], wp_len[w], 1, slots, entries, arena, state)
                    if wp_len[w] == 1:
                        word_entry[w, 0] = e
                if start >= 0:
                    if k == start + 1 and wp_len[w] == 1 and wp_len[ids[start]] == 1:  # the common pair
                        _count_pair(ids[start], w, buf, pair_cache, slots, entries, arena, state)
                    else:
                        length = _span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
                        _add(buf, 0, length, 1, slots, entries, arena, state)
                start = k
        state[WORDS] += n
        if state[N_ENTRIES] > max_vocab_size:
            flush_pairs(pair_cache, entries, True)
            flush_unigrams(word_entry, entries, True)
            prune(state[MIN_REDUCE], slots, entries, arena, state)
            state[MIN_REDUCE] += 1
            state[PRUNES] += 1
    flush_pairs(pair_cache, entries, False)
    if settle:
        flush_unigrams(word_entry, entries, False)
    return n_sent


@njit(cache=True, nogil=True)
def flush_unigrams(word_entry, entries, clear):
    """Add the unigram counts :func:`count_ngrams` holds in ``word_entry`` to their entries (and
    forget the entries if ``clear``: they are about to move)."""
    for w in range(len(word_entry)):
        if word_entry[w, 1] > 0:
            entries[word_entry[w, 0], 1] += word_entry[w, 1]
            word_entry[w, 1] = 0
        if clear:
            word_entry[w, 0] = -1


@njit(cache=True, nogil=True)
def merge_tables(first, o_entries, o_arena, o_n, buf, slots, entries, arena, state):
    """Add the entries ``first..o_n`` of another table into this one (gensim's add_vocab merge);
    return where it stopped (o_n, or earlier when this table must grow). ``buf`` holds a key."""
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    for e in range(first, o_n):
        length = _key_len(o_entries, o_arena, e)
        if (state[N_ENTRIES] + 1 > limit or state[N_ENTRIES] + 1 > len(entries)
                or state[ARENA_USED] + length + 1 > len(arena) or length > len(buf)):
            return e
        for j in range(length):
            buf[j] = _key_part(o_entries, o_arena, e, j)
        _add(buf, 0, length, o_entries[e, 1], slots, entries, arena, state)
    return o_n


@njit(cache=True, nogil=True)
def count_pairs_stream(ids, prev, unigram, wp_start, wp_len, wp_parts, buf, pair_cache, slots, entries, arena,
                       state):
    """word2phrase's counting: every word, and every consecutive pair of the stream, line ends
    included (its ``start`` flag is reset before it is tested), in one table as word2phrase's
    single hash of strings. ``prev`` is the last id of the previous block (-1 at the start).

    The unigram of a one-part word w is counted in ``unigram[w]`` (a dense array that stays in
    cache) and added to the table by :func:`add_unigrams` at the end; its key (w) is the only
    one-id key, so no other count is ever added to it. Pairs of one-part words go through
    ``pair_cache`` (see :func:`_count_pair`) with their slots prefetched: the table holds every
    distinct pair (no pruning), far larger than the caches. Returns how many ids were consumed
    (len(ids), or fewer if the table must grow; the pending pair counts are flushed either way)."""
    # arguments borrowed: no atomic reference counting in the loops (see kernels.borrow)
    ids, unigram, wp_start, wp_len = borrowed(ids), borrowed(unigram), borrowed(wp_start), borrowed(wp_len)
    wp_parts, buf, pair_cache, slots = borrowed(wp_parts), borrowed(buf), borrowed(pair_cache), borrowed(slots)
    entries, arena, state = borrowed(entries), borrowed(arena), borrowed(state)
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    pair = np.empty(2, np.int32)
    for k in range(len(ids)):
        w = ids[k]
        p = prev if k == 0 else ids[k - 1]
        need = wp_len[w] + (wp_len[p] if p >= 0 else 0)
        if state[N_ENTRIES] + 2 > limit or state[N_ENTRIES] + 2 > len(entries) \
                or state[ARENA_USED] + 2 * need + 2 > len(arena) or need > len(buf):
            flush_pairs(pair_cache, entries, False)
            return k
        _prefetch_pair(ids, k, slots, entries)
        if wp_len[w] == 1:
            unigram[w] += 1
        else:
            _add(wp_parts, wp_start[w], wp_len[w], 1, slots, entries, arena, state)
        if p >= 0:
            if wp_len[p] == 1 and wp_len[w] == 1:
                _count_pair(p, w, buf, pair_cache, slots, entries, arena, state)
            else:
                pair[0] = p
                pair[1] = w
                length = _span_key(pair, 0, 2, wp_start, wp_len, wp_parts, buf)
                _add(buf, 0, length, 1, slots, entries, arena, state)
        state[WORDS] += 1
    flush_pairs(pair_cache, entries, False)
    return len(ids)


@njit(cache=True, nogil=True)
def add_unigrams(unigram, wp_start, wp_len, wp_parts, slots, entries, arena, state):
    """Add the held-back unigram counts of :func:`count_pairs_stream` (one-part words) to the
    table and zero them; the table has room for one entry per nonzero count."""
    for w in range(len(unigram)):
        if unigram[w] > 0:
            _add(wp_parts, wp_start[w], wp_len[w], unigram[w], slots, entries, arena, state)
            unigram[w] = 0


# ---- scoring ----------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def word_counts(n_words, wp_start, wp_len, wp_parts, word_entry, slots, entries, arena):
    """count[w] of every word id < n_words: the count of its own key (its parts), 0 if absent.
    A word whose entry :func:`count_ngrams` noted in ``word_entry`` is read there (plus any count
    still held back), the others are looked up."""
    counts = np.zeros(n_words, np.int64)
    for w in range(n_words):
        if w < len(word_entry) and word_entry[w, 0] >= 0:
            counts[w] = entries[word_entry[w, 0], 1] + word_entry[w, 1]
            continue
        e = lookup(wp_parts, wp_start[w], wp_len[w], slots, entries, arena)
        if e >= 0:
            counts[w] = entries[e, 1]
    return counts


@njit(cache=True, nogil=True, error_model="numpy")
def score_ngrams(first, end, entries, arena, counts, scoring, min_count, len_vocab, corpus_words, threshold):
    """Score entries ``first..end-1`` of two or more parts like gensim's ``export_phrases``, which
    splits the joined string at the delimiter and scores it with the counts of its first and last
    pieces (``counts``, per part id). Returns (entries scoring above ``threshold``, their scores),
    in entry order. ``scoring`` 0 = original_scorer, 1 = npmi."""
    keep = np.empty(1024, np.int64)
    kept = np.empty(1024, np.float64)
    m = 0
    # an n-gram this rare cannot score above the threshold (the original score is <= 0 from
    # there down, npmi's is -inf below min_count): most entries are, and are passed over
    # without reading their words' counts (two cache misses each)
    rare = min_count if (scoring == 0 and threshold >= 0.0) else (min_count - 1 if scoring == 1 else 0)
    for e in range(first, end):
        cab = entries[e, 1]
        if cab <= rare:
            continue
        length = _key_len(entries, arena, e)
        if length < 2:
            continue
        ca = counts[_key_part(entries, arena, e, 0)]
        cb = counts[_key_part(entries, arena, e, length - 1)]
        if ca <= 0 or cb <= 0 or cab <= 0:
            continue
        score = -np.inf
        if scoring == 0:
            denom = ca * cb
            score = np.float64(cab - min_count) / np.float64(denom) * np.float64(len_vocab)
        elif cab >= min_count:
            n = np.float64(corpus_words)
            pa = ca / n
            pb = cb / n
            pab = cab / n
            ratio = pab / (pa * pb)
            if ratio > 0.0 and pab > 0.0 and pab != 1.0:
                score = np.log(ratio) / -np.log(pab)
        if score > threshold:
            if m == len(keep):
                keep = np.concatenate((keep, np.empty(m, np.int64)))
                kept = np.concatenate((kept, np.empty(m, np.float64)))
            keep[m] = e
            kept[m] = score
            m += 1
    return keep[:m].copy(), kept[:m].copy()


# ---- applying ---------------------------------------------------------------------------------

#: per-word flags of :func:`apply_phrases`: a connector word, a word whose first part begins
#: some phrase, a word of one part
CONNECTOR, STARTS, ONE_PART = 1, 2, 4


@njit(cache=True, nogil=True)
def word_flags(is_conn, starts_phrase, wp_len, flags):
    """flags[w] of every word (``CONNECTOR | STARTS | ONE_PART`` bits): one byte a word, so the
    apply loop reads one small array per token instead of three larger ones."""
    for w in range(len(flags)):
        f = np.uint8(0)
        if w < len(is_conn) and is_conn[w]:
            f |= np.uint8(CONNECTOR)
        if w < len(starts_phrase) and starts_phrase[w]:
            f |= np.uint8(STARTS)
        if wp_len[w] == 1:
            f |= np.uint8(ONE_PART)
        flags[w] = f


@njit(cache=True, nogil=True, inline="always")
def _filter_bit(tag, shift):
    return np.int64((np.uint64(tag) * _MIX) >> np.uint64(shift))


def pair_filter_bits(n_entries: int) -> int:
    """log2 of the bits of a :func:`pair_filter` for ``n_entries`` keys: about 32 bits a key
    (~3% false positives), 2^12 to 2^24 bits (a 2 MiB filter at most)."""
    return min(24, max(12, int(32 * max(n_entries, 1) - 1).bit_length()))


@njit(cache=True, nogil=True)
def pair_filter(n_entries, entries, bits, shift):
    """A one-hash Bloom filter (``bits``: uint64 words, a power of two of them) of the table's
    keys of two ids. :func:`apply_phrases` tests a pair here before probing the table: most pairs
    of a text are no phrase, and the filter answers them from a few hundred KB that stay in
    cache, where the table's slots and entries would be two more cache misses. A key's bit is the
    top ``64 - shift`` bits of its multiplicative hash (``len(bits) * 64 == 2 ** (64 - shift)``)."""
    bits[:] = 0
    for e in range(n_entries):
        k = entries[e, 0]
        if k >= 0 and (k & _LOW32) != 0:
            b = _filter_bit(k, shift)
            bits[b >> 6] |= np.uint64(1) << np.uint64(b & 63)


@njit(cache=True, nogil=True)
def apply_phrases(ids, offsets, flags, wp_start, wp_len, wp_parts, buf, threshold, scores, bits, shift,
                  slots, entries, arena, codes, out_offsets):
    """gensim's ``analyze_sentence`` over word ids; ids < 0 are words the model does not know.

    Writes one code per output token: k >= 0 is input position k unchanged, -(e + 1) is the
    phrase of table entry e (which replaced the input tokens it spans). ``out_offsets`` gets the
    output sentence offsets. ``flags`` (:func:`word_flags`, one per word) say which words are
    connectors, which begin no phrase (their spans are not looked up) and which have one part;
    a pair of one-part words is looked up only if ``bits`` (:func:`pair_filter`) may hold it.
    Returns the number of output tokens, or -1 - s if sentence s needs a larger ``buf`` (the
    concatenated parts of a candidate span).
    """
    # arguments borrowed: no atomic reference counting in the loops (see kernels.borrow)
    ids, offsets, flags, wp_start = borrowed(ids), borrowed(offsets), borrowed(flags), borrowed(wp_start)
    wp_len, wp_parts, buf, scores = borrowed(wp_len), borrowed(wp_parts), borrowed(buf), borrowed(scores)
    bits, slots, entries, arena = borrowed(bits), borrowed(slots), borrowed(entries), borrowed(arena)
    codes, out_offsets = borrowed(codes), borrowed(out_offsets)
    n_flags = len(flags)
    n = 0
    for s in range(len(offsets) - 1):
        out_offsets[s] = n
        a, b = offsets[s], offsets[s + 1]
        start = -1
        fv = np.uint8(0)
        for k in range(a, b):
            w = ids[k]
            fw = flags[w] if 0 <= w < n_flags else np.uint8(0)
            if fw & CONNECTOR:
                if start < 0:
                    codes[n] = k
                    n += 1
                continue
            if start >= 0:
                e = -1
                v = ids[start]
                if w >= 0 and (fv & STARTS):
                    if k == start + 1 and (fv & fw & ONE_PART):  # the common pair
                        tag = ((np.int64(v) + 1) << 32) | (np.int64(w) + 1)
                        h = _filter_bit(tag, shift)
                        if bits[h >> 6] & (np.uint64(1) << np.uint64(h & 63)):
                            buf[0] = v
                            buf[1] = w
                            e = lookup(buf, 0, 2, slots, entries, arena)
                    else:
                        need = 0
                        for j in range(start, k + 1):
                            if ids[j] >= 0:
                                need += wp_len[ids[j]]
                        if need > len(buf):
                            return -1 - s
                        length = _span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
                        if length > 0:
                            e = lookup(buf, 0, length, slots, entries, arena)
                if e >= 0 and scores[e] > threshold:
                    codes[n] = -(e + 1)
                    n += 1
                    start = -1
                    continue
                for j in range(start, k):
                    codes[n] = j
                    n += 1
            start = k
            fv = fw
        if start >= 0:
            for j in range(start, b):
                codes[n] = j
                n += 1
    out_offsets[len(offsets) - 1] = n
    return n


@njit(cache=True, nogil=True)
def apply_positions(ids, offsets, flags, wp_start, wp_len, wp_parts, buf, threshold, scores, bits, shift,
                    slots, entries, arena, phrase_ids):
    """:func:`apply_phrases` then :func:`codes_to_ids` in one call: (the output word ids, with a
    phrase of entry e as ``phrase_ids[e]``; the output sentence offsets), or two empty arrays
    if ``buf`` is too small."""
    codes = np.empty(len(ids), np.int64)
    out_offsets = np.empty(len(offsets), np.int64)
    n = apply_phrases(ids, offsets, flags, wp_start, wp_len, wp_parts, buf, threshold, scores, bits, shift,
                      slots, entries, arena, codes, out_offsets)
    if n < 0:
        return np.empty(0, np.int32), np.empty(0, np.int64)
    out = np.empty(n, np.int32)
    codes_to_ids(codes, n, ids, phrase_ids, out)
    return out, out_offsets


@njit(cache=True, nogil=True)
def phrase_starts(n_words, wp_start, wp_parts, n_entries, entries, arena):
    """starts_phrase[w]: word w's first part is the first part of some key of the table."""
    first = np.zeros(max(n_words, 1), np.bool_)
    for e in range(n_entries):
        p = _key_part(entries, arena, e, 0)
        if p < len(first):
            first[p] = True
    out = np.zeros(n_words, np.bool_)
    for w in range(n_words):
        out[w] = first[wp_parts[wp_start[w]]]
    return out


@njit(cache=True, nogil=True)
def codes_to_ids(codes, n, ids, phrase_ids, out):
    """Output word ids of :func:`apply_phrases`' codes: the input id, or ``phrase_ids[entry]``."""
    for i in range(n):
        c = codes[i]
        out[i] = ids[c] if c >= 0 else phrase_ids[-c - 1]


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
        if k < 0 or (k & _LOW32) == 0:  # a longer key, or a unigram
            continue
        if _w2p_joins(entries[e, 1], counts[(k >> 32) - 1], counts[(k & _LOW32) - 1], min_count, tw, thr):
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
            length = _span_key(key, 0, 2, wp_start, wp_len, wp_parts, buf)
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


# ---- writing text -----------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def pad_words8(word_bytes, starts, lengths):
    """Words as little-endian uint64 chunks, each word starting a chunk (zero padded): the form
    :func:`write_phrased` appends 8 bytes at a time. Returns (chunks, first chunk of each word)."""
    first = np.empty(len(lengths), np.int64)
    n = 0
    for w in range(len(lengths)):
        first[w] = n
        n += (lengths[w] + 7) // 8
    chunks = np.zeros(n, np.uint64)
    for w in range(len(lengths)):
        s, c = starts[w], first[w] * 8
        for j in range(lengths[w]):
            k = c + j
            chunks[k // 8] |= np.uint64(word_bytes[s + j]) << np.uint64(8 * (k % 8))
    return chunks, first


@njit(cache=True, nogil=True, inline="always")
def _copy_word(buf, pos, chunks, rec, w):
    """Copy word w to buf[pos:] (``rec[w]``: its first chunk, and first chunk index << 32 | byte
    length), 8 bytes a store: the zero padding lands past its end, where the next bytes overwrite
    it. Returns the end."""
    length = np.int64(rec[w, 1] & np.uint64(0xFFFFFFFF))
    store_u64(buf, pos, rec[w, 0])
    if length > 8:
        c = np.int64(rec[w, 1] >> np.uint64(32)) + 1
        for k in range(8, length, 8):
            store_u64(buf, pos + k, chunks[c])
            c += 1
    return pos + length


@njit(cache=True, nogil=True)
def write_phrased(codes, n_codes, ids, out_offsets, word_chunks, word_rec, phrase_chunks, phrase_rec, out):
    """:func:`apply_phrases`' output as text, tokens joined by ' ', one sentence per line: code
    k >= 0 is the word ids[k], -(e + 1) phrase e (chunks and records of a
    :class:`w2v.ngrams.WordBytes`). ``out`` is uint64 (at least the text's bytes / 8 + 2 items: a
    word's last store may reach 7 bytes past the text; read it as bytes). Each token is written
    with the space after it, a sentence's last space becomes its newline: this is the
    file-to-file path's inner loop. Returns the number of bytes written."""
    # arguments borrowed (the byte view too: it lives on out's memory): no atomic reference counting
    # in the loop (see kernels.borrow)
    codes, ids, out_offsets, buf = borrowed(codes), borrowed(ids), borrowed(out_offsets), borrowed(out.view(np.uint8))
    word_chunks, word_rec = borrowed(word_chunks), borrowed(word_rec)
    phrase_chunks, phrase_rec = borrowed(phrase_chunks), borrowed(phrase_rec)
    pos = 0
    for s in range(len(out_offsets) - 1):
        a, b = out_offsets[s], out_offsets[s + 1]
        for i in range(a, b):
            c = codes[i]
            if c >= 0:
                pos = _copy_word(buf, pos, word_chunks, word_rec, ids[c])
            else:
                pos = _copy_word(buf, pos, phrase_chunks, phrase_rec, -c - 1)
            buf[pos] = 32
            pos += 1
        if b > a:
            buf[pos - 1] = 10
        else:
            buf[pos] = 10
            pos += 1
    return pos


@njit(cache=True, nogil=True)
def write_word2phrase(ids, ends, joins, word_chunks, word_rec, out):
    """word2phrase.c's output layout: every token preceded by ' ' (or by '_' where it was joined
    to the previous one), '\n' where a line ends; a word is copied 8 bytes a store from its
    :class:`w2v.ngrams.WordBytes` record (``out``, uint8, has 8 bytes of slack past the text).
    Returns the number of bytes written."""
    # arguments borrowed: no atomic reference counting in the loop (see kernels.borrow)
    ids, ends, joins, out = borrowed(ids), borrowed(ends), borrowed(joins), borrowed(out)
    word_chunks, word_rec = borrowed(word_chunks), borrowed(word_rec)
    n = 0
    j = 0
    for k in range(len(ids)):
        while j < len(ends) and ends[j] <= k:
            out[n] = 10
            n += 1
            j += 1
        out[n] = 95 if joins[k] else 32
        n = _copy_word(out, n + 1, word_chunks, word_rec, ids[k])
    while j < len(ends):
        out[n] = 10
        n += 1
        j += 1
    return n


@njit(cache=True, nogil=True)
def remap_ids(lookup_table, ids):
    """ids[k] = lookup_table[ids[k]], in place."""
    for k in range(len(ids)):
        ids[k] = lookup_table[ids[k]]
