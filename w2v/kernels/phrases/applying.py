"""Applying phrases to sentences of word ids (gensim's ``analyze_sentence``): a flag byte per word
and a Bloom filter of the table's pairs in front of the table; ids mapped through a lookup table.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..borrow import borrowed
from .table import LOW32, MIX, key_part, lookup, span_key


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
    return np.int64((np.uint64(tag) * MIX) >> np.uint64(shift))


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
        if k >= 0 and (k & LOW32) != 0:
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
                        length = span_key(ids, start, k + 1, wp_start, wp_len, wp_parts, buf)
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
        p = key_part(entries, arena, e, 0)
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


@njit(cache=True, nogil=True)
def remap_ids(lookup_table, ids):
    """ids[k] = lookup_table[ids[k]], in place."""
    for k in range(len(ids)):
        ids[k] = lookup_table[ids[k]]
