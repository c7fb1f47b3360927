"""Vector files: word2vec.c's text and binary formats, and w2v's native npy + json directory.

word2vec.c formats
    A header line ``"<vocab size> <dims>\\n"``, then one entry per word, most frequent first.
    Text: ``word v1 v2 ... vd\\n`` with decimal floats. Binary: the word's bytes, one space,
    ``d`` little-endian float32, then ``\\n`` (word2vec.c writes the newline; gensim does not, so
    the reader accepts entries with or without it). Neither format can represent a word that
    contains whitespace (the space ends the word), so such words are rejected when saving with a
    ValueError naming the word; they carry no word counts either.

Native format
    A directory holding ``keyedvectors.json`` (vocabulary, counts, shape, and the name of the
    table file) and the table as ``vectors-<token>.npy``, loadable with ``mmap='r'``.

Every write is atomic: the reader of a path sees the old content or the complete new content,
never a partial file (see :func:`w2v._fileutil.atomic_write`).
"""
from __future__ import annotations

import json
import logging
import os
import re
import secrets
import warnings
from pathlib import Path

import numpy as np

from ._fileutil import atomic_write, open_binary

logger = logging.getLogger(__name__)

_FLOAT = np.dtype("<f4")
_WHITESPACE = re.compile(r"\s")
_BATCH_LINES = 8192
_BINARY_CHUNK_BYTES = 1 << 24
_NATIVE_MANIFEST = "keyedvectors.json"
_NATIVE_FORMAT = "w2v.KeyedVectors"
_NATIVE_VERSION = 1


class FormatError(ValueError):
    """A vector file is truncated or malformed; the message names the file and the problem."""

    def __init__(self, path, problem: str):
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


def _keyed_vectors_class():
    from .vectors import KeyedVectors

    return KeyedVectors


# ---------------------------------------------------------------------- word2vec.c: writing


def check_storable_words(words) -> None:
    """Raise ValueError naming the first word the word2vec formats cannot hold (empty or with whitespace)."""
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word or _WHITESPACE.search(word):
            raise ValueError(
                f"word #{i} {word!r} cannot be stored in word2vec format: words must be non-empty "
                "strings without whitespace (a space or newline would end the word when reading)"
            )


def save_word2vec_format(wv, path, binary: bool = False, write_header: bool = True) -> None:
    """Write ``wv`` in word2vec.c's text or binary format (``.gz``/``.bz2``/``.xz`` compress).

    Text values use ``%.9g``, enough digits for every float32 to read back bit-identical. The
    file appears under ``path`` only once completely written.
    """
    check_storable_words(wv.index_to_key)
    table = np.ascontiguousarray(wv.vectors, dtype=_FLOAT)
    with atomic_write(path, "wb") as out:
        if write_header:
            out.write(f"{table.shape[0]} {table.shape[1]}\n".encode("ascii"))
        writer = _write_binary_rows if binary else _write_text_rows
        for start in range(0, len(table), _BATCH_LINES):
            stop = start + _BATCH_LINES
            out.write(writer(wv.index_to_key[start:stop], table[start:stop]))


def _write_binary_rows(words, rows: np.ndarray) -> bytes:
    """word2vec.c binary entries: word, space, raw little-endian float32s, newline."""
    return b"".join(w.encode("utf8") + b" " + r.tobytes() + b"\n" for w, r in zip(words, rows))


def _write_text_rows(words, rows: np.ndarray) -> bytes:
    """word2vec.c text lines; %.9g round-trips float32 exactly (Python floats hold them exactly)."""
    fmt = " ".join(["%.9g"] * rows.shape[1])
    return "".join(f"{w} {fmt % tuple(r)}\n" for w, r in zip(words, rows.tolist())).encode("utf8")


# ---------------------------------------------------------------------- word2vec.c: reading


def load_word2vec_format(path, binary: bool = False, limit: int | None = None, encoding: str = "utf8",
                         unicode_errors: str = "strict", no_header: bool = False, cls=None):
    """Read a word2vec.c text or binary file into ``cls`` (default KeyedVectors).

    ``limit`` reads only the first N words (the file is not read further). Words that repeat
    keep their first vector (as gensim does). ``no_header`` is for headerless text files
    (GloVe-style): the vocabulary size and width come from the lines themselves. Raises
    :class:`FormatError` for a bad header, a wrong number of values, a bad number or a
    truncated file.
    """
    cls = cls or _keyed_vectors_class()
    if limit is not None and limit < 0:
        raise ValueError(f"limit must be >= 0 or None, got {limit}")
    with open_binary(path) as f:
        if no_header:
            if binary:
                raise ValueError("no_header is only supported for text files (binary needs the width)")
            words, table = _read_text_headerless(f, path, limit, encoding, unicode_errors)
        else:
            vocab_size, dim = _read_header(f, path)
            if limit is not None:
                vocab_size = min(vocab_size, limit)
            reader = _read_binary_body if binary else _read_text_body
            words, table = reader(f, path, vocab_size, dim, encoding, unicode_errors)
    words, table = _drop_duplicates(words, table, path)
    return cls(table, words)


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


def _new_table(path, vocab_size: int, dim: int, binary: bool) -> np.ndarray:
    """The table for ``vocab_size`` rows, but never more rows than the file can hold.

    A damaged header may claim billions of words: allocating that would fail with MemoryError
    (or swap) before the reader could say where the data really ends. Each binary entry takes at
    least 2 + 4*dim bytes and each text line at least 2*dim + 2, so a plain file bounds the rows;
    a compressed file's claim is only bounded by what could be real.
    """
    rows = vocab_size
    if Path(path).suffix.lower() not in (".gz", ".bz2", ".xz"):
        per_entry = 2 + 4 * dim if binary else 2 * dim + 2
        rows = min(rows, os.path.getsize(path) // per_entry + 1)
    if rows * dim * 4 > 2**40:
        raise FormatError(path, f"header claims {vocab_size} words x {dim} dims: too large to be real")
    return np.empty((rows, dim), dtype=np.float32)


def _read_binary_body(f, path, vocab_size: int, dim: int, encoding: str, errors: str):
    """Read ``vocab_size`` binary entries, chunk by chunk, into a preallocated table.

    Each entry costs one ``bytes.find`` for the word and one ``np.frombuffer`` for the vector,
    so the float data is never touched by Python-level loops.
    """
    width = dim * _FLOAT.itemsize
    table = _new_table(path, vocab_size, dim, binary=True)
    words: list[str] = []
    buf = b""
    pos = 0
    eof = False
    while len(words) < vocab_size:
        space = buf.find(b" ", pos)
        if space < 0 or len(buf) - (space + 1) < width:
            if eof:
                _raise_binary_truncated(path, buf, pos, space, width, len(words), vocab_size)
            chunk = f.read(_BINARY_CHUNK_BYTES)
            eof = not chunk
            buf = buf[pos:] + chunk
            pos = 0
            continue
        raw = buf[pos:space].lstrip(b"\n")
        if not raw:
            raise FormatError(path, f"entry {len(words) + 1} of {vocab_size} has an empty word (bad header width?)")
        words.append(_decode_word(raw, encoding, errors, path, "word", len(words) + 1))
        table[len(words) - 1] = np.frombuffer(buf, dtype=_FLOAT, count=dim, offset=space + 1)
        pos = space + 1 + width
    return words, table


def _decode_word(raw: bytes, encoding: str, errors: str, path, unit: str, number: int) -> str:
    """Decode one word, turning a decoding failure into a FormatError that says where and what to do."""
    try:
        return raw.decode(encoding, errors=errors)
    except UnicodeDecodeError as exc:
        raise FormatError(path, f"{unit} {number}: {raw[:40]!r} is not valid {encoding} ({exc.reason}); word2vec.c may "
                                "cut words mid-character: try unicode_errors='replace' or 'ignore'") from None


def _raise_binary_truncated(path, buf, pos, space, width, done, vocab_size):
    """Explain why the binary data ran out before ``vocab_size`` entries."""
    if space < 0:
        rest = buf[pos:].lstrip(b"\n")
        what = f"{len(rest)} stray bytes without a word separator" if rest else "no data"
        raise FormatError(path, f"truncated: file ends after {done} of {vocab_size} words ({what} left)")
    word = buf[pos:space].lstrip(b"\n").decode("utf8", errors="replace")
    have = len(buf) - (space + 1)
    raise FormatError(
        path,
        f"truncated: vector of word {done + 1} of {vocab_size} ({word!r}) needs {width} bytes, "
        f"only {have} left ({width - have} bytes missing)",
    )


def _read_text_body(f, path, vocab_size: int, dim: int, encoding: str, errors: str):
    """Read ``vocab_size`` text lines in batches of a few thousand (bounded memory for huge files)."""
    table = _new_table(path, vocab_size, dim, binary=False)
    words: list[str] = []
    line_no = 1  # the header
    while len(words) < vocab_size:
        lines = _read_lines(f, min(_BATCH_LINES, vocab_size - len(words)))
        if not lines:
            raise FormatError(path, f"truncated: file ends after {len(words)} of {vocab_size} vectors "
                                    f"(line {line_no + 1} missing)")
        batch_words, values = _parse_text_lines(lines, path, line_no + 1, dim, encoding, errors)
        table[len(words): len(words) + len(lines)] = values
        words.extend(batch_words)
        line_no += len(lines)
    return words, table


def _read_text_headerless(f, path, limit, encoding, errors):
    """Read a text file without header: the first line decides the width."""
    words, parts = [], []
    dim = None
    line_no = 0
    while limit is None or len(words) < limit:
        want = _BATCH_LINES if limit is None else min(_BATCH_LINES, limit - len(words))
        lines = _read_lines(f, want)
        if not lines:
            break
        if dim is None:
            dim = len(lines[0].split()) - 1
            if dim < 1:
                raise FormatError(path, f"line 1 has no vector values: {lines[0][:80]!r}")
        batch_words, values = _parse_text_lines(lines, path, line_no + 1, dim, encoding, errors)
        words.extend(batch_words)
        parts.append(values)
        line_no += len(lines)
    table = np.concatenate(parts) if parts else np.empty((0, dim or 0), dtype=np.float32)
    return words, table


def _read_lines(f, n: int) -> list[bytes]:
    """Up to ``n`` lines, fewer only at end of file."""
    lines = []
    for _ in range(n):
        line = f.readline()
        if not line:
            break
        lines.append(line)
    return lines


def _parse_text_lines(lines: list[bytes], path, first_line_no: int, dim: int, encoding: str, errors: str):
    """Split ``word v1 .. vd`` lines into words and a (len(lines), dim) float32 block.

    Each line's values are parsed by one ``np.fromstring`` call (C speed, and the per-line
    count catches a line with too few or too many values); anything odd is re-examined by
    :func:`_text_line_problem` to give a precise message.
    """
    words = []
    block = np.empty((len(lines), dim), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy warns (not raises) on junk
        for i, line in enumerate(lines):
            word, _, rest = line.partition(b" ")
            try:
                values = np.fromstring(rest, dtype=np.float32, sep=" ")
            except ValueError:
                values = None
            if not word or values is None or values.size != dim:
                cut = "" if line.endswith(b"\n") else " (the file ends inside this line: truncated?)"
                raise FormatError(path, f"line {first_line_no + i}: {_text_line_problem(line, dim)}{cut}")
            block[i] = values
            words.append(_decode_word(word, encoding, errors, path, "line", first_line_no + i))
    return words, block


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
    """Keep the first vector of a word that appears more than once (gensim does the same)."""
    if len(set(words)) == len(words):
        return words, table
    seen: dict[str, int] = {}
    for i, w in enumerate(words):
        seen.setdefault(w, i)
    keep = np.array(sorted(seen.values()), dtype=np.intp)
    logger.warning("%s: %d duplicate words, keeping the first vector of each", path, len(words) - len(keep))
    return [words[i] for i in keep.tolist()], np.ascontiguousarray(table[keep])


# ---------------------------------------------------------------------- native format


def save_native(wv, path) -> None:
    """Save ``wv`` as a directory: the table as .npy and a json manifest with the vocabulary.

    The table goes to a fresh uniquely named file first; the manifest, which names it, is then
    replaced atomically, and only after that is the previous table removed. A crash at any point
    leaves the directory loadable (old or new content, at worst one orphaned .npy file).
    """
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise FileExistsError(f"cannot save vectors to {str(path)!r}: it exists and is not a directory")
    path.mkdir(parents=False, exist_ok=True)
    old_table = _native_table_name(path)
    table_name = f"vectors-{secrets.token_hex(4)}.npy"
    with atomic_write(path / table_name, "wb") as out:
        np.save(out, np.ascontiguousarray(wv.vectors), allow_pickle=False)
    manifest = {
        "format": _NATIVE_FORMAT,
        "version": _NATIVE_VERSION,
        "vectors_file": table_name,
        "shape": list(wv.vectors.shape),
        "index_to_key": list(wv.index_to_key),
        "counts": None if wv.counts is None else wv.counts.tolist(),
    }
    with atomic_write(path / _NATIVE_MANIFEST, "w", encoding="utf8") as out:
        json.dump(manifest, out, ensure_ascii=False)
    if old_table and old_table != table_name:
        try:
            (path / old_table).unlink()
        except OSError:
            pass


def _native_table_name(path: Path) -> str | None:
    """Name of the table file the current manifest points to, if any."""
    try:
        return _read_manifest(path)["vectors_file"]
    except (OSError, FormatError):
        return None


def _read_manifest(path: Path) -> dict:
    manifest_path = path / _NATIVE_MANIFEST
    try:
        with open(manifest_path, encoding="utf8") as f:
            manifest = json.load(f)
    except json.JSONDecodeError as exc:
        raise FormatError(manifest_path, f"not valid JSON ({exc})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != _NATIVE_FORMAT:
        raise FormatError(manifest_path, f"not a w2v vectors manifest (expected format {_NATIVE_FORMAT!r})")
    if manifest.get("version", 0) > _NATIVE_VERSION:
        raise FormatError(manifest_path, f"written by a newer w2v (format version {manifest['version']})")
    return manifest


def load_native(path, mmap: str | None = None, cls=None):
    """Load a :func:`save_native` directory; ``mmap='r'`` memory-maps the table (read-only)."""
    if mmap not in (None, "r", "r+", "c"):
        raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', got {mmap!r}")
    cls = cls or _keyed_vectors_class()
    path = Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{str(path)!r} is not a saved w2v vectors directory")
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
    return cls(table, words, None if counts is None else np.asarray(counts, dtype=np.int64))
