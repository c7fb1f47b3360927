"""Facebook fastText's binary model format (``.bin``): read and write, gensim's function names.

The layout (fastText's ``FastText::saveModel``, as gensim's ``_fasttext_bin`` reads and writes it),
all little-endian native C types::

    int32 magic 793712314, int32 version 12         (files before fastText 0.2: no magic; dim, ws)
    args: int32 dim ws epoch minCount neg wordNgrams loss model bucket minn maxn lrUpdateRate, float64 t
    dict: int32 size, nwords, nlabels; int64 ntokens; int64 pruneidx_size (new format)
          size x (word bytes, NUL, int64 count, int8 type); pruneidx_size x (int32, int32)
    bool quant; int64 rows, cols; float32 rows x cols      input matrix: nwords word rows, then bucket rows
    bool quant; int64 rows, cols; float32 rows x cols      output matrix (syn1neg, or syn1 for loss=hs)

Reading never executes anything from the file: it is parsed field by field, and any field that is
out of range, a size that does not fit the file, or a file that ends early is a
:class:`FacebookFormatError` naming the file and the field. Supervised models (labels) and
quantized models (``.ftz``) are refused by name, as gensim refuses them.
"""
from __future__ import annotations

import bz2
import gzip
import logging
import os
import struct
import zlib

import numpy as np

from ..fileutil import atomic_write
from ..vocab import Vocabulary
from .keyedvectors import REAL, FastTextKeyedVectors
from .model import FastText

logger = logging.getLogger("w2v")

FILEFORMAT_MAGIC = 793712314
FILEFORMAT_VERSION = 12
NEW_HEADER = (("dim", "i"), ("ws", "i"), ("epoch", "i"), ("min_count", "i"), ("neg", "i"), ("word_ngrams", "i"),
              ("loss", "i"), ("model", "i"), ("bucket", "i"), ("minn", "i"), ("maxn", "i"),
              ("lr_update_rate", "i"), ("t", "d"))
OLD_HEADER = NEW_HEADER[2:]
LOSS_HS, LOSS_NS, LOSS_SOFTMAX = 1, 2, 3
MODEL_CBOW, MODEL_SG, MODEL_SUP = 1, 2, 3
#: limits that no real model reaches: a field beyond them means a damaged file, not a big model
MAX_DIM = 1 << 20
MAX_WORD_BYTES = 1 << 20


class FacebookFormatError(ValueError):
    """A file that is not a (complete, undamaged) fastText model; the message names the file."""


class _Reader:
    """Field reads over a binary stream that fail with the file's name and the field's."""

    def __init__(self, stream, name: str, size: int | None):
        self.stream, self.name, self.size = stream, name, size
        self.buffer, self.pos, self.consumed = b"", 0, 0

    def fail(self, what: str) -> FacebookFormatError:
        return FacebookFormatError(f"{self.name}: {what} (at byte {self.consumed})")

    def read(self, n: int, field: str) -> bytes:
        out = self.buffer[self.pos:self.pos + n]
        self.pos += len(out)
        if len(out) < n:
            more = self.stream.read(n - len(out))
            out += more
        if len(out) < n:
            raise self.fail(f"the file ends inside {field}: {n} bytes needed, {len(out)} left (truncated?)")
        self.consumed += n
        return out

    def unpack(self, fmt: str, field: str):
        return struct.unpack("<" + fmt, self.read(struct.calcsize("<" + fmt), field))

    def word(self, index: int) -> bytes:
        """Bytes up to the next NUL (the NUL consumed)."""
        parts = []
        length = 0
        while True:
            if self.pos >= len(self.buffer):
                self.buffer, self.pos = self.stream.read(1 << 16), 0
                if not self.buffer:
                    raise self.fail(f"the file ends inside word #{index} of the dictionary (truncated?)")
            end = self.buffer.find(b"\0", self.pos)
            stop = len(self.buffer) if end < 0 else end
            parts.append(self.buffer[self.pos:stop])
            length += stop - self.pos
            self.consumed += stop - self.pos
            if length > MAX_WORD_BYTES:
                raise self.fail(f"word #{index} of the dictionary is longer than {MAX_WORD_BYTES} bytes (damaged)")
            if end >= 0:
                self.pos = end + 1
                self.consumed += 1
                return b"".join(parts)
            self.pos = len(self.buffer)

    def floats(self, count: int, field: str) -> np.ndarray:
        """``count`` float32 values (read straight into the array, not through Python objects)."""
        if self.size is not None and self.consumed + 4 * count > self.size:
            raise self.fail(f"{field} needs {4 * count} bytes but the file has {self.size - self.consumed} left "
                            "(truncated?)")
        out = np.empty(count, REAL)
        view = memoryview(out).cast("B")
        have = min(len(self.buffer) - self.pos, len(view))
        view[:have] = self.buffer[self.pos:self.pos + have]
        self.pos += have
        while have < len(view):
            n = self.stream.readinto(view[have:])
            if not n:
                raise self.fail(f"the file ends inside {field}: {len(view)} bytes needed, {have} read (truncated?)")
            have += n
        self.consumed += len(view)
        return out

    def at_end(self) -> bool:
        return self.pos >= len(self.buffer) and not self.stream.read(1)


def _open(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rb"), None
    if path.endswith(".bz2"):
        return bz2.open(path, "rb"), None
    return open(path, "rb"), os.path.getsize(path)


def read_header(r: _Reader) -> dict:
    magic, version = r.unpack("2i", "the file signature")
    new_format = magic == FILEFORMAT_MAGIC
    if new_format:
        if not 0 < version <= FILEFORMAT_VERSION:
            raise r.fail(f"unsupported fastText file version {version}")
        header = {name: r.unpack(fmt, f"the header field {name}")[0] for name, fmt in NEW_HEADER}
    else:
        if not (0 < magic <= MAX_DIM and 0 < version <= MAX_DIM):
            raise r.fail("not a fastText model (no fastText signature, and not an old-format header)")
        header = {name: r.unpack(fmt, f"the header field {name}")[0] for name, fmt in OLD_HEADER}
        header.update(dim=magic, ws=version)
    header["new_format"] = new_format
    for name in ("dim", "ws", "epoch", "bucket"):
        if not 0 <= header[name] <= (2**31 - 1 if name == "bucket" else MAX_DIM):
            raise r.fail(f"header field {name}={header[name]} is out of range (damaged file)")
    if header["dim"] == 0:
        raise r.fail("header field dim=0 (damaged file)")
    if header["model"] == MODEL_SUP:
        raise NotImplementedError("Supervised fastText models are not supported")
    return header


def read_dictionary(r: _Reader, new_format: bool, encoding: str) -> tuple[list, np.ndarray, int, int, int]:
    size, nwords, nlabels = r.unpack("3i", "the dictionary sizes")
    if nlabels > 0:
        raise NotImplementedError("Supervised fastText models are not supported")
    if not 0 <= nwords <= size or nlabels < 0:
        raise r.fail(f"dictionary sizes out of range (size={size}, nwords={nwords}, nlabels={nlabels})")
    ntokens, = r.unpack("q", "the token count")
    prune = r.unpack("q", "the pruned-index size")[0] if new_format else 0
    words, counts = [], np.empty(size, np.int64)
    for i in range(size):
        raw = r.word(i)
        try:
            word = raw.decode(encoding)
        except UnicodeDecodeError:
            word = raw.decode(encoding, errors="backslashreplace")
            logger.error("failed to decode invalid unicode bytes %r; replacing invalid characters, using %r",
                         raw, word)
        counts[i], entry_type = r.unpack("qb", f"the count of word #{i}")
        words.append(word)
    for _ in range(max(prune, 0)):
        r.unpack("2i", "the pruned index")
    return words, counts, size, nwords, ntokens


def read_matrix(r: _Reader, new_format: bool, field: str) -> np.ndarray:
    if new_format:
        quant, = r.unpack("?", f"the quantization flag of the {field}")
        if quant:
            raise NotImplementedError(f"{r.name}: quantized fastText models (.ftz) are not supported")
    rows, cols = r.unpack("2q", f"the shape of the {field}")
    if rows < 0 or not 0 < cols <= MAX_DIM:
        raise r.fail(f"the {field} has an impossible shape ({rows}, {cols})")
    return r.floats(rows * cols, f"the {field}").reshape(rows, cols)


def load(path, encoding="utf-8", full_model=True) -> dict:
    """Everything in a fastText ``.bin`` file as plain data (see the module docstring)."""
    name = os.fspath(path)
    stream, size = _open(path)
    with stream:
        r = _Reader(stream, repr(name), size)
        try:
            header = read_header(r)
            words, counts, size_, nwords, ntokens = read_dictionary(r, header["new_format"], encoding)
            vectors = read_matrix(r, header["new_format"], "input matrix")
            hidden = read_matrix(r, header["new_format"], "output matrix") if full_model else None
            if full_model and not r.at_end():
                raise r.fail("unexpected bytes after the output matrix (not a fastText model, or damaged)")
        except (OSError, EOFError, zlib.error) as e:
            raise FacebookFormatError(f"{name!r}: cannot be read as a fastText model ({e})") from None
    d = header["dim"]
    if vectors.shape != (nwords + header["bucket"], d):
        raise FacebookFormatError(f"{name!r}: the input matrix has shape {vectors.shape}, expected "
                                  f"({nwords} words + {header['bucket']} buckets, {d})")
    if hidden is not None and hidden.shape != (nwords, d):
        raise FacebookFormatError(f"{name!r}: the output matrix has shape {hidden.shape}, expected ({nwords}, {d})")
    return dict(header, words=words[:nwords], counts=counts[:nwords], vocab_size=size_, nwords=nwords,
                ntokens=ntokens, vectors=vectors, hidden_output=hidden)


def _model_from(data: dict, name: str):
    hs = int(data["loss"] == LOSS_HS)
    negative = max(0, data["neg"]) if (data["neg"] > 0 or hs) else 5
    model = FastText(vector_size=data["dim"], window=max(1, data["ws"]), epochs=max(1, data["epoch"]),
                     negative=negative, hs=hs, sg=int(data["model"] == MODEL_SG),
                     bucket=data["bucket"], min_count=max(0, data["min_count"]), sample=max(0.0, data["t"]),
                     min_n=data["minn"], max_n=data["maxn"])
    if data["maxn"] < data["minn"] and data["bucket"]:
        model.bucket = data["bucket"]  # the file's rows decide; gensim keeps them too
    model.vocab = Vocabulary(data["words"], data["counts"], "gensim")
    wv = FastTextKeyedVectors.from_tables(np.ascontiguousarray(data["vectors"][:data["nwords"]]),
                                          np.ascontiguousarray(data["vectors"][data["nwords"]:]),
                                          data["words"], data["counts"], data["minn"], data["maxn"], data["bucket"])
    model.wv = wv
    d = data["dim"]
    hidden = data["hidden_output"]
    # as gensim: the one output matrix serves whichever of the two methods the header turns on
    model.syn1neg = hidden if (hidden is not None and negative) else np.zeros((0, d), REAL)
    model.syn1 = hidden if (hidden is not None and hs) else np.zeros((0, d), REAL)
    model.corpus_total_words = int(data["ntokens"])
    model.nwords, model.vocab_size = data["nwords"], data["vocab_size"]
    if data["nwords"] != data["vocab_size"]:
        logger.warning("mismatch between final vocab size (%s words), and expected vocab size (%s words)",
                       data["nwords"], data["vocab_size"])
    logger.info("loaded %s weight matrix for fastText model from %s", data["vectors"].shape, name)
    return model


def load_facebook_model(path, encoding="utf-8"):
    """A :class:`~w2v.fasttext.FastText` from Facebook's ``.bin`` (trainable further: the output layer too)."""
    return _model_from(load(path, encoding=encoding, full_model=True), os.fspath(path))


def load_facebook_vectors(path, encoding="utf-8") -> FastTextKeyedVectors:
    """Only the vectors (``FastTextKeyedVectors``) of Facebook's ``.bin``: the output layer is not read."""
    return _model_from(load(path, encoding=encoding, full_model=False), os.fspath(path)).wv


def save_facebook_model(model, path, encoding="utf-8", lr_update_rate=100, word_ngrams=1) -> None:
    """Write ``model`` as Facebook's ``.bin`` (atomically), as gensim's ``save_facebook_model`` does."""
    wv = model.wv
    if model.vocab is None or not isinstance(wv, FastTextKeyedVectors):
        raise ValueError("save_facebook_model needs a FastText model with a vocabulary (call build_vocab first)")
    d = wv.vector_size
    if wv.vectors_ngrams.shape != (wv.bucket, d) or wv.vectors_vocab.shape != (len(wv), d):
        raise ValueError(f"inconsistent tables: vectors_vocab {wv.vectors_vocab.shape}, vectors_ngrams "
                         f"{wv.vectors_ngrams.shape} for {len(wv)} words, {wv.bucket} buckets")
    hidden = model.syn1neg if model.negative else model.syn1
    header = {"dim": d, "ws": model.window, "epoch": model.epochs, "min_count": model.min_count,
              "neg": model.negative, "word_ngrams": word_ngrams, "loss": LOSS_HS if model.hs == 1 else LOSS_NS,
              "model": MODEL_SG if model.sg == 1 else MODEL_CBOW, "bucket": wv.bucket, "minn": wv.min_n,
              "maxn": wv.max_n, "lr_update_rate": lr_update_rate, "t": model.sample}
    counts = model.vocab.counts
    with atomic_write(path) as f:
        f.write(struct.pack("<2i", FILEFORMAT_MAGIC, FILEFORMAT_VERSION))
        for name, fmt in NEW_HEADER:
            f.write(struct.pack("<" + fmt, header[name]))
        n = len(wv)
        f.write(struct.pack("<3iqq", n, n, 0, int(model.corpus_total_words or 0), -1))
        for word, count in zip(wv.index_to_key, counts.tolist()):
            f.write(str(word).encode(encoding) + b"\0" + struct.pack("<qb", count, 0))
        f.write(struct.pack("<?2q", False, n + wv.bucket, d))
        f.write(np.ascontiguousarray(wv.vectors_vocab, dtype=REAL).tobytes())
        f.write(np.ascontiguousarray(wv.vectors_ngrams, dtype=REAL).tobytes())
        f.write(struct.pack("<?2q", False, hidden.shape[0], hidden.shape[1]))
        f.write(np.ascontiguousarray(hidden, dtype=REAL).tobytes())
