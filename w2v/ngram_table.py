"""The n-gram count table behind :mod:`w2v.phrases` and :mod:`w2v.word2phrase`: counts of word-id
sequences in a hash table of numpy arrays, grown when a kernel of :mod:`w2v.kernels.phrases` asks.

Counting never makes a Python call per token: a block of ids goes to one kernel call, which returns
early only when the table needs room, and :class:`NgramTable` grows it and calls again.
"""
from __future__ import annotations

import numpy as np

from .kernels import phrases as K

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
