"""Vocabulary: which words are trained, how often each is kept, drawn as noise, and its Huffman code.

A :class:`Vocabulary` is built from raw counts (see :mod:`w2v.encode` for the scan that produces
them) and then supplies the per-word tables the kernels need, all as flat numpy arrays:

* ``keep_thresholds(sample)``: word2vec.c/gensim's subsampling keep-probability, as a uint32
  threshold so the kernel compares it with one random integer;
* ``noise_table(ns_exponent)``: an alias table over ``count**ns_exponent`` for O(1) negative draws
  (gensim bisects a cumulative table, word2vec.c indexes a 100M-entry unigram table);
* ``huffman()``: codes and inner-node points for hierarchical softmax, built as word2vec.c does.
"""
from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from ._fileutil import atomic_write
from .corpus import bad_token

MAX_CODE_LENGTH = 64
#: vocabularies up to this size build their alias table and Huffman tree with the plain-Python
#: statement of the numba function (``.py_func``, same arithmetic, same result): a few ms, where
#: loading the cached machine code costs ~25 ms of CPU in a fresh process (graph embeddings fit
#: vocabularies of a few dozen nodes, in many short-lived processes)
SMALL_TABLE = 1000


@dataclass
class Vocabulary:
    """Words sorted by descending count (ties keep first-seen order), with their counts."""

    words: list[str]
    counts: np.ndarray
    word_to_id: dict = field(init=False, repr=False)

    def __post_init__(self):
        self.counts = np.asarray(self.counts, dtype=np.int64)
        if len(self.words) != len(self.counts):
            raise ValueError(f"{len(self.words)} words but {len(self.counts)} counts")
        self.word_to_id = {w: i for i, w in enumerate(self.words)}
        if len(self.word_to_id) != len(self.words):
            raise ValueError("vocabulary has duplicate words")

    def __len__(self) -> int:
        return len(self.words)

    @property
    def total_words(self) -> int:
        """Number of corpus tokens that are in the vocabulary."""
        return int(self.counts.sum())

    @classmethod
    def from_counts(cls, words, counts, min_count: int = 5, max_final_vocab: int | None = None):
        """Keep words with count >= the effective min_count, sorted by descending count.

        Returns ``(vocabulary, kept)`` where ``kept[i]`` is the position in ``words`` of the
        vocabulary's word ``i`` (so callers can remap ids). ``max_final_vocab`` raises min_count
        just enough to keep at most that many words, exactly as gensim does.
        """
        counts = np.asarray(counts, dtype=np.int64)
        min_count = effective_min_count(counts, min_count, max_final_vocab)
        candidates = np.flatnonzero(counts >= min_count)
        order = np.argsort(-counts[candidates], kind="stable")
        kept = candidates[order]
        return cls([words[i] for i in kept], counts[kept]), kept

    def keep_thresholds(self, sample: float) -> np.ndarray:
        """Subsampling thresholds: word i is kept when a uniform uint32 draw is below ``thr[i]``.

        The keep-probability is word2vec.c's and gensim's ``(sqrt(c/t) + 1) * t/c`` with
        ``t = sample * total_words``; gensim reads ``sample >= 1`` as a count instead
        (``t = int(sample * (3 + sqrt(5)) / 2)``), and so does w2v.
        """
        counts = self.counts.astype(np.float64)
        if sample <= 0 or len(counts) == 0:
            prob = np.ones_like(counts)
        else:
            threshold = sample * counts.sum() if sample < 1.0 else float(int(sample * (3 + np.sqrt(5)) / 2))
            prob = np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)
        return np.minimum(np.round(prob * 2.0**32), 2.0**32).astype(np.uint64)

    def noise_table(self, ns_exponent: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
        """Alias table (thresholds as uint64 out of 2**32, alias ids) for ``count**ns_exponent``."""
        weights = self.counts.astype(np.float64) ** ns_exponent
        return build_alias_table(weights / weights.sum())

    def huffman(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Huffman (codes uint8 V x L, points int32 V x L, lengths int32 V) as word2vec.c builds them."""
        return build_huffman(self.counts)

    def extend(self, words: list[str], counts) -> Vocabulary:
        """A vocabulary with new words appended (online training keeps existing ids stable)."""
        return Vocabulary(list(self.words) + list(words),
                          np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)]))

    def save_word2vec_vocab(self, path: str | os.PathLike) -> None:
        """Write word2vec.c's ``-save-vocab`` format: one ``word count`` line per word."""
        with atomic_write(path, "w", encoding="utf-8", newline="\n") as f:
            f.writelines(f"{w} {c}\n" for w, c in zip(self.words, self.counts.tolist()))

    @classmethod
    def read_word2vec_vocab(cls, path: str | os.PathLike, min_count: int = 1) -> Vocabulary:
        """Read word2vec.c's ``-read-vocab`` format (``word count`` lines), re-sorted by count."""
        words, counts = [], []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                parts = line.split()
                if not parts:
                    continue
                if len(parts) != 2 or not parts[1].isdigit():
                    raise ValueError(f"{str(path)!r} line {n}: expected 'word count', got {line.strip()[:60]!r}")
                words.append(parts[0])
                counts.append(int(parts[1]))
        if len(set(words)) != len(words):
            raise ValueError(f"{str(path)!r}: a word is listed twice")
        vocab, _ = cls.from_counts(words, np.asarray(counts, dtype=np.int64), min_count)
        return vocab


def effective_min_count(counts: np.ndarray, min_count: int, max_final_vocab: int | None) -> int:
    """gensim's rule: raise min_count so that at most ``max_final_vocab`` words survive."""
    if max_final_vocab is None or max_final_vocab >= len(counts):
        return min_count
    sorted_counts = np.sort(counts)[::-1]
    return max(min_count, int(sorted_counts[max_final_vocab]) + 1)


def count_words_pruned(sentences, max_vocab_size: int) -> tuple[list[str], np.ndarray]:
    """Count words while keeping at most ``max_vocab_size`` distinct ones, as gensim's scan does.

    Whenever the table outgrows the cap, words with count < ``min_reduce`` are dropped and
    ``min_reduce`` grows by one, so memory stays bounded on any corpus (counts of pruned words
    are lost, the documented price of the cap).
    """
    vocab: Counter = Counter()
    min_reduce = 1
    for sentence in sentences:
        vocab.update(sentence)
        if len(vocab) > max_vocab_size:
            for word in [w for w, c in vocab.items() if c < min_reduce]:
                del vocab[word]
            min_reduce += 1
    for word in vocab:
        if not isinstance(word, str):
            raise bad_token(word)
    return list(vocab), np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))


def build_alias_table(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vose's alias method: draw ``i`` with probability ``probs[i]`` from one uniform index + one compare."""
    n = len(probs)
    scaled = np.asarray(probs, dtype=np.float64) * n
    threshold = np.zeros(n, dtype=np.uint64)
    alias = np.arange(n, dtype=np.int32)
    if n:
        (_fill_alias.py_func if n <= SMALL_TABLE else _fill_alias)(scaled, threshold, alias)
    return threshold, alias


@njit(cache=True)
def _fill_alias(scaled, threshold, alias):
    n = len(scaled)
    small = np.empty(n, dtype=np.int64)
    large = np.empty(n, dtype=np.int64)
    ns = nl = 0
    for i in range(n):
        if scaled[i] < 1.0:
            small[ns] = i
            ns += 1
        else:
            large[nl] = i
            nl += 1
    while ns > 0 and nl > 0:
        ns -= 1
        s = small[ns]
        l = large[nl - 1]
        threshold[s] = np.uint64(scaled[s] * 4294967296.0)
        alias[s] = l
        scaled[l] = (scaled[l] + scaled[s]) - 1.0
        if scaled[l] < 1.0:
            nl -= 1
            small[ns] = l
            ns += 1
    for k in range(nl):
        threshold[large[k]] = np.uint64(4294967296)
    for k in range(ns):  # leftovers from rounding: probability 1
        threshold[small[k]] = np.uint64(4294967296)


def build_huffman(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """word2vec.c's CreateBinaryTree: codes and points (inner node ids) from root to leaf."""
    counts = np.asarray(counts, dtype=np.int64)
    if len(counts) < 2:
        raise ValueError("hierarchical softmax needs at least 2 words in the vocabulary")
    order = np.argsort(-counts, kind="stable")  # the two-queue build needs descending counts
    codes, points, lengths = (_huffman.py_func if len(counts) <= SMALL_TABLE else _huffman)(counts[order])
    width = int(lengths.max())
    back = np.empty_like(order)
    back[order] = np.arange(len(order))
    return codes[back, :width], points[back, :width], lengths[back]


@njit(cache=True)
def _huffman(counts):
    v = len(counts)
    count = np.empty(2 * v, dtype=np.int64)
    count[:v] = counts
    count[v:] = np.iinfo(np.int64).max // 4
    binary = np.zeros(2 * v, dtype=np.uint8)
    parent = np.zeros(2 * v, dtype=np.int64)
    pos1 = v - 1
    pos2 = v
    for a in range(v - 1):
        # word2vec.c's two-queue step, twice: the two smallest nodes among the leaves (descending
        # from pos1) and the new inner nodes (ascending from pos2). Written out rather than called,
        # so that the plain-Python ``_huffman.py_func`` calls no numba function.
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min1, pos1 = pos1, pos1 - 1
        else:
            min1, pos2 = pos2, pos2 + 1
        if pos1 >= 0 and count[pos1] < count[pos2]:
            min2, pos1 = pos1, pos1 - 1
        else:
            min2, pos2 = pos2, pos2 + 1
        count[v + a] = count[min1] + count[min2]
        parent[min1] = v + a
        parent[min2] = v + a
        binary[min2] = 1
    codes = np.zeros((v, MAX_CODE_LENGTH), dtype=np.uint8)
    points = np.zeros((v, MAX_CODE_LENGTH), dtype=np.int32)
    lengths = np.zeros(v, dtype=np.int32)
    code = np.zeros(MAX_CODE_LENGTH, dtype=np.uint8)
    point = np.zeros(MAX_CODE_LENGTH, dtype=np.int64)
    root = 2 * v - 2
    for a in range(v):
        b = a
        i = 0
        while b != root:
            code[i] = binary[b]
            point[i] = b
            i += 1
            b = parent[b]
        lengths[a] = i
        # reversed: root first; points are inner-node ids counted from 0 (node id - v)
        points[a, 0] = root - v
        for k in range(i):
            codes[a, i - k - 1] = code[k]
            if k > 0:
                points[a, i - k] = point[k] - v
    return codes, points, lengths
