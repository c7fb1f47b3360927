"""Scoring the counted n-grams (gensim's ``original_scorer`` and ``npmi_scorer``) and the unigram
counts the scores read.
"""
from __future__ import annotations

import numpy as np
from numba import njit

from .table import key_length, key_part, lookup


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
        length = key_length(entries, arena, e)
        if length < 2:
            continue
        ca = counts[key_part(entries, arena, e, 0)]
        cb = counts[key_part(entries, arena, e, length - 1)]
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
