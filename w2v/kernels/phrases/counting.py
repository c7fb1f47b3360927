"""Counting n-grams into the table: gensim's ``learn_vocab`` over word ids, in one pass or a stream
of blocks, and the merge of several threads' tables.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..borrow import borrowed
from ..prefetch import prefetch_item, prefetch_row
from .table import (
    ARENA_USED, MIN_REDUCE, MIX, N_ENTRIES, PRUNES, WORDS, add_key, home_slot, key_length, key_part, prune,
    span_key,
)

#: how many tokens ahead count_ngrams asks for a pair's slot, then (half as far) for its entry
SLOT_AHEAD, ENTRY_AHEAD = 16, 8


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
        prefetch_item(slots, home_slot(tag, mask))
    if j + ENTRY_AHEAD < n:
        tag = ((np.int64(ids[j + ENTRY_AHEAD - 1]) + 1) << 32) | (np.int64(ids[j + ENTRY_AHEAD]) + 1)
        e = slots[home_slot(tag, mask)]
        if e >= 0:
            prefetch_row(entries, e & mask)


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
    q = np.int64((np.uint64(tag) * MIX) >> np.uint64(40)) & (len(pair_cache) - 1)
    if pair_cache[q, 0] == tag:
        pair_cache[q, 2] += 1
        return
    if pair_cache[q, 0] >= 0 and pair_cache[q, 2] > 0:
        entries[pair_cache[q, 1], 1] += pair_cache[q, 2]
    buf[0] = v
    buf[1] = w
    pair_cache[q, 0] = tag
    pair_cache[q, 1] = add_key(buf, 0, 2, 1, slots, entries, arena, state)
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

    Arguments (``W`` words in the word index; the table's layout is :mod:`w2v.kernels.phrases`'):

    * ``ids`` int32 (tokens,), ``offsets`` int64 (sentences + 1,): the sentences (ids < 0: unknown);
    * ``first``: int, the sentence to start at;
    * ``is_conn`` bool (<= W,): connector words (a word past its end is none);
    * ``wp_start`` int64 (W,), ``wp_len`` int32 (W,), ``wp_parts`` int32: word w's parts are
      ``wp_parts[wp_start[w]:wp_start[w] + wp_len[w]]``;
    * ``buf`` int32: room for the parts of the longest sentence;
    * ``word_entry`` int64 (W, 2), ``pair_cache`` int64 (2^k, 3): unigram and pair counts held back;
    * ``max_vocab_size``: int; ``settle``: bool, flush the held counts before returning;
    * ``slots`` int32, ``entries`` int64 (capacity, 2), ``arena`` int32, ``state`` int64 (5,): the table.
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
                    e = add_key(wp_parts, wp_start[w], wp_len[w], 1, slots, entries, arena, state)
                    if wp_len[w] == 1:
                        word_entry[w, 0] = e
                if start >= 0:
                    if k == start + 1 and wp_len[w] == 1 and wp_len[ids[start]] == 1:  # the common pair
                        _count_pair(ids[start], w, buf, pair_cache, slots, entries, arena, state)
                    else:
                        length = span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
                        add_key(buf, 0, length, 1, slots, entries, arena, state)
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
        length = key_length(o_entries, o_arena, e)
        if (state[N_ENTRIES] + 1 > limit or state[N_ENTRIES] + 1 > len(entries)
                or state[ARENA_USED] + length + 1 > len(arena) or length > len(buf)):
            return e
        for j in range(length):
            buf[j] = key_part(o_entries, o_arena, e, j)
        add_key(buf, 0, length, o_entries[e, 1], slots, entries, arena, state)
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
            add_key(wp_parts, wp_start[w], wp_len[w], 1, slots, entries, arena, state)
        if p >= 0:
            if wp_len[p] == 1 and wp_len[w] == 1:
                _count_pair(p, w, buf, pair_cache, slots, entries, arena, state)
            else:
                pair[0] = p
                pair[1] = w
                length = span_key(pair, 0, 2, wp_start, wp_len, wp_parts, buf)
                add_key(buf, 0, length, 1, slots, entries, arena, state)
        state[WORDS] += 1
    flush_pairs(pair_cache, entries, False)
    return len(ids)


@njit(cache=True, nogil=True)
def add_unigrams(unigram, wp_start, wp_len, wp_parts, slots, entries, arena, state):
    """Add the held-back unigram counts of :func:`count_pairs_stream` (one-part words) to the
    table and zero them; the table has room for one entry per nonzero count."""
    for w in range(len(unigram)):
        if unigram[w] > 0:
            add_key(wp_parts, wp_start[w], wp_len[w], unigram[w], slots, entries, arena, state)
            unigram[w] = 0
