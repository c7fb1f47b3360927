"""KeyedVectors: a key -> vector table with gensim 4.4's API.

The table is a plain ``(V, d)`` array plus ``index_to_key`` / ``key_to_index`` and gensim's
per-key attribute arrays (``expandos``, e.g. ``"count"``). Keys are any hashable (str, int, ...),
as in gensim. Everything that ranks keys scores the table itself against the query and divides by
one cached norm per row (:func:`w2v.ranking.cosine_scores`), then picks the top n with one selector
(:func:`w2v.ranking.top_k`): a matrix product and an ``argpartition``, no per-key Python loops.
Queries never make a normalised copy of the table: a table as large as memory allows, or a
read-only memory map shared by several processes, costs one float per row on top of itself. The
normalised copy exists only once :meth:`KeyedVectors.get_normed_vectors` is asked for it.

The constructor is gensim's, ``KeyedVectors(vector_size, count=0, dtype=np.float32)``; w2v's own
code builds tables with :meth:`KeyedVectors.from_vectors`. Evaluation lives in
:mod:`w2v.evaluate`, files in :mod:`w2v.formats` (word2vec.c formats, w2v's native file) and
:mod:`w2v.gensim_pickle` (files saved by gensim); the methods here only delegate to them.
"""
from __future__ import annotations

import datetime
import logging
import platform
import sys
import threading
import warnings
from numbers import Integral, Real
from typing import Iterable, Mapping

import numpy as np

from . import evaluate, formats, wmd
from .ranking import cosine_scores, row_norms, top_k, unit_rows

__all__ = ["KeyedVectors", "top_k", "unit_rows"]

logger = logging.getLogger(__name__)

_OOV_POLICIES = ("zeros", "random", "mean")
_KEY_TYPES = (str, int, np.integer)
REAL = np.float32


class EmptyInputError(ValueError, ZeroDivisionError):
    """A similarity of an empty key list; a ZeroDivisionError too, which is what gensim raises."""


class KeyedVectors:
    """Vectors keyed by word (or any hashable key), with gensim 4.4's attributes and methods.

    ``vectors`` is held by reference: the trainer updates it in place and then calls
    :meth:`reset_norms` (gensim code calls :meth:`fill_norms` with ``force=True``) so the cached
    norms are recomputed on the next query. Queries are safe to run from several threads at once:
    the norms (and the normalised copy, if asked for) are computed at most once per generation,
    under a lock, and published with a single attribute assignment.
    """

    def __init__(self, vector_size, count=0, dtype=np.float32, mapfile_path=None):
        """An empty table for ``vector_size``-dimensional vectors, as gensim's constructor.

        ``count`` pre-allocates that many zero rows (with ``None`` keys), which :meth:`add_vector`
        then fills one by one; ``mapfile_path`` is unused (as in gensim). To wrap an existing
        ``(V, d)`` array and its keys, use :meth:`from_vectors`.
        """
        if isinstance(vector_size, np.ndarray):
            raise TypeError("KeyedVectors(vector_size, count=0, dtype=np.float32) takes gensim's arguments; "
                            "to wrap an existing table use KeyedVectors.from_vectors(vectors, keys, counts)")
        if not _is_int(vector_size) or vector_size < 0:
            raise ValueError(f"vector_size must be a non-negative int, got {vector_size!r}")
        if not _is_int(count) or count < 0:
            raise ValueError(f"count must be a non-negative int, got {count!r}")
        dtype = np.dtype(dtype)
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"dtype must be a floating-point type, got {dtype}")
        self._setup(np.zeros((int(count), int(vector_size)), dtype=dtype), [None] * int(count), {})
        self.next_index = 0
        self.mapfile_path = mapfile_path

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, index_to_key, counts=None) -> "KeyedVectors":
        """Wrap a ``(V, d)`` float table (held by reference, not copied) and its ``V`` keys.

        ``counts`` (optional, ``V`` integers) becomes the ``"count"`` attribute that
        :meth:`get_vecattr`, :meth:`sort_by_descending_frequency` and ``save_word2vec_format``'s
        ``fvocab`` use. This is how w2v's trainer and loaders build their tables.
        """
        if not isinstance(vectors, np.ndarray) or not np.issubdtype(vectors.dtype, np.floating):
            vectors = np.asarray(vectors, dtype=np.float32)
        if vectors.ndim != 2:
            raise ValueError(f"vectors must be a 2-D (keys x dims) array, got shape {vectors.shape}")
        return cls._wrap(vectors, list(index_to_key), counts)

    @classmethod
    def _wrap(cls, vectors: np.ndarray, keys: list, counts=None, key_to_index: dict | None = None) -> "KeyedVectors":
        """:meth:`from_vectors` for a 2-D float table and a list of keys (held, not copied).

        The word2vec loaders pass the ``key_to_index`` they built to find repeated words, so a
        million-key file builds its dict once.
        """
        if vectors.shape[0] != len(keys):
            raise ValueError(f"{vectors.shape[0]} vectors but {len(keys)} words")
        expandos = {}
        if counts is not None:
            counts = np.asarray(counts, dtype=np.int64)
            if counts.shape != (len(keys),):
                raise ValueError(f"counts has shape {counts.shape}, expected ({len(keys)},)")
            expandos["count"] = counts
        kv = cls.__new__(cls)
        kv._setup(vectors, keys, expandos, key_to_index)
        if len(kv.key_to_index) != len(keys):
            raise ValueError("index_to_key contains duplicate words")
        kv.next_index = len(keys)
        kv.mapfile_path = None
        return kv

    def _setup(self, vectors: np.ndarray, keys: list, expandos: dict, key_to_index: dict | None = None) -> None:
        self.index_to_key = keys
        if key_to_index is None:
            key_to_index = dict(zip(keys, range(len(keys))))  # built in C, no Python-level loop
            key_to_index.pop(None, None)  # gensim's unfilled slots have no key
        self.key_to_index = key_to_index
        self.expandos = expandos
        self._norm_lock = threading.Lock()
        self._generation = 0
        self._normed = None
        self._norms = None
        self._vectors = vectors
        self._vectors_lockf = np.ones(1, dtype=REAL)

    # ------------------------------------------------------------------ table and cache

    @property
    def vectors(self) -> np.ndarray:
        """The (V, d) table itself (not a copy); in-place edits must be followed by reset_norms()."""
        return self._vectors

    @vectors.setter
    def vectors(self, value: np.ndarray) -> None:
        value = np.asarray(value)
        if value.ndim != 2:
            raise ValueError(f"vectors must be a 2-D (keys x dims) array, got shape {value.shape}")
        self._vectors = value
        self.reset_norms()

    @property
    def vector_size(self) -> int:
        return int(self._vectors.shape[1])

    @vector_size.setter
    def vector_size(self, value) -> None:
        if value == self.vector_size:
            return
        if len(self._vectors):
            raise ValueError(f"cannot change vector_size to {value}: the table already holds "
                             f"{self._vectors.shape[0]} vectors of size {self.vector_size}")
        self._vectors = np.zeros((0, int(value)), dtype=self._vectors.dtype)

    @property
    def counts(self) -> np.ndarray | None:
        """Per-key training frequencies (the ``"count"`` attribute), or None when not known."""
        return self.expandos.get("count")

    @counts.setter
    def counts(self, value) -> None:
        if value is None:
            self.expandos.pop("count", None)
            return
        value = np.asarray(value, dtype=np.int64)
        if value.shape != (len(self),):
            raise ValueError(f"counts has shape {value.shape}, expected ({len(self)},)")
        self.expandos["count"] = value

    @property
    def vectors_lockf(self) -> np.ndarray:
        """Per-row learning-rate factors for training: 0 freezes a row, 1 trains it normally.

        As in gensim, the default is a one-element array ``[1.0]`` (no locking). A replacement
        must be a float32 array of shape ``(1,)`` or ``(len(self),)``.
        """
        return self._vectors_lockf

    @vectors_lockf.setter
    def vectors_lockf(self, value) -> None:
        self._vectors_lockf = self._checked_lockf(value)

    def _checked_lockf(self, value) -> np.ndarray:
        shape = getattr(value, "shape", None)
        dtype = getattr(value, "dtype", None)
        if not isinstance(value, np.ndarray) or value.dtype != REAL:
            raise TypeError(f"vectors_lockf must be a float32 numpy array of shape (1,) or ({len(self)},), "
                            f"got {type(value).__name__}" + (f" of dtype {dtype} and shape {shape}" if shape else ""))
        if value.ndim != 1 or value.shape[0] not in (1, len(self)):
            raise ValueError(f"vectors_lockf has shape {value.shape}, expected (1,) or ({len(self)},) "
                             f"(one factor per vector)")
        return value

    @property
    def norms(self) -> np.ndarray | None:
        """L2 norm of each row once :meth:`fill_norms` ran, else None; setting None forgets them."""
        return self._norms

    @norms.setter
    def norms(self, value) -> None:
        if value is None:
            self.reset_norms()
        else:
            self._norms = np.asarray(value)

    def reset_norms(self) -> None:
        """Forget cached norms; the trainer calls this after it changes ``vectors`` in place."""
        with self._norm_lock:
            self._generation += 1
            self._normed = None
            self._norms = None

    def fill_norms(self, force=False) -> None:
        """Compute the per-row norms (``self.norms``) if missing, or again with ``force=True``.

        ``force=True`` is gensim's way to say "I changed ``vectors`` in place": it also drops the
        cached normalised table.
        """
        if force:
            self.reset_norms()
        self._row_norms()

    def _row_norms(self) -> np.ndarray:
        """The cached per-row norms, computed (block by block, see :func:`w2v.ranking.row_norms`) on
        first use; double-checked locking as in :meth:`get_normed_vectors`."""
        norms = self._norms
        if norms is not None:
            return norms
        with self._norm_lock:
            if self._norms is None:
                self._norms = row_norms(self._vectors)
            return self._norms

    def get_normed_vectors(self) -> np.ndarray:
        """The unit-normalised table, computed once and cached (read-only) until :meth:`reset_norms`.

        This is a second table-sized array, so nothing in w2v's queries asks for it (they divide
        by :attr:`norms` instead); it exists for callers that want the normalised rows themselves.
        Double-checked locking: the fast path is a lock-free read of one attribute; the slow path
        computes under the lock so concurrent first queries do not each allocate a V x d copy,
        and a :meth:`reset_norms` that happens meanwhile is never overwritten by a stale result.
        All-zero rows stay zero (gensim would divide by zero and return NaNs).
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

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length, in place (training cannot sensibly continue after this)."""
        unit_rows(self._vectors, out=self._vectors)
        self.reset_norms()
        self.fill_norms()

    def init_sims(self, replace=False) -> None:
        """Deprecated in gensim 4 (use :meth:`fill_norms`); ``replace=True`` unit-normalises in place."""
        warnings.warn("init_sims() is deprecated (as in gensim 4): use fill_norms()", DeprecationWarning,
                      stacklevel=2)
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    def __getstate__(self):
        """Pickle without the lock and the derived norm caches."""
        state = self.__dict__.copy()
        state.pop("_norm_lock", None)
        state["_normed"] = None
        state["_norms"] = None
        return state

    def __setstate__(self, state):
        if "expandos" not in state:  # pickled by w2v before the gensim 4 attributes existed
            counts = state.pop("counts", None)
            state["expandos"] = {} if counts is None else {"count": np.asarray(counts, dtype=np.int64)}
        state.setdefault("_norms", None)
        state.setdefault("_vectors_lockf", np.ones(1, dtype=REAL))
        state.setdefault("next_index", len(state.get("index_to_key", ())))
        state.setdefault("mapfile_path", None)
        self.__dict__.update(state)
        self._norm_lock = threading.Lock()

    # ------------------------------------------------------------------ lookups

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def __str__(self) -> str:
        return f"{type(self).__name__}<vector_size={self.vector_size}, {len(self)} keys>"

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {len(self)} keys x {self.vector_size} dims>"

    def has_index_for(self, key) -> bool:
        """Whether ``key`` has a row (an in-range int counts as its own row, as in gensim)."""
        return self.get_index(key, -1) >= 0

    def get_index(self, key, default=None) -> int:
        """Row of ``key``; like gensim, an in-range int that is not a key is accepted as its own row.

        Returns ``default`` for an unknown key when one is given, else raises KeyError naming it.
        """
        index = self.key_to_index.get(key, -1)
        if index >= 0:
            return index
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool) and 0 <= key < len(self):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present")

    def _indices(self, keys: Iterable) -> np.ndarray:
        """Rows of several keys at once (KeyError naming the first unknown one)."""
        return np.fromiter((self.get_index(k) for k in keys), dtype=np.intp)

    def _is_single_key(self, key_or_keys) -> bool:
        if isinstance(key_or_keys, _KEY_TYPES):
            return True
        try:
            return key_or_keys in self.key_to_index  # a tuple (or other hashable) that is itself a key
        except TypeError:  # lists, arrays: several keys
            return False

    def get_vector(self, key, norm=False) -> np.ndarray:
        """Vector of ``key`` (a read-only view, as in gensim); ``norm=True`` gives the unit-length one."""
        result = self._vectors[self.get_index(key)]
        if norm:
            result = unit_rows(result)
        result.setflags(write=False)
        return result

    def word_vec(self, *args, **kwargs) -> np.ndarray:
        """Deprecated gensim alias of :meth:`get_vector`."""
        warnings.warn("word_vec() is deprecated (as in gensim 4): use get_vector()", DeprecationWarning, stacklevel=2)
        return self.get_vector(*args, **kwargs)

    def __getitem__(self, key_or_keys):
        """``wv['king']`` -> (d,) vector; ``wv[['king', 'queen']]`` -> (2, d) array."""
        if self._is_single_key(key_or_keys):
            return self.get_vector(key_or_keys)
        return self._vectors[self._indices(key_or_keys)]

    # ------------------------------------------------------------------ per-key attributes

    def allocate_vecattrs(self, attrs=None, types=None) -> None:
        """Make sure the attribute arrays exist and have one entry per key (gensim's semantics)."""
        if attrs is None:
            attrs = list(self.expandos)
            types = [self.expandos[attr].dtype for attr in attrs]
        target = len(self.index_to_key)
        for attr, kind in zip(attrs, types):
            kind = np.int64 if kind is int else object if kind is str else kind
            if attr not in self.expandos:
                self.expandos[attr] = np.zeros(target, dtype=kind)
                continue
            previous = self.expandos[attr]
            if not np.issubdtype(kind, previous.dtype):
                raise TypeError(f"Can't allocate type {kind} for attribute {attr}, "
                                f"conflicts with its existing type {previous.dtype}")
            if len(previous) != target:
                grown = np.zeros(target, dtype=previous.dtype)
                keep = min(len(previous), target)
                grown[:keep] = previous[:keep]
                self.expandos[attr] = grown

    def set_vecattr(self, key, attr, val) -> None:
        """Store ``val`` as attribute ``attr`` of ``key`` (the array is created on first use)."""
        self.allocate_vecattrs(attrs=[attr], types=[type(val)])
        self.expandos[attr][self.get_index(key)] = val

    def get_vecattr(self, key, attr):
        """Attribute ``attr`` of ``key``, e.g. ``"count"`` (the training frequency)."""
        index = self.get_index(key)
        if attr not in self.expandos:
            if attr == "count":
                raise KeyError("these vectors carry no word counts (attribute 'count')")
            raise KeyError(f"unknown vector attribute {attr!r}; stored: {sorted(self.expandos)}")
        return self.expandos[attr][index]

    # ------------------------------------------------------------------ adding vectors

    def add_vector(self, key, vector) -> int:
        """Add one vector, into the next pre-allocated slot if there is one; returns its row.

        A key that is already present keeps its vector (use ``kv[key] = vector`` to replace).
        """
        vector = self._checked_rows(vector, 1, "add_vector")[0]
        existing = self.key_to_index.get(key, -1)
        if existing >= 0:
            return existing
        target = self.next_index
        if target >= len(self) or self.index_to_key[target] is not None:
            warnings.warn("Adding single vectors to a KeyedVectors which grows by one each time can be costly. "
                          "Consider adding in batches or preallocating to the required size.", UserWarning,
                          stacklevel=2)
            target = len(self)
            self.add_vectors([key], vector[None, :])
            self.next_index = target + 1
            return target
        self.index_to_key[target] = key
        self.key_to_index[key] = target
        self._vectors[target] = vector
        self.next_index += 1
        self.reset_norms()
        return target

    def add_vectors(self, keys, weights, extras=None, replace=False) -> None:
        """Append keys and their vectors; keys already present keep their vector unless ``replace``.

        ``weights`` is a (len(keys), vector_size) array or a list of vectors; a single key with a
        single vector is accepted too. ``extras`` maps attribute names to one value per key.
        """
        if isinstance(keys, _KEY_TYPES):
            keys = [keys]
        keys = list(keys)
        weights = self._checked_rows(weights, len(keys), "add_vectors")
        extras = {} if extras is None else {attr: np.asarray(values) for attr, values in extras.items()}
        for attr, values in extras.items():
            if values.shape[:1] != (len(keys),):
                raise ValueError(f"extras[{attr!r}] has shape {values.shape}, expected ({len(keys)},)")
        old_len = len(self.index_to_key)
        rows = np.empty(len(keys), dtype=np.intp)
        is_new = np.zeros(len(keys), dtype=bool)
        for i, key in enumerate(keys):
            index = self.key_to_index.get(key, -1)
            if index < 0:
                index = len(self.index_to_key)
                self.key_to_index[key] = index
                self.index_to_key.append(key)
                is_new[i] = True
            rows[i] = index
        if is_new.any():
            self._vectors = np.vstack((self._vectors, weights[is_new].astype(self._vectors.dtype, copy=False)))
            if self._vectors_lockf.shape[0] == old_len and old_len != 1:
                self._vectors_lockf = np.concatenate([self._vectors_lockf, np.ones(int(is_new.sum()), dtype=REAL)])
        if replace and (~is_new).any():
            self._vectors[rows[~is_new]] = weights[~is_new]
        self.allocate_vecattrs()
        self.allocate_vecattrs(list(extras), [values.dtype for values in extras.values()])
        for attr, values in extras.items():
            chosen = np.ones(len(keys), dtype=bool) if replace else is_new
            self.expandos[attr][rows[chosen]] = values[chosen]
        self.reset_norms()

    def __setitem__(self, keys, weights) -> None:
        """``kv[key] = vector`` / ``kv[[k1, k2]] = vectors``: add, or replace existing vectors."""
        if not isinstance(keys, list):
            keys = [keys]
            weights = np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def _checked_rows(self, weights, n: int, what: str) -> np.ndarray:
        """``weights`` as an (n, vector_size) numeric array, or a ValueError/TypeError naming its shape."""
        array = np.asarray(weights)
        if array.ndim == 1 and n == 1:
            array = array.reshape(1, -1)
        if not (np.issubdtype(array.dtype, np.floating) or np.issubdtype(array.dtype, np.integer)):
            raise TypeError(f"{what}: vectors must be numbers, got an array of dtype {array.dtype} "
                            f"and shape {array.shape}")
        if array.shape != (n, self.vector_size):
            raise ValueError(f"{what}: expected {n} vector(s) of size {self.vector_size}, i.e. shape "
                             f"({n}, {self.vector_size}), got shape {np.shape(weights)}")
        return array

    def resize_vectors(self, seed=0) -> None:
        """Make ``vectors`` match ``index_to_key``'s length; new rows start uniform in [-1, 1)/d (gensim)."""
        target = (len(self.index_to_key), self.vector_size)
        if self._vectors.shape != target:
            rng = np.random.default_rng(seed=seed)
            grown = (rng.random(target, dtype=REAL) * 2.0 - 1.0) / max(1, self.vector_size)
            keep = min(len(self._vectors), target[0])
            grown[:keep] = self._vectors[:keep]
            self._vectors = grown.astype(self._vectors.dtype, copy=False)
        self.allocate_vecattrs()
        self.reset_norms()

    def sort_by_descending_frequency(self) -> None:
        """Reorder rows so the most frequent keys come first (by the ``"count"`` attribute)."""
        if not len(self):
            return
        if "count" not in self.expandos:
            raise KeyError("sort_by_descending_frequency needs word counts (attribute 'count'), and these "
                           "vectors have none")
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((-np.arange(len(counts)), -counts))  # gensim's order, ties included
        self.index_to_key = [self.index_to_key[i] for i in order.tolist()]
        self.allocate_vecattrs()
        for attr in self.expandos:
            self.expandos[attr] = self.expandos[attr][order]
        if len(self._vectors):
            logger.warning("sorting after vectors have been allocated is expensive & error-prone")
            self._vectors = self._vectors[order]
        if self._vectors_lockf.shape[0] == len(order) and len(order) != 1:
            self._vectors_lockf = self._vectors_lockf[order]
        self.key_to_index = {key: i for i, key in enumerate(self.index_to_key)}
        self.reset_norms()

    def vectors_for_all(self, keys: Iterable, allow_inference: bool = True,
                        copy_vecattrs: bool = False) -> "KeyedVectors":
        """A new KeyedVectors holding the known ``keys`` (deduplicated, in the given order).

        As in gensim the new table gets made-up descending counts, replaced by this table's
        attributes with ``copy_vecattrs=True``.
        """
        vocab = list(dict.fromkeys(k for k in keys if (k in self if allow_inference else k in self.key_to_index)))
        kv = KeyedVectors.from_vectors(self._vectors[self._indices(vocab)].copy() if vocab
                                       else np.zeros((0, self.vector_size), dtype=self._vectors.dtype),
                                       vocab, np.arange(len(vocab), 0, -1))
        if copy_vecattrs:
            rows = self._indices(vocab)
            for attr, values in self.expandos.items():
                kv.expandos[attr] = values[rows].copy()
        return kv

    # ------------------------------------------------------------------ similarity queries

    def _query_terms(self, positive, negative, normalize_vectors: bool):
        """Turn gensim's flexible positive/negative arguments into (vectors, weights, key rows).

        Items may be keys, raw vectors, or ``(key_or_vector, weight)`` pairs; a lone key or
        vector is accepted in place of a list. Keys contribute their unit vector; raw vectors
        are used as given (as gensim does) unless ``normalize_vectors``.
        """
        positive, negative = _as_term_list(positive), _as_term_list(negative)
        terms, weights = [], []
        for default_weight, items in ((1.0, positive), (-1.0, negative)):
            for item in items:
                if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], Real)
                        and not self._is_single_key(item)):
                    item, weight = item
                else:
                    weight = default_weight
                terms.append(item)
                weights.append(float(weight))
        if not terms:
            raise ValueError("cannot compute similarity with no input: give positive and/or negative terms")
        is_key = [not isinstance(t, (np.ndarray, list)) for t in terms]
        rows = self._indices(t for t, k in zip(terms, is_key) if k)
        dtype = self._vectors.dtype if np.issubdtype(self._vectors.dtype, np.floating) else np.dtype(REAL)
        vectors = np.empty((len(terms), self.vector_size), dtype=dtype)
        vectors[np.array(is_key, dtype=bool)] = unit_rows(self._vectors[rows])
        for i, (term, key) in enumerate(zip(terms, is_key)):
            if not key:
                vec = np.asarray(term, dtype=dtype)
                if vec.shape != (self.vector_size,):
                    raise ValueError(f"query vector has shape {vec.shape}, expected ({self.vector_size},)")
                vectors[i] = unit_rows(vec) if normalize_vectors else vec
        return vectors, np.asarray(weights), rows

    def _ranked(self, scores: np.ndarray, topn, exclude: np.ndarray, offset: int = 0):
        """Shared tail of every ranking query: top-n (key, score) pairs without the query keys.

        ``scores[i]`` belongs to row ``i + offset``. ``topn=None`` returns the raw score array, as
        gensim does.
        """
        if not topn:
            return scores
        excluded = set((exclude - offset).tolist())
        best = top_k(scores, int(topn) + len(excluded))
        return [(self.index_to_key[i + offset], float(scores[i]))
                for i in best.tolist() if i not in excluded][: int(topn)]

    def _cosines(self, query: np.ndarray, start: int = 0, end: int | None = None) -> np.ndarray:
        """Cosine of rows ``start:end`` with the unit vector(s) ``query``, read from the table itself."""
        return cosine_scores(self._vectors[start:end], self._row_norms()[start:end], query)

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        """Keys closest (cosine) to the weighted mean of ``positive`` minus ``negative`` (3CosAdd).

        Returns ``topn`` (key, cosine) pairs, excluding the query keys themselves, or the whole
        similarity array (of rows ``clip_start:clip_end``) when ``topn`` is None.
        ``restrict_vocab`` searches only the first N keys (the most frequent, when sorted by
        count) and overrides ``clip_start``/``clip_end``. ``indexer`` (an approximate
        nearest-neighbour index with gensim's ``most_similar(vector, topn)``) answers instead.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        vectors, weights, rows = self._query_terms(positive, negative, normalize_vectors=False)
        query = unit_rows(weights @ vectors / np.abs(weights).sum()).astype(vectors.dtype)
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(query, topn)
        clip_end = clip_end or len(self._vectors)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        clip_start, clip_end = int(clip_start), int(clip_end)
        scores = self._cosines(query, clip_start, clip_end)
        return self._ranked(scores, topn, rows, offset=clip_start)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        """Analogy by multiplicative combination (3CosMul, Levy & Goldberg 2014).

        Each cosine is shifted to [0, 1] so the product/quotient is well defined; often more
        accurate than :meth:`most_similar` on analogies. Same arguments and return value.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        vectors, weights, rows = self._query_terms(positive, negative, normalize_vectors=True)
        if not (weights > 0).any():
            raise ValueError("cannot compute similarity with no input: most_similar_cosmul needs positive terms")
        shifted = (1.0 + self._cosines(vectors.T, 0, None if restrict_vocab is None else int(restrict_vocab))) / 2.0
        scores = np.prod(shifted[:, weights > 0], axis=1) / (np.prod(shifted[:, weights < 0], axis=1) + 1e-6)
        return self._ranked(scores, topn, rows)

    def similar_by_vector(self, vector, topn=10, restrict_vocab=None):
        """Keys closest to a raw vector (nothing is excluded from the result)."""
        return self.most_similar(positive=[vector], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        """Keys closest to ``key`` (excluding ``key`` itself)."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_word(self, word, topn=10, restrict_vocab=None):
        """gensim's alias of :meth:`similar_by_key`."""
        return self.similar_by_key(word, topn, restrict_vocab)

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1``."""
        return keys_list[int(np.argmax([self.similarity(key1, key) for key in keys_list]))]

    def similarity(self, w1, w2) -> float:
        """Cosine similarity of two keys."""
        a, b = unit_rows(self[[w1, w2]])
        return float(a @ b)

    def n_similarity(self, ws1, ws2) -> float:
        """Cosine similarity of the mean vectors of two key sets."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise EmptyInputError("n_similarity needs two non-empty key lists (at least one of them is empty)")
        a, b = unit_rows(np.stack([self[ws1].mean(axis=0), self[ws2].mean(axis=0)]))
        return float(a @ b)

    def relative_cosine_similarity(self, wa, wb, topn=10) -> float:
        """Similarity of ``wa`` and ``wb`` divided by the summed similarities of ``wa``'s ``topn`` neighbours.

        (Leeuwenberg et al. 2016: above 0.10 for topn=10, ``wb`` is likelier a synonym of ``wa``.)
        """
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("Cannot calculate relative cosine similarity without any similar words.")
        return float(self.similarity(wa, wb)) / sum(sim for _, sim in sims)

    def distance(self, w1, w2) -> float:
        """Cosine distance, ``1 - similarity``."""
        return 1.0 - self.similarity(w1, w2)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
        """Cosine of one vector against each row of ``vectors_all``."""
        return unit_rows(np.asarray(vectors_all)) @ unit_rows(np.asarray(vector_1))

    def distances(self, word_or_vector, other_words=()) -> np.ndarray:
        """Cosine distances from a key or vector to ``other_words`` (default: every key)."""
        other_words = list(other_words)
        if self._is_single_key(word_or_vector):
            source = self.get_vector(word_or_vector, norm=True)
        else:
            source = unit_rows(np.asarray(word_or_vector, dtype=np.float32))
        if other_words:
            return 1.0 - unit_rows(self._vectors[self._indices(other_words)]) @ source
        return 1.0 - self._cosines(source)

    def closer_than(self, key1, key2) -> list:
        """Keys closer to ``key1`` than ``key2`` is (``key1`` itself excluded)."""
        dist = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(dist < dist[i2]).tolist() if i != i1]

    def words_closer_than(self, word1, word2) -> list:
        """Deprecated gensim alias of :meth:`closer_than`."""
        warnings.warn("words_closer_than() is deprecated (as in gensim 4): use closer_than()", DeprecationWarning,
                      stacklevel=2)
        return self.closer_than(word1, word2)

    def rank(self, key1, key2) -> int:
        """Position of ``key2`` in ``key1``'s neighbour list (1 = nearest)."""
        return len(self.closer_than(key1, key2)) + 1

    def get_mean_vector(self, keys, weights=None, pre_normalize=True, post_normalize=False, ignore_missing=True):
        """Weighted mean of the vectors of ``keys`` (keys or raw vectors), divided by the summed ``|weights|``.

        Keys use their unit vector unless ``pre_normalize=False``; raw vectors are used as given.
        Unknown keys are skipped, or raise KeyError with ``ignore_missing=False``.
        """
        if len(keys) == 0:
            raise ValueError("cannot compute mean with no input")
        dtype = self._vectors.dtype
        weights = np.ones(len(keys), dtype=dtype) if weights is None else np.asarray(weights, dtype=dtype)
        if weights.shape != (len(keys),):
            raise ValueError(f"keys and weights array must have same number of elements "
                             f"({len(keys)} keys, weights of shape {weights.shape})")
        mean = np.zeros(self.vector_size, dtype=dtype)
        total = 0.0
        for key, weight in zip(keys, weights.tolist()):
            if isinstance(key, np.ndarray):
                vec = key
            elif key in self:
                vec = self.get_vector(key, norm=pre_normalize)
            elif not ignore_missing:
                raise KeyError(f"Key '{key}' not present in vocabulary")
            else:
                continue
            mean += weight * vec
            total += abs(weight)
        if total > 0:
            mean = mean / total
        if post_normalize:
            mean = unit_rows(mean).astype(REAL)
        return mean

    def rank_by_centrality(self, words, use_norm=True) -> list:
        """(cosine to the centroid, key) for the known ``words``, most central first."""
        words = list(words)
        known = [w for w in words if w in self]
        if len(known) != len(words):
            logger.warning("ignoring words not in the vocabulary: %s", set(words) - set(known))
        if not known:
            raise ValueError("cannot rank an empty list of known words")
        vectors = self._vectors[self._indices(known)]
        if use_norm:
            vectors = unit_rows(vectors)
        scores = vectors @ unit_rows(vectors.mean(axis=0))
        return sorted(zip(scores.tolist(), known), reverse=True)

    def doesnt_match(self, words):
        """The key farthest from the centroid of ``words`` (unknown keys are ignored)."""
        return self.rank_by_centrality(words)[-1][1]

    def wmdistance(self, document1, document2, norm=True) -> float:
        """Word Mover's Distance between two token lists (Kusner et al. 2015), as gensim computes it.

        Needs the optional POT package (``pip install 'w2v[wmd]'``); see :func:`w2v.wmd.wmdistance`.
        """
        return wmd.wmdistance(self, document1, document2, norm=norm)

    def add_lifecycle_event(self, event_name, log_level=logging.INFO, **event) -> None:
        """Record an event in ``self.lifecycle_events`` (gensim's SaveLoad bookkeeping; None turns it off)."""
        record = dict(event, datetime=datetime.datetime.now().isoformat(), python=sys.version,
                      platform=platform.platform(), event=event_name)
        if log_level:
            logger.log(log_level, "%s lifecycle event %s", type(self).__name__, record)
        if getattr(self, "lifecycle_events", ()) is None:
            return
        self.__dict__.setdefault("lifecycle_events", []).append(record)

    # ------------------------------------------------------------------ gensim 3 names that are gone

    @property
    def vectors_norm(self):
        raise AttributeError("The `.vectors_norm` attribute is computed dynamically since gensim 4.0.0. "
                             "Use `.get_normed_vectors()` instead.")

    @vectors_norm.setter
    def vectors_norm(self, _):
        pass

    @property
    def index2word(self):
        raise AttributeError("The index2word attribute has been replaced by index_to_key since gensim 4.0.0.")

    @index2word.setter
    def index2word(self, value):
        self.index_to_key = value

    index2entity = index2word

    @property
    def vocab(self):
        raise AttributeError("The vocab attribute was removed from KeyedVectors in gensim 4.0.0. Use "
                             ".key_to_index, .index_to_key, .get_vecattr(key, attr) and .set_vecattr(...) instead.")

    # ------------------------------------------------------------------ evaluation

    def evaluate_word_analogies(self, analogies, restrict_vocab=300000, case_insensitive=True, dummy4unknown=False,
                                similarity_function="most_similar"):
        """Analogy accuracy on a questions-words file; see :func:`w2v.evaluate.evaluate_word_analogies`.

        ``similarity_function`` is accepted for gensim's signature; gensim 4.4 ignores it and always
        uses 3CosAdd (``most_similar``), and so does w2v (other values log a warning).
        """
        if similarity_function != "most_similar":
            logger.warning("similarity_function=%r is ignored (as in gensim 4.4): analogies use most_similar",
                           similarity_function)
        return evaluate.evaluate_word_analogies(self, analogies, restrict_vocab=restrict_vocab,
                                                case_insensitive=case_insensitive, dummy4unknown=dummy4unknown)

    def evaluate_word_pairs(self, pairs, delimiter="\t", encoding="utf8", restrict_vocab=300000,
                            case_insensitive=True, dummy4unknown=False):
        """Correlation with human similarity ratings; see :func:`w2v.evaluate.evaluate_word_pairs`."""
        return evaluate.evaluate_word_pairs(self, pairs, delimiter=delimiter, restrict_vocab=restrict_vocab,
                                            case_insensitive=case_insensitive, dummy4unknown=dummy4unknown,
                                            encoding=encoding)

    @staticmethod
    def log_accuracy(section) -> None:
        """Log a section's analogy accuracy (gensim's helper)."""
        correct, incorrect = len(section["correct"]), len(section["incorrect"])
        if correct + incorrect > 0:
            logger.info("%s: %.1f%% (%i/%i)", section["section"], 100.0 * correct / (correct + incorrect),
                        correct, correct + incorrect)

    @staticmethod
    def log_evaluate_word_pairs(pearson, spearman, oov, pairs) -> None:
        """Log word-pair correlations (gensim's helper)."""
        logger.info("Pearson correlation coefficient against %s: %.4f", pairs, pearson[0])
        logger.info("Spearman rank-order correlation coefficient against %s: %.4f", pairs, spearman[0])
        logger.info("Pairs with unknown words ratio: %.1f%%", oov)

    def similarity_unseen_docs(self, *args, **kwargs):
        raise NotImplementedError("Call similarity_unseen_docs on a Doc2Vec model instead.")

    # ------------------------------------------------------------------ files

    def save_word2vec_format(self, fname, fvocab=None, binary=False, total_vec=None, write_header=True,
                             prefix="", append=False, sort_attr="count") -> None:
        """Write word2vec.c's text or binary format (atomically; ``.gz``/``.bz2``/``.xz`` compress).

        gensim's signature and semantics: rows are written by descending ``sort_attr`` when the
        vectors have it; ``fvocab`` also writes ``word count`` lines (word2vec.c's ``-save-vocab``);
        ``prefix`` goes before every key. Keys containing whitespace cannot be represented and raise
        ValueError (naming the key) before anything is written. See
        :func:`w2v.formats.save_word2vec_format`.
        """
        formats.save_word2vec_format(self, fname, fvocab=fvocab, binary=binary, total_vec=total_vec,
                                     write_header=write_header, prefix=prefix, append=append, sort_attr=sort_attr)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary=False, encoding="utf8", unicode_errors="strict",
                             limit=None, datatype=REAL, no_header=False, binary_chunk_size=100 * 1024):
        """Read word2vec.c's text or binary format (``.gz``/``.bz2``/``.xz`` too).

        gensim 4.4's keywords and meanings (``binary_chunk_size``, the bytes per read of a binary
        file, is the keyword of gensim's module-level ``_load_word2vec_format``). Counts come from
        ``fvocab`` (``word count`` lines) when given, else are made up in descending order as
        gensim does. ``limit`` keeps the first N keys; a truncated or malformed file raises
        :class:`w2v.formats.FormatError` naming the file and the problem. The table is allocated
        once and filled in place: loading costs the table and the keys, no temporary copies.
        """
        return formats.load_word2vec_format(cls, fname, fvocab=fvocab, binary=binary, encoding=encoding,
                                            unicode_errors=unicode_errors, limit=limit, datatype=datatype,
                                            no_header=no_header, binary_chunk_size=binary_chunk_size)

    def intersect_word2vec_format(self, fname, lockf=0.0, binary=False, encoding="utf8", unicode_errors="strict"):
        """Copy in the vectors of a word2vec.c file for the keys this table already has.

        No keys are added. Each imported row gets ``lockf`` in :attr:`vectors_lockf` (0.0, the
        default, freezes it in later training; 1.0 keeps training it). Unlike gensim, the default
        one-element ``vectors_lockf`` is first expanded to one factor per key (gensim would fail).
        """
        words, table, dim = formats.read_word2vec_rows(fname, self.key_to_index, binary=binary, encoding=encoding,
                                                       unicode_errors=unicode_errors)
        if dim != self.vector_size:
            raise ValueError(f"incompatible vector size {dim} in file {fname} (these vectors have {self.vector_size})")
        if words:
            rows = self._indices(words)
            self._vectors[rows] = table
            if self._vectors_lockf.shape[0] != len(self):
                self._vectors_lockf = np.full(len(self), self._vectors_lockf[0], dtype=REAL)
            self._vectors_lockf[rows] = lockf
        self.reset_norms()
        logger.info("merged %d vectors into %s matrix from %s", len(words), self._vectors.shape, fname)

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024**2, ignore=frozenset(),
             pickle_protocol=4) -> None:
        """Save in w2v's native single-file format (atomically replacing ``fname_or_handle``).

        The file holds the table at an aligned offset, so :meth:`load` can memory-map it
        (``mmap='r'``); nothing in it is pickled. ``separately``, ``sep_limit``, ``ignore`` and
        ``pickle_protocol`` are accepted for gensim's signature and have no effect.
        See :func:`w2v.formats.save_native`.
        """
        formats.save_native(self, fname_or_handle)

    @classmethod
    def load(cls, fname, mmap=None):
        """Load vectors saved by :meth:`save` (or by an older w2v's directory format), or by gensim.

        Files saved by gensim 0.12-4.x (``wv.save`` or ``model.save``; for a model, its vectors are
        returned) are read by :mod:`w2v.gensim_pickle` without gensim and without running pickled
        code. ``mmap='r'`` memory-maps the table (for gensim files, the arrays gensim stored in
        separate ``.npy`` files): processes that map one file share one copy of it, and queries
        only read it. A file truncated before or while loading is a
        :class:`w2v.formats.TruncatedFileError` naming it.
        """
        return formats.load_native(cls, fname, mmap=mmap)

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
