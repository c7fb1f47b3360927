"""KeyedVectors: a word -> vector table with gensim's query API.

The table is a plain ``(V, d)`` float32 array plus a vocabulary list. Everything that ranks
words works on one cached copy of the unit-normalised table (see :func:`unit_rows`) and one
top-n selector (see :func:`top_k`), so cosine queries are a matrix product followed by an
``argpartition``: no per-word Python loops.

Evaluation (``evaluate_*``) lives in :mod:`w2v.evaluate`, the word2vec.c file formats and the
native save/load in :mod:`w2v.formats`; the methods here only delegate to them.
"""
from __future__ import annotations

import logging
import threading
from numbers import Integral
from typing import Iterable, Mapping

import numpy as np

logger = logging.getLogger(__name__)

_OOV_POLICIES = ("zeros", "random", "mean")


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Return ``matrix`` with every row scaled to unit L2 length (all-zero rows stay zero).

    This is the single place that normalises vectors, so every cosine in the library agrees to
    the last bit. Norms are accumulated in float64 to avoid float32 overflow/rounding on long
    vectors; zero rows are left as zeros instead of turning into NaNs.
    """
    matrix = np.asarray(matrix)
    dtype = matrix.dtype if np.issubdtype(matrix.dtype, np.floating) else np.float32
    norms = np.sqrt(np.einsum("...i,...i->...", matrix, matrix, dtype=np.float64))
    norms = np.where(norms == 0.0, 1.0, norms)
    return (matrix / norms[..., None]).astype(dtype, copy=False)


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` largest ``scores`` along the last axis, best first.

    Works on a 1-D score vector (one query) or a 2-D block (one row per query), so single
    queries and batched evaluation share the same selection. Each row is first shrunk to a few
    candidates (:func:`_top_candidates`), then ``np.argpartition`` picks the ``k`` winners and
    only those are sorted: O(n) per row, no full sort. Equal scores are listed in index order;
    which of several equal scores straddling the cut-off is kept is unspecified (as in gensim).
    """
    scores = np.asarray(scores)
    n = scores.shape[-1]
    k = max(0, min(int(k), n))
    if k == 0:
        return np.empty(scores.shape[:-1] + (0,), dtype=np.intp)
    values, index = _top_candidates(scores.reshape(-1, n), k)
    if k < values.shape[1]:
        part = np.argpartition(values, values.shape[1] - k, axis=1)[:, values.shape[1] - k:]
        values, index = np.take_along_axis(values, part, axis=1), np.take_along_axis(index, part, axis=1)
    order = np.lexsort((index, -values), axis=1)
    return np.take_along_axis(index, order, axis=1).reshape(scores.shape[:-1] + (k,))


_CANDIDATE_BLOCK = 64


def _top_candidates(flat: np.ndarray, k: int):
    """Shrink each row of ``flat`` to (value, index) candidates that surely hold its top ``k``.

    Rows are cut into blocks of 64. The k-th largest block maximum is a lower bound for the
    row's k-th largest value (k blocks each hold a value at least that big), so only blocks whose
    maximum reaches it can contain a winner: typically about k of them. Block maxima are a fast
    vectorised reduction, so this is several times quicker than argpartition over whole rows of
    a (questions x vocabulary) score block. The few trailing columns are always kept; rows too
    short to gain, or holding NaNs, are returned whole. Padding slots hold -inf.
    """
    rows, n = flat.shape
    n_blocks = n // _CANDIDATE_BLOCK
    if n_blocks < 4 * k:
        return flat, np.broadcast_to(np.arange(n), flat.shape)
    split = n_blocks * _CANDIDATE_BLOCK
    blocked = flat[:, :split].reshape(rows, n_blocks, _CANDIDATE_BLOCK)
    maxima = blocked.max(axis=2)
    threshold = np.partition(maxima, n_blocks - k, axis=1)[:, n_blocks - k]
    hit_rows, hit_blocks = np.nonzero(maxima >= threshold[:, None])
    counts = np.bincount(hit_rows, minlength=rows)
    if counts.min() < k:  # NaNs defeat the comparison: use the plain path
        return flat, np.broadcast_to(np.arange(n), flat.shape)
    slot = np.arange(len(hit_rows)) - np.repeat(np.cumsum(counts) - counts, counts)
    chosen = np.full((rows, int(counts.max())), -1, dtype=np.intp)
    chosen[hit_rows, slot] = hit_blocks
    values = np.take_along_axis(blocked, np.maximum(chosen, 0)[:, :, None], axis=1)
    values[chosen < 0] = -np.inf
    index = np.maximum(chosen, 0)[:, :, None] * _CANDIDATE_BLOCK + np.arange(_CANDIDATE_BLOCK)
    tail = np.broadcast_to(np.arange(split, n), (rows, n - split))
    return (np.concatenate([values.reshape(rows, -1), flat[:, split:]], axis=1),
            np.concatenate([index.reshape(rows, -1), tail], axis=1))


class KeyedVectors:
    """Vectors keyed by word, with gensim-compatible lookups and similarity queries.

    ``vectors`` is held by reference: the trainer updates it in place and then calls
    :meth:`reset_norms` so the cached unit-normalised copy is recomputed on the next query.
    Queries are safe to run from several threads at once: the normalised copy is computed at
    most once per generation, under a lock, and published with a single attribute assignment.
    """

    def __init__(self, vectors: np.ndarray, index_to_key: list[str], counts: np.ndarray | None = None):
        if not isinstance(vectors, np.ndarray) or not np.issubdtype(vectors.dtype, np.floating):
            vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D (words x dims) array, got shape {vectors.shape}")
        self.index_to_key = list(index_to_key)
        if vectors.shape[0] != len(self.index_to_key):
            raise ValueError(f"{vectors.shape[0]} vectors but {len(self.index_to_key)} words")
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        if len(self.key_to_index) != len(self.index_to_key):
            raise ValueError("index_to_key contains duplicate words")
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)
        if self.counts is not None and self.counts.shape != (len(self.index_to_key),):
            raise ValueError(f"counts has shape {self.counts.shape}, expected ({len(self.index_to_key)},)")
        self._norm_lock = threading.Lock()
        self._generation = 0
        self._normed = None
        self._vectors = vectors

    # ------------------------------------------------------------------ table and cache

    @property
    def vectors(self) -> np.ndarray:
        """The (V, d) table itself (not a copy); in-place edits must be followed by reset_norms()."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        self._vectors = value
        self.reset_norms()

    @property
    def vector_size(self) -> int:
        return int(self._vectors.shape[1])

    def reset_norms(self) -> None:
        """Forget cached unit norms; the trainer calls this after it changes ``vectors``."""
        with self._norm_lock:
            self._generation += 1
            self._normed = None

    def get_normed_vectors(self) -> np.ndarray:
        """The unit-normalised table, computed once and cached (read-only, shared by all queries).

        Double-checked locking: the fast path is a lock-free read of one attribute; the slow path
        computes under the lock so concurrent first queries do not each allocate a V x d copy,
        and a :meth:`reset_norms` that happens meanwhile is never overwritten by a stale result.
        """
        normed = self._normed
        if normed is not None:
            return normed
        with self._norm_lock:
            if self._normed is None:
                normed = unit_rows(self._vectors)
                normed.flags.writeable = False
                self._normed = normed
            return self._normed

    def __getstate__(self):
        """Pickle without the lock and the derived norm cache."""
        state = self.__dict__.copy()
        state.pop("_norm_lock", None)
        state["_normed"] = None
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._norm_lock = threading.Lock()

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __repr__(self) -> str:
        return f"<KeyedVectors: {len(self)} words x {self.vector_size} dims>"

    def has_index_for(self, word) -> bool:
        """gensim alias of ``word in wv``."""
        return word in self.key_to_index

    def get_index(self, word, default=None) -> int:
        """Row of ``word``; like gensim, an in-range int is accepted as its own index.

        Returns ``default`` for an unknown word when one is given, else raises KeyError naming it.
        """
        index = self.key_to_index.get(word) if isinstance(word, str) else None
        if index is not None:
            return index
        if isinstance(word, Integral) and not isinstance(word, bool) and 0 <= word < len(self):
            return int(word)
        if default is not None:
            return default
        raise KeyError(f"word {word!r} not in vocabulary")

    def _indices(self, words: Iterable) -> np.ndarray:
        """Rows of several words at once (KeyError naming the first unknown one)."""
        return np.fromiter((self.get_index(w) for w in words), dtype=np.intp)

    def get_vector(self, word, norm: bool = False) -> np.ndarray:
        """Vector of ``word``; ``norm=True`` gives the unit-length version (from the shared cache)."""
        table = self.get_normed_vectors() if norm else self._vectors
        return table[self.get_index(word)]

    def __getitem__(self, word_or_words):
        """``wv['king']`` -> (d,) vector; ``wv[['king', 'queen']]`` -> (2, d) array."""
        if isinstance(word_or_words, (str, Integral)):
            return self.get_vector(word_or_words)
        return self._vectors[self._indices(word_or_words)]

    def get_vecattr(self, word, attr: str):
        """Per-word attribute like gensim; w2v stores one: ``"count"`` (the training frequency)."""
        if attr != "count":
            raise KeyError(f"unknown vector attribute {attr!r}; only 'count' is stored")
        if self.counts is None:
            raise KeyError("these vectors carry no word counts")
        return int(self.counts[self.get_index(word)])

    # ------------------------------------------------------------------ similarity queries

    def _query_terms(self, positive, negative, normalize_vectors: bool):
        """Turn gensim's flexible positive/negative arguments into (vectors, weights, word rows).

        Items may be words, raw vectors, or ``(word_or_vector, weight)`` pairs; a lone word or
        vector is accepted in place of a list. Words contribute their unit vector; raw vectors
        are used as given (as gensim does) unless ``normalize_vectors``.
        """
        positive, negative = _as_term_list(positive), _as_term_list(negative)
        terms, weights = [], []
        for default_weight, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if isinstance(item, tuple) and len(item) == 2 and not isinstance(item[1], str):
                    item, weight = item
                else:
                    weight = default_weight
                terms.append(item)
                weights.append(float(weight))
        if not terms:
            raise ValueError("cannot compute similarity with no input: give positive and/or negative terms")
        is_word = [isinstance(t, (str, Integral)) for t in terms]
        rows = self._indices(t for t, w in zip(terms, is_word) if w)
        normed = self.get_normed_vectors()
        vectors = np.empty((len(terms), self.vector_size), dtype=normed.dtype)
        vectors[np.array(is_word, dtype=bool)] = normed[rows]
        for i, (term, word) in enumerate(zip(terms, is_word)):
            if not word:
                vec = np.asarray(term, dtype=normed.dtype)
                if vec.shape != (self.vector_size,):
                    raise ValueError(f"query vector has shape {vec.shape}, expected ({self.vector_size},)")
                vectors[i] = unit_rows(vec) if normalize_vectors else vec
        return vectors, np.asarray(weights), rows

    def _ranked(self, scores: np.ndarray, topn, exclude: np.ndarray):
        """Shared tail of every ranking query: top-n (word, score) pairs without the query words.

        ``topn=None`` returns the raw score array, as gensim does.
        """
        if topn is None:
            return scores
        excluded = set(exclude.tolist())
        best = top_k(scores, int(topn) + len(excluded))
        return [(self.index_to_key[i], float(scores[i])) for i in best.tolist() if i not in excluded][: int(topn)]

    def _restricted(self, restrict_vocab) -> np.ndarray:
        """The normalised table, limited to the first ``restrict_vocab`` (most frequent) words."""
        normed = self.get_normed_vectors()
        return normed if restrict_vocab is None else normed[: int(restrict_vocab)]

    def most_similar(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Words closest (cosine) to the weighted mean of ``positive`` minus ``negative`` (3CosAdd).

        Returns ``topn`` (word, cosine) pairs, excluding the query words themselves, or the whole
        similarity array when ``topn`` is None. ``restrict_vocab`` limits the search to the first
        N words (the most frequent, when the vocabulary is sorted by count).
        """
        if topn is not None and topn < 1:
            return []
        vectors, weights, rows = self._query_terms(positive, negative, normalize_vectors=False)
        query = unit_rows(weights @ vectors / np.abs(weights).sum())
        scores = self._restricted(restrict_vocab) @ query.astype(vectors.dtype)
        return self._ranked(scores, topn, rows)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Analogy by multiplicative combination (3CosMul, Levy & Goldberg 2014).

        Each cosine is shifted to [0, 1] so the product/quotient is well defined; often more
        accurate than :meth:`most_similar` on analogies. Same arguments and return value.
        """
        if topn is not None and topn < 1:
            return []
        vectors, weights, rows = self._query_terms(positive, negative, normalize_vectors=True)
        shifted = (1.0 + self._restricted(restrict_vocab) @ vectors.T) / 2.0
        scores = np.prod(shifted[:, weights > 0], axis=1) / (np.prod(shifted[:, weights < 0], axis=1) + 1e-6)
        return self._ranked(scores, topn, rows)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Words closest to a raw vector (nothing is excluded from the result)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """Words closest to ``word`` (excluding ``word`` itself)."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_key = similar_by_word

    def similarity(self, w1, w2) -> float:
        """Cosine similarity of two words."""
        a, b = unit_rows(self[[w1, w2]])
        return float(a @ b)

    def n_similarity(self, ws1, ws2) -> float:
        """Cosine similarity of the mean vectors of two word sets."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise ValueError("n_similarity needs two non-empty word lists")
        a, b = unit_rows(np.stack([self[ws1].mean(axis=0), self[ws2].mean(axis=0)]))
        return float(a @ b)

    def distance(self, w1, w2) -> float:
        """Cosine distance, ``1 - similarity``."""
        return 1.0 - self.similarity(w1, w2)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
        """Cosine of one vector against each row of ``vectors_all``."""
        return unit_rows(np.asarray(vectors_all)) @ unit_rows(np.asarray(vector_1))

    def distances(self, word_or_vector, other_words=()) -> np.ndarray:
        """Cosine distances from a word or vector to ``other_words`` (default: every word)."""
        other_words = list(other_words)
        if isinstance(word_or_vector, (str, Integral)):
            source = self.get_vector(word_or_vector, norm=True)
        else:
            source = unit_rows(np.asarray(word_or_vector, dtype=np.float32))
        normed = self.get_normed_vectors()
        table = normed[self._indices(other_words)] if other_words else normed
        return 1.0 - table @ source

    def closer_than(self, w1, w2) -> list[str]:
        """Words closer to ``w1`` than ``w2`` is (``w1`` itself excluded)."""
        dist = self.distances(w1)
        i1, i2 = self.get_index(w1), self.get_index(w2)
        return [self.index_to_key[i] for i in np.flatnonzero(dist < dist[i2]).tolist() if i != i1]

    def rank(self, w1, w2) -> int:
        """Position of ``w2`` in ``w1``'s neighbour list (1 = nearest)."""
        return len(self.closer_than(w1, w2)) + 1

    def rank_by_centrality(self, words) -> list[tuple[float, str]]:
        """(cosine to the centroid, word) for the known ``words``, most central first."""
        words = list(words)
        known = [w for w in words if w in self]
        if len(known) != len(words):
            logger.warning("ignoring words not in the vocabulary: %s", sorted(set(words) - set(known)))
        if not known:
            raise ValueError("cannot rank an empty list of known words")
        vectors = self.get_normed_vectors()[self._indices(known)]
        scores = vectors @ unit_rows(vectors.mean(axis=0))
        return sorted(zip(scores.tolist(), known), reverse=True)

    def doesnt_match(self, words) -> str:
        """The word farthest from the centroid of ``words`` (unknown words are ignored)."""
        return self.rank_by_centrality(words)[-1][1]

    # ------------------------------------------------------------------ evaluation

    def evaluate_word_analogies(self, path, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False):
        """Analogy accuracy on a questions-words file; see :func:`w2v.evaluate.evaluate_word_analogies`."""
        from .evaluate import evaluate_word_analogies

        return evaluate_word_analogies(self, path, restrict_vocab, case_insensitive, dummy4unknown)

    def evaluate_word_pairs(self, path, delimiter="\t", restrict_vocab=300000, case_insensitive=True,
                            dummy4unknown=False, encoding="utf8"):
        """Correlation with human similarity ratings; see :func:`w2v.evaluate.evaluate_word_pairs`."""
        from .evaluate import evaluate_word_pairs

        return evaluate_word_pairs(self, path, delimiter, restrict_vocab, case_insensitive, dummy4unknown, encoding)

    # ------------------------------------------------------------------ files

    def save_word2vec_format(self, path, binary=False, write_header=True) -> None:
        """Write word2vec.c text or binary format (atomically; ``.gz``/``.bz2``/``.xz`` compress).

        Words containing whitespace cannot be represented in these formats and raise ValueError
        (naming the word) before anything is written; counts are not stored. See
        :func:`w2v.formats.save_word2vec_format`.
        """
        from .formats import save_word2vec_format

        save_word2vec_format(self, path, binary=binary, write_header=write_header)

    @classmethod
    def load_word2vec_format(cls, path, binary=False, limit=None, encoding="utf8", unicode_errors="strict",
                             no_header=False):
        """Read word2vec.c text or binary format (``.gz``/``.bz2``/``.xz`` too).

        ``limit`` keeps the first N words; a truncated or malformed file raises
        :class:`w2v.formats.FormatError` naming the file and the problem. See
        :func:`w2v.formats.load_word2vec_format`.
        """
        from .formats import load_word2vec_format

        return load_word2vec_format(path, binary=binary, limit=limit, encoding=encoding,
                                    unicode_errors=unicode_errors, no_header=no_header, cls=cls)

    def save(self, path) -> None:
        """Save in w2v's native directory format (npy table + json vocabulary), atomically."""
        from .formats import save_native

        save_native(self, path)

    @classmethod
    def load(cls, path, mmap=None):
        """Load a :meth:`save` directory; ``mmap='r'`` memory-maps the table instead of reading it."""
        from .formats import load_native

        return load_native(path, mmap=mmap, cls=cls)

    # ------------------------------------------------------------------ embedding layers

    def embedding_matrix(self, word_index: Mapping[str, int], oov="zeros", padding_idx=0, dtype=np.float32,
                         return_missing=False, seed=0):
        """Weight matrix for a framework embedding layer, laid out by a tokenizer's word -> index map.

        Row ``i`` is the vector of the word whose index is ``i`` (Keras ``Tokenizer.word_index``
        starts at 1, a PyTorch vocabulary's ``stoi`` at 0), so ``matrix[ids]`` equals looking the
        words up here. The ``padding_idx`` row (None: no padding row) and rows no word uses are
        zeros. Words unknown to these vectors get, per ``oov``: ``"zeros"``; ``"random"``
        (uniform, with the same standard deviation as ``self.vectors`` so they are neither
        dominant nor negligible); or ``"mean"`` (the mean of ``self.vectors``).

        Returns the (max index + 1, vector_size) matrix, and with ``return_missing=True`` also the
        list of unknown words in index order.
        """
        words, rows = _validate_word_index(word_index, oov, padding_idx)
        n_rows = int(rows.max()) + 1 if padding_idx is None else max(int(rows.max()), int(padding_idx)) + 1
        matrix = np.zeros((n_rows, self.vector_size), dtype=dtype)
        src = np.array([self.key_to_index.get(w, -1) for w in words], dtype=np.intp)
        is_padding = rows == padding_idx if padding_idx is not None else np.zeros(len(rows), dtype=bool)
        known = (src >= 0) & ~is_padding
        missing = (src < 0) & ~is_padding
        matrix[rows[known]] = self._vectors[src[known]]
        matrix[rows[missing]] = self._oov_rows(oov, int(missing.sum()), seed)
        if not return_missing:
            return matrix
        order = np.argsort(rows[missing], kind="stable")
        return matrix, [words[i] for i in np.flatnonzero(missing)[order].tolist()]

    def _oov_rows(self, oov: str, n: int, seed) -> np.ndarray:
        """Rows for words the vectors do not know, following the ``oov`` policy."""
        if oov == "zeros" or n == 0 or len(self) == 0:
            return np.zeros((n, self.vector_size))
        if oov == "mean":
            return np.broadcast_to(self._vectors.mean(axis=0, dtype=np.float64), (n, self.vector_size))
        half_width = np.sqrt(3.0) * float(self._vectors.std(dtype=np.float64))  # uniform(-a, a) has std a/sqrt(3)
        return np.random.default_rng(seed).uniform(-half_width, half_width, size=(n, self.vector_size))


def _as_term_list(terms) -> list:
    """Accept None, a single word, a single vector, or a list of words/vectors/(term, weight)."""
    if terms is None:
        return []
    if isinstance(terms, (str, Integral)) or (isinstance(terms, np.ndarray) and terms.ndim == 1):
        return [terms]
    return list(terms)


def _validate_word_index(word_index: Mapping[str, int], oov: str, padding_idx):
    """Check a tokenizer mapping and return (words, rows) with clear errors for bad input."""
    if oov not in _OOV_POLICIES:
        raise ValueError(f"oov must be one of {_OOV_POLICIES}, got {oov!r}")
    if padding_idx is not None and (not _is_int(padding_idx) or padding_idx < 0):
        raise ValueError(f"padding_idx must be a non-negative int or None, got {padding_idx!r}")
    if not isinstance(word_index, Mapping):
        raise TypeError(f"word_index must be a mapping word -> index, got {type(word_index).__name__}")
    if not word_index:
        raise ValueError("word_index is empty")
    words = list(word_index)
    for word in words:
        index = word_index[word]
        if not _is_int(index):
            raise TypeError(f"index of {word!r} must be an int, got {index!r}")
        if index < 0:
            raise ValueError(f"index of {word!r} is negative ({index})")
    rows = np.array([int(word_index[w]) for w in words], dtype=np.intp)
    if len(np.unique(rows)) != len(rows):
        values, counts = np.unique(rows, return_counts=True)
        dup = int(values[counts > 1][0])
        raise ValueError(f"several words share index {dup}: {[w for w in words if word_index[w] == dup][:5]}")
    return words, rows


def _is_int(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)
