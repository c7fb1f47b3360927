"""Vector files: word2vec.c's text and binary formats, w2v's native file, and the dispatch that
also reads files saved by gensim (through :mod:`w2v.gensim_pickle`).

word2vec.c formats
    A header line ``"<vocab size> <dims>\\n"``, then one entry per word, most frequent first.
    Text: ``word v1 v2 ... vd\\n`` with decimal floats. Binary: the word's bytes, one space,
    ``d`` little-endian float32, then ``\\n`` (word2vec.c writes the newline; gensim does not, so
    the reader accepts entries with or without it). Neither format can represent a word that
    contains whitespace (the space ends the word), so such words are rejected when saving with a
    ValueError naming the word; they carry no word counts either.

Native format (version 2, one file)
    An 8-byte magic, the length of a JSON header (uint64, little-endian), the header (keys,
    per-key attributes, and dtype/shape/offset of each array), then the raw arrays, each at a
    64-byte aligned offset, so ``mmap='r'`` maps the table straight from the file. Nothing is
    pickled. Version 1 (a directory with ``keyedvectors.json`` and ``vectors-<token>.npy``, written
    by older w2v) is still read.

Every write is atomic: the reader of a path sees the old content or the complete new content,
never a partial file (see :func:`w2v.fileutil.atomic_write`).

Reading costs the table and the keys, nothing table-sized besides: the word2vec readers allocate
the table once (the header gives its size) and the kernels of :mod:`w2v.formats_kernels` write
each vector into its row from a read buffer of about 1 MB; the native reader reads each array
straight into its own memory, or maps the table (``mmap='r'``: one copy in the page cache,
shared by every process that maps the file; queries only read it).
"""
from __future__ import annotations

import codecs
import contextlib
import io
import json
import logging
import lzma
import os
import re
import shutil
import struct
import zlib
from pathlib import Path

import numpy as np

from . import fileutil, formats_kernels, gensim_pickle
from .fileutil import UnsupportedCompression, atomic_write

logger = logging.getLogger(__name__)

_FLOAT = np.dtype("<f4")
_WHITESPACE = re.compile(r"\s")
_BATCH_LINES = 8192
#: gensim's default ``binary_chunk_size``: bytes per read of a binary file
_GENSIM_BINARY_CHUNK = 100 * 1024
#: bytes handed to the binary scanner per call (read in ``binary_chunk_size`` pieces)
_BINARY_CHUNK_BYTES = 1 << 20
#: bytes per read of a text file (whole lines of it are parsed per kernel call)
_TEXT_CHUNK_BYTES = 1 << 20
#: entries per kernel call, and rows of the float32/float64 block that stages rows the kernels
#: cannot write straight into the table (another dtype, or only some words wanted); text tokens
#: left to ``float()`` per call. Together with the read buffer, the loaders' fixed overhead is
#: about 2 MB, whatever the file's size.
_MAX_BATCH = 1 << 14
_STAGE_BYTES = 1 << 20
_SLOW_TOKENS = 1 << 12
_NATIVE_MANIFEST = "keyedvectors.json"
_NATIVE_FORMAT = "w2v.KeyedVectors"
_NATIVE_VERSION = 2
_NATIVE_MAGIC = b"\x93W2V-KV\n"
_ALIGN = 64
_COMPRESSED = (".gz", ".bz2", ".xz")


class FormatError(ValueError):
    """A vector file is truncated or malformed; the message names the file and the problem."""

    def __init__(self, path, problem: str):
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


@contextlib.contextmanager
def open_binary(path):
    """Open a vectors or vocabulary file for reading (gzip, bzip2, xz recognised by content).

    Every problem with the file's bytes is a :class:`FormatError` naming the file: a compression
    w2v does not read, and damaged or truncated compressed data (which the decompressors report
    as EOFError, OSError, LZMAError or zlib.error from inside the reading code).
    """
    try:
        f = fileutil.open_binary(path)
    except UnsupportedCompression as e:
        raise FormatError(path, str(e)) from None
    compressed = not isinstance(f, io.BufferedReader)
    with f:
        try:
            yield f
        except FormatError:
            raise
        except (EOFError, OSError, lzma.LZMAError, zlib.error) as e:
            if not compressed:
                raise
            raise FormatError(path, f"damaged compressed data ({type(e).__name__}: {e})") from None


class WordDecodeError(FormatError, UnicodeDecodeError):
    """A word that is not valid in the given encoding: a FormatError naming the file and line, and a
    UnicodeDecodeError (what gensim raises) for code that catches that."""

    def __init__(self, path, problem: str, exc: UnicodeDecodeError):
        UnicodeDecodeError.__init__(self, exc.encoding, exc.object, exc.start, exc.end, exc.reason)
        self.path = os.fspath(path)
        self.problem = problem
        self.message = f"{self.path}: {problem}"

    def __str__(self):
        return self.message


class TruncatedFileError(FormatError, EOFError):
    """The file ends before the entries its header announced (an EOFError too, as gensim raises)."""


class UnsupportedOption(ValueError, NotImplementedError):
    """An option combination the format cannot support (gensim raises NotImplementedError)."""


# ---------------------------------------------------------------------- word2vec.c: writing


def check_storable_words(words) -> None:
    """Raise ValueError naming the first word the word2vec formats cannot hold (empty or with whitespace)."""
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word or _WHITESPACE.search(word):
            raise ValueError(
                f"word #{i} {word!r} cannot be stored in word2vec format: words must be non-empty "
                "strings without whitespace (a space or newline would end the word when reading)"
            )


def save_word2vec_format(wv, fname, fvocab=None, binary: bool = False, total_vec=None, write_header: bool = True,
                         prefix: str = "", append: bool = False, sort_attr: str = "count") -> None:
    """Write ``wv`` in word2vec.c's text or binary format (``.gz``/``.bz2``/``.xz`` compress), as gensim does.

    Rows go out by descending ``sort_attr`` (ties in index order) when ``wv`` has that attribute,
    else in index order. ``fvocab`` also writes ``<prefix><key> <sort_attr value>`` lines in the
    same order (word2vec.c's ``-save-vocab`` file; an error if the attribute is missing).
    ``total_vec`` overrides the header's count, ``append`` adds to an existing file. Text values use
    ``%.9g``, enough digits for every float32 to read back bit-identical. Every file appears under
    its name only once completely written (an appended file is rewritten whole).
    """
    order = _storage_order(wv, sort_attr, fvocab)
    words = [f"{prefix}{wv.index_to_key[i]}" for i in order.tolist()]
    check_storable_words(words)
    total_vec = len(order) if total_vec is None else int(total_vec)
    if fvocab is not None:
        values = wv.expandos[sort_attr][order]
        with _output(fvocab, append) as out:
            for start in range(0, len(words), _BATCH_LINES):
                chunk = zip(words[start:start + _BATCH_LINES], values[start:start + _BATCH_LINES].tolist())
                out.write("".join(f"{w} {v}\n" for w, v in chunk).encode("utf8"))
    table = wv.vectors
    with _output(fname, append) as out:
        if write_header:
            out.write(f"{total_vec} {table.shape[1]}\n".encode("ascii"))
        writer = _write_binary_rows if binary else _write_text_rows
        for start in range(0, len(order), _BATCH_LINES):
            rows = np.ascontiguousarray(table[order[start:start + _BATCH_LINES]], dtype=_FLOAT)
            out.write(writer(words[start:start + _BATCH_LINES], rows))


def _storage_order(wv, sort_attr: str, fvocab) -> np.ndarray:
    """Row order of a word2vec file: by descending ``sort_attr`` (stable), else index order."""
    values = wv.expandos.get(sort_attr)
    if values is not None and np.issubdtype(np.asarray(values).dtype, np.number):
        return np.argsort(-np.asarray(values), kind="stable")
    if fvocab is not None:
        raise ValueError(f"Cannot store vocabulary with '{sort_attr}' because that attribute does not exist "
                         f"(or is not numeric) in these vectors")
    logger.warning("attribute %s not present in %s; will store in internal index_to_key order", sort_attr, wv)
    return np.arange(len(wv.index_to_key))


@contextlib.contextmanager
def _output(path, append: bool):
    """An atomic writer for ``path``; with ``append`` it first copies the current content over."""
    with atomic_write(path, "wb") as out:
        if append and os.path.exists(path):
            with open_binary(path) as old:
                shutil.copyfileobj(old, out)
        yield out


def _write_binary_rows(words, rows: np.ndarray) -> bytes:
    """word2vec.c binary entries: word, space, raw little-endian float32s, newline."""
    return b"".join(w.encode("utf8") + b" " + r.tobytes() + b"\n" for w, r in zip(words, rows))


def _write_text_rows(words, rows: np.ndarray) -> bytes:
    """word2vec.c text lines; %.9g round-trips float32 exactly (Python floats hold them exactly)."""
    fmt = " ".join(["%.9g"] * rows.shape[1])
    return "".join(f"{w} {fmt % tuple(r)}\n" for w, r in zip(words, rows.tolist())).encode("utf8")


# ---------------------------------------------------------------------- word2vec.c: reading


def load_word2vec_format(cls, fname, fvocab=None, binary: bool = False, encoding: str = "utf8",
                         unicode_errors: str = "strict", limit: int | None = None, datatype=np.float32,
                         no_header: bool = False, binary_chunk_size: int = _GENSIM_BINARY_CHUNK):
    """Read a word2vec.c text or binary file into a ``cls`` (a KeyedVectors class), as gensim does.

    ``fvocab`` names a ``word count`` file (word2vec.c's ``-save-vocab``) whose counts become the
    ``"count"`` attribute; without it, counts are made up in descending order (``V - row``), as
    gensim does, so the file order is kept by everything that sorts by count. ``limit`` reads
    only the first N words (the file is not read further). Words that repeat keep their first
    vector (as gensim does). ``no_header`` is for headerless text files (GloVe-style): as in
    gensim, a first pass counts the lines, so the table can be allocated once. ``datatype`` is
    the table's dtype. ``binary_chunk_size`` is gensim's: how many bytes each read of a binary
    file asks for (it changes nothing but the read sizes).

    Memory: the table is allocated once, at its final size (the header says how many rows), and
    every vector is written straight into its row from a bounded read buffer, so loading peaks at
    the table plus the words (and a repeated word is dropped by moving rows down in place).
    Raises :class:`FormatError` for a bad header, a wrong number of values, a bad number or a
    truncated file (a :class:`WordDecodeError`, also a UnicodeDecodeError, for undecodable words).
    """
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    if not isinstance(binary_chunk_size, (int, np.integer)) or isinstance(binary_chunk_size, bool) \
            or binary_chunk_size < 1:
        raise ValueError(f"binary_chunk_size must be a positive int (bytes per read), got {binary_chunk_size!r}")
    datatype = np.dtype(datatype)
    if not np.issubdtype(datatype, np.floating):
        raise TypeError(f"datatype must be a floating-point type, got {datatype}")
    known_counts = None if fvocab is None else read_vocab_counts(fvocab, encoding, unicode_errors)
    if no_header:
        if binary:
            raise UnsupportedOption("no_header is only supported for text files (binary needs the width)")
        vocab_size, dim = _count_text_lines(fname, limit)
        with open_binary(fname) as f:
            words, table = _read_text_body(f, fname, vocab_size, dim, encoding, unicode_errors, datatype=datatype,
                                           first_line_no=1)
    else:
        with open_binary(fname) as f:
            vocab_size, dim = _read_header(f, fname)
            if limit is not None:
                vocab_size = min(vocab_size, limit)
            if binary:
                words, table = _read_binary_body(f, fname, vocab_size, dim, encoding, unicode_errors,
                                                 datatype=datatype, chunk_bytes=int(binary_chunk_size))
            else:
                words, table = _read_text_body(f, fname, vocab_size, dim, encoding, unicode_errors, datatype=datatype)
    words, table, index = _drop_duplicates(words, table, fname)
    if known_counts is None:
        counts = vocab_size - np.arange(len(words), dtype=np.int64)
    else:
        missing = [w for w in words if w not in known_counts]
        if missing:
            logger.warning("vocabulary file %s is incomplete: %d words missing (e.g. %r), their count is 0",
                           fvocab, len(missing), missing[0])
        counts = np.array([known_counts.get(w, 0) for w in words], dtype=np.int64)
    return cls._wrap(table, words, counts, index)


def read_word2vec_rows(fname, keys, binary: bool = False, encoding: str = "utf8", unicode_errors: str = "strict"):
    """The vectors of a word2vec.c file for just ``keys``: ``(words, (n, dim) table, dim)``.

    The file is streamed; only matching rows are kept (the first one of a repeated word), so
    picking a few thousand words out of a multi-gigabyte pretrained file costs their rows only.
    """
    wanted = {k for k in keys if isinstance(k, str)}
    with open_binary(fname) as f:
        vocab_size, dim = _read_header(f, fname)
        reader = _read_binary_body if binary else _read_text_body
        words, table = reader(f, fname, vocab_size, dim, encoding, unicode_errors, wanted)
    return words, table, dim


def read_vocab_counts(path, encoding: str = "utf8", unicode_errors: str = "strict") -> dict:
    """``word count`` lines (word2vec.c's ``-save-vocab``, gensim's ``fvocab``) as a dict."""
    counts = {}
    with open_binary(path) as f:
        for line_no, raw in enumerate(f, start=1):
            try:
                line = raw.decode(encoding, errors=unicode_errors)
            except UnicodeDecodeError as exc:
                raise WordDecodeError(path, f"line {line_no}: {raw[:40]!r} is not valid {encoding} ({exc.reason}); "
                                            "try unicode_errors='replace' or 'ignore'", exc) from None
            fields = line.split()
            if not fields:
                continue
            if len(fields) != 2 or not fields[1].isdigit():
                raise FormatError(path, f"line {line_no}: expected '<word> <count>', found {line.strip()[:60]!r}")
            counts.setdefault(fields[0], int(fields[1]))
    return counts


def _read_header(f, path) -> tuple[int, int]:
    """Parse the ``"<vocab size> <dims>"`` first line."""
    line = f.readline()
    fields = line.split()
    if len(fields) != 2 or not all(x.isdigit() for x in fields) or int(fields[1]) == 0:
        shown = line[:80].decode("latin-1").rstrip("\n")
        problem = "file is empty" if not line else f"expected '<vocab size> <dims>' (two positive integers), found {shown!r}"
        if len(fields) > 2:
            problem += " (a headerless text file? use no_header=True)"
        raise FormatError(path, f"bad header on line 1: {problem}")
    return int(fields[0]), int(fields[1])


def _new_table(path, vocab_size: int, dim: int, binary: bool, dtype=_FLOAT, f=None) -> np.ndarray:
    """The table for ``vocab_size`` rows, but never more rows than the file can hold.

    A damaged header may claim billions of words: allocating that would fail with MemoryError
    (or swap) before the reader could say where the data really ends. Each binary entry takes at
    least 2 + 4*dim bytes and each text line at least 2*dim + 2, so a plain file bounds the rows;
    a compressed file's claim (``f``, the open file, says which it is) is only bounded by what
    could be real. The readers never write past the table's rows, whatever the file holds.
    """
    rows = vocab_size
    if f is None or isinstance(f, io.BufferedReader):
        per_entry = 2 + 4 * dim if binary else 2 * dim + 2
        rows = min(rows, os.path.getsize(path) // per_entry + 1)
    if rows * dim * 4 > 2**40:
        raise FormatError(path, f"header claims {vocab_size} words x {dim} dims: too large to be real")
    return np.empty((rows, dim), dtype=np.dtype(dtype).newbyteorder("="))


class _ReadWindow:
    """A read buffer over a binary file: unconsumed bytes are ``buf[start:end]`` (``array`` is the
    same memory as uint8, for the kernels). Each :meth:`more` reads at least ``fill`` bytes (or to
    the end of the file) in reads of ``read_size`` bytes, straight into the buffer (``readinto``),
    so gensim's small ``binary_chunk_size`` sets the read calls, not how often the kernels run.
    The buffer grows only when one entry is larger than what it holds: its size stays about
    ``fill`` plus a little."""

    def __init__(self, f, read_size: int, fill: int = 0, expected_bytes: int | None = None):
        self.f = f
        self.read_size = read_size
        self.fill = max(read_size, fill)
        self._allocate(self.fill + (1 << 16))
        self.start = self.end = 0
        self.eof = False
        self.ops = formats_kernels.scanners_for(_stream_size(f) if expected_bytes is None
                                                else min(expected_bytes, _stream_size(f)))

    def _allocate(self, size: int) -> None:
        self.buf = bytearray(size)
        self.array = np.frombuffer(self.buf, dtype=np.uint8)

    def more(self) -> None:
        """Move the unconsumed bytes to the front and read at least ``fill`` more after them."""
        keep = self.end - self.start
        if len(self.buf) - keep < self.fill:
            old = self.array
            self._allocate(max(2 * len(self.buf), keep + self.fill))
            self.array[:keep] = old[self.start:self.end]
        elif self.start:
            self.array[:keep] = self.array[self.start:self.end].copy()
        self.start, self.end = 0, keep
        with memoryview(self.buf) as view:
            while self.end - keep < self.fill:
                got = self.f.readinto(view[self.end:self.end + min(self.read_size, len(self.buf) - self.end)])
                if not got:
                    self.eof = True
                    break
                self.end += got

    def find(self, byte: bytes, start: int | None = None) -> int:
        return self.buf.find(byte, self.start if start is None else start, self.end)

    def rfind(self, byte: bytes) -> int:
        return self.buf.rfind(byte, self.start, self.end)


#: codecs in which the byte ``\n`` is always the character ``"\n"`` and nothing else decodes to it,
#: and whose decoding of words joined by newlines equals decoding each (whatever ``errors``)
_NEWLINE_SAFE_CODECS = {"utf-8", "ascii", "latin-1", "iso8859-1"}


def _stream_size(f) -> int:
    """About how many bytes ``f`` will give: its size, times 4 if it decompresses (a guess)."""
    try:
        size = os.fstat(f.fileno()).st_size
    except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
        return formats_kernels.KERNEL_MIN_BYTES
    return size if isinstance(f, io.BufferedReader) else 4 * size


def _decode_words(window: _ReadWindow, starts: np.ndarray, ends: np.ndarray, encoding: str, errors: str, path,
                  unit: str, first_number: int) -> list[str]:
    """Decode the words at ``buf[starts[k]:ends[k]]``; an undecodable one is reported by number.

    For UTF-8 and single-byte codecs the words are joined by newlines (a kernel copy) and decoded
    and split in one call each: a million words in a fraction of the time of a million decodes.
    """
    n = len(starts)
    if n and _codec_name(encoding) in _NEWLINE_SAFE_CODECS:
        joined = np.empty(int((ends - starts).sum()) + n, dtype=np.uint8)
        length = window.ops.join_words(window.buf, starts, ends, n, joined)
        if length >= 0:
            try:
                words = str(joined[:length - 1], encoding, errors).split("\n")
            except UnicodeDecodeError:
                words = None  # find the word, below
            if words is not None and len(words) == n:
                return words
    buf = window.buf
    return [_decode_word(bytes(buf[s:e]), encoding, errors, path, unit, first_number + k)
            for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist()))]


def _codec_name(encoding: str) -> str | None:
    try:
        return codecs.lookup(encoding).name
    except LookupError:
        return None


def _read_binary_body(f, path, vocab_size: int, dim: int, encoding: str, errors: str, wanted: set | None = None,
                      datatype=_FLOAT, chunk_bytes: int = _BINARY_CHUNK_BYTES):
    """Read ``vocab_size`` binary entries into a preallocated table, ``chunk_bytes`` per read.

    :func:`w2v.formats_kernels.scan_binary_entries` finds the entries of each buffered chunk and
    :func:`~w2v.formats_kernels.copy_rows` copies their vectors into the table's rows (through a
    small float32 block when the table has another dtype); Python only decodes the words. With
    ``wanted`` (a set, consumed), only the first entry of each wanted word is kept, so the table
    never holds more rows than that.
    """
    width = dim * _FLOAT.itemsize
    table = _new_table(path, vocab_size if wanted is None else min(vocab_size, len(wanted)), dim, binary=True,
                       dtype=datatype, f=f)
    batch = max(1, min(_MAX_BATCH, vocab_size))
    starts, ends, vectors = (np.empty(batch, dtype=np.int64) for _ in range(3))
    direct = wanted is None and table.dtype == _FLOAT and table.flags.c_contiguous
    if direct:
        target, stage = table.reshape(-1).view(np.uint8), None
    else:
        stage = np.empty((min(batch, max(1, _STAGE_BYTES // width)), dim), dtype=_FLOAT)
        target = stage.reshape(-1).view(np.uint8)
    window = _ReadWindow(f, chunk_bytes, _BINARY_CHUNK_BYTES, expected_bytes=vocab_size * (width + 16))
    words: list[str] = []
    seen = 0
    while seen < vocab_size:
        want = min(len(starts), vocab_size - seen, _room(table, words, path, seen) if direct else len(stage))
        n, pos = window.ops.scan_binary_entries(window.buf, window.start, window.end, width, want, starts, ends,
                                                vectors)
        if n == 0:
            if window.eof:
                _raise_binary_truncated(path, bytes(window.buf[window.start:window.end]), width, seen, vocab_size)
            window.more()
            continue
        empty = np.flatnonzero(starts[:n] == ends[:n])
        if empty.size:
            raise FormatError(path, f"entry {seen + int(empty[0]) + 1} of {vocab_size} has an empty word "
                                    "(bad header width?)")
        batch_words = _decode_words(window, starts[:n], ends[:n], encoding, errors, path, "word", seen + 1)
        if direct:
            window.ops.copy_rows(window.buf, vectors, n, width, np.arange(len(words), len(words) + n), target)
            words.extend(batch_words)
        else:
            keep = np.arange(n) if wanted is None else _take_wanted(batch_words, wanted)
            window.ops.copy_rows(window.buf, vectors[keep], len(keep), width, np.arange(len(keep)), target)
            table[len(words):len(words) + len(keep)] = stage[:len(keep)]
            words.extend(batch_words[k] for k in keep.tolist())
        seen += n
        window.start = pos
    return words, (table if wanted is None else table[:len(words)])


def _room(table: np.ndarray, words: list, path, seen: int) -> int:
    """Rows left in ``table`` (the kernels write rows unchecked: they are never given more)."""
    room = len(table) - len(words)
    if room <= 0:
        raise FormatError(path, f"holds more than the {len(table)} entries its size allows ({seen} read): "
                                "did it change while being read?")
    return room


def _take_wanted(batch_words: list[str], wanted: set) -> np.ndarray:
    """Positions of the words still wanted (each taken out of ``wanted``: its first entry counts)."""
    keep = []
    for k, word in enumerate(batch_words):
        if word in wanted:
            wanted.discard(word)
            keep.append(k)
    return np.array(keep, dtype=np.intp)


def _decode_word(raw: bytes, encoding: str, errors: str, path, unit: str, number: int) -> str:
    """Decode one word, turning a decoding failure into a FormatError that says where and what to do."""
    try:
        return raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        raise WordDecodeError(path, f"{unit} {number}: {raw[:40]!r} is not valid {encoding} ({exc.reason}); "
                                    "word2vec.c may cut words mid-character: try unicode_errors='replace' or 'ignore'",
                              exc) from None


def _raise_binary_truncated(path, rest: bytes, width, done, vocab_size):
    """Explain why the binary data (``rest``, what is left unread) ran out before ``vocab_size`` entries."""
    space = rest.find(b" ")
    if space < 0:
        rest = rest.lstrip(b"\n")
        what = f"{len(rest)} stray bytes without a word separator" if rest else "no data"
        raise TruncatedFileError(path, f"truncated: file ends after {done} of {vocab_size} words ({what} left)")
    word = rest[:space].lstrip(b"\n").decode("utf8", errors="replace")
    have = len(rest) - (space + 1)
    raise TruncatedFileError(
        path,
        f"truncated: vector of word {done + 1} of {vocab_size} ({word!r}) needs {width} bytes, "
        f"only {have} left ({width - have} bytes missing)",
    )


def _read_text_body(f, path, vocab_size: int, dim: int, encoding: str, errors: str, wanted: set | None = None,
                    datatype=_FLOAT, first_line_no: int = 2):
    """Read ``vocab_size`` text lines, a bounded chunk of whole lines at a time.

    :func:`w2v.formats_kernels.parse_text_lines` parses each chunk's numbers straight into the
    table's rows (exactly, see that module); the few tokens it leaves (``nan``, more than 18
    digits, junk) go through ``float()``, whose refusal names the line. ``wanted`` as for
    :func:`_read_binary_body`. ``first_line_no`` is the file line of the first entry (for errors).
    """
    table = _new_table(path, vocab_size if wanted is None else min(vocab_size, len(wanted)), dim, binary=False,
                       dtype=datatype, f=f)
    direct = wanted is None and table.dtype in (np.float32, np.float64)
    batch = _MAX_BATCH if direct else max(1, min(_MAX_BATCH, _STAGE_BYTES // (8 * dim)))
    stage = None if direct else np.empty((batch, dim), dtype=np.float64)
    target = table if direct else stage
    starts, ends, line_starts = (np.empty(batch, dtype=np.int64) for _ in range(3))
    slow = max(_SLOW_TOKENS, dim)
    slow_line, slow_col, slow_start, slow_end = (np.empty(slow, dtype=np.int64) for _ in range(4))
    window = _ReadWindow(f, _TEXT_CHUNK_BYTES, expected_bytes=vocab_size * (dim * 10 + 16))
    words: list[str] = []
    seen = 0
    while seen < vocab_size:
        last_newline = window.rfind(b"\n")
        if last_newline < 0 and not window.eof:
            window.more()
            continue
        if window.start == window.end:
            raise TruncatedFileError(path, f"truncated: file ends after {seen} of {vocab_size} vectors "
                                           f"(line {seen + first_line_no} missing)")
        data_end = window.end if window.eof else last_newline + 1
        row0 = len(words) if direct else 0
        lines = min(batch, vocab_size - seen, _room(table, words, path, seen) if direct else batch)
        status, n, pos, n_slow = window.ops.parse_text_lines(
            window.buf, window.start, data_end, dim, lines, target, row0,
            starts, ends, line_starts, slow_line, slow_col, slow_start, slow_end)
        line_no = first_line_no + seen
        if n_slow:
            _parse_slow_tokens(window, target, row0, dim, line_no, slow_line[:n_slow], slow_col[:n_slow],
                               slow_start[:n_slow], slow_end[:n_slow], line_starts, path)
        if status == formats_kernels.TEXT_BAD_LINE:
            line = _line_at(window, pos, data_end)
            cut = "" if line.endswith(b"\n") else " (the file ends inside this line: truncated?)"
            raise FormatError(path, f"line {line_no + n}: {_text_line_problem(line, dim)}{cut}")
        batch_words = _decode_words(window, starts[:n], ends[:n], encoding, errors, path, "line", line_no)
        if direct:
            words.extend(batch_words)
        else:
            keep = np.arange(n) if wanted is None else _take_wanted(batch_words, wanted)
            table[len(words):len(words) + len(keep)] = stage[keep]
            words.extend(batch_words[k] for k in keep.tolist())
        seen += n
        window.start = pos
    return words, (table if wanted is None else table[:len(words)])


def _line_at(window: _ReadWindow, pos: int, data_end: int) -> bytes:
    """The line that starts at ``pos`` (with its newline, when it has one)."""
    newline = window.find(b"\n", pos)
    return bytes(window.buf[pos:data_end if newline < 0 else newline + 1])


def _parse_slow_tokens(window, target, row0, dim, line_no, lines, columns, starts, ends, line_starts, path):
    """Parse the tokens the kernel left with ``float()`` (gensim's parser); a refusal names its line."""
    buf = window.buf
    values = np.empty(len(lines), dtype=np.float64)
    for k, (s, e) in enumerate(zip(starts.tolist(), ends.tolist())):
        try:
            values[k] = float(buf[s:e])
        except ValueError:
            line = _line_at(window, int(line_starts[lines[k]]), window.end)
            raise FormatError(path, f"line {line_no + int(lines[k])}: {_text_line_problem(line, dim)}") from None
    target[row0 + lines, columns] = values


def _count_text_lines(path, limit) -> tuple[int, int]:
    """(number of lines, values per line) of a headerless text file: a first pass over the file
    (gensim makes one too), so the table is allocated once at its size. The width is the first
    line's number of fields minus the word."""
    with open_binary(path) as f:
        first = f.readline()
        if not first:
            return 0, 0
        dim = len(first.split()) - 1
        if dim < 1:
            raise FormatError(path, f"line 1 has no vector values: {first[:80]!r}")
        lines, last = 1, first
        if limit is None or limit > 1:
            while True:
                chunk = f.read(_TEXT_CHUNK_BYTES)
                if not chunk:
                    break
                lines += chunk.count(b"\n")
                last = chunk
        if not last.endswith(b"\n") and last is not first:
            lines += 1
    return (lines if limit is None else min(lines, limit)), dim


def _text_line_problem(line: bytes, dim: int) -> str:
    """Describe what is wrong with one text line (called only once a line failed to parse)."""
    fields = line.split()
    shown = line[:60].decode("utf8", errors="replace").rstrip()
    if not line.strip():
        return f"blank line where a word and {dim} values were expected"
    if line.startswith(b" "):
        return f"line starts with a space, so the word is empty ({shown!r}...)"
    if len(fields) - 1 != dim:
        return f"expected a word and {dim} values, found {len(fields) - 1} values ({shown!r}...)"
    for field in fields[1:]:
        try:
            float(field)
        except ValueError:
            return f"{field[:40].decode('utf8', errors='replace')!r} is not a number"
    return f"could not parse the values ({shown!r}...)"


def _drop_duplicates(words: list[str], table: np.ndarray, path):
    """Keep the first vector of a word that appears more than once (gensim does the same).

    Returns the words, the table and their word -> row dict. The kept rows move down in place, a
    block at a time (a kept row never moves up, so no row is overwritten before it is read), and
    the table is then shrunk: no second table-sized array.
    """
    index = dict(zip(words, range(len(words))))
    if len(index) == len(words):
        return words, table, index
    first: dict[str, int] = {}
    for i, w in enumerate(words):
        first.setdefault(w, i)
    keep = np.fromiter(first.values(), dtype=np.intp, count=len(first))  # ascending: dicts keep insertion order
    logger.warning("%s: %d duplicate words, keeping the first vector of each", path, len(words) - len(keep))
    block = max(1, _STAGE_BYTES // max(1, table.itemsize * table.shape[1]))
    for start in range(0, len(keep), block):
        rows = keep[start:start + block]
        table[start:start + len(rows)] = table[rows]
    words = list(first)
    return words, _shrunk(table, len(keep)), dict(zip(words, range(len(words))))


def _shrunk(table: np.ndarray, rows: int) -> np.ndarray:
    """The first ``rows`` rows of ``table``, giving the rest back to the allocator where possible."""
    try:
        table.resize((rows,) + table.shape[1:], refcheck=False)  # realloc: no copy (nothing else views it)
        return table
    except ValueError:  # not the owner of its memory (a view): keep the view
        return table[:rows]


# ---------------------------------------------------------------------- native format


def save_native(wv, fname_or_handle) -> None:
    """Save ``wv`` as one file: magic, JSON header, then the aligned raw arrays (see the module docstring).

    A path is replaced atomically (an existing file of that name is fine); an open binary file
    object is written to as is. Keys must be str or int (or None, for gensim's unfilled slots);
    per-key attributes of object dtype must hold JSON values or numeric arrays.
    """
    header, arrays = _native_header(wv)
    blob = json.dumps(header, ensure_ascii=False).encode("utf8")
    start = _aligned(len(_NATIVE_MAGIC) + 8 + len(blob))
    if hasattr(fname_or_handle, "write"):
        _write_native(fname_or_handle, blob, start, arrays)
        return
    path = Path(fname_or_handle)
    if path.is_dir():
        raise IsADirectoryError(f"cannot save vectors to {str(path)!r}: it is a directory (older w2v versions saved "
                                "vectors as a directory; give a file name)")
    with atomic_write(path, "wb") as out:
        _write_native(out, blob, start, arrays)


def _native_header(wv) -> tuple[dict, list[np.ndarray]]:
    """The JSON header and the arrays (in file order) of a native file."""
    keys = list(wv.index_to_key)
    for i, key in enumerate(keys):
        if not (key is None or isinstance(key, str) or (isinstance(key, (int, np.integer)) and not isinstance(key, bool))):
            raise TypeError(f"key #{i} {key!r} ({type(key).__name__}) cannot be saved: KeyedVectors.save stores "
                            "str and int keys")
    arrays, entries, offset = [], {}, 0
    numeric = {"vectors": np.ascontiguousarray(wv.vectors)}
    lockf = wv.vectors_lockf
    if not (lockf.shape == (1,) and lockf[0] == 1.0):
        numeric["vectors_lockf"] = np.ascontiguousarray(lockf)
    json_attrs = {}
    for attr, values in wv.expandos.items():
        values = np.asarray(values)
        if values.dtype.hasobject:
            json_attrs[attr] = [_json_value(v, attr) for v in values.tolist()]
        else:
            numeric[f"expando:{attr}"] = np.ascontiguousarray(values)
    for name, array in numeric.items():
        array = array.astype(array.dtype.newbyteorder("<"), copy=False)
        entries[name] = {"dtype": array.dtype.str, "shape": list(array.shape), "offset": offset}
        arrays.append(array)
        offset = _aligned(offset + array.nbytes)
    header = {"format": _NATIVE_FORMAT, "version": _NATIVE_VERSION,
              "index_to_key": [k if k is None or isinstance(k, str) else int(k) for k in keys],
              "arrays": entries, "object_expandos": json_attrs}
    return header, arrays


def _json_value(value, attr):
    if isinstance(value, np.ndarray):
        return {"ndarray": value.dtype.str, "values": value.tolist()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"vector attribute {attr!r} holds a {type(value).__name__}, which KeyedVectors.save cannot store")


def _from_json_value(value):
    if isinstance(value, dict):
        return np.array(value["values"], dtype=np.dtype(value["ndarray"]))
    return value


def _aligned(n: int) -> int:
    return -(-n // _ALIGN) * _ALIGN


def _write_native(out, blob: bytes, start: int, arrays: list[np.ndarray]) -> None:
    """Magic, header length, header, then each array at the next 64-byte boundary (no trailing padding)."""
    out.write(_NATIVE_MAGIC + struct.pack("<Q", len(blob)) + blob)
    position, target = len(_NATIVE_MAGIC) + 8 + len(blob), start
    for array in arrays:
        out.write(b"\0" * (target - position))
        if array.size:
            out.write(memoryview(array.reshape(-1)).cast("B"))
        position = target + array.nbytes
        target = start + _aligned(position - start)


def is_native_file(path) -> bool:
    """Whether ``path`` is a file written by :func:`save_native` (for loaders that must tell it apart)."""
    try:
        with open_binary(path) as f:
            return f.read(len(_NATIVE_MAGIC)) == _NATIVE_MAGIC
    except OSError:
        return False


def load_native(cls, fname, mmap: str | None = None):
    """Load vectors saved by :func:`save_native`, by an older w2v (a directory), or by gensim.

    ``mmap='r'`` (or ``'r+'``, ``'c'``) memory-maps the table of an uncompressed native file, or
    the arrays gensim stored in separate ``.npy`` files. With ``'r'`` the table's pages are the
    page cache's: processes that map the same file share one copy, and queries never write to
    it (the norms they need are a separate array of one float per row).
    """
    if mmap not in (None, "r", "r+", "c"):
        raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', got {mmap!r}")
    path = Path(fname)
    if path.is_dir():
        return _load_native_directory(cls, path, mmap)
    if not path.is_file():
        raise FileNotFoundError(f"{str(path)!r} does not exist (expected vectors saved by KeyedVectors.save or gensim)")
    if is_native_file(path):
        return _load_native_file(cls, path, mmap)
    if gensim_pickle.is_pickle_file(path):
        return _from_gensim(cls, gensim_pickle.load_gensim_keyed_vectors(path, mmap=mmap))
    raise FormatError(path, "not a KeyedVectors file: neither w2v's native format nor a gensim save() pickle "
                            "(for word2vec.c files use KeyedVectors.load_word2vec_format)")


def _from_gensim(cls, data: dict):
    if data["gensim_class"].endswith(".Word2Vec"):
        logger.info("loaded the vectors of a gensim Word2Vec model (w2v.load reads the whole model)")
    kv = cls.from_vectors(data["vectors"], data["words"])
    kv.expandos.update(data["expandos"])
    lockf = data["vectors_lockf"]
    if lockf is not None and lockf.dtype == np.float32 and lockf.ndim == 1 and len(lockf) in (1, len(kv)):
        kv.vectors_lockf = lockf
    return kv


def _load_native_file(cls, path: Path, mmap):
    """Read a native file: the header, then each array read straight into its own buffer (or, with
    ``mmap``, the table mapped from the file, which the queries only read: its pages are the
    page cache's, shared by every process that maps the file).

    The arrays are read in file order from one open file, so a compressed file is decompressed
    once, as a stream, with no copy of its content. The file's size is checked against every
    array before anything is mapped or read, on the same open file that is then mapped: a file
    truncated by someone else is a :class:`TruncatedFileError` naming it, not a crash on first
    touch. (A mapped file truncated after loading cannot be caught: its pages then fault. w2v's
    own :func:`save_native` never does that: it writes a new file and renames it over the old
    one, so a process that mapped the old file keeps reading the old file's pages.)
    """
    with open_binary(path) as f:
        compressed = not isinstance(f, io.BufferedReader)
        if compressed and mmap:
            raise ValueError(f"{path}: cannot mmap a compressed file; load it with mmap=None")
        f.read(len(_NATIVE_MAGIC))
        (length,) = struct.unpack("<Q", _read_exact(f, 8, path))
        try:
            header = json.loads(_read_exact(f, length, path).decode("utf8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise FormatError(path, f"damaged header ({exc})") from None
        if not isinstance(header, dict) or header.get("format") != _NATIVE_FORMAT or "arrays" not in header:
            raise FormatError(path, f"damaged header (expected format {_NATIVE_FORMAT!r} with an 'arrays' table)")
        if header.get("version", 0) > _NATIVE_VERSION:
            raise FormatError(path, f"written by a newer w2v (format version {header['version']})")
        start = _aligned(len(_NATIVE_MAGIC) + 8 + length)
        position = len(_NATIVE_MAGIC) + 8 + length
        size = None if compressed else os.fstat(f.fileno()).st_size
        entries = sorted(((name,) + _array_entry(entry, name, start, path) for name, entry in header["arrays"].items()),
                         key=lambda e: e[3])
        arrays = {}
        for name, dtype, shape, offset, count in entries:
            nbytes = count * dtype.itemsize
            if dtype.hasobject or offset < position or (size is not None and size - offset < nbytes):
                raise TruncatedFileError(path, f"truncated or damaged: array {name!r} of shape {shape} needs "
                                               f"{nbytes} bytes at offset {offset}, the file has "
                                               f"{'fewer' if size is None else size}")
            if mmap and name == "vectors" and count:
                arrays[name] = _mapped(f, path, mmap, dtype, shape, offset, nbytes)
                f.seek(position)  # np.memmap moved the file position
                continue
            _skip(f, offset - position, path, compressed)
            arrays[name] = _read_array(f, dtype, count, path, name).reshape(shape)
            position = offset + nbytes
    keys = header["index_to_key"]
    table = arrays.get("vectors")
    if table is None or table.ndim != 2 or table.shape[0] != len(keys):
        raise FormatError(path, f"table of shape {None if table is None else table.shape} does not match "
                                f"{len(keys)} keys")
    kv = cls.from_vectors(table, keys)
    for name, array in arrays.items():
        if name.startswith("expando:"):
            kv.expandos[name[len("expando:"):]] = array
    for attr, values in header.get("object_expandos", {}).items():
        column = np.empty(len(values), dtype=object)
        column[:] = [_from_json_value(v) for v in values]
        kv.expandos[attr] = column
    if "vectors_lockf" in arrays:
        kv.vectors_lockf = arrays["vectors_lockf"].astype(np.float32, copy=False)
    return kv


def _mapped(f, path, mode, dtype, shape, offset, nbytes) -> np.ndarray:
    """The array at ``offset`` mapped from the open file ``f`` (checked again right here: the file
    may have been cut since its size was read)."""
    size = os.fstat(f.fileno()).st_size
    if size - offset < nbytes:
        raise TruncatedFileError(path, f"truncated while loading: the table needs {nbytes} bytes at offset "
                                       f"{offset}, the file now has {size}")
    try:
        return np.memmap(f, dtype=dtype, mode=mode, offset=offset, shape=shape)
    except (ValueError, OSError) as exc:
        raise FormatError(path, f"cannot map the table ({exc})") from None


def _skip(f, n: int, path, compressed: bool) -> None:
    """Move ``n`` bytes forward (the alignment padding between arrays)."""
    if n <= 0:
        return
    if compressed:
        _read_exact(f, n, path)
    else:
        f.seek(n, os.SEEK_CUR)


def _read_array(f, dtype: np.dtype, count: int, path, name: str) -> np.ndarray:
    """``count`` items read straight into a new array (no intermediate bytes object)."""
    array = np.empty(count, dtype=dtype)
    view = memoryview(array).cast("B") if array.size else memoryview(b"")
    done = 0
    while done < len(view):
        got = f.readinto(view[done:])
        if not got:
            raise TruncatedFileError(path, f"truncated: array {name!r} needs {len(view)} bytes, the file ends "
                                           f"after {done}")
        done += got
    return array


def _array_entry(entry, name: str, start: int, path):
    """(dtype, shape, absolute offset, element count) of one header entry, checked."""
    try:
        dtype, shape, offset = np.dtype(entry["dtype"]), tuple(entry["shape"]), entry["offset"]
    except (TypeError, KeyError, ValueError) as exc:
        raise FormatError(path, f"damaged header: array {name!r} ({exc})") from None
    if not all(_is_count(x) for x in shape + (offset,)):
        raise FormatError(path, f"damaged header: array {name!r} has shape {shape} at offset {offset}")
    return dtype, shape, start + offset, int(np.prod(shape, dtype=np.int64))


def _is_count(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _read_exact(f, n: int, path) -> bytes:
    data = f.read(n)
    if len(data) != n:
        raise TruncatedFileError(path, f"truncated: expected {n} more bytes, found {len(data)}")
    return data


def _read_manifest(path: Path) -> dict:
    manifest_path = path / _NATIVE_MANIFEST
    try:
        with open(manifest_path, encoding="utf8") as f:
            manifest = json.load(f)
    except json.JSONDecodeError as exc:
        raise FormatError(manifest_path, f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _NATIVE_FORMAT:
        raise FormatError(manifest_path, f"not a w2v vectors manifest (expected format {_NATIVE_FORMAT!r})")
    if manifest.get("version", 0) > 1:
        raise FormatError(manifest_path, f"written by a newer w2v (format version {manifest['version']})")
    return manifest


def _load_native_directory(cls, path: Path, mmap):
    """Version 1: a directory with ``keyedvectors.json`` and the table as ``.npy`` (older w2v)."""
    if not (path / _NATIVE_MANIFEST).is_file():
        raise FileNotFoundError(f"{str(path)!r} is a directory, not saved vectors (no {_NATIVE_MANIFEST} in it)")
    manifest = _read_manifest(path)
    table_path = path / manifest["vectors_file"]
    try:
        table = np.load(table_path, mmap_mode=mmap, allow_pickle=False)
    except ValueError as exc:
        raise FormatError(table_path, f"not a readable .npy table ({exc})") from None
    words = manifest["index_to_key"]
    if table.shape != tuple(manifest["shape"]) or table.shape[0] != len(words):
        raise FormatError(table_path, f"table has shape {table.shape}, manifest says {tuple(manifest['shape'])} "
                                      f"for {len(words)} words")
    counts = manifest.get("counts")
    return cls.from_vectors(table, words, None if counts is None else np.asarray(counts, dtype=np.int64))
