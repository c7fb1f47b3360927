"""Words as the UTF-8 bytes the phrase text writers copy (:func:`w2v.kernels.phrases.write_phrased`):
every word padded to whole 8-byte chunks, with one 16-byte record per word."""
from __future__ import annotations

import numpy as np

from .kernels import phrases as K


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
