"""Character n-grams and their bucket ids, exactly as gensim 4 and Facebook's fastText compute them.

A word is wrapped as ``<word>``, encoded as UTF-8, and every run of ``min_n`` to ``max_n``
*characters* (not bytes: a run never starts or ends inside a multi-byte character) is an n-gram,
except the lone ``<`` and ``>``. Each n-gram's bytes are hashed with fastText's FNV-1a variant, in
which every byte is sign-extended from a C ``char`` before the xor (so bytes >= 0x80 differ from
plain FNV-1a), and the hash modulo ``bucket`` is the row of ``vectors_ngrams``. Getting any of this
different would make vectors and files move between w2v, gensim and fastText with the wrong rows.

Two forms: plain Python functions for one word (gensim's names: ``ft_hash_bytes``,
``compute_ngrams``, ``compute_ngrams_bytes``, ``ft_ngram_hashes``), and :func:`ngram_buckets`,
which computes every vocabulary word's bucket ids at once in a numba loop, as the CSR arrays the
training kernels gather rows by.
"""
from __future__ import annotations

import numpy as np
from numba import njit

FNV_OFFSET = 2166136261
FNV_PRIME = 16777619
_MASK32 = 0xFFFFFFFF
_UTF8_CONTINUATION_MASK = 0xC0
_UTF8_CONTINUATION = 0x80


def ft_hash_bytes(bytez: bytes) -> int:
    """fastText's hash of ``bytez`` (UTF-8): FNV-1a over bytes sign-extended as C ``char``."""
    h = FNV_OFFSET
    for b in bytez:
        h = ((h ^ (b | 0xFFFFFF00 if b >= 0x80 else b)) * FNV_PRIME) & _MASK32
    return h


def compute_ngrams(word: str, min_n: int, max_n: int) -> list[str]:
    """The character n-grams of ``<word>`` by code point (gensim's ``compute_ngrams``)."""
    extended = f"<{word}>"
    return [extended[i:i + n] for n in range(min_n, min(len(extended), max_n) + 1)
            for i in range(len(extended) - n + 1)]


def compute_ngrams_bytes(word: str, min_n: int, max_n: int) -> list[bytes]:
    """The n-grams fastText hashes: UTF-8 byte strings, in fastText's order (by start, then length)."""
    data = f"<{word}>".encode("utf-8")
    size = len(data)
    out = []
    for i in range(size):
        if data[i] & _UTF8_CONTINUATION_MASK == _UTF8_CONTINUATION:
            continue
        j, n = i, 1
        while j < size and n <= max_n:
            j += 1
            while j < size and data[j] & _UTF8_CONTINUATION_MASK == _UTF8_CONTINUATION:
                j += 1
            if n >= min_n and not (n == 1 and (i == 0 or j == size)):
                out.append(data[i:j])
            n += 1
    return out


def ft_ngram_hashes(word: str, minn: int, maxn: int, num_buckets: int) -> list[int]:
    """Bucket ids of ``word``'s n-grams (gensim's ``ft_ngram_hashes``; repeats kept)."""
    return [ft_hash_bytes(g) % num_buckets for g in compute_ngrams_bytes(word, minn, maxn)]


@njit(cache=True, inline="always")
def _hash_range(data, start, end):
    h = np.uint64(FNV_OFFSET)
    for k in range(start, end):
        b = np.uint64(data[k])
        if b >= 0x80:                           # C char: sign-extended to 32 bits
            b |= np.uint64(0xFFFFFF00)
        h = ((h ^ b) * np.uint64(FNV_PRIME)) & np.uint64(_MASK32)
    return h


@njit(cache=True)
def _word_buckets(data, start, end, min_n, max_n, bucket, out, pos):
    """Write the bucket ids of the wrapped word ``data[start:end]`` (``<...>``) at ``out[pos:]``;
    return the new end (with ``out`` of length 0, only count)."""
    for i in range(start, end):
        if (data[i] & 0xC0) == 0x80:
            continue
        j = i
        n = 1
        while j < end and n <= max_n:
            j += 1
            while j < end and (data[j] & 0xC0) == 0x80:
                j += 1
            if n >= min_n and not (n == 1 and (i == start or j == end)):
                if len(out) > 0:
                    out[pos] = np.int32(_hash_range(data, i, j) % np.uint64(bucket))
                pos += 1
            n += 1
    return pos


@njit(cache=True, nogil=True)
def _all_buckets(data, word_starts, min_n, max_n, bucket, starts, out):
    """Bucket ids of every word: counts into ``starts`` when ``out`` is empty, else the ids."""
    n_words = len(word_starts) - 1
    pos = 0
    for w in range(n_words):
        starts[w] = pos
        pos = _word_buckets(data, word_starts[w], word_starts[w + 1], min_n, max_n, bucket, out, pos)
    starts[n_words] = pos
    return pos


def ngram_buckets(words, min_n: int, max_n: int, bucket: int) -> tuple[np.ndarray, np.ndarray]:
    """Every word's n-gram bucket ids as CSR arrays ``(starts int64 (V+1,), ids int32)``.

    Word ``w``'s ids are ``ids[starts[w]:starts[w + 1]]``, in :func:`ft_ngram_hashes`' order. With
    ``bucket == 0`` or ``max_n < min_n`` no word has n-grams (gensim's rule). Keys that are not
    strings (gensim allows int keys) are hashed by their ``str()``.
    """
    n = len(words)
    starts = np.zeros(n + 1, np.int64)
    if bucket <= 0 or max_n < min_n or n == 0:
        return starts, np.zeros(0, np.int32)
    encoded = [f"<{w}>".encode("utf-8") for w in words]
    lengths = np.fromiter((len(b) for b in encoded), np.int64, n)
    word_starts = np.zeros(n + 1, np.int64)
    np.cumsum(lengths, out=word_starts[1:])
    data = np.frombuffer(b"".join(encoded), np.uint8)
    total = _all_buckets(data, word_starts, min_n, max_n, bucket, starts, np.zeros(0, np.int32))
    ids = np.empty(total, np.int32)
    _all_buckets(data, word_starts, min_n, max_n, bucket, starts, ids)
    return starts, ids
