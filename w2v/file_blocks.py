"""A text file read as blocks of word ids in a :class:`~w2v.word_index.WordIndex`, never held whole.

w2v's byte tokeniser (:mod:`w2v.tokenize`) reads the file a block at a time in a background thread
(it releases the GIL), one block ahead of the caller, so with a free core the tokenising overlaps the
counting or applying the caller does; the tokeniser's ids are mapped to the index's in the caller's
thread. :class:`ReadProgress` follows the bytes read, for a progress display.
"""
from __future__ import annotations

import collections
import os
import queue
import threading

import numpy as np

from . import corpus as corpus_mod
from . import tokenize
from .fileutil import compression_of
from .kernels import phrases as K
from .tokenize import Tokenizer
from .word_index import WordIndex


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


class StreamingTokenizer(Tokenizer):
    """The byte tokeniser of :mod:`w2v.tokenize`, emptied after each block so a file is never held
    whole: :meth:`take` returns the sentences completed so far and keeps the open one."""

    def _flush(self) -> None:
        """Keep the block's ids here: the caller takes them (a scan would write them to its streams)."""

    def take(self, keep_open: bool = True):
        """(ids, sentence offsets) of the complete sentences (all of them if not ``keep_open``,
        the open one included), and forget them."""
        n_ids, n_sent = int(self.state[tokenize.BLOCK_IDS]), int(self.state[tokenize.BLOCK_SENTENCES])
        end = int(self.offsets[n_sent - 1]) if n_sent else 0
        if not keep_open and end < n_ids:
            ends = np.append(self.offsets[:n_sent], n_ids)
            end = n_ids
        else:
            ends = self.offsets[:n_sent].copy()
        ids = self.ids[:end].copy()
        tail = n_ids - end
        self.ids[:tail] = self.ids[end:n_ids]
        self.state[tokenize.BLOCK_IDS], self.state[tokenize.BLOCK_SENTENCES] = tail, 0
        return ids, np.concatenate([[0], ends]).astype(np.int64)

    def new_words(self, first: int) -> list[str]:
        """The words with ids ``first..`` (as str). Their bytes lie one after another in the
        arena: with a space put between them (no token holds one) they are decoded and split
        at once, in C (~10x faster than decoding 300k words one by one)."""
        n = int(self.state[tokenize.WORDS])
        if n <= first:
            return []
        begin = int(self.starts[first])
        ends = self.starts[first + 1:n] - begin
        text = np.insert(self.arena[begin:int(self.starts[n - 1]) + int(self.lengths[n - 1])], ends, 0x20)
        return text.tobytes().decode("utf-8").split(" ")


def file_blocks(path, index: WordIndex, max_sentence_length: int, progress: ReadProgress):
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
        n = int(tok.state[tokenize.WORDS])
        new, known = (tok.new_words(known) if n > known else []), n
        collections.deque(map(hash, new), maxlen=0)  # str caches its hash: the index's dict won't hash again
        return ids, offsets, new, nbytes

    for block in corpus_mod.validated_blocks(path):
        tok.feed(block)
        nbytes += len(block)
        if int(tok.state[tokenize.BLOCK_SENTENCES]):
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
