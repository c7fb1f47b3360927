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
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from .._fileutil import atomic_write

PACKAGE = Path(__file__).resolve().parent
STAMP_NAME = "w2v-kernels.sha1"


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
    try:
        if stamp.read_text() == fingerprint:
            return False
    except OSError:
        pass
    try:
        cache.mkdir(exist_ok=True)
    except OSError:
        return False
    if not os.access(cache, os.W_OK):
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
