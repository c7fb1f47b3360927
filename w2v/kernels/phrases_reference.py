"""Plain-Python references for :mod:`w2v.kernels.phrases` and :mod:`w2v.classes`, for tests only.

Each follows its original line by line (gensim's ``Phrases._learn_vocab`` / ``analyze_sentence``,
word2phrase.c's ``LearnVocabFromTrainFile`` / ``TrainModel``, word2vec.c's k-means) over plain
lists and dicts, so a kernel can be checked against code whose correctness is easy to read.
"""
from __future__ import annotations

import math

import numpy as np


def count_ngrams(sentences, connectors=frozenset(), max_vocab_size=40_000_000):
    """gensim's counting over token lists: ({key tuple: count} in insertion order, min_reduce, words)."""
    vocab: dict[tuple, int] = {}
    min_reduce, total = 1, 0
    for sentence in sentences:
        start, between = None, []
        for word in sentence:
            if word not in connectors:
                vocab[(word,)] = vocab.get((word,), 0) + 1
                if start is not None:
                    key = (start, *between, word)
                    vocab[key] = vocab.get(key, 0) + 1
                start, between = word, []
            elif start is not None:
                between.append(word)
            total += 1
        if len(vocab) > max_vocab_size:
            for key in [k for k, c in vocab.items() if c < min_reduce]:
                del vocab[key]
            min_reduce += 1
    return vocab, min_reduce, total


def original_score(ca, cb, cab, len_vocab, min_count):
    return (cab - min_count) / float(ca * cb) * len_vocab


def apply_phrases(sentence, phrases: dict, connectors=frozenset()):
    """gensim's analyze_sentence with a {key tuple: score} of phrases: the output tokens (tuples for phrases)."""
    out, start, between = [], None, []
    for word in sentence:
        if word not in connectors:
            if start is not None:
                key = (start, *between, word)
                if key in phrases:
                    out.append(key)
                    start, between = None, []
                    continue
                out.append(start)
                out.extend(between)
            start, between = word, []
        elif start is not None:
            between.append(word)
        else:
            out.append(word)
    if start is not None:
        out.append(start)
        out.extend(between)
    return out


MIX = 0x9E3779B97F4A7C15


def word_flags(is_conn, starts_phrase, wp_len) -> np.ndarray:
    """numpy: kernels.phrases.word_flags (bit 1 connector, 2 begins a phrase, 4 one part)."""
    n = len(wp_len)
    conn = np.zeros(n, bool)
    conn[:len(is_conn)] = is_conn[:n]
    starts = np.zeros(n, bool)
    starts[:len(starts_phrase)] = starts_phrase[:n]
    return (conn * 1 + starts * 2 + (np.asarray(wp_len) == 1) * 4).astype(np.uint8)


def pair_filter(keys: np.ndarray, log_bits: int) -> np.ndarray:
    """numpy: kernels.phrases.pair_filter of a table whose entries have ``keys``: the bit of
    each key of two ids (``(a + 1) << 32 | (b + 1)``), the top ``log_bits`` bits of key * MIX."""
    keys = np.asarray(keys, np.int64)
    two = keys[(keys >= 0) & ((keys & 0xFFFFFFFF) != 0)].astype(np.uint64)
    with np.errstate(over="ignore"):
        bit = (two * np.uint64(MIX)) >> np.uint64(64 - log_bits)
    bits = np.zeros(1 << log_bits, bool)
    bits[bit.astype(np.int64)] = True
    return np.packbits(bits, bitorder="little").view(np.uint64)


def slot_fingerprint(key: int, n_slots: int) -> int:
    """Python: the bits a hash-table slot keeps beside its entry index (kernels.phrases.table._fingerprint)."""
    return ((key * MIX) % (1 << 64)) >> 33 & ~(n_slots - 1)


def word2phrase(lines, min_count=5, threshold=100.0) -> str:
    """word2phrase.c's output for a text given as lists of tokens per line (file ends with '\\n')."""
    counts: dict[str, int] = {}
    last = None
    train_words = 0
    for line in lines:
        for word in line:
            train_words += 1
            counts[word] = counts.get(word, 0) + 1
            if last is not None:
                bigram = last + "_" + word
                counts[bigram] = counts.get(bigram, 0) + 1
            last = word

    def found(s):
        c = counts.get(s, 0)
        return c if c >= min_count else None

    out = []
    f32 = np.float32
    for line in lines:
        pa, prev = 0, None
        for word in line:
            pb = found(word)
            join = False
            if prev is not None and found(prev) is not None and pb is not None and pa >= min_count:
                pab = found(prev + "_" + word)
                if pab is not None:
                    with np.errstate(divide="ignore"):
                        score = f32(pab - min_count) / f32(pa) / f32(pb) * f32(train_words)
                    join = bool(score > f32(threshold))
            out.append(("_" if join else " ") + word)
            pa = 0 if join else (pb or 0)
            prev = word
        out.append("\n")
    return "".join(out)


def kmeans_word2vec_c(vectors: np.ndarray, k: int, iterations: int = 10) -> np.ndarray:
    """word2vec.c's k-means, transcribed loop for loop (float32 ``real`` arithmetic)."""
    n, d = vectors.shape
    syn0 = vectors.astype(np.float32)
    cl = [a % k for a in range(n)]
    for _ in range(iterations):
        cent = np.zeros((k, d), np.float32)
        centcn = [1] * k
        for c in range(n):
            cent[cl[c]] += syn0[c]
            centcn[cl[c]] += 1
        for b in range(k):
            cent[b] /= np.float32(centcn[b])
            closev = np.float32(math.sqrt(float((cent[b] * cent[b]).sum())))
            with np.errstate(invalid="ignore", divide="ignore"):
                cent[b] /= closev
        for c in range(n):
            closev, closeid = -10.0, 0
            for b in range(k):
                x = float(np.dot(cent[b], syn0[c]))
                if x > closev:  # NaN (an empty class) never wins
                    closev, closeid = x, b
            cl[c] = closeid
    return np.array(cl)
