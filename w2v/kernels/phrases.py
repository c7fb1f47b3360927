"""Numba kernels for phrase detection: n-gram counting, pruning, and applying phrases over word ids.

gensim's ``Phrases`` keeps one dict of strings (unigrams and delimiter-joined bigrams) and makes a
Python call per token. Here the same counts live in one open-addressing hash table keyed by
*id sequences*: a unigram is the key ``(a,)``, a bigram with connector words in between is
``(a, c1, ..., ck, b)``. Keys are stored in a flat int32 arena, so the table never holds a Python
object, and gensim's memory bound (prune every entry rarer than ``min_reduce`` when the table
outgrows ``max_vocab_size``) is applied to the same entries in the same order.

Table layout (all numpy arrays, owned by :class:`w2v.phrases.NgramTable`):

* ``slots`` int64[2^k, 2]: (tag, entry index or -1), open addressing with linear probing; a key
  of one or two ids *is* its tag, so finding it touches one slot row and no entry array;
* per entry: ``ehash`` int64 (its tag), ``estart`` int64 (into ``arena``), ``elen`` int32, ``ecount`` int64;
* ``arena`` int32: the keys, one after another, in first-seen order;
* ``state`` int64: [entries, arena used, min_reduce, corpus words, prunes].

Kernels that may add entries stop *before* a sentence that could overflow the arrays and return
its index; the Python side grows the arrays and calls again. Pure numpy/Python references for
tests are in :mod:`w2v.kernels.phrases_reference`.
"""
from __future__ import annotations

import numpy as np
from numba import njit

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)

N_ENTRIES, ARENA_USED, MIN_REDUCE, WORDS, PRUNES = 0, 1, 2, 3, 4


_MIX = np.uint64(0x9E3779B97F4A7C15)
_LONG_KEY = np.uint64(1) << np.uint64(63)


@njit(cache=True, nogil=True, inline="always")
def _hash(seq, start, length):
    """The key's 64-bit tag: the key itself, packed, for one or two ids (the common case: a word,
    a pair), so probing never leaves the slot row; an FNV hash with the top bit set otherwise."""
    if length == 1:
        return (np.int64(seq[start]) + 1) << 32
    if length == 2:
        return ((np.int64(seq[start]) + 1) << 32) | (np.int64(seq[start + 1]) + 1)
    h = _FNV_OFFSET
    for k in range(start, start + length):
        v = np.uint64(np.uint32(seq[k]))
        h = (h ^ (v & np.uint64(0xFFFF))) * _FNV_PRIME
        h = (h ^ (v >> np.uint64(16))) * _FNV_PRIME
    return np.int64(h | _LONG_KEY)


@njit(cache=True, nogil=True, inline="always")
def _slot(tag, mask):
    return np.int64(((np.uint64(tag) * _MIX) >> np.uint64(29)) & np.uint64(mask))


@njit(cache=True, nogil=True, inline="always")
def _find(seq, start, length, h, slots, ehash, estart, elen, arena):
    """(slot, entry) of the key seq[start:start+length] with tag h; entry -1 (and the free slot)
    if absent. ``slots[p]`` = (tag, entry): a packed tag is the key, so only long keys are
    compared in the arena."""
    mask = len(slots) - 1
    p = _slot(h, mask)
    while True:
        e = slots[p, 1]
        if e < 0:
            return p, -1
        if slots[p, 0] == h:
            if h >= 0:
                return p, e
            if elen[e] == length:
                s = estart[e]
                same = True
                for k in range(length):
                    if arena[s + k] != seq[start + k]:
                        same = False
                        break
                if same:
                    return p, e
        p = (p + 1) & mask


@njit(cache=True, nogil=True, inline="always")
def _add(seq, start, length, count, slots, ehash, estart, elen, ecount, arena, state):
    h = _hash(seq, start, length)
    p, e = _find(seq, start, length, h, slots, ehash, estart, elen, arena)
    if e >= 0:
        ecount[e] += count
        return e
    e = state[N_ENTRIES]
    state[N_ENTRIES] = e + 1
    slots[p, 0] = h
    slots[p, 1] = e
    ehash[e] = h
    s = state[ARENA_USED]
    estart[e] = s
    elen[e] = length
    ecount[e] = count
    for k in range(length):
        arena[s + k] = seq[start + k]
    state[ARENA_USED] = s + length
    return e


@njit(cache=True, nogil=True)
def lookup(seq, start, length, slots, ehash, estart, elen, arena):
    """Entry index of the key seq[start:start+length], or -1."""
    h = _hash(seq, start, length)
    return _find(seq, start, length, h, slots, ehash, estart, elen, arena)[1]


@njit(cache=True, nogil=True)
def hash_keys(n_entries, estart, elen, arena, ehash):
    for e in range(n_entries):
        ehash[e] = _hash(arena, estart[e], elen[e])


@njit(cache=True, nogil=True)
def rebuild_slots(n_entries, ehash, size):
    """A fresh (size, 2) slot array for entries 0..n_entries-1 (``size`` a power of two)."""
    slots = np.full((size, 2), -1, np.int64)
    mask = size - 1
    for e in range(n_entries):
        p = _slot(ehash[e], mask)
        while slots[p, 1] >= 0:
            p = (p + 1) & mask
        slots[p, 0] = ehash[e]
        slots[p, 1] = e
    return slots


@njit(cache=True, nogil=True)
def prune(min_reduce, slots, ehash, estart, elen, ecount, arena, state):
    """gensim's ``prune_vocab``: drop every entry counted fewer than ``min_reduce`` times, keeping
    the survivors' order (and compacting the arena); rebuild the hash slots."""
    n = 0
    used = 0
    for e in range(state[N_ENTRIES]):
        if ecount[e] < min_reduce:
            continue
        s, length = estart[e], elen[e]
        for k in range(length):
            arena[used + k] = arena[s + k]
        ehash[n] = ehash[e]
        estart[n] = used
        elen[n] = length
        ecount[n] = ecount[e]
        used += length
        n += 1
    state[N_ENTRIES] = n
    state[ARENA_USED] = used
    slots[:] = rebuild_slots(n, ehash, len(slots))


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
def count_ngrams(ids, offsets, first, is_conn, wp_start, wp_len, wp_parts, buf, word_entry, max_vocab_size,
                 slots, ehash, estart, elen, ecount, arena, state):
    """gensim's ``Phrases._learn_vocab`` over sentences ``first..`` of (ids, offsets).

    Every non-connector word counts as a unigram and, with the previous non-connector word of its
    sentence (and the connector words between them), as an n-gram; all words count towards the
    corpus size; after each sentence the table is pruned if it outgrew ``max_vocab_size``.
    Keys are sequences of *parts* (a word split at the delimiter), so two spans whose
    delimiter-joined strings are equal share one entry, exactly as gensim's string keys do.
    ``word_entry[w]`` caches the entry of a one-part word's unigram (-1: not known yet), so most
    unigrams are counted without probing the hash table; it is reset whenever entries move.
    Returns the sentence it stopped before (len(offsets) - 1 when done; earlier when the arrays
    might not hold the next sentence's new entries: grow them and call again).
    """
    n_sent = len(offsets) - 1
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    for s in range(first, n_sent):
        a, b = offsets[s], offsets[s + 1]
        n = b - a
        parts = 0
        for k in range(a, b):
            parts += wp_len[ids[k]]
        if (state[N_ENTRIES] + 2 * n > limit or state[N_ENTRIES] + 2 * n > len(ehash)
                or state[ARENA_USED] + 3 * parts > len(arena) or parts > len(buf)):
            return s
        start = -1
        for k in range(a, b):
            w = ids[k]
            if not is_conn[w]:
                e = word_entry[w]
                if e >= 0:
                    ecount[e] += 1
                else:
                    e = _add(wp_parts, wp_start[w], wp_len[w], 1, slots, ehash, estart, elen, ecount, arena, state)
                    if wp_len[w] == 1:
                        word_entry[w] = e
                if start >= 0:
                    length = _span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
                    _add(buf, 0, length, 1, slots, ehash, estart, elen, ecount, arena, state)
                start = k
        state[WORDS] += n
        if state[N_ENTRIES] > max_vocab_size:
            prune(state[MIN_REDUCE], slots, ehash, estart, elen, ecount, arena, state)
            state[MIN_REDUCE] += 1
            state[PRUNES] += 1
            word_entry[:] = -1
    return n_sent


@njit(cache=True, nogil=True)
def merge_tables(first, o_estart, o_elen, o_ecount, o_arena, o_n, slots, ehash, estart, elen, ecount,
                 arena, state):
    """Add the entries ``first..o_n`` of another table into this one (gensim's add_vocab merge);
    return where it stopped (o_n, or earlier when this table must grow)."""
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    for e in range(first, o_n):
        if (state[N_ENTRIES] + 1 > limit or state[N_ENTRIES] + 1 > len(ehash)
                or state[ARENA_USED] + o_elen[e] > len(arena)):
            return e
        _add(o_arena, o_estart[e], o_elen[e], o_ecount[e], slots, ehash, estart, elen, ecount, arena, state)
    return o_n


@njit(cache=True, nogil=True)
def count_pairs_stream(ids, prev, wp_start, wp_len, wp_parts, slots, ehash, estart, elen, ecount, arena,
                       state):
    """word2phrase's counting: every word, and every consecutive pair of the stream, line ends
    included (its ``start`` flag is reset before it is tested), in one table as word2phrase's
    single hash of strings. ``prev`` is the last id of the previous block (-1 at the start).
    Returns how many ids were consumed (len(ids), or fewer if the table must grow)."""
    limit = (len(slots) * 7) // 10  # load factor up to 0.7 (see NgramTable.grow)
    pair = np.empty(2, np.int32)
    buf = np.empty(64, np.int32)
    for k in range(len(ids)):
        w = ids[k]
        p = prev if k == 0 else ids[k - 1]
        need = wp_len[w] + (wp_len[p] if p >= 0 else 0)
        if state[N_ENTRIES] + 2 > limit or state[N_ENTRIES] + 2 > len(ehash) \
                or state[ARENA_USED] + 2 * need > len(arena):
            return k
        _add(wp_parts, wp_start[w], wp_len[w], 1, slots, ehash, estart, elen, ecount, arena, state)
        if p >= 0:
            pair[0] = p
            pair[1] = w
            if need > len(buf):
                buf = np.empty(2 * need, np.int32)
            length = _span_key(pair, 0, 2, wp_start, wp_len, wp_parts, buf)
            _add(buf, 0, length, 1, slots, ehash, estart, elen, ecount, arena, state)
        state[WORDS] += 1
    return len(ids)


# ---- scoring ----------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def word_counts(n_words, wp_start, wp_len, wp_parts, slots, ehash, estart, elen, ecount, arena):
    """count[w] of every word id < n_words: the count of its own key (its parts), 0 if absent."""
    counts = np.zeros(n_words, np.int64)
    for w in range(n_words):
        e = lookup(wp_parts, wp_start[w], wp_len[w], slots, ehash, estart, elen, arena)
        if e >= 0:
            counts[w] = ecount[e]
    return counts


@njit(cache=True, nogil=True, error_model="numpy")
def score_ngrams(n_entries, estart, elen, ecount, arena, counts, scoring, min_count, len_vocab,
                 corpus_words):
    """Score every entry of two or more parts like gensim's ``export_phrases``, which splits the
    joined string at the delimiter and scores it with the counts of its first and last pieces
    (``counts``, per part id); -inf for single parts and when a count is 0.
    ``scoring`` 0 = original_scorer, 1 = npmi."""
    scores = np.full(n_entries, -np.inf)
    for e in range(n_entries):
        length = elen[e]
        if length < 2:
            continue
        ca = counts[arena[estart[e]]]
        cb = counts[arena[estart[e] + length - 1]]
        cab = ecount[e]
        if ca <= 0 or cb <= 0 or cab <= 0:
            continue
        if scoring == 0:
            denom = ca * cb
            scores[e] = np.float64(cab - min_count) / np.float64(denom) * np.float64(len_vocab)
        elif cab >= min_count:
            n = np.float64(corpus_words)
            pa = ca / n
            pb = cb / n
            pab = cab / n
            ratio = pab / (pa * pb)
            if ratio > 0.0 and pab > 0.0 and pab != 1.0:
                scores[e] = np.log(ratio) / -np.log(pab)
    return scores


# ---- applying ---------------------------------------------------------------------------------

@njit(cache=True, nogil=True)
def apply_phrases(ids, offsets, is_conn, wp_start, wp_len, wp_parts, buf, threshold, scores, slots,
                  ehash, estart, elen, arena, codes, out_offsets):
    """gensim's ``analyze_sentence`` over word ids; ids < 0 are words the model does not know.

    Writes one code per output token: k >= 0 is input position k unchanged, -(e + 1) is the
    phrase of table entry e (which replaced the input tokens it spans). ``out_offsets`` gets the
    output sentence offsets. Returns the number of output tokens, or -1 - s if sentence s needs a
    larger ``buf`` (the concatenated parts of a candidate span).
    """
    n_conn = len(is_conn)
    n = 0
    for s in range(len(offsets) - 1):
        out_offsets[s] = n
        a, b = offsets[s], offsets[s + 1]
        start = -1
        for k in range(a, b):
            w = ids[k]
            if 0 <= w < n_conn and is_conn[w]:
                if start < 0:
                    codes[n] = k
                    n += 1
                continue
            if start >= 0:
                e = -1
                if w >= 0 and ids[start] >= 0:
                    need = 0
                    for j in range(start, k + 1):
                        if ids[j] >= 0:
                            need += wp_len[ids[j]]
                    if need > len(buf):
                        return -1 - s
                    length = _span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
                    if length > 0:
                        e = lookup(buf, 0, length, slots, ehash, estart, elen, arena)
                if e >= 0 and scores[e] > threshold:
                    codes[n] = -(e + 1)
                    n += 1
                    start = -1
                    continue
                for j in range(start, k):
                    codes[n] = j
                    n += 1
            start = k
        if start >= 0:
            for j in range(start, b):
                codes[n] = j
                n += 1
    out_offsets[len(offsets) - 1] = n
    return n


@njit(cache=True, nogil=True)
def codes_to_ids(codes, n, ids, phrase_ids, out):
    """Output word ids of :func:`apply_phrases`' codes: the input id, or ``phrase_ids[entry]``."""
    for i in range(n):
        c = codes[i]
        out[i] = ids[c] if c >= 0 else phrase_ids[-c - 1]


@njit(cache=True, nogil=True, error_model="numpy")
def word2phrase_joins(ids, ends, carry, counts, wp_start, wp_len, wp_parts, min_count, threshold,
                      train_words, slots, ehash, estart, elen, ecount, arena, joins):
    """word2phrase.c's TrainModel decision for every token of a block: joins[k] = 1 when token k
    is glued to token k-1 with '_'. ``ends`` are the positions where lines end (a line ends before
    token ``ends[j]``); ``carry`` = [previous id or -1 at a line start, its count ``pa``] links
    blocks. Scores are computed in float32 like word2phrase (its ``real`` is float)."""
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
        if prev >= 0 and counts[prev] >= min_count and pb >= min_count and pa >= min_count:
            key[0] = prev
            key[1] = w
            need = wp_len[prev] + wp_len[w]
            if need > len(buf):
                buf = np.empty(2 * need, np.int32)
            length = _span_key(key, 0, 2, wp_start, wp_len, wp_parts, buf)
            e = lookup(buf, 0, length, slots, ehash, estart, elen, arena)
            if e >= 0 and ecount[e] >= min_count:
                score = np.float32(ecount[e] - min_count) / np.float32(pa) / np.float32(pb) * tw
                if score > thr:
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
def write_lines(ids, offsets, word_bytes, starts, lengths, out):
    """Tokens joined by ' ', one sentence per line (the layout gensim's LineSentence reads back).
    Returns the number of bytes written (``out`` must be large enough)."""
    n = 0
    for s in range(len(offsets) - 1):
        for k in range(offsets[s], offsets[s + 1]):
            if k > offsets[s]:
                out[n] = 32
                n += 1
            w = ids[k]
            b = starts[w]
            for j in range(lengths[w]):
                out[n] = word_bytes[b + j]
                n += 1
        out[n] = 10
        n += 1
    return n


@njit(cache=True, nogil=True)
def write_word2phrase(ids, ends, joins, word_bytes, starts, lengths, out):
    """word2phrase.c's output layout: every token preceded by ' ' (or by '_' where it was joined
    to the previous one), '\n' where a line ends. Returns the number of bytes written."""
    n = 0
    j = 0
    for k in range(len(ids)):
        while j < len(ends) and ends[j] <= k:
            out[n] = 10
            n += 1
            j += 1
        out[n] = 95 if joins[k] else 32
        n += 1
        w = ids[k]
        b = starts[w]
        for i in range(lengths[w]):
            out[n] = word_bytes[b + i]
            n += 1
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
