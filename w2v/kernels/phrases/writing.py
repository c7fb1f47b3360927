"""Writing phrased text: words as zero-padded 8-byte chunks, copied 8 bytes a store into the output.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from ..borrow import borrowed
from ..unaligned import store_u64


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
