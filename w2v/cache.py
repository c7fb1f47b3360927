"""The disk cache of corpus scans: a file corpus is tokenised once, later runs read its int32 ids.

Where: ``$W2V_CACHE_DIR``, else ``$XDG_CACHE_HOME/w2v``, else ``~/.cache/w2v``. An entry takes
4 bytes per corpus word (plus 8 per sentence and the distinct words' text).

One entry per corpus path and reader options (``max_sentence_length``, ``errors``): the entry's
file name is a digest of those, and its header records each corpus file's size and mtime. When
a file changes (or is only touched), the next run scans it again and *replaces* that entry; stale
scans never pile up.

Size cap: :data:`DEFAULT_MAX_BYTES` (2 GiB), or ``$W2V_CACHE_MAX`` (``500M``, ``4G``, a byte
count; ``0`` turns the cache off), or ``DiskCache(max_bytes=...)``. After each write the least
recently used entries are removed until the cache fits (an entry's mtime is its last use: it is
touched on every hit). An entry larger than the cap, or than half the free disk space, is not
written at all. Why 2 GiB: it holds the scans of ~500M corpus words (wiki17m, 17.3M words,
takes 72 MB), while a miss only costs re-reading the text (wiki17m: 4.3 s to scan against 0.09 s
from the cache, on the project's shared 2-core machine at load 14, where 5 epochs of training
take minutes), so a larger default would mostly keep scans nobody reads again, on a disk the
user did not choose to fill; users of larger corpora raise it.

Concurrency: an entry is one file written by :func:`~w2v.fileutil.atomic_write` (temp file,
fsync, rename), so a reader sees the old entry, the new one or none, never half of one; a reader
maps the file it opened, which stays valid even if another process replaces or evicts it.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import corpus as corpus_mod
from .fileutil import atomic_write
from .idstore import IdStream, count_ids
from .tokenize import WordList

DEFAULT_MAX_BYTES = 2 << 30
FORMAT = 2
MAGIC = b"W2VSCAN\x02"
SUFFIX = ".w2vscan"
_ALIGN = 64
_TEMP_MAX_AGE = 24 * 3600  # a temp file this old belongs to a writer that died


def default_cache_dir() -> Path:
    """``$W2V_CACHE_DIR``, else ``$XDG_CACHE_HOME/w2v``, else ``~/.cache/w2v``."""
    if os.environ.get("W2V_CACHE_DIR"):
        return Path(os.environ["W2V_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "w2v"


def parse_size(value) -> int:
    """Bytes from ``1073741824``, ``"500M"``, ``"1.5G"``, ``"2GiB"`` (K/M/G/T are powers of 1024)."""
    if isinstance(value, bool):
        raise ValueError(f"cache size must be a number of bytes or e.g. '500M', got {value!r}")
    if isinstance(value, (int, np.integer)):
        n = int(value)
    else:
        match = re.fullmatch(r"\s*(\d+(?:\.\d*)?)\s*([kmgt]?)(?:i?b)?\s*", str(value), re.IGNORECASE)
        if not match:
            raise ValueError(f"cache size must be a number of bytes or e.g. '500M', '4G', got {value!r}")
        n = int(float(match.group(1)) * 1024 ** " kmgt".index(match.group(2).lower() or " "))
    if n < 0:
        raise ValueError(f"cache size must be >= 0, got {value!r}")
    return n


def default_max_bytes() -> int:
    """``$W2V_CACHE_MAX`` if set, else :data:`DEFAULT_MAX_BYTES`."""
    value = os.environ.get("W2V_CACHE_MAX")
    if not value:
        return DEFAULT_MAX_BYTES
    try:
        return parse_size(value)
    except ValueError as e:
        raise ValueError(f"$W2V_CACHE_MAX: {e}") from None


def format_size(n: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n} B"


@dataclass
class Key:
    """Which entry a scan belongs to, and the corpus files' stamps taken *before* it was read."""

    path: Path
    header: dict


class DiskCache:
    """A cache directory with a size cap; ``w2v.train(..., cache_dir=DiskCache(max_bytes="500M"))``."""

    def __init__(self, directory: str | os.PathLike | None = None, max_bytes: int | str | None = None):
        self.directory = default_cache_dir() if directory is None else Path(directory).expanduser()
        self.max_bytes = default_max_bytes() if max_bytes is None else parse_size(max_bytes)

    @classmethod
    def from_arg(cls, cache_dir) -> DiskCache | None:
        """The cache a ``cache_dir`` argument stands for: None/True = default, False = none,
        a path = that directory, a DiskCache as is. A cap of 0 means no cache."""
        if cache_dir is False:
            return None
        cache = cache_dir if isinstance(cache_dir, DiskCache) else cls(None if cache_dir in (None, True) else cache_dir)
        return cache if cache.max_bytes > 0 else None

    def __repr__(self) -> str:
        return f"DiskCache({str(self.directory)!r}, max_bytes={self.max_bytes})"

    # ---- lookup and store ------------------------------------------------------------------

    def key(self, corpus, options: dict) -> Key:
        """The entry for a path corpus under ``options``, with its files' current stamps."""
        items = corpus if isinstance(corpus, (list, tuple)) else [corpus]  # a list of files or globs too
        source = "\n".join(str(Path(c).resolve()) for c in items)
        name = json.dumps({"format": FORMAT, "source": source, "options": options}, sort_keys=True)
        digest = hashlib.sha256(name.encode()).hexdigest()[:24]
        files = []
        for p in corpus_mod.corpus_files(corpus):
            st = p.stat()
            files.append([str(p.resolve()), st.st_size, st.st_mtime_ns])
        header = {"format": FORMAT, "source": source, "options": options, "files": files}
        return Key(self.directory / f"scan-{digest}{SUFFIX}", header)

    def load(self, key: Key):
        """``(words, ids, offsets, counts)`` if the entry exists and matches the files' stamps,
        else None.

        ``ids`` and ``offsets`` are :class:`~w2v.idstore.IdStream` s over the entry file, read
        block by block (the file stays open: a later replacement or eviction does not touch it).
        Reading the ids once to count them also checks them. A damaged entry is removed; a hit
        marks the entry used.
        """
        try:
            f = open(key.path, "rb")
        except OSError:
            return None
        try:
            header, data_start = _read_header(f)
            if {k: header.get(k) for k in ("format", "source", "options", "files")} != key.header:
                f.close()
                return None  # stale: the next store replaces it
            scan = _read_arrays(f, header, data_start, str(key.path))
        except (OSError, ValueError, KeyError, TypeError, struct.error):
            f.close()
            with contextlib.suppress(OSError):
                key.path.unlink()
            return None
        with contextlib.suppress(OSError):
            os.utime(key.path)  # last use, for the LRU eviction
        return scan

    def store(self, key: Key, words: list[str], ids, offsets) -> bool:
        """Write (or replace) the entry, then evict least recently used entries over the cap.

        ``ids`` (int32) and ``offsets`` (int64) are arrays or :class:`~w2v.idstore.IdStream` s,
        copied block by block. Returns whether it was written; a cache that cannot be written
        only costs speed.
        """
        ids, offsets = IdStream.of(ids, np.int32), IdStream.of(offsets, np.int64)
        words_blob = words.joined(b"\n") if isinstance(words, WordList) else "\n".join(words).encode("utf-8")
        header = dict(key.header, n_ids=len(ids), n_offsets=len(offsets), n_words=len(words),
                      words_bytes=len(words_blob))
        head = _encode_header(header)
        ids_bytes = 4 * len(ids)
        size = len(head) + _padded(ids_bytes, 8) + 8 * len(offsets) + len(words_blob)
        if size > self.max_bytes:
            return False
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if size > shutil.disk_usage(self.directory).free // 2:
                return False
            with atomic_write(key.path, "wb") as f:
                f.write(head)
                for block in ids.blocks():
                    f.write(memoryview(block).cast("B"))
                f.write(b"\0" * (_padded(ids_bytes, 8) - ids_bytes))
                for block in offsets.blocks():
                    f.write(memoryview(block).cast("B"))
                f.write(words_blob)
        except OSError:
            return False
        self.evict(keep=key.path)
        return True

    # ---- housekeeping ----------------------------------------------------------------------

    def entries(self) -> list[tuple[Path, os.stat_result]]:
        """Cache entries, least recently used first."""
        found = []
        with contextlib.suppress(OSError):
            for p in self.directory.glob(f"scan-*{SUFFIX}"):
                with contextlib.suppress(OSError):
                    found.append((p, p.stat()))
        return sorted(found, key=lambda e: e[1].st_mtime)

    def evict(self, keep: Path | None = None) -> int:
        """Remove least recently used entries until the cache fits its cap, and leftovers of
        older w2v versions and of writers that died; returns the bytes freed."""
        freed = self._remove_leftovers(max_age=_TEMP_MAX_AGE)
        entries = self.entries()
        total = sum(st.st_size for _, st in entries)
        for p, st in entries:
            if total <= self.max_bytes:
                break
            if p == keep:
                continue
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                freed += st.st_size
            total -= st.st_size
        return freed

    def clear(self) -> tuple[int, int]:
        """Remove every entry (and leftovers); returns (entries removed, bytes freed)."""
        count, freed = 0, self._remove_leftovers(max_age=0)
        for p, st in self.entries():
            with contextlib.suppress(FileNotFoundError):
                p.unlink()
                count, freed = count + 1, freed + st.st_size
        return count, freed

    def _remove_leftovers(self, max_age: float) -> int:
        """Directories of the first cache format (``scan-<digest>/``, never read since) and
        temporary files/directories older than ``max_age`` seconds."""
        freed, now = 0, time.time()
        with contextlib.suppress(OSError):
            for p in self.directory.iterdir():
                legacy = p.name.startswith("scan-") and p.is_dir()
                temp = (p.name.startswith(".tmp-") or (p.name.startswith(".scan-") and p.name.endswith(".tmp"))) \
                    and _age(p, now) >= max_age
                if legacy or temp:
                    freed += _tree_size(p)
                    if p.is_dir():
                        shutil.rmtree(p, ignore_errors=True)
                    else:
                        with contextlib.suppress(OSError):
                            p.unlink()
        return freed

    def info(self) -> dict:
        """What ``w2v cache info`` prints: location, cap, and each entry's source, size and state."""
        rows = []
        for p, st in reversed(self.entries()):  # most recently used first
            row = {"file": p.name, "bytes": st.st_size, "last_used": st.st_mtime, "source": "?",
                   "words": None, "state": "unreadable"}
            try:
                with open(p, "rb") as f:
                    header, _ = _read_header(f)
                row.update(source=header["source"], words=header["n_ids"], state=_freshness(header))
            except (OSError, ValueError, KeyError, struct.error):
                pass
            rows.append(row)
        return {"directory": str(self.directory), "max_bytes": self.max_bytes,
                "total_bytes": sum(r["bytes"] for r in rows), "entries": rows}


# ---- the entry file ---------------------------------------------------------------------------
# MAGIC, u64 header length, JSON header, zero padding to 64 bytes; then the int32 ids (padded to
# 8 bytes), the int64 sentence offsets, and the distinct words as UTF-8 joined by "\n".

def _encode_header(header: dict) -> bytes:
    text = json.dumps(header).encode("utf-8")
    head = MAGIC + struct.pack("<Q", len(text)) + text
    return head + b"\0" * (_padded(len(head), _ALIGN) - len(head))


def _read_header(f) -> tuple[dict, int]:
    if f.read(len(MAGIC)) != MAGIC:
        raise ValueError("not a w2v cache entry")
    (length,) = struct.unpack("<Q", f.read(8))
    if length > 1 << 30:
        raise ValueError("implausible header")
    header = json.loads(f.read(length).decode("utf-8"))
    return header, _padded(len(MAGIC) + 8 + length, _ALIGN)


def _read_arrays(f, header: dict, start: int, name: str):
    """(words, ids, offsets, counts) of an entry, each part checked: the ids index arrays in nogil
    kernels, so an id out of range or offsets out of order must never get that far."""
    n_ids, n_offsets, n_words = header["n_ids"], header["n_offsets"], header["n_words"]
    ids_bytes = _padded(4 * n_ids, 8)
    expected = start + ids_bytes + 8 * n_offsets + header["words_bytes"]
    if os.fstat(f.fileno()).st_size != expected or n_offsets < 1 or n_ids < 1:
        raise ValueError("truncated or inconsistent entry")
    ids = IdStream(np.int32, file=f, offset=start, n=n_ids, name=f"cache entry {name}")
    offsets = IdStream(np.int64, file=f, offset=start + ids_bytes, n=n_offsets, name=f"cache entry {name}")
    f.seek(start + ids_bytes + 8 * n_offsets)
    blob = f.read(header["words_bytes"])
    blob.decode("utf-8")  # raises on bytes that are not UTF-8; the words are decoded only when read
    words = WordList.from_joined(blob)
    if len(words) != n_words or offsets.item(0) != 0 or offsets.item(n_offsets - 1) != n_ids:
        raise ValueError("inconsistent entry")
    last = 0
    for block in offsets.blocks():
        if block[0] < last or np.any(np.diff(block) < 0):
            raise ValueError("sentence offsets out of order")
        last = int(block[-1])
    counts = np.zeros(n_words, np.int64)
    for block in ids.blocks():
        if not count_ids(counts, block):
            raise ValueError("ids out of range")
    return words, ids, offsets, counts


def _freshness(header: dict) -> str:
    """``fresh``, ``stale`` (a file changed: replaced on the next run) or ``source gone``."""
    for path, size, mtime_ns in header["files"]:
        try:
            st = os.stat(path)
        except OSError:
            return "source gone"
        if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
            return "stale"
    return "fresh"


def _padded(n: int, align: int) -> int:
    return -(-n // align) * align


def _age(p: Path, now: float) -> float:
    try:
        return now - p.lstat().st_mtime
    except OSError:
        return 0.0


def _tree_size(p: Path) -> int:
    try:
        if not p.is_dir():
            return p.lstat().st_size
        return sum(q.lstat().st_size for q in p.rglob("*") if not q.is_dir())
    except OSError:
        return 0
