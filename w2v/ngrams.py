"""The n-gram count table behind :mod:`w2v.phrases`, and corpora turned into blocks of word ids.

:class:`NgramTable` owns the numpy arrays of :mod:`w2v.kernels.phrases` (a hash table keyed by word-id
sequences) and grows them when a kernel asks. :class:`WordIndex` gives words ids in first-seen
order. :func:`id_blocks` reads any corpus w2v accepts (a path, an iterable of token lists, or a
phrased corpus) as consecutive ``(ids, offsets)`` blocks of whole sentences in a
:class:`WordIndex`'s id space, so counting and applying phrases never hold more than a block of
the corpus and never make a Python call per token.
"""
from __future__ import annotations

import collections
import os
import queue
import sys
import threading
from pathlib import Path

import numpy as np

from . import corpus as corpus_mod
from ._fileutil import compression_of
from .kernels import phrases as K
from .tokenize import Tokenizer

BLOCK_TOKENS = 1 << 20
#: rows of count_ngrams' recent-pairs cache (24 bytes each: 384 KiB, within a core's L2)
PAIR_CACHE_ROWS = 1 << 14


class NgramTable:
    """Counts of word-id sequences (unigrams ``(a,)`` and n-grams ``(a, ..., b)``), insertion-ordered.

    The layout is :mod:`w2v.kernels.phrases`': ``entries`` (key, count) rows, ``slots`` indexing
    them, ``arena`` for keys of three or more ids.
    """

    def __init__(self, capacity: int = 1 << 12):
        size = 1 << max(4, int(2 * capacity - 1).bit_length())
        self.slots = np.full(size, -1, np.int32)
        self.entries = np.zeros((size // 2, 2), np.int64)
        self.arena = np.zeros(64, np.int32)
        self.state = np.array([0, 0, 1, 0, 0], np.int64)  # entries, arena used, min_reduce, words, prunes
        # count_ngrams' unigrams of one-part words: (entry of word w or -1, count held back)
        self.word_entry = np.zeros((0, 2), np.int64)
        self.pair_cache = None  # count_ngrams' recent pairs (key, entry, pending count); made on first use
        self.unigram = np.zeros(0, np.int64)  # count_pairs' unigram counts of one-part words, held back

    def __len__(self) -> int:
        return int(self.state[K.N_ENTRIES])

    @property
    def min_reduce(self) -> int:
        return int(self.state[K.MIN_REDUCE])

    @property
    def words(self) -> int:
        """Corpus words counted (connector words included), gensim's ``corpus_word_count``."""
        return int(self.state[K.WORDS])

    @property
    def ecount(self) -> np.ndarray:
        """Count of every entry (a view; entries ``len(self)..`` are spare capacity)."""
        return self.entries[:, 1]

    def arrays(self):
        return self.slots, self.entries, self.arena, self.state

    def grow(self, entries: int, arena: int) -> None:
        """Room for ``entries`` more entries and ``arena`` more arena ids.

        Entries grow by 1.25x steps (16 bytes each), the slot array (a power of two, 4 bytes a
        slot) keeps the load under 0.7: about 25 bytes per entry, for gensim's ~100 per dict item.
        """
        n, used = len(self), int(self.state[K.ARENA_USED])
        need = n + entries
        cap = len(self.entries)
        if need > cap:
            self.entries.resize((max(need, cap + cap // 4), 2), refcheck=False)
        self.reserve_slots(need)
        if used + arena > len(self.arena):
            self.arena.resize(max(len(self.arena) + len(self.arena) // 2, used + arena), refcheck=False)

    def reserve_slots(self, entries: int) -> None:
        """A slot array that holds ``entries`` entries under the load limit (0.7): the smallest
        such power of two, if the present one is smaller (every entry is placed again). The
        entries array itself still grows only when entries are added."""
        if entries > len(self.slots) * 7 // 10:
            size = 1 << int(entries * 10 // 7).bit_length()
            self.slots = None  # the old slots go before the new ones are built
            self.slots = np.empty(size, np.int32)
            K.fill_slots(len(self), self.entries, self.arena, self.slots)

    def count_sentences(self, ids, offsets, is_conn, parts, max_vocab_size: int, settle: bool = True) -> None:
        """gensim's counting of every sentence of the block (pruning included); ``parts`` is
        :meth:`WordIndex.parts_arrays`. With ``settle`` False the unigram counts of one-part words
        may be held back (a scan of every word's row, saved between the blocks of one corpus):
        call :meth:`settle` before reading the counts."""
        first, n_sent = 0, len(offsets) - 1
        wp_start, wp_len, wp_parts = parts
        if len(self) < max_vocab_size:  # grow ahead for this block (typically ~0.3 new entries per token)
            self.grow(min(len(ids) // 2, max_vocab_size), 0)
        max_parts = int(wp_len.max()) if len(wp_len) else 1
        buf = np.empty(max_parts * max(1, int(np.diff(offsets).max(initial=0))), np.int32)
        if len(self.word_entry) < len(wp_len):
            more = np.zeros((len(wp_len) - len(self.word_entry), 2), np.int64)
            more[:, 0] = -1
            self.word_entry = np.concatenate([self.word_entry, more])
        if self.pair_cache is None:
            self.pair_cache = np.full((PAIR_CACHE_ROWS, 3), -1, np.int64)
        while first < n_sent:
            first = K.count_ngrams(ids, offsets, first, is_conn, wp_start, wp_len, wp_parts, buf,
                                   self.word_entry, self.pair_cache, max_vocab_size, settle, *self.arrays())
            if first < n_sent:
                n = int(offsets[first + 1] - offsets[first])
                self.grow(2 * n, 3 * max_parts * n + 2 * n)

    def settle(self) -> None:
        """Add the unigram counts :meth:`count_sentences` held back to their entries."""
        if len(self.word_entry):
            K.flush_unigrams(self.word_entry, self.entries, False)

    def count_pairs(self, ids, prev: int, parts) -> None:
        """word2phrase's counting: every word and consecutive pair (``prev`` precedes ids[0]).
        The unigrams of one-part words are held in ``self.unigram`` until :meth:`finish_pairs`."""
        wp_len = parts[1]
        if len(self.unigram) < len(wp_len):
            self.unigram = np.concatenate([self.unigram, np.zeros(len(wp_len) - len(self.unigram), np.int64)])
        if self.pair_cache is None:
            self.pair_cache = np.full((PAIR_CACHE_ROWS, 3), -1, np.int64)
        buf = np.empty(2 * max(1, int(wp_len.max(initial=1))), np.int32)
        done = 0
        while done < len(ids):
            step = K.count_pairs_stream(ids[done:], prev if done == 0 else ids[done - 1], self.unigram, *parts,
                                        buf, self.pair_cache, *self.arrays())
            done += step
            if done < len(ids):  # 1.25x steps: the table of every distinct pair is most of the memory
                self.grow(max(1024, len(self) // 4), 4096 + int(self.state[K.ARENA_USED]) // 4)

    def finish_pairs(self, parts) -> None:
        """Add the unigram counts :meth:`count_pairs` held back (one entry per counted word)."""
        self.grow(int(np.count_nonzero(self.unigram)), 0)
        K.add_unigrams(self.unigram, *parts, *self.arrays())
        self.pair_cache = None

    def merge(self, other: NgramTable) -> None:
        """Add ``other``'s counts into this table (gensim's add_vocab merge, before its pruning)."""
        first, n = 0, len(other)
        buf = np.empty(max(2, int(other.state[K.ARENA_USED])), np.int32)  # the longest key fits
        while first < n:
            first = K.merge_tables(first, other.entries, other.arena, n, buf, *self.arrays())
            if first < n:
                self.grow(n - first, int(other.state[K.ARENA_USED]))

    def prune(self, min_reduce: int) -> None:
        self.settle()
        K.prune(min_reduce, *self.arrays())
        self.word_entry[:, 0] = -1
        if self.pair_cache is not None:
            self.pair_cache[:, 0] = -1

    def key(self, e: int) -> np.ndarray:
        k = int(self.entries[e, 0])
        if k < 0:
            s = k & ((1 << 40) - 1)
            return self.arena[s + 1:s + 1 + int(self.arena[s])]
        a, b = (k >> 32) - 1, (k & 0xFFFFFFFF) - 1
        return np.array([a] if b < 0 else [a, b], np.int32)

    def key_strings(self, keep: np.ndarray, words: list[str], delimiter: str) -> list[str]:
        """The keys of entries ``keep`` as delimiter-joined strings. Keys of two ids (nearly all
        phrases) are joined from two C-level gathers, not one numpy call per entry."""
        keep = np.asarray(keep, np.int64)
        keys = self.entries[keep, 0]
        pool = np.empty(len(words), object)
        pool[:] = words
        short = keys >= 0
        first = pool[np.where(short, (keys >> 32) - 1, 0)].tolist()
        second = pool[np.where(short, (keys & 0xFFFFFFFF) - 1, 0)].tolist()
        out = [a + delimiter + b for a, b in zip(first, second)]
        for j in np.flatnonzero(~short | ((keys & 0xFFFFFFFF) == 0)).tolist():  # longer keys, unigrams
            out[j] = delimiter.join([words[i] for i in self.key(int(keep[j])).tolist()])
        return out

    def lookup(self, key) -> int:
        key = np.asarray(key, np.int32)
        return int(K.lookup(key, 0, len(key), self.slots, self.entries, self.arena))

    def word_counts(self, parts) -> np.ndarray:
        """Count of every word's own key (its parts), 0 where it has none."""
        return K.word_counts(len(parts[0]), *parts, self.word_entry, self.slots, self.entries, self.arena)

    def flat_keys(self):
        """(elen int32, keys int32): every entry's key length, and the keys one after another."""
        n = len(self)
        elen = np.empty(n, np.int32)
        flat = np.empty(2 * n + int(self.state[K.ARENA_USED]), np.int32)
        m = K.flat_keys(n, self.entries, self.arena, elen, flat)
        return elen, flat[:m].copy()

    def subset(self, keep: np.ndarray, count: int = -1) -> NgramTable:
        """A new table of the entries ``keep`` (in that order) with their counts, or all ``count``."""
        keep = np.asarray(keep, np.int64)
        table = NgramTable(max(len(keep), 16))
        keys = self.entries[keep, 0]
        table.grow(len(keep), int(self.state[K.ARENA_USED]) if (keys < 0).any() else 0)
        K.add_entries(keep, self.entries, self.arena, count, *table.arrays())
        table.state[K.MIN_REDUCE:] = self.state[K.MIN_REDUCE:]
        return table

    def compact_state(self) -> dict:
        """The live part of the table as plain arrays (for saving)."""
        elen, flat = self.flat_keys()
        return {"elen": elen, "ecount": self.entries[:len(self), 1].copy(), "arena": flat,
                "state": self.state.copy()}

    @classmethod
    def from_state(cls, elen, ecount, arena, state) -> NgramTable:
        """Rebuild a table from :meth:`compact_state`'s arrays (hashes and slots recomputed)."""
        n = len(elen)
        if len(ecount) != n or int(np.sum(elen, dtype=np.int64)) != len(arena) or (n and elen.min() < 1):
            raise ValueError("inconsistent phrase table arrays")
        table = cls(max(n, 16))
        long = elen > 2
        table.grow(n, int(elen[long].sum(dtype=np.int64)) + int(long.sum()))
        K.add_flat(np.asarray(elen, np.int64), np.asarray(ecount, np.int64), np.asarray(arena, np.int32),
                   *table.arrays())
        if len(table) != n:
            raise ValueError("inconsistent phrase table arrays (a key appears twice)")
        used = int(table.state[K.ARENA_USED])
        table.state[:] = state
        table.state[K.N_ENTRIES], table.state[K.ARENA_USED] = n, used
        return table


#: Heaps' law exponent of :class:`SizeForecast`: the distinct n-grams of a text grow about as
#: (words read) ** beta with beta 0.7-0.9 for natural language (0.8 on wiki17m's bigrams), so
#: the smallest usual value forecasts low rather than high
HEAPS_EXPONENT = 0.7
#: a forecast is at most this many times the entries counted so far (a bound on the memory a
#: wrong forecast can cost: a slot array sized for 4x the entries)
FORECAST_CAP = 4


class SizeForecast:
    """Forecasts a count table's final number of entries while a corpus of known size is read, so
    its slot array can be sized once for where it is going (:meth:`NgramTable.reserve_slots`)
    instead of doubling its way there. Each doubling places every entry again, and most of that
    work comes late, when the table is large: on wiki17m (4.2M entries) the doublings were ~15%
    of counting.

    The forecast is the smallest of: Heaps' law with a low exponent (:data:`HEAPS_EXPONENT`);
    the last block's growth rate carried to the end of the corpus (growth slows as a text goes
    on, so this is high for natural text, and it is right for one that repeats itself, whose
    growth stops); :data:`FORECAST_CAP` times the entries so far; and ``limit``. A forecast that
    comes out low costs nothing (the table doubles as before); one that comes out high costs
    slot memory (4 bytes a slot), bounded by the cap.
    """

    def __init__(self, limit: int):
        self.limit = limit
        self.last = (0.0, 0)

    def __call__(self, fraction: float | None, entries: int) -> int:
        """The forecast after ``fraction`` of the corpus gave ``entries`` (None: size unknown)."""
        f0, n0 = self.last
        if fraction is None or not f0 < fraction < 1 or entries <= 0:
            return entries
        self.last = fraction, entries
        heaps = entries * fraction ** -HEAPS_EXPONENT
        recent = entries + (entries - n0) / (fraction - f0) * (1 - fraction)
        return int(min(heaps, recent, FORECAST_CAP * entries, self.limit))


class ReadProgress:
    """How far the reading of a corpus's files has got: bytes handed on with the blocks so far,
    and the total (0 when unknown: a compressed file, or not a file corpus)."""

    def __init__(self):
        self.done = 0
        self.total = 0

    def expect(self, paths) -> None:
        """The corpus is ``paths``: their total size, if they are all plain files."""
        try:  # regular files only: sniffing a pipe's first bytes would take them from the reader
            if all(os.path.isfile(p) and compression_of(p) is None for p in paths):
                self.total = sum(os.path.getsize(p) for p in paths)
        except (OSError, ValueError):
            self.total = 0

    @property
    def fraction(self) -> float | None:
        """The part read, or None while the total is unknown."""
        return self.done / self.total if self.total > 0 else None


def _entered_first(name: str):
    """``dict.<name>`` for :class:`WordIndex`, called once the index's pending words are entered."""
    method = getattr(dict, name)

    def read(self, *args):
        self._sync()
        return method(self, *args)

    read.__name__ = read.__qualname__ = name
    return read


class WordIndex(dict):
    """word -> id in first-seen order; ``words`` lists them by id. Unknown words get the next id.

    With a ``delimiter``, every word also has *parts*: the ids of its delimiter-separated pieces
    (itself when it holds no delimiter; the pieces are words of the index too). Keys made of parts
    compare like gensim's delimiter-joined strings (see :meth:`parts_arrays`).
    """

    def __init__(self, words=(), delimiter: str | None = None):
        super().__init__()
        self.words: list[str] = []
        self.delimiter = delimiter
        self._mapped = 0  # words[:_mapped] are keys of the dict; the rest join it on first use
        self._wp_start = np.zeros(0, np.int64)
        self._wp_len = np.zeros(0, np.int32)
        self._wp_parts = np.zeros(0, np.int32)
        for w in words:
            self[w]

    def __missing__(self, word):
        if self._mapped < len(self.words):
            self._sync()
            i = dict.get(self, word)
            if i is not None:
                return i
        if not isinstance(word, str):
            raise corpus_mod.bad_token(word)
        i = self[word] = len(self.words)
        self.words.append(word)
        self._mapped += 1
        return i

    # the dict is read through these: each first enters the words extend_new appended
    __contains__, __len__, __iter__, __repr__, keys, values, items, get = (
        _entered_first(name) for name in ("__contains__", "__len__", "__iter__", "__repr__", "keys", "values",
                                          "items", "get"))

    def extend_new(self, words: list[str]) -> None:
        """Append words known to be distinct and not in the index (a tokeniser's new words,
        when the index holds exactly that tokeniser's words so far). They get the next ids
        at once; the dict entries are made when the dict is first read. Counting a file
        never reads it, so learning phrases from a file makes no dict entry (300k words:
        ~0.1 s of the counting thread on wiki17m)."""
        self.words.extend(words)

    def _sync(self) -> None:
        """Enter the words extend_new appended into the dict."""
        n0, n = self._mapped, len(self.words)
        if n0 < n:
            dict.update(self, zip(self.words[n0:], range(n0, n)))
            self._mapped = n

    def copy(self) -> WordIndex:
        other = WordIndex(delimiter=self.delimiter)
        dict.update(other, dict.items(self))  # the words entered so far; the rest stay to be entered
        other.words = list(self.words)
        other._mapped = self._mapped
        other._wp_start, other._wp_len, other._wp_parts = self._wp_start.copy(), self._wp_len.copy(), self._wp_parts.copy()
        return other

    def parts_arrays(self):
        """(start int64, length int32, parts int32): word w's parts are
        ``parts[start[w]:start[w] + length[w]]``, for every word (pieces added as words)."""
        done = len(self._wp_len)
        if done == len(self.words):
            return self._wp_start, self._wp_len, self._wp_parts
        d = self.delimiter
        lengths, parts = [], []
        while done < len(self.words):  # the pieces of a word join the index, so the list can grow here
            chunk = self.words[done:]
            new_len = np.ones(len(chunk), np.int32)
            segments, prev = [], 0
            for j in (_with_delimiter(chunk, d) if d is not None else []):
                pieces = [self[p] for p in chunk[j].split(d)]
                new_len[j] = len(pieces)
                segments += [np.arange(done + prev, done + j), pieces]
                prev = j + 1
            segments.append(np.arange(done + prev, done + len(chunk)))  # words of one part: themselves
            lengths.append(new_len)
            parts.append(np.concatenate(segments).astype(np.int32))
            done += len(chunk)
        new_len = np.concatenate(lengths)
        new_start = np.zeros(len(new_len), np.int64)
        if len(new_len) > 1:
            np.cumsum(new_len[:-1], out=new_start[1:])
        self._wp_start = _appended(self._wp_start, new_start + len(self._wp_parts))
        self._wp_len = _appended(self._wp_len, new_len)
        self._wp_parts = _appended(self._wp_parts, np.concatenate(parts))
        return self._wp_start, self._wp_len, self._wp_parts

    def ids_of_words(self, words: list[str]) -> np.ndarray:
        """Ids of str ``words`` (a tokeniser's new words, say), the unknown ones added in order:
        one C-level pass each for the test, the insertion and the lookup."""
        self._sync()
        n0 = len(self.words)
        if self.keys().isdisjoint(words):  # a tokeniser's new words: distinct and all new (C-level test)
            before = len(self)
            dict.update(self, zip(words, range(n0, n0 + len(words))))
            if len(self) == before + len(words):
                self.words.extend(words)
                self._mapped = len(self.words)
                return np.arange(n0, n0 + len(words), dtype=np.int32)
            for w in words:  # repeats among them: undo, and take the general path
                dict.pop(self, w, None)
        missing = [w for w in words if w not in self]
        if len(set(missing)) < len(missing):
            missing = list(dict.fromkeys(missing))
        if missing:
            self.words.extend(missing)
            dict.update(self, zip(missing, range(n0, n0 + len(missing))))
            self._mapped = len(self.words)
        return np.fromiter(map(self.__getitem__, words), np.int32, count=len(words))

    def lookup_for(self, words, table: np.ndarray | None = None) -> np.ndarray:
        """Ids here of ``words`` (a list that may have grown since ``table`` was made for it)."""
        old = 0 if table is None else len(table)
        new = self.ids_of_words(words[old:])
        return new if table is None else np.concatenate([table, new])


def _appended(view: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``view`` followed by ``values``, as a view of the same buffer when its spare room holds
    them (buffers grow by doubling: appending a block's new words costs their own size, not the
    whole array's). Views handed out before stay valid: only the room after them is written,
    so one buffer must have one writer (:meth:`WordIndex.copy` copies the arrays)."""
    n, k = len(view), len(values)
    buf = view.base if isinstance(view.base, np.ndarray) and view.base.ndim == 1 else view
    if buf.dtype != view.dtype or view.ctypes.data != buf.ctypes.data or len(buf) < n + k:
        buf = np.empty(max(2 * (n + k), 1024), view.dtype)
        buf[:n] = view
    buf[n:n + k] = values
    return buf[:n + k]


def _with_delimiter(words: list[str], d: str) -> list[int]:
    """Positions of the words that contain ``d`` (one C-level search first: usually none do)."""
    if d not in "\n".join(words):
        return []
    return [j for j, w in enumerate(words) if d in w]


#: suffixes gensim's reader (smart_open) decompresses but w2v's reader would not
_OTHER_COMPRESSION = frozenset({".zst", ".lz4", ".zip", ".z", ".br", ".snappy", ".lzma"})


def gensim_line_file(corpus):
    """(path, max_sentence_length) when ``corpus`` is gensim's ``LineSentence`` over a file path,
    else None. Its sentences are each line split with ``str.split`` and cut into chunks of
    ``max_sentence_length``: exactly what w2v's byte reader produces from the same file, so the
    file can be read in numba instead of one Python list per sentence (same tokens out)."""
    kind = type(corpus)
    if kind.__name__ != "LineSentence" or not kind.__module__.startswith("gensim."):
        return None
    source, max_len = getattr(corpus, "source", None), getattr(corpus, "max_sentence_length", None)
    if getattr(corpus, "limit", 0) is not None or not isinstance(source, (str, os.PathLike)):
        return None
    if not isinstance(max_len, int) or max_len < 1:
        return None
    path = Path(source)
    if not path.is_file() or path.suffix.lower() in _OTHER_COMPRESSION:
        return None
    return path, max_len


#: a file's ids are kept after counting, for applying the phrases to the same file without reading
#: and tokenising it again, up to this many tokens (4 bytes each: 128 MiB)
KEEP_TOKENS = 1 << 25


def file_key(corpus, max_sentence_length: int):
    """What identifies the sentences of a one-file corpus (a path to a file, or gensim's
    ``LineSentence`` of one): the file (resolved path, inode, size, modification time) and the
    sentence length it is cut at. None for any other corpus."""
    line_file = gensim_line_file(corpus)
    if line_file is not None:
        path, max_len = line_file
    elif isinstance(corpus, (str, os.PathLike)) and not hasattr(corpus, "output_blocks"):
        path, max_len = Path(corpus), max_sentence_length
    else:
        return None
    try:
        if not path.is_file():
            return None
        st = path.stat()
        return str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, int(max_len)
    except OSError:
        return None


class KeptIds:
    """The ``(ids, offsets)`` blocks of one file in a model's word index, kept from counting so
    that applying the phrases to that same, unchanged file (:func:`file_key`) skips reading and
    tokenising it: for a file of up to ``KEEP_TOKENS`` tokens, the second pass over it is then
    the phrase kernel alone. The blocks are shared, never written to."""

    def __init__(self, key, blocks: list):
        self.key, self.blocks = key, blocks


def keeping(corpus, index: WordIndex, max_sentence_length: int, holder: list, progress: ReadProgress | None = None):
    """:func:`id_blocks` of ``corpus`` that also keeps them: when the corpus is one file of at most
    ``KEEP_TOKENS`` tokens, unchanged while it was read, ``holder`` gets a :class:`KeptIds`."""
    key = file_key(corpus, max_sentence_length)
    if key is None:
        yield from id_blocks(corpus, index, max_sentence_length, progress=progress)
        return
    kept: list = []
    yield from kept_blocks(id_blocks(corpus, index, max_sentence_length, progress=progress), KEEP_TOKENS, kept)
    if kept and file_key(corpus, max_sentence_length) == key:
        holder.append(KeptIds(key, kept[0]))


def kept_blocks(blocks, max_tokens: int, holder: list):
    """Yield ``blocks`` ((ids, ...) tuples); if all of them together hold at most ``max_tokens``
    ids, ``holder`` then gets the list of them (for a second pass that need not read them again)."""
    kept, total = [], 0
    for block in blocks:
        if kept is not None:
            total += len(block[0])
            if total <= max_tokens:
                kept.append(block)
            else:
                kept = None
        yield block
    if kept is not None:
        holder.append(kept)


def joined_blocks(blocks, min_tokens: int):
    """``(ids, offsets)`` blocks of whole sentences joined, in order, into blocks of at least
    ``min_tokens`` ids (the last one may hold fewer); a block already that large passes as is."""
    ids_parts, offset_parts, total = [], [np.zeros(1, np.int64)], 0
    for ids, offsets in blocks:
        if not ids_parts and len(ids) >= min_tokens:
            yield ids, offsets
            continue
        ids_parts.append(ids)
        offset_parts.append(offsets[1:] + total)
        total += len(ids)
        if total >= min_tokens:
            yield np.concatenate(ids_parts), np.concatenate(offset_parts)
            ids_parts, offset_parts, total = [], [np.zeros(1, np.int64)], 0
    if ids_parts:
        yield np.concatenate(ids_parts), np.concatenate(offset_parts)


def id_blocks(corpus, index: WordIndex, max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH,
              kept: KeptIds | None = None, progress: ReadProgress | None = None):
    """Yield ``(ids, offsets)`` blocks of whole sentences of ``corpus``, ids in ``index`` (which
    grows with new words). Accepts a path, a phrased corpus (anything with ``output_blocks``),
    gensim's ``LineSentence`` of a file (read as that file) or an iterable of token lists.
    ``kept``: ids of a file read before in ``index``'s id space, used if ``corpus`` is that file.
    ``progress``: follows the bytes read, for a file corpus."""
    progress = progress or ReadProgress()
    if kept is not None and kept.key == file_key(corpus, max_sentence_length):
        yield from kept.blocks
        return
    line_file = gensim_line_file(corpus)
    if line_file is not None:
        progress.expect([line_file[0]])
        yield from _file_blocks(line_file[0], index, line_file[1], progress)
        return
    if hasattr(corpus, "output_blocks"):
        lookup = np.zeros(0, np.int32)
        for ids, offsets, words in corpus.output_blocks(max_sentence_length):
            if len(lookup) < len(words):
                lookup = index.lookup_for(words, lookup)
            yield lookup[ids], offsets
        return
    corpus_mod.check_corpus(corpus)
    if corpus_mod.is_path_corpus(corpus):
        files = corpus_mod.corpus_files(corpus)
        progress.expect(files)
        for path in files:
            yield from _file_blocks(path, index, max_sentence_length, progress)
        return
    # token lists are taken whole, as gensim's Phrases does (max_sentence_length is for files)
    yield from _list_blocks(corpus_mod.iter_sentences(corpus, sys.maxsize), index)


def _list_blocks(sentences, index: WordIndex):
    batch, lengths = [], [0]
    for sentence in sentences:
        batch.extend(sentence)
        lengths.append(len(sentence))
        if len(batch) >= BLOCK_TOKENS:
            yield _map_tokens(index, batch), np.cumsum(np.asarray(lengths, np.int64))
            batch, lengths = [], [0]
    if len(lengths) > 1:
        yield _map_tokens(index, batch), np.cumsum(np.asarray(lengths, np.int64))


def _map_tokens(index: WordIndex, batch: list) -> np.ndarray:
    try:
        return np.fromiter(map(index.__getitem__, batch), np.int32, count=len(batch))
    except TypeError as e:
        if "unhashable" in str(e):
            raise corpus_mod.bad_token(next(t for t in batch if not isinstance(t, str))) from None
        raise


class StreamingTokenizer(Tokenizer):
    """The byte tokeniser of :mod:`w2v.tokenize`, emptied after each block so a file is never held
    whole: :meth:`take` returns the sentences completed so far and keeps the open one."""

    def _flush(self) -> None:
        """Keep the block's ids here: the caller takes them (a scan would write them to its streams)."""

    def take(self, keep_open: bool = True):
        """(ids, sentence offsets) of the complete sentences (all of them if not ``keep_open``,
        the open one included), and forget them."""
        n_ids, n_sent = int(self.state[2]), int(self.state[3])
        end = int(self.offsets[n_sent - 1]) if n_sent else 0
        if not keep_open and end < n_ids:
            ends = np.append(self.offsets[:n_sent], n_ids)
            end = n_ids
        else:
            ends = self.offsets[:n_sent].copy()
        ids = self.ids[:end].copy()
        tail = n_ids - end
        self.ids[:tail] = self.ids[end:n_ids]
        self.state[2], self.state[3] = tail, 0
        return ids, np.concatenate([[0], ends]).astype(np.int64)

    def new_words(self, first: int) -> list[str]:
        """The words with ids ``first..`` (as str). Their bytes lie one after another in the
        arena: with a space put between them (no token holds one) they are decoded and split
        at once, in C (~10x faster than decoding 300k words one by one)."""
        n = int(self.state[0])
        if n <= first:
            return []
        begin = int(self.starts[first])
        ends = self.starts[first + 1:n] - begin
        text = np.insert(self.arena[begin:int(self.starts[n - 1]) + int(self.lengths[n - 1])], ends, 0x20)
        return text.tobytes().decode("utf-8").split(" ")


def _file_blocks(path, index: WordIndex, max_sentence_length: int, progress: ReadProgress):
    """(ids in ``index``, offsets) blocks of a file (see :func:`indexed_blocks`)."""
    yield from indexed_blocks(_tokenized_blocks(path, max_sentence_length), index, progress)


def indexed_blocks(tokenized, index: WordIndex, progress: ReadProgress | None = None):
    """(ids in ``index``, sentence or line marks) per block of a file's ``tokenized`` blocks
    (tokeniser ids, marks, the words first seen in the block, bytes read up to its end). They
    are made one block ahead in a thread (the tokeniser releases the GIL), so with a free core
    the tokenising overlaps the counting or applying the caller does with each block; new words
    join ``index`` here, in the caller's thread. ``progress.done`` counts the bytes up to each
    block's end."""
    known, lookup, before = 0, None, progress.done if progress else 0
    for ids, marks, new_words, nbytes in in_background(tokenized):
        if progress:
            progress.done = before + nbytes
        lookup = index_lookup(index, new_words, known, lookup)
        known += len(new_words)
        if lookup is not None:
            K.remap_ids(lookup, ids)
        yield ids, marks


def index_lookup(index: WordIndex, new_words: list[str], known: int, lookup):
    """Join a tokeniser's ``new_words`` (its ids ``known..``) to ``index``; return the map from
    the tokeniser's ids to the index's, or None while the two are the same (a fresh index that
    only this tokeniser fills: its words are then appended as they are, see
    :meth:`WordIndex.extend_new`, and its ids need no remapping)."""
    if not new_words:
        return lookup
    if lookup is None and len(index.words) == known:  # the index holds exactly this tokeniser's words
        index.extend_new(new_words)
        return None
    new = index.ids_of_words(new_words)
    if lookup is None and np.array_equal(new, np.arange(known, known + len(new))):
        return None
    return np.concatenate([np.arange(known, dtype=np.int32) if lookup is None else lookup, new])


def _tokenized_blocks(path, max_sentence_length: int):
    """(tokeniser ids, offsets, the words first seen in this block, bytes read up to its end) of
    a file, block by block."""
    tok = StreamingTokenizer(max_sentence_length)
    known = nbytes = 0

    def take(keep_open: bool):
        nonlocal known
        ids, offsets = tok.take(keep_open)
        n = int(tok.state[0])
        new, known = (tok.new_words(known) if n > known else []), n
        collections.deque(map(hash, new), maxlen=0)  # str caches its hash: the index's dict won't hash again
        return ids, offsets, new, nbytes

    for block in corpus_mod.validated_blocks(path):
        tok.feed(block)
        nbytes += len(block)
        if int(tok.state[3]):
            yield take(True)
    tok.end_document()
    last = take(False)
    if len(last[0]):
        yield last


def in_background(items, depth: int = 2):
    """Iterate ``items`` in a thread, at most ``depth`` items ahead of the consumer; its
    exceptions are raised here. Closing this generator early stops the thread."""
    q: queue.Queue = queue.Queue(depth)
    stop = threading.Event()
    done = object()

    def produce():
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        q.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            q.put((done, None))
        except BaseException as e:  # handed to the consumer
            q.put((done, e))

    thread = threading.Thread(target=produce, name="w2v-reader", daemon=True)
    thread.start()
    try:
        while True:
            item, error = q.get()
            if item is done:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()
        while thread.is_alive():  # unblock a producer waiting to put
            try:
                q.get(timeout=0.1)
            except queue.Empty:
                pass
        thread.join()


def words_arena(words: list[str]):
    """(bytes as uint8, starts int64, lengths int32) of ``words`` in UTF-8, for the text writers.
    ASCII words (most of a vocabulary) are encoded as one string: a byte per character."""
    text = "".join(words)
    if text.isascii():
        blob = text.encode("ascii")
        lengths = np.fromiter(map(len, words), np.int32, count=len(words))
    else:
        encoded = [w.encode("utf-8") for w in words]
        blob = b"".join(encoded)
        lengths = np.fromiter(map(len, encoded), np.int32, count=len(encoded))
    starts = np.zeros(len(words), np.int64)
    if len(words) > 1:
        np.cumsum(lengths[:-1], out=starts[1:])
    return np.frombuffer(blob, np.uint8), starts, lengths


class WordBytes:
    """The UTF-8 bytes of a growing word list in the form the text writers copy (see
    :func:`w2v.kernels.phrases.write_phrased`).

    ``chunks``: every word's bytes, zero-padded to whole 8-byte chunks (:func:`K.pad_words8`);
    ``records``: per word, (its first chunk, that chunk's index << 32 | its byte length) as
    uint64, the one 16-byte row a writer reads for a token (a word of up to 8 bytes needs
    nothing else); ``lengths``: the byte lengths again as int32, for the writers' size bounds.
    """

    def __init__(self, words=()):
        self.chunks = np.zeros(0, np.uint64)
        self.records = np.zeros((0, 2), np.uint64)
        self.lengths = np.zeros(0, np.int32)
        self.extend(list(words))

    def __len__(self) -> int:
        return len(self.lengths)

    def extend(self, words: list[str]) -> None:
        """Add ``words`` (ids continue from ``len(self)``); only their own bytes are packed."""
        if not words:
            return
        blob, starts, lengths = words_arena(words)
        chunks, first = K.pad_words8(blob, starts, lengths)
        base = len(self.chunks)
        if base + len(chunks) >= 1 << 32:
            raise ValueError(f"{base + len(chunks)} chunks of word bytes: more than the 2**32 a record can index")
        records = np.zeros((len(words), 2), np.uint64)
        has = lengths > 0
        records[has, 0] = chunks[first[has]]
        records[:, 1] = ((first + base).astype(np.uint64) << np.uint64(32)) | lengths.astype(np.uint64)
        self.chunks = np.concatenate([self.chunks, chunks])
        self.records = np.concatenate([self.records, records])
        self.lengths = np.concatenate([self.lengths, lengths])
