"""Small file helpers shared by every writer: atomic replacement and compressed opening.

Every file w2v writes goes through :func:`atomic_write`, so a crash or Ctrl-C mid-write never
leaves a half-written file under the final name: the data goes to a temporary file in the same
directory, is flushed and fsync'ed, then renamed over the target in one step.
"""
from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import tempfile
from pathlib import Path

_OPENERS = {".gz": gzip.open, ".bz2": bz2.open, ".xz": lzma.open}


def open_binary(path: str | os.PathLike):
    """Open ``path`` for binary reading, decompressing ``.gz``, ``.bz2`` and ``.xz`` by suffix."""
    opener = _OPENERS.get(Path(path).suffix.lower(), open)
    return opener(path, "rb")


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **kwargs):
    """Yield a file object whose content replaces ``path`` only if the block finishes without error.

    The temporary file lives beside the target (same file system, so ``os.replace`` is atomic).
    A ``.gz``/``.bz2``/``.xz`` suffix on ``path`` compresses the output.
    """
    path = Path(path)
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise FileNotFoundError(f"cannot write {str(path)!r}: directory {str(directory)!r} does not exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        opener = _OPENERS.get(path.suffix.lower())
        if opener is None:
            f = open(tmp, mode, **kwargs)
        else:
            f = opener(tmp, mode.replace("b", "") + ("b" if "t" not in mode else ""), **kwargs)
        with f:
            yield f
            f.flush()
            if hasattr(f, "fileno") and opener is None:
                os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
