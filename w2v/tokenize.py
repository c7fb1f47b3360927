"""Byte-level tokeniser for file corpora: whitespace splitting and word -> id lookup in numba.

Python's ``str.split`` plus a dict lookup costs ~190 ns per token; a text8-sized file (17M tokens)
spends 3.5 s there before training starts. This module does the same work over raw UTF-8 bytes:
it splits on exactly the characters ``str.split()`` treats as whitespace (ASCII and Unicode), ends
sentences at ``\\n`` and every ``max_sentence_length`` tokens, and assigns ids in first-seen order
through an open-addressing hash table, so its output equals :func:`w2v.encode.scan`'s Python path
token for token (a test checks it). UTF-8 validity is still checked by Python's decoder per block.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numba import njit
from numba.cpython.unsafe.numbers import trailing_zeros  # LLVM cttz, one instruction

from .idstore import IdStream, StreamWriter, count_ids
from .kernels.borrow import borrowed
from .kernels.prefetch import prefetch_item
from .kernels.unaligned import load_u64

#: a word's hash mixes its bytes 8 at a time (little-endian chunks, the last one zero-padded)
#: with these odd constants, then its length (:func:`_word_hash`)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX_END = np.uint64(0xBF58476D1CE4E5B9)
#: SWAR constants: 0x21 (the byte after the space) and the high bit, in every byte of a word
_BYTES_21 = np.uint64(0x2121212121212121)
_HIGH_BITS = np.uint64(0x8080808080808080)

#: byte classes: 0 = part of a token, 1 = whitespace, 2 = newline, 3 = may start Unicode whitespace
BYTE_CLASS = np.zeros(256, np.uint8)
BYTE_CLASS[[0x09, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = 1
BYTE_CLASS[0x0A] = 2
BYTE_CLASS[[0xC2, 0xE1, 0xE2, 0xE3]] = 3

#: buckets of the recent-words table (a power of two; 32 bytes each: 512 KiB, within a core's L2)
RECENT_SIZE = 1 << 14
#: events (tokens and line ends) per chunk of :func:`_tokenize`, and how many misses ahead it prefetches
CHUNK, MISS_AHEAD = 4096, 8

#: the counters in ``Tokenizer.state`` (int64), by index: distinct words so far; bytes of the arena in
#: use; ids in the current block; sentence ends in the current block; the length of the sentence
#: still open; the block position of the first line end (-1 until one is seen)
WORDS, ARENA_USED, BLOCK_IDS, BLOCK_SENTENCES, OPEN_LENGTH, FIRST_LINE_END = range(6)


class Tokenizer:
    """Growing state of one scan: the distinct words (as bytes) and their counts; the id stream
    and the sentence ends go to stream writers block by block (:mod:`w2v.idstore`), so a scan
    holds one block's ids in memory, not the corpus's."""

    def __init__(self, max_sentence_length: int, spill_dir=None):
        self.max_len = max_sentence_length
        self.slots = np.full(1 << 16, -1, np.int32)       # hash table: word id or -1
        self.hashes = np.zeros(1 << 15, np.uint64)          # per word id (capacity: half the slots)
        self.starts = np.zeros(1 << 15, np.int64)           # per word id, into arena
        self.lengths = np.zeros(1 << 15, np.int32)
        self.counts = np.zeros(1 << 15, np.int64)           # per word id: tokens flushed so far
        self.arena = np.zeros(1 << 20, np.uint8)
        self.ids = np.zeros(1 << 20, np.int32)              # the current block's ids
        self.offsets = np.zeros(1 << 12, np.int64)          # the current block's sentence ends
        # the last word seen per hash bucket: (hash, id, its first 8 bytes, its length), a table
        # small enough for the L2 cache
        self.recent = np.full((RECENT_SIZE, 4), -1, np.int64)
        # the counters, indexed by WORDS, ARENA_USED, BLOCK_IDS, BLOCK_SENTENCES, OPEN_LENGTH, FIRST_LINE_END
        self.state = np.array([0, 0, 0, 0, 0, -1], np.int64)
        self.id_out = StreamWriter(np.int32, spill_dir)
        self.end_out = StreamWriter(np.int64, spill_dir)
        self.end_out.append(np.zeros(1, np.int64))          # offsets start at 0
        self.flushed = 0              # ids handed to id_out
        self.first_line_end = -1      # ids before the first line end, over the whole scan (see absorb)

    def feed(self, block: bytes) -> None:
        """Tokenise a block that ends at whitespace (a token never spans two blocks)."""
        data = np.frombuffer(block, np.uint8)
        self._reserve(len(data))
        pos = 0
        while True:
            pos = _tokenize(data, pos, BYTE_CLASS, self.max_len, self.slots, self.hashes, self.starts,
                            self.lengths, self.arena, self.ids, self.offsets, self.state, self.recent)
            if pos >= len(data):
                break
            self._grow_table()  # the table is half full: double it and go on from pos
        self._flush()

    def end_document(self) -> None:
        """A file ends: close the open sentence (files never share a sentence)."""
        self._reserve(0)
        _end_line(self.offsets, self.state)
        self._flush()

    def _flush(self) -> None:
        """Count the block's ids and hand them and its sentence ends to the writers."""
        n_ids, n_sent = int(self.state[BLOCK_IDS]), int(self.state[BLOCK_SENTENCES])
        if self.first_line_end < 0 and self.state[FIRST_LINE_END] >= 0:
            self.first_line_end = self.flushed + int(self.state[FIRST_LINE_END])
        count_ids(self.counts, self.ids[:n_ids])
        self.id_out.append(self.ids[:n_ids])
        self.end_out.append(self.offsets[:n_sent] + self.flushed)
        self.flushed += n_ids
        self.state[BLOCK_IDS:BLOCK_SENTENCES + 1] = 0

    def absorb(self, other: Tokenizer) -> None:
        """Append what ``other`` tokenised, as if its text had been fed to this tokeniser next.

        This is how a corpus is scanned by several threads: each tokenises a consecutive piece
        with its own table, then the pieces are absorbed in order. ``other``'s words get this
        table's ids (new ones appended in ``other``'s first-seen order, so the order is the
        sequential one), its id stream is copied through that mapping block by block, and the
        line that runs across the seam is re-cut into sentences of ``max_len`` counting from
        where that line started here.
        """
        n_other, used_other = int(other.state[WORDS]), int(other.state[ARENA_USED])
        self.arena = _grown(self.arena, int(self.state[ARENA_USED]) + used_other)
        mapping = np.empty(n_other, np.int32)
        done = 0
        while done < n_other:
            done = _absorb_words(other.arena, other.starts, other.lengths, other.hashes, done, n_other,
                                 self.slots, self.hashes, self.starts, self.lengths, self.arena, self.state,
                                 mapping)
            if done < n_other:
                self._grow_table()
        self.counts[mapping] += other.counts[:n_other]  # mapping is one-to-one
        n0 = self.flushed
        other_ids, other_ends = other.id_out.finish(), other.end_out.finish()
        for block in other_ids.blocks():
            self.id_out.append(mapping[block])
        self.flushed += len(other_ids)
        other_ids.close()
        self.state[OPEN_LENGTH] = self._append_seam_ends(other, other_ends, n0)
        other_ends.close()
        if self.first_line_end < 0 and other.first_line_end >= 0:
            self.first_line_end = n0 + other.first_line_end
            self.state[FIRST_LINE_END] = 0  # seen: the kernel must not record a later line end as the first

    def _append_seam_ends(self, other: Tokenizer, other_ends: IdStream, n0: int) -> int:
        """Write the sentence ends ``other`` contributes (as positions here, ``n0`` = its first
        id's); return the length of the sentence left open afterwards."""
        open_here, m = int(self.state[OPEN_LENGTH]), other.flushed
        first_line_end = other.first_line_end
        if open_here == 0:  # a sentence had just ended here: other started one, as it would have
            for block in other_ends.blocks(1):
                self.end_out.append(block + n0)
            return int(other.state[OPEN_LENGTH])
        line = m if first_line_end < 0 else first_line_end  # other's ids on the line open here
        seam = n0 + np.arange(self.max_len - open_here, line + 1, self.max_len, dtype=np.int64)
        total = open_here + line
        if first_line_end < 0:  # the line goes on past other's end
            self.end_out.append(seam)
            return total % self.max_len
        if total % self.max_len:  # the line end closes a partial sentence
            seam = np.append(seam, n0 + line)
        self.end_out.append(seam)
        for block in other_ends.blocks(1):
            self.end_out.append(block[block > first_line_end] + n0)
        return int(other.state[OPEN_LENGTH])

    def result(self) -> tuple[WordList, IdStream, IdStream, np.ndarray]:
        """(words in first-seen order, int32 id stream, int64 sentence offsets from 0, counts)."""
        n_words, arena_used = int(self.state[WORDS]), int(self.state[ARENA_USED])
        words = WordList(self.arena[:arena_used].tobytes(), self.starts[:n_words].copy(),
                         self.lengths[:n_words].copy())
        return words, self.id_out.finish(), self.end_out.finish(), self.counts[:n_words].copy()

    def close(self) -> None:
        """Drop the streams written so far (a scan that failed or was interrupted)."""
        self.id_out.close()
        self.end_out.close()

    def _reserve(self, nbytes: int) -> None:
        """Grow the block buffers so a block of ``nbytes`` cannot overflow them.

        The hash table is not sized for the worst case (it must stay small enough to live in
        cache): the kernel stops when it is half full and :meth:`_grow_table` doubles it.
        """
        arena_used, n_ids, n_sent = (int(self.state[i]) for i in (ARENA_USED, BLOCK_IDS, BLOCK_SENTENCES))
        most_tokens = nbytes // 2 + 1
        self.ids = _grown(self.ids, n_ids + most_tokens)
        self.offsets = _grown(self.offsets, n_sent + most_tokens + 1)
        self.arena = _grown(self.arena, arena_used + nbytes)

    def _grow_table(self) -> None:
        size = 2 * len(self.slots)
        for name in ("hashes", "starts", "lengths", "counts"):
            setattr(self, name, _grown(getattr(self, name), size // 2))
        self.slots = _rehash(self.hashes, int(self.state[WORDS]), size)


class WordList(Sequence):
    """The distinct words of a scan as one UTF-8 byte string with each word's start and length:
    ~13 bytes a word beyond its text, where a list of str costs ~60. A web corpus has tens of
    millions of distinct tokens and a vocabulary keeps a few million of them, so the words are
    decoded only when read (``words[i]``, :meth:`select`, iteration in batches), and written out
    without being decoded at all (:meth:`joined`). Compares equal to a list of the same words."""

    def __init__(self, arena: bytes, starts: np.ndarray, lengths: np.ndarray):
        self.arena, self.starts, self.lengths = arena, starts, lengths

    @classmethod
    def from_joined(cls, blob: bytes, separator: bytes = b"\n") -> WordList:
        """The words of ``blob`` separated by ``separator`` (what :meth:`joined` wrote)."""
        if not blob:
            return cls(b"", np.zeros(1, np.int64), np.zeros(1, np.int32))  # "".split("\n") == [""]
        cuts = np.flatnonzero(np.frombuffer(blob, np.uint8) == separator[0])
        starts = np.concatenate([[0], cuts + 1]).astype(np.int64)
        ends = np.append(cuts, len(blob))
        return cls(blob, starts, (ends - starts).astype(np.int32))

    def __len__(self) -> int:
        return len(self.starts)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return self.select(range(len(self))[index])
        start = int(self.starts[index])
        return self.arena[start:start + int(self.lengths[index])].decode("utf-8")

    def select(self, indices) -> list[str]:
        """The words at ``indices``, decoded."""
        arena = self.arena
        return [arena[s:s + n].decode("utf-8") for s, n in
                zip(self.starts[indices].tolist(), self.lengths[indices].tolist())]

    def __iter__(self):
        for first in range(0, len(self), 1 << 16):
            yield from self.select(np.arange(first, min(first + (1 << 16), len(self))))

    def __eq__(self, other) -> bool:
        if isinstance(other, (list, tuple, WordList)):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None

    def joined(self, separator: bytes = b"\n") -> bytes:
        """The words' UTF-8 bytes with ``separator`` between them, copied from the arena."""
        if len(self) == 0:
            return b""
        out = np.empty(int(self.lengths.sum()) + len(self) - 1, np.uint8)
        _join_words(np.frombuffer(self.arena, np.uint8), self.starts, self.lengths, separator[0], out)
        return out.tobytes()

    def __repr__(self) -> str:
        return f"WordList({len(self)} words)"


@njit(cache=True, nogil=True)
def _join_words(arena, starts, lengths, separator, out):
    """out = word 0, separator, word 1, ... (as :meth:`WordList.joined`)."""
    k = 0
    for w in range(len(starts)):
        if w:
            out[k] = separator
            k += 1
        s = starts[w]
        for j in range(lengths[w]):
            out[k] = arena[s + j]
            k += 1


def _grown(a: np.ndarray, needed: int) -> np.ndarray:
    """``a`` with room for ``needed`` items, grown by 1.5x steps (new items are zero)."""
    if needed <= len(a):
        return a
    a.resize(max(needed, len(a) + len(a) // 2), refcheck=False)  # realloc: no second copy alive
    return a


@njit(cache=True, nogil=True)
def _rehash(hashes, n_words, size):
    slots = np.full(size, -1, np.int32)
    mask = size - 1
    for w in range(n_words):
        p = np.int64(hashes[w] & np.uint64(mask))
        while slots[p] >= 0:
            p = (p + 1) & mask
        slots[p] = w
    return slots


@njit(cache=True, nogil=True, inline="always")
def _close_sentence(offsets, state):
    if state[OPEN_LENGTH] > 0:
        offsets[state[BLOCK_SENTENCES]] = state[BLOCK_IDS]
        state[BLOCK_SENTENCES] += 1
        state[OPEN_LENGTH] = 0


@njit(cache=True, nogil=True, inline="always")
def _end_line(offsets, state):
    """A newline or a file end: close the sentence and remember where the first line ended."""
    _close_sentence(offsets, state)
    if state[FIRST_LINE_END] < 0:
        state[FIRST_LINE_END] = state[BLOCK_IDS]


@njit(cache=True, nogil=True)
def _absorb_words(o_arena, o_starts, o_lengths, o_hashes, first, n_other, slots, hashes, starts, lengths,
                  arena, state, mapping):
    """mapping[w] = this table's id of another table's word w, for w from ``first``; return
    where it stopped (n_other, or earlier when the table is half full and must grow)."""
    limit = len(slots) // 2
    for w in range(first, n_other):
        if state[WORDS] >= limit:
            return w
        s = o_starts[w]
        mapping[w] = _word_id(o_arena, s, s + o_lengths[w], o_hashes[w], slots, hashes, starts, lengths,
                              arena, state)
    return n_other


@njit(cache=True, nogil=True, inline="always")
def _unicode_space(data, i, n):
    """Length in bytes of the Unicode whitespace character starting at data[i], or 0."""
    b0 = data[i]
    b1 = data[i + 1] if i + 1 < n else 0
    if b0 == 0xC2:
        return 2 if (b1 == 0x85 or b1 == 0xA0) else 0
    if i + 2 >= n:
        return 0
    b2 = data[i + 2]
    if b0 == 0xE1:
        return 3 if (b1 == 0x9A and b2 == 0x80) else 0
    if b0 == 0xE2:
        if b1 == 0x80 and (b2 <= 0x8A or b2 == 0xA8 or b2 == 0xA9 or b2 == 0xAF):
            return 3
        return 3 if (b1 == 0x81 and b2 == 0x9F) else 0
    if b0 == 0xE3:
        return 3 if (b1 == 0x80 and b2 == 0x80) else 0
    return 0


@njit(cache=True, nogil=True, inline="always")
def _word_hash(h, length):
    """The hash of a word whose 8-byte chunks were mixed into ``h`` (``(h ^ chunk) * _MIX``):
    the length mixed in and the bits spread, so that both ends of it are good table indices
    (the main table uses the low bits, ``recent`` the high ones)."""
    h ^= np.uint64(length)
    h ^= h >> np.uint64(31)
    h *= _MIX_END
    return h ^ (h >> np.uint64(29))


@njit(cache=True, nogil=True, inline="always")
def _scan_token(data, start, n, byte_class):
    """(end, hash, head) of the token that starts at data[start]: where it ends, its
    :func:`_word_hash`, and its first 8 bytes as a little-endian number (zero-padded).

    ASCII text is read 8 bytes at a time: one subtraction and two masks (SWAR) find the first
    byte below 0x21 or above 0x7F in a word, and all bytes before it belong to the token (0x21
    to 0x7F are never whitespace). If that byte is ASCII whitespace the token ends there; any
    other (a control character, a non-ASCII byte that may be Unicode whitespace) and the
    text's last 7 bytes are read one byte at a time, the exact rule of ``str.split``. Both
    ways mix the same 8-byte chunks, so a word has one hash."""
    i = start
    h = np.uint64(0)
    head = np.uint64(0)
    while i + 8 <= n:
        x = load_u64(data, i)
        # bytes < 0x21 (exact up to the first one: borrows only start there) or >= 0x80
        stop = ((x - _BYTES_21) & ~x & _HIGH_BITS) | (x & _HIGH_BITS)
        if stop == 0:
            if i == start:
                head = x
            h = (h ^ x) * _MIX
            i += 8
            continue
        k = np.int64(trailing_zeros(stop)) >> 3
        b = data[i + k]
        if b >= 0x21 or byte_class[b] == 0:
            break  # non-ASCII or a control character: byte by byte from this chunk
        if k > 0:
            last = x & ((np.uint64(1) << np.uint64(8 * k)) - np.uint64(1))
            if i == start:
                head = last
            h = (h ^ last) * _MIX
        return i + k, _word_hash(h, i + k - start), head
    chunk = np.uint64(0)
    shift = np.uint64(0)
    while i < n:
        c = byte_class[data[i]]
        if c == 1 or c == 2 or (c == 3 and _unicode_space(data, i, n) > 0):
            break
        chunk |= np.uint64(data[i]) << shift
        shift += np.uint64(8)
        i += 1
        if shift == 64:
            if i - start == 8:
                head = chunk
            h = (h ^ chunk) * _MIX
            chunk = np.uint64(0)
            shift = np.uint64(0)
    if shift > 0:
        if i - start <= 8:
            head = chunk
        h = (h ^ chunk) * _MIX
    return i, _word_hash(h, i - start), head


@njit(cache=True, nogil=True, inline="always")
def _word_id(data, start, end, h, slots, hashes, starts, lengths, arena, state):
    """Id of the token data[start:end] with hash h, adding it to the table if it is new."""
    mask = len(slots) - 1
    p = np.int64(h & np.uint64(mask))
    length = end - start
    while True:
        w = slots[p]
        if w < 0:
            break
        if hashes[w] == h and lengths[w] == length:
            s = starts[w]
            same = True
            for k in range(length):
                if arena[s + k] != data[start + k]:
                    same = False
                    break
            if same:
                return w
        p = (p + 1) & mask
    w = state[WORDS]
    state[WORDS] += 1
    slots[p] = w
    hashes[w] = h
    s = state[ARENA_USED]
    starts[w] = s
    lengths[w] = length
    for k in range(length):
        arena[s + k] = data[start + k]
    state[ARENA_USED] = s + length
    return w


@njit(cache=True, nogil=True, inline="always")
def _recent_id(data, start, end, h, head, recent, starts, arena):
    """The id of data[start:end] if it is the word last seen in its ``recent`` bucket, else -1.

    Word frequencies are Zipfian: a few thousand words make most of the tokens, and their
    buckets stay in the L2 cache, where the main table (MBs, probed at random) does not. A bucket
    holds the word's length and first 8 bytes (``head``, little-endian), so a word of up to 8
    bytes (most tokens) is compared without reading the arena; a hit is exact either way."""
    q = np.int64(h >> np.uint64(48)) & (len(recent) - 1)
    w = recent[q, 1]
    length = end - start
    if w < 0 or recent[q, 0] != np.int64(h) or recent[q, 3] != length or recent[q, 2] != np.int64(head):
        return -1
    if length > 8:
        s = starts[w]
        for k in range(8, length):
            if arena[s + k] != data[start + k]:
                return -1
    return w


@njit(cache=True, nogil=True)
def _tokenize(data, i, byte_class, max_len, slots, hashes, starts, lengths, arena, ids, offsets, state, recent):
    """Tokenise data[i:]; return len(data), or the start of a token met with the table half full.

    Works in chunks of ``CHUNK`` events (tokens and line ends) and two phases: the bytes are
    scanned and each token hashed and tried against ``recent``; then the tokens ``recent`` missed
    (rare words, ~20% of a Zipfian text) are looked up in the main table, whose probes touch
    four arrays of MBs in turn. Their lines are prefetched a few misses ahead, so those memory
    waits overlap instead of adding up (they were most of the time: ~400 ns a miss).

    Arguments (``n`` bytes of text, ``V`` words the table has room for; :class:`Tokenizer` owns them):

    * ``data`` uint8 (n,): the text, ending at whitespace; ``i``: int, where to start;
    * ``byte_class`` uint8 (256,): :data:`BYTE_CLASS`; ``max_len``: int, the most tokens a sentence holds;
    * ``slots`` int32 (2 V,): the hash table, a word id or -1;
    * ``hashes`` uint64 (V,), ``starts`` int64 (V,), ``lengths`` int32 (V,): each word's hash and where
      its bytes lie in ``arena`` uint8 (room for the block's bytes);
    * ``ids`` int32, ``offsets`` int64: the block's ids and sentence ends (room for the block's tokens);
    * ``state`` int64 (6,): the counters, indexed by WORDS ... FIRST_LINE_END;
    * ``recent`` int64 (RECENT_SIZE, 4): the recent-words table.
    """
    # arguments borrowed: no atomic reference counting in the loops (see kernels.borrow)
    data, byte_class, slots, hashes = borrowed(data), borrowed(byte_class), borrowed(slots), borrowed(hashes)
    starts, lengths, arena, ids = borrowed(starts), borrowed(lengths), borrowed(arena), borrowed(ids)
    offsets, state, recent = borrowed(offsets), borrowed(state), borrowed(recent)
    n = len(data)
    limit = len(slots) // 2
    mask = len(slots) - 1
    t_start = np.empty(CHUNK, np.int64)   # token start, or -1 for a line end
    t_end = np.empty(CHUNK, np.int64)
    t_hash = np.empty(CHUNK, np.uint64)
    t_head = np.empty(CHUNK, np.uint64)   # its first 8 bytes (recent's check, kept for the misses)
    t_id = np.empty(CHUNK, np.int64)      # the id found in ``recent``, or -1
    misses = np.empty(CHUNK + MISS_AHEAD, np.int64)
    while i < n:
        m = 0
        n_miss = 0
        while i < n and m < CHUNK:  # phase 1: scan, hash, and look in the recent-words table
            c = byte_class[data[i]]
            if c == 2:
                t_start[m] = -1
                m += 1
                i += 1
                continue
            if c == 1 or (c == 3 and _unicode_space(data, i, n) > 0):
                i += _unicode_space(data, i, n) if c == 3 else 1
                continue
            start = i
            i, h, head = _scan_token(data, start, n, byte_class)
            t_start[m] = start
            t_end[m] = i
            t_hash[m] = h
            t_head[m] = head
            w = _recent_id(data, start, i, h, head, recent, starts, arena)
            t_id[m] = w
            if w < 0:
                misses[n_miss] = m
                n_miss += 1
            m += 1
        for j in range(n_miss, n_miss + MISS_AHEAD):
            misses[j] = -1
        j = 0
        # kept in registers (numba reloads array items after every store)
        n_ids, open_len = state[BLOCK_IDS], state[OPEN_LENGTH]
        for k in range(m):  # phase 2: ids in order, misses from the main table
            if t_start[k] < 0:
                state[BLOCK_IDS], state[OPEN_LENGTH] = n_ids, open_len
                _end_line(offsets, state)
                open_len = 0
                continue
            w = t_id[k]
            if w < 0:
                ahead = misses[j + MISS_AHEAD]
                if ahead >= 0:
                    prefetch_item(slots, np.int64(t_hash[ahead] & np.uint64(mask)))
                ahead = misses[j + MISS_AHEAD // 2]
                if ahead >= 0:
                    v = slots[np.int64(t_hash[ahead] & np.uint64(mask))]
                    if v >= 0:
                        prefetch_item(hashes, v)
                        prefetch_item(lengths, v)
                        prefetch_item(starts, v)
                j += 1
                if state[WORDS] >= limit:
                    state[BLOCK_IDS], state[OPEN_LENGTH] = n_ids, open_len
                    return t_start[k]
                start, end = t_start[k], t_end[k]
                h = t_hash[k]
                w = _word_id(data, start, end, h, slots, hashes, starts, lengths, arena, state)
                q = np.int64(h >> np.uint64(48)) & (len(recent) - 1)
                recent[q, 0] = np.int64(h)
                recent[q, 1] = w
                recent[q, 2] = np.int64(t_head[k])
                recent[q, 3] = end - start
            ids[n_ids] = w
            n_ids += 1
            open_len += 1
            if open_len == max_len:
                state[BLOCK_IDS], state[OPEN_LENGTH] = n_ids, open_len
                _close_sentence(offsets, state)
                open_len = 0
        state[BLOCK_IDS], state[OPEN_LENGTH] = n_ids, open_len
    return n
