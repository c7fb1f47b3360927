"""FastTextKeyedVectors: word vectors that answer for any string, gensim 4.4's API.

Three tables: ``vectors_vocab`` (each vocabulary word's own trained row), ``vectors_ngrams``
(``bucket`` rows, one per hash bucket of character n-grams) and ``vectors``, each vocabulary
word's vector as gensim and fastText compose it: the mean of its own row and its n-gram rows
(:meth:`adjust_vectors`, recomputed after training). A word outside the vocabulary gets the mean
of its n-gram rows; one without any n-gram (only possible with unusual ``min_n``/``max_n``) gets
the zero vector, and with ``bucket=0`` there are no n-grams at all and an unknown word is a
KeyError, as in gensim.

Every query of :class:`w2v.KeyedVectors` works here, with unknown words allowed wherever a word
is the query (``most_similar('unseenword')``); answers are always vocabulary words.
"""
from __future__ import annotations

import json
import logging
import zipfile
import zlib

import numpy as np

from ..fileutil import atomic_write
from ..ranking import unit_rows
from ..vectors import KeyedVectors
from .hashing import ft_ngram_hashes, ngram_buckets
from .kernels import compose_word_vectors

logger = logging.getLogger("w2v")
REAL = np.float32
FORMAT = "w2v-fasttext-vectors"
FORMAT_VERSION = 1


class FastTextKeyedVectors(KeyedVectors):
    """Vectors for vocabulary words and, from their character n-grams, for any other string."""

    def __init__(self, vector_size, min_n, max_n, bucket, count=0, dtype=REAL):
        super().__init__(vector_size, count=count, dtype=dtype)
        self.min_n, self.max_n, self.bucket = int(min_n), int(max_n), int(bucket)
        self.vectors_vocab = np.zeros((count, vector_size), dtype=dtype)
        self.vectors_ngrams = np.zeros((0, vector_size), dtype=dtype)
        self.vectors_vocab_lockf = np.ones(1, dtype=REAL)
        self.vectors_ngrams_lockf = np.ones(1, dtype=REAL)
        self.compatible_hash = True
        self.ngram_cache = None

    @classmethod
    def from_tables(cls, vectors_vocab, vectors_ngrams, words, counts, min_n, max_n, bucket) -> FastTextKeyedVectors:
        """Wrap trained tables (held by reference) and compose ``vectors`` from them."""
        vectors_vocab = np.asarray(vectors_vocab)
        kv = cls.from_vectors(np.array(vectors_vocab, copy=True), words, counts)
        kv.min_n, kv.max_n, kv.bucket = int(min_n), int(max_n), int(bucket)
        kv.vectors_vocab = vectors_vocab
        kv.vectors_ngrams = np.asarray(vectors_ngrams)
        kv.vectors_vocab_lockf = np.ones(1, dtype=REAL)
        kv.vectors_ngrams_lockf = np.ones(1, dtype=REAL)
        kv.compatible_hash = True
        kv.ngram_cache = None
        if kv.bucket and kv.vectors_ngrams.shape != (kv.bucket, vectors_vocab.shape[1]):
            raise ValueError(f"vectors_ngrams has shape {kv.vectors_ngrams.shape}, expected "
                             f"({kv.bucket}, {vectors_vocab.shape[1]}) for bucket={kv.bucket}")
        kv.adjust_vectors()
        return kv

    # ---- n-grams of the vocabulary ----------------------------------------------------------

    def ngram_table(self) -> tuple[np.ndarray, np.ndarray]:
        """Every vocabulary word's n-gram bucket ids as CSR ``(starts int64, ids int32)``, cached
        until the vocabulary or the n-gram settings change."""
        key = (len(self.index_to_key), self.min_n, self.max_n, self.bucket)
        cache = getattr(self, "ngram_cache", None)
        if cache is None or cache[0] != key:
            starts, ids = ngram_buckets(self.index_to_key, self.min_n, self.max_n, self.bucket)
            self.ngram_cache = cache = (key, starts, ids)
        return cache[1], cache[2]

    def recalc_char_ngram_buckets(self) -> None:
        """Recompute the vocabulary's n-gram buckets (gensim's name; they are cached otherwise)."""
        self.ngram_cache = None
        self.ngram_table()

    @property
    def buckets_word(self) -> list:
        """gensim's per-word bucket id arrays (uint32), built from :meth:`ngram_table`."""
        starts, ids = self.ngram_table()
        return [ids[starts[i]:starts[i + 1]].astype(np.uint32) for i in range(len(starts) - 1)]

    def adjust_vectors(self) -> None:
        """``vectors`` = each vocabulary word's own row and n-gram rows, averaged (gensim's rule)."""
        if self.bucket == 0:
            self.vectors = self.vectors_vocab
        else:
            starts, ids = self.ngram_table()
            vocab = np.ascontiguousarray(self.vectors_vocab, dtype=np.float32)
            ngrams = np.ascontiguousarray(self.vectors_ngrams, dtype=np.float32)
            out = np.empty(vocab.shape, np.float32)
            compose_word_vectors(vocab, ngrams, starts, ids, out)
            self.vectors = out
        self.reset_norms()

    # ---- lookups -------------------------------------------------------------------------------

    def __contains__(self, word) -> bool:
        """True for any word when n-grams are on (every string has a vector), as in gensim."""
        if self.bucket == 0:
            return word in self.key_to_index
        return True

    def get_vector(self, word, norm=False) -> np.ndarray:
        """The vector of ``word``: its trained vector if known, else the mean of its n-gram rows."""
        if word in self.key_to_index:
            return super().get_vector(word, norm=norm)
        if self.bucket == 0:
            raise KeyError("cannot calculate vector for OOV word without ngrams")
        if not isinstance(word, str):
            raise KeyError(f"Key '{word}' not present (n-gram vectors are computed for strings)")
        hashes = ft_ngram_hashes(word, self.min_n, self.max_n, self.bucket)
        vec = np.zeros(self.vector_size, dtype=np.float32)
        if not hashes:
            logger.warning("could not extract any ngrams from %r, returning origin vector", word)
            return vec
        vec = self.vectors_ngrams[hashes].sum(axis=0, dtype=np.float32)
        if norm:
            return vec / np.linalg.norm(vec)
        return vec / len(hashes)

    def __getitem__(self, key_or_keys):
        if is_single_key(key_or_keys, self.key_to_index):
            return self.get_vector(key_or_keys)
        keys = list(key_or_keys)
        if not keys:
            return np.zeros((0, self.vector_size), dtype=np.float32)
        return np.stack([self.get_vector(k) for k in keys])

    def get_sentence_vector(self, sentence) -> np.ndarray:
        """Mean of the words' unit vectors (gensim's ``get_sentence_vector``)."""
        return self.get_mean_vector(sentence)

    def vectors_for_all(self, keys, allow_inference=True, copy_vecattrs=False) -> KeyedVectors:
        """A plain KeyedVectors of ``keys``; unknown words are inferred from n-grams unless
        ``allow_inference=False`` (then they are left out)."""
        vocab = list(dict.fromkeys(k for k in keys if (k in self if allow_inference else k in self.key_to_index)))
        table = np.stack([self.get_vector(k) for k in vocab]) if vocab else np.zeros((0, self.vector_size), REAL)
        kv = KeyedVectors.from_vectors(table.astype(REAL), vocab, np.arange(len(vocab), 0, -1))
        if copy_vecattrs:
            for attr, values in self.expandos.items():
                kv.expandos[attr] = np.array([values[self.key_to_index[k]] if k in self.key_to_index else 0
                                              for k in vocab], dtype=values.dtype)
        return kv

    # ---- queries with unknown words ---------------------------------------------------------------

    def _inferred_terms(self, terms):
        """Query terms with every unknown word replaced by its unit n-gram vector (known words stay
        keys, so they are still left out of the answers)."""
        if terms is None:
            return None
        single = isinstance(terms, (str, np.ndarray)) or (isinstance(terms, tuple) and len(terms) == 2
                                                            and isinstance(terms[1], (int, float)))
        items = [terms] if single else list(terms)
        out = []
        for item in items:
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
                key, weight = item
                out.append((self.unit_vector_of(key), weight) if key not in self.key_to_index else item)
            elif isinstance(item, str) and item not in self.key_to_index:
                out.append(self.unit_vector_of(item))
            else:
                out.append(item)
        return out

    def unit_vector_of(self, word) -> np.ndarray:
        """``word``'s vector at unit length (the zero vector stays zero)."""
        return unit_rows(np.asarray(self.get_vector(word), dtype=np.float32))

    def most_similar(self, positive=None, negative=None, topn=10, clip_start=0, clip_end=None,
                     restrict_vocab=None, indexer=None):
        return super().most_similar(self._inferred_terms(positive), self._inferred_terms(negative), topn,
                                    clip_start, clip_end, restrict_vocab, indexer)

    def most_similar_cosmul(self, positive=None, negative=None, topn=10, restrict_vocab=None):
        return super().most_similar_cosmul(self._inferred_terms(positive), self._inferred_terms(negative), topn,
                                           restrict_vocab)

    def similar_by_key(self, key, topn=10, restrict_vocab=None):
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    similar_by_word = similar_by_key

    def similarity(self, w1, w2) -> float:
        return float(self.unit_vector_of(w1) @ self.unit_vector_of(w2))

    def n_similarity(self, ws1, ws2) -> float:
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            return super().n_similarity(ws1, ws2)  # gensim's error for an empty list
        a = unit_rows(np.mean([self.get_vector(w) for w in ws1], axis=0))
        b = unit_rows(np.mean([self.get_vector(w) for w in ws2], axis=0))
        return float(a @ b)

    def distances(self, word_or_vector, other_words=()) -> np.ndarray:
        other_words = list(other_words)
        if isinstance(word_or_vector, str):
            source = self.unit_vector_of(word_or_vector)
        else:
            source = unit_rows(np.asarray(word_or_vector, dtype=np.float32))
        if other_words:
            return 1.0 - unit_rows(self[other_words]) @ source
        return super().distances(source)

    def wmdistance(self, document1, document2, norm=True) -> float:
        """Word Mover's Distance; unseen words take part with their n-gram vectors (as in gensim)."""
        words = list(dict.fromkeys(t for t in list(document1) + list(document2) if t in self))
        return self.vectors_for_all(words).wmdistance(document1, document2, norm=norm)

    # ---- growing ---------------------------------------------------------------------------------

    def resize_vectors(self, seed=0) -> None:
        """Tables sized to the keys (new rows uniform in [-1/d, 1/d)), then ``vectors`` recomposed."""
        d = self.vector_size
        rng = np.random.default_rng(seed)
        self.vectors_vocab = _grown(self.vectors_vocab, len(self.index_to_key), d, rng)
        self.vectors_ngrams = _grown(self.vectors_ngrams, self.bucket, d, rng)
        self.allocate_vecattrs()
        self.ngram_cache = None
        self.adjust_vectors()

    def init_post_load(self, fb_vectors) -> None:
        """Split a Facebook model's input matrix (words, then buckets) into the two tables."""
        n = len(self)
        if fb_vectors.shape != (n + self.bucket, self.vector_size):
            raise ValueError(f"the input matrix has shape {fb_vectors.shape}, expected "
                             f"({n + self.bucket}, {self.vector_size}) for {n} words and {self.bucket} buckets")
        self.vectors_vocab = np.array(fb_vectors[:n], dtype=REAL)
        self.vectors_ngrams = np.array(fb_vectors[n:], dtype=REAL)
        self.ngram_cache = None
        self.adjust_vectors()

    # ---- files -------------------------------------------------------------------------------------

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024**2, ignore=frozenset(),
             pickle_protocol=4) -> None:
        """Save as one .npz file (no pickle), atomically; gensim's extra arguments have no effect."""
        meta = {"format": FORMAT, "version": FORMAT_VERSION, "keys": list(self.index_to_key),
                "min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket}
        for i, key in enumerate(meta["keys"]):
            if not isinstance(key, str):
                raise TypeError(f"key #{i} {key!r} is not a str: FastTextKeyedVectors.save stores str keys")
        arrays = {"vectors_vocab": self.vectors_vocab, "vectors_ngrams": self.vectors_ngrams,
                  "vectors_vocab_lockf": self.vectors_vocab_lockf, "vectors_ngrams_lockf": self.vectors_ngrams_lockf}
        for attr, values in self.expandos.items():
            if not np.asarray(values).dtype.hasobject:
                arrays[f"expando:{attr}"] = np.asarray(values)
        write_npz(fname_or_handle, meta, arrays)

    @classmethod
    def load(cls, fname, mmap=None) -> FastTextKeyedVectors:
        """Load vectors written by :meth:`save` (``mmap`` has no effect: the file is read into memory)."""
        meta, arrays = read_npz(fname, FORMAT)
        kv = cls.from_tables(arrays["vectors_vocab"], arrays["vectors_ngrams"], meta["keys"], None,
                             meta["min_n"], meta["max_n"], meta["bucket"])
        for name in ("vectors_vocab_lockf", "vectors_ngrams_lockf"):
            if name in arrays:
                setattr(kv, name, arrays[name])
        for name, values in arrays.items():
            if name.startswith("expando:"):
                kv.expandos[name.partition(":")[2]] = values
        return kv


def is_single_key(key, key_to_index) -> bool:
    """A str/int key, or a hashable (a tuple) that is itself a key; lists and arrays are several keys."""
    if isinstance(key, (str, int, np.integer)):
        return True
    try:
        return key in key_to_index
    except TypeError:
        return False


def _grown(table, rows: int, d: int, rng) -> np.ndarray:
    if table is not None and table.shape == (rows, d):
        return table
    new = ((rng.random((rows, d), dtype=np.float32) * 2 - 1) / np.float32(d)).astype(REAL)
    if table is not None and table.ndim == 2 and table.shape[1] == d:
        keep = min(rows, len(table))
        new[:keep] = table[:keep]
    return new


def write_npz(fname_or_handle, meta: dict, arrays: dict) -> None:
    """``meta`` (JSON) and ``arrays`` as one .npz, written atomically to a path (or into a file object)."""
    payload = {"meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), np.uint8),
               **{k: np.ascontiguousarray(v) for k, v in arrays.items()}}
    if hasattr(fname_or_handle, "write"):
        np.savez(fname_or_handle, **payload)
        return
    with atomic_write(fname_or_handle) as f:
        np.savez(f, **payload)


def read_npz(fname, kind: str) -> tuple[dict, dict]:
    """Read a file :func:`write_npz` wrote, refusing one of another ``kind`` (an error naming the file)."""
    try:
        with np.load(fname, allow_pickle=False) as z:
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            arrays = {k: z[k] for k in z.files if k != "meta"}
    except FileNotFoundError:
        raise
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error, UnicodeDecodeError) as e:
        raise ValueError(f"{str(fname)!r} is not a w2v FastText file ({kind}): {e}") from None
    if not isinstance(meta, dict) or meta.get("format") != kind:
        found = meta.get("format") if isinstance(meta, dict) else None
        raise ValueError(f"{str(fname)!r} is not a w2v FastText file of kind {kind!r} (it holds {found!r})")
    return meta, arrays
