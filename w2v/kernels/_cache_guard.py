"""Drop numba's cached kernels when any kernel source changed, not only the kernel's own file.

numba keys a cached function on the modification time and size of the file that defines it, and
nothing else. ``train_chunk`` lives in ``sentences.py`` but inlines the updates of ``common.py``,
``skipgram.py`` and ``cbow.py``: after an edit to one of those, numba would keep loading the old
machine code for ``train_chunk`` (silently: the tests and benchmarks would measure the old
kernel). So on import this module fingerprints every source file of the package and, when the
fingerprint differs from the one the cache was built with, deletes the package's cached kernels
(numba then compiles afresh and refills the cache).

It guards numba's default, in-tree cache (``__pycache__`` beside the sources). A cache moved
elsewhere with ``NUMBA_CACHE_DIR`` is not cleaned: delete it by hand after editing the kernels.

Several processes may import w2v at once (the worker processes of a Dask cluster, pytest-xdist):
the check, the deletion and the new stamp happen under an exclusive lock on a file beside the
stamp, so the first process cleans and stamps, and the others then find the fresh stamp and
leave alone the kernels the first one may already be writing back.
"""
from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from .._fileutil import atomic_write

PACKAGE = Path(__file__).resolve().parent
STAMP_NAME = "w2v-kernels.sha1"
LOCK_NAME = "w2v-kernels.lock"


def source_fingerprint(package: Path = PACKAGE) -> str:
    digest = hashlib.sha1()
    for source in sorted(package.glob("*.py")):
        digest.update(source.name.encode() + b"\0" + source.read_bytes())
    return digest.hexdigest()


def invalidate_stale_cache(package: Path = PACKAGE) -> bool:
    """Delete the cached kernels in ``package/__pycache__`` if the sources changed; return whether
    anything was deleted. A cache directory w2v cannot write is left alone (numba then caches
    elsewhere, under its own rules)."""
    cache = package / "__pycache__"
    stamp = cache / STAMP_NAME
    fingerprint = source_fingerprint(package)
    if _stamp_matches(stamp, fingerprint):
        return False
    try:
        cache.mkdir(exist_ok=True)
    except OSError:
        return False
    if not os.access(cache, os.W_OK):
        return False
    with _exclusive(cache / LOCK_NAME):
        if _stamp_matches(stamp, fingerprint):  # another process cleaned while this one waited
            return False
        stale = list(cache.glob("*.nbi")) + list(cache.glob("*.nbc"))
        for path in stale:
            path.unlink(missing_ok=True)
        try:
            with atomic_write(stamp, "w") as f:
                f.write(fingerprint)
        except OSError:
            pass
    return bool(stale)


def _stamp_matches(stamp: Path, fingerprint: str) -> bool:
    try:
        return stamp.read_text() == fingerprint
    except OSError:
        return False


@contextlib.contextmanager
def _exclusive(lock_path: Path):
    """Hold an exclusive advisory lock on ``lock_path`` (POSIX ``flock``; no lock where there is none)."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; numba's own cache writes are still atomic
        yield
        return
    try:
        handle = open(lock_path, "a")
    except OSError:
        yield
        return
    with handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
