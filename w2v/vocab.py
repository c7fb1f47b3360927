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

import heapq
import os
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from numba import njit

from .fileutil import atomic_write

MAX_CODE_LENGTH = 64
#: vocabularies up to this size build their alias table and Huffman tree with the plain-Python
#: statement of the numba function (``.py_func``, same arithmetic, same result): a few ms, where
#: loading the cached machine code costs ~25 ms of CPU in a fresh process (graph embeddings fit
#: vocabularies of a few dozen nodes, in many short-lived processes)
SMALL_TABLE = 1000

#: gensim's ``trim_rule`` answers (``gensim.utils.RULE_*``): discard, keep, or apply min_count.
RULE_DEFAULT, RULE_DISCARD, RULE_KEEP = 0, 1, 2
#: gensim's padding pseudo-word (``null_word=1``)
NULL_WORD = "\0"


@dataclass
class Vocabulary:
    """Words (any hashable keys; str from files) with their counts, in id order.

    Built by :meth:`from_counts`, the order is by descending count with ties in first-seen order
    (``sorted_vocab=0``: first-seen order), and words added later (online training, the null
    word) come after.
    """

    words: list
    counts: np.ndarray
    word_to_id: dict = field(init=False, repr=False)
    #: whose Huffman tree :meth:`huffman` builds: ``"word2vec"`` (word2vec.c's two queues) or ``"gensim"``
    #: (gensim's heap; the two differ among words of equal count). Models read from gensim files keep
    #: gensim's, so the ``syn1`` rows they carry stay attached to the inner nodes they were trained for.
    huffman_kind: str = "word2vec"

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
    def from_counts(cls, words, counts, min_count: int = 5, max_final_vocab: int | None = None,
                    trim_rule=None, sorted_vocab: bool = True, null_word: bool = False):
        """Keep the words that pass gensim's rule, sorted by descending count (``sorted_vocab``).

        Returns ``(vocabulary, kept)`` where ``kept[i]`` is the position in ``words`` of the
        vocabulary's word ``i`` (so callers can remap ids). ``max_final_vocab`` raises min_count
        just enough to keep at most that many words, exactly as gensim does; ``trim_rule`` then
        decides per word as in ``gensim.utils.keep_vocab_item``. ``null_word`` appends gensim's
        ``'\\0'`` pseudo-word (count 1) after all others, so it has no entry in ``kept``.
        """
        counts = np.asarray(counts, dtype=np.int64)
        min_count = effective_min_count(counts, min_count, max_final_vocab)
        keep = keep_mask(words, counts, min_count, trim_rule)
        candidates = np.flatnonzero(keep)
        kept = candidates[np.argsort(-counts[candidates], kind="stable")] if sorted_vocab else candidates
        vocab = cls(words.select(kept) if hasattr(words, "select") else [words[i] for i in kept], counts[kept])
        if null_word and NULL_WORD not in vocab.word_to_id:
            vocab = vocab.extend([NULL_WORD], [1])
        return vocab, kept

    def keep_thresholds(self, sample: float) -> np.ndarray:
        """Subsampling thresholds: word i is kept when a uniform uint32 draw is below ``thr[i]``.

        The keep-probability is word2vec.c's and gensim's ``(sqrt(c/t) + 1) * t/c`` with
        ``t = sample * total_words``; gensim reads ``sample >= 1`` as a count instead
        (``t = int(sample * (3 + sqrt(5)) / 2)``), and so does w2v.
        """
        counts = self.counts.astype(np.float64)
        if sample <= 0 or len(counts) == 0 or counts.sum() == 0:
            prob = np.ones_like(counts)
        else:
            threshold = sample * counts.sum() if sample < 1.0 else float(int(sample * (3 + np.sqrt(5)) / 2))
            with np.errstate(divide="ignore", invalid="ignore"):  # count 0 (min_count=0): kept
                prob = np.minimum(1.0, (np.sqrt(counts / threshold) + 1.0) * threshold / counts)
            prob[counts == 0] = 1.0
        return np.minimum(np.round(prob * 2.0**32), 2.0**32).astype(np.uint64)

    def noise_table(self, ns_exponent: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
        """Alias table (thresholds as uint64 out of 2**32, alias ids) for ``count**ns_exponent``.

        Words of count 0 (possible with ``min_count=0`` and ``build_vocab_from_freq``) are never
        drawn; if no word has a count, all are drawn uniformly.
        """
        counts = self.counts.astype(np.float64)
        weights = np.zeros_like(counts)
        seen = counts > 0
        weights[seen] = counts[seen] ** ns_exponent
        if weights.sum() == 0:
            weights[:] = 1.0
        return build_alias_table(weights / weights.sum())

    def huffman(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Huffman (codes uint8 V x L, points int32 V x L, lengths int32 V), built as ``huffman_kind`` says."""
        if self.huffman_kind == "gensim":
            return build_huffman_gensim(self.counts)
        return build_huffman(self.counts)

    def extend(self, words: list, counts) -> Vocabulary:
        """A vocabulary with new words appended (online training keeps existing ids stable)."""
        return Vocabulary(list(self.words) + list(words),
                          np.concatenate([self.counts, np.asarray(counts, dtype=np.int64)]), self.huffman_kind)

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


def keep_mask(words, counts: np.ndarray, min_count: int, trim_rule=None) -> np.ndarray:
    """gensim's ``keep_vocab_item`` for every word: ``count >= min_count`` unless ``trim_rule``
    (called as ``trim_rule(word, count, min_count)``) answers RULE_KEEP or RULE_DISCARD."""
    keep = np.asarray(counts) >= min_count
    if trim_rule is None:
        return keep
    if not callable(trim_rule):
        raise TypeError(f"trim_rule must be a callable (word, count, min_count) -> RULE_*, got {trim_rule!r}")
    for i, (word, count) in enumerate(zip(words, np.asarray(counts).tolist())):
        answer = trim_rule(word, count, min_count)
        if answer == RULE_KEEP:
            keep[i] = True
        elif answer == RULE_DISCARD:
            keep[i] = False
    return keep


def effective_min_count(counts: np.ndarray, min_count: int, max_final_vocab: int | None) -> int:
    """gensim's rule: raise min_count so that at most ``max_final_vocab`` words survive."""
    if max_final_vocab is None or max_final_vocab >= len(counts):
        return min_count
    sorted_counts = np.sort(counts)[::-1]
    return max(min_count, int(sorted_counts[max_final_vocab]) + 1)


def count_words_pruned(sentences, max_vocab_size: int, trim_rule=None) -> tuple[list, np.ndarray, int, int]:
    """Count words while keeping at most ``max_vocab_size`` distinct ones, as gensim's scan does.

    Whenever the table outgrows the cap, words with count < ``min_reduce`` are dropped (unless
    ``trim_rule`` keeps them, as in ``gensim.utils.prune_vocab``) and ``min_reduce`` grows by one,
    so memory stays bounded on any corpus (counts of pruned words are lost, the documented price
    of the cap). Returns (words, counts, sentences, tokens read).
    """
    vocab: Counter = Counter()
    min_reduce = 1
    n_sentences = n_tokens = 0
    for sentence in sentences:
        vocab.update(sentence)
        n_sentences += 1
        n_tokens += len(sentence)
        if len(vocab) > max_vocab_size:
            words = list(vocab)
            counts = np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab))
            for i in np.flatnonzero(~keep_mask(words, counts, min_reduce, trim_rule)):
                del vocab[words[i]]
            min_reduce += 1
    words = list(vocab)
    return words, np.fromiter(vocab.values(), dtype=np.int64, count=len(vocab)), n_sentences, n_tokens


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


class _HeapNode:
    """gensim's ``Heapitem``: ordered by count alone, so equal counts fall as heapq leaves them."""

    __slots__ = ("count", "index", "left", "right")

    def __init__(self, count, index, left=None, right=None):
        self.count, self.index, self.left, self.right = count, index, left, right

    def __lt__(self, other):
        return self.count < other.count


def build_huffman_gensim(counts: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """gensim's tree (``gensim.models.word2vec._build_heap``/``_assign_binary_codes``), same layout
    as :func:`build_huffman`: inner node ``i`` is the ``i``-th merge; left child code 0, right 1."""
    counts = np.asarray(counts, dtype=np.int64)
    v = len(counts)
    if v < 2:
        raise ValueError("hierarchical softmax needs at least 2 words in the vocabulary")
    heap = [_HeapNode(c, i) for i, c in enumerate(counts.tolist())]
    heapq.heapify(heap)
    for i in range(v - 1):
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        heapq.heappush(heap, _HeapNode(a.count + b.count, v + i, a, b))
    paths: list = [None] * v
    stack = [(heap[0], (), ())]
    while stack:
        node, code, point = stack.pop()
        if node.index < v:
            paths[node.index] = (code, point)
        else:
            point = point + (node.index - v,)
            stack.append((node.left, code + (0,), point))
            stack.append((node.right, code + (1,), point))
    width = max(len(c) for c, _ in paths)
    codes = np.zeros((v, width), np.uint8)
    points = np.zeros((v, width), np.int32)
    lengths = np.array([len(c) for c, _ in paths], np.int32)
    for i, (code, point) in enumerate(paths):
        codes[i, :len(code)], points[i, :len(point)] = code, point
    return codes, points, lengths


@njit(cache=True, inline="always")
def _take_smallest(count, pos1, pos2):
    """word2vec.c's two-queue step: the smaller of the next leaf and the next inner node."""
    if pos1 >= 0 and count[pos1] < count[pos2]:
        return pos1, pos1 - 1, pos2
    return pos2, pos1, pos2 + 1



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


class EmptyVocabularyError(ValueError, RuntimeError):
    """No word is left for training (a RuntimeError too, as gensim raises for this case)."""


def check_trainable(vocab: Vocabulary, min_count: int, hs: bool) -> None:
    """Refuse a vocabulary nothing can be trained on, with what to change.

    One rule for every way a vocabulary reaches a model (a scan, a given vocabulary, a Dask
    cluster's merged counts); ``min_count`` is the effective one, the value that cut the words."""
    if len(vocab) == 0:
        raise EmptyVocabularyError(f"no word of the corpus reaches min_count={min_count}; "
                                   "lower min_count or give a larger corpus")
    if hs and len(vocab) < 2:
        raise ValueError("hierarchical softmax needs at least 2 words in the vocabulary")
