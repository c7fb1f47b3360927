"""Drop numba's cached kernels of a module when anything they were compiled from changed.

numba keys a cached function on the modification time and size of the file that defines it, and
nothing else. But a kernel is compiled from more than its own file: ``train_chunk`` in
``sentences.py`` inlines the updates of ``common.py``, ``skipgram.py`` and ``cbow.py``; the
tokeniser in ``w2v/tokenize.py`` inlines the ``borrow``, ``prefetch`` and ``unaligned`` intrinsics
of this package; and a module constant another kernel reads is frozen into its machine code.
After an edit to any of those files numba would keep loading the old machine code, silently (the
tests and benchmarks would measure the old kernel).

So on import (``w2v.kernels`` runs :func:`invalidate_stale_cache` before any kernel can be loaded)
this module finds every module of the package that caches kernels (its source sets numba's
``cache`` option: found by scanning, not listed by hand), fingerprints each one together with every module of the
package it imports, directly or through others (module-level ``import`` lines), and deletes the
cached kernels of each module whose fingerprint differs from the one its cache was built with.
numba then compiles those afresh and refills the cache.

Where the cache is, is numba's rule: ``$NUMBA_CACHE_DIR`` (one subdirectory per source directory),
else ``__pycache__`` beside the sources. Each cache directory keeps a stamp (module -> fingerprint).

Several processes may import w2v at once (the worker processes of a Dask cluster, pytest-xdist):
the check, the deletion and the new stamp happen under an exclusive lock on a file beside the
stamp, so the first process cleans and stamps, and the others then find the fresh stamp and
leave alone the kernels the first one may already be writing back.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from pathlib import Path

from ..fileutil import atomic_write

#: the package whose kernels are guarded (``w2v/``)
PACKAGE = Path(__file__).resolve().parent.parent
STAMP_NAME = "w2v-kernels.json"
LOCK_NAME = "w2v-kernels.lock"
#: what marks a module that caches kernels: a decorator's ``cache`` option set to True (written
#: in two pieces so that this file does not hold it)
CACHED_KERNEL_MARK = "cache=" + "True"

_IMPORT = re.compile(r"^[ \t]*(?:from[ \t]+(?P<origin>[\w.]+)[ \t]+import[ \t]+(?P<names>\([^)]*\)|[^\n#]*)"
                     r"|import[ \t]+(?P<modules>[^\n#]*))", re.M)


def kernel_modules(package: Path = PACKAGE) -> list[Path]:
    """The package's source files that cache numba kernels (their text sets ``cache`` to True)."""
    return [source for source in sorted(package.rglob("*.py"))
            if "__pycache__" not in source.parts and CACHED_KERNEL_MARK in source.read_text("utf-8")]


def imported_modules(source: Path, package: Path = PACKAGE) -> set[Path]:
    """The package's modules that ``source`` imports (relative or absolute imports, at any depth
    of indentation: a lazy import found too only costs a needless recompile, never a stale one)."""
    parts = list(source.relative_to(package).parent.parts)
    found: set[Path] = set()
    for match in _IMPORT.finditer(source.read_text("utf-8")):
        if match["origin"] is not None:
            origin = _origin_parts(match["origin"], parts, package.name)
            if origin is None:
                continue
            names = [name.split()[0] for name in match["names"].strip("()").split(",") if name.split()]
            submodules = [m for m in (_module_file(package, origin + [n]) for n in names) if m is not None]
            found.update(submodules)
            if len(submodules) < len(names) or not names:  # a name defined by the module itself
                module = _module_file(package, origin)
                if module is not None:
                    found.add(module)
        else:
            for name in match["modules"].split(","):
                dotted = name.split()[0] if name.split() else ""
                if dotted.split(".")[0] == package.name:
                    module = _module_file(package, dotted.split(".")[1:])
                    if module is not None:
                        found.add(module)
    return found


def _origin_parts(origin: str, here: list[str], package_name: str) -> list[str] | None:
    """``from ORIGIN import ...`` as path parts under the package, or None outside it."""
    if origin.startswith("."):
        level = len(origin) - len(origin.lstrip("."))
        if level - 1 > len(here):
            return None
        base = here[:len(here) - (level - 1)]
        return base + [p for p in origin.lstrip(".").split(".") if p]
    dotted = origin.split(".")
    return dotted[1:] if dotted[0] == package_name else None


def _module_file(package: Path, parts: list[str]) -> Path | None:
    target = package.joinpath(*parts)
    if parts and target.with_suffix(".py").is_file():
        return target.with_suffix(".py")
    if (target / "__init__.py").is_file():
        return target / "__init__.py"
    return None


def dependencies(source: Path, package: Path = PACKAGE, known: dict | None = None) -> list[Path]:
    """``source`` and every module of the package it imports, directly or through others
    (``known``: the imports of modules read already, filled as they are read)."""
    known = {} if known is None else known
    seen, todo = {source}, [source]
    while todo:
        module = todo.pop()
        if module not in known:
            known[module] = imported_modules(module, package)
        for module in known[module]:
            if module not in seen:
                seen.add(module)
                todo.append(module)
    return sorted(seen)


def module_fingerprint(source: Path, package: Path = PACKAGE, known: dict | None = None) -> str:
    """A digest of ``source`` and its dependencies (their paths and bytes)."""
    digest = hashlib.sha1()
    for module in dependencies(source, package, known):
        digest.update(module.relative_to(package).as_posix().encode() + b"\0" + module.read_bytes() + b"\0")
    return digest.hexdigest()


def source_fingerprint(package: Path = PACKAGE) -> str:
    """One digest of every kernel module and its dependencies: two installs with the same value
    run the same kernels (the Dask driver compares its workers' with its own)."""
    digest, known = hashlib.sha1(), {}
    for source in kernel_modules(package):
        digest.update(module_fingerprint(source, package, known).encode())
    return digest.hexdigest()


def cache_directory(source: Path) -> Path:
    """Where numba caches the kernels of ``source``: ``$NUMBA_CACHE_DIR`` (read when numba was
    imported) under a name numba derives from the source's directory, else ``__pycache__``."""
    from numba.core import config
    from numba.core.caching import UserProvidedCacheLocator

    if config.CACHE_DIR:
        return Path(config.CACHE_DIR) / UserProvidedCacheLocator.get_suitable_cache_subpath(str(source))
    return source.parent / "__pycache__"


def invalidate_stale_cache(package: Path = PACKAGE) -> bool:
    """Delete the cached kernels of every module whose sources changed since its cache was
    stamped; return whether anything was deleted. A cache directory w2v cannot write is left
    alone (numba then caches elsewhere, under its own rules)."""
    by_directory: dict[Path, dict[str, str]] = {  # every source directory: one may have lost its kernels
        cache_directory(init): {} for init in package.rglob("__init__.py") if "__pycache__" not in init.parts}
    known: dict = {}
    for source in kernel_modules(package):
        by_directory.setdefault(cache_directory(source), {})[source.stem] = module_fingerprint(source, package, known)
    deleted = False
    for cache, fingerprints in by_directory.items():
        deleted |= _clean(cache, fingerprints)
    return deleted


def _clean(cache: Path, fingerprints: dict[str, str]) -> bool:
    """Bring one cache directory in line with ``fingerprints`` (module stem -> fingerprint)."""
    stamp = cache / STAMP_NAME
    if _stale(_read_stamp(stamp), fingerprints) == []:
        return False
    try:
        cache.mkdir(parents=True, exist_ok=True)
    except OSError:
        return False
    if not os.access(cache, os.W_OK):
        return False
    with _exclusive(cache / LOCK_NAME):
        stamped = _read_stamp(stamp)
        stale = _stale(stamped, fingerprints)  # another process may have cleaned while this one waited
        if not stale:
            return False
        dropped = [path for stem in stale for pattern in (f"{stem}.*.nbi", f"{stem}.*.nbc")
                   for path in cache.glob(pattern)]
        for path in dropped:
            path.unlink(missing_ok=True)
        try:
            with atomic_write(stamp, "w") as f:
                json.dump(fingerprints, f, indent=0, sort_keys=True)
        except OSError:
            pass
    return bool(dropped)


def _stale(stamped: dict, fingerprints: dict[str, str]) -> list[str]:
    """The modules whose kernels must go: changed ones, and stamped ones that are gone (their cached
    kernels would only take room: a module of that name later would be stamped anew)."""
    changed = [stem for stem, fingerprint in fingerprints.items() if stamped.get(stem) != fingerprint]
    return sorted(changed + [stem for stem in stamped if stem not in fingerprints])


def _read_stamp(stamp: Path) -> dict:
    try:
        stamped = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return {}
    return stamped if isinstance(stamped, dict) else {}


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
