"""numba's cache would keep a kernel compiled from an older version of a file it inlines; the guard
drops the package's cached kernels whenever any of its sources changes, and only then."""
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import w2v
from w2v.kernels import _cache_guard
from w2v.kernels._cache_guard import LOCK_NAME, STAMP_NAME, _exclusive, invalidate_stale_cache


def make_package(tmp_path):
    package = tmp_path / "kernels"
    (package / "__pycache__").mkdir(parents=True)
    (package / "common.py").write_text("X = 1\n")
    (package / "sentences.py").write_text("from .common import X\n")
    return package


def cached(package):
    cache = package / "__pycache__"
    (cache / "sentences.train_chunk-61.py311.nbi").write_bytes(b"index")
    (cache / "sentences.train_chunk-61.py311.1.nbc").write_bytes(b"code")
    (cache / "sentences.cpython-311.pyc").write_bytes(b"pyc")
    return sorted(p.name for p in cache.iterdir())


def test_cache_is_kept_while_sources_are_unchanged(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)            # first import: stamps the sources
    files = cached(package)
    assert invalidate_stale_cache(package) is False
    assert sorted(p.name for p in (package / "__pycache__").iterdir()) == files


def test_editing_an_inlined_file_drops_every_cached_kernel(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    cached(package)
    (package / "common.py").write_text("X = 2\n")   # sentences.py, the kernel's own file, is untouched
    assert invalidate_stale_cache(package) is True
    left = sorted(p.name for p in (package / "__pycache__").iterdir())
    assert left == sorted(["sentences.cpython-311.pyc", STAMP_NAME, LOCK_NAME])  # only numba's files go
    assert invalidate_stale_cache(package) is False          # and the new stamp holds


def test_a_cache_directory_that_does_not_exist_yet_is_created_with_its_stamp(tmp_path):
    package = make_package(tmp_path)
    (package / "__pycache__").rmdir()
    invalidate_stale_cache(package)
    assert (package / "__pycache__" / STAMP_NAME).read_text() == _cache_guard.source_fingerprint(package)


def test_importing_the_kernels_runs_the_guard(tmp_path):
    """A fresh copy of the package (no __pycache__, no stamp) gets its stamp on ``import w2v.kernels``
    alone: the guard runs before any kernel could be loaded from numba's cache. (Importing compiles
    nothing: numba compiles at the first call.)"""
    package = Path(w2v.__file__).resolve().parent
    copy = tmp_path / "w2v"
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    proc = subprocess.run([sys.executable, "-c", "import w2v.kernels"], cwd=tmp_path, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(tmp_path)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    stamp = copy / "kernels" / "__pycache__" / STAMP_NAME
    assert stamp.read_text() == _cache_guard.source_fingerprint(copy / "kernels")


def test_processes_starting_together_clean_the_cache_one_at_a_time(tmp_path):
    """Dask worker processes import w2v at the same moment: while one holds the guard's lock,
    another waits, then finds the fresh stamp and deletes nothing (not the kernels the first one
    may be writing back). Checked by holding the lock here while a second process imports."""
    package = make_package(tmp_path)
    cached(package)  # no stamp yet: stale
    ready = tmp_path / "ready"
    code = ("import pathlib, time; from w2v.kernels._cache_guard import invalidate_stale_cache as f; "
            f"pathlib.Path({str(ready)!r}).touch(); t = time.time(); "
            f"r = f(pathlib.Path({str(package)!r})); print(r, time.time() - t)")
    with _exclusive(package / "__pycache__" / LOCK_NAME):
        other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(Path(w2v.__file__).parent.parent)})
        deadline = time.time() + 120
        while not ready.exists() and time.time() < deadline:  # w2v imported there: it calls the guard next
            time.sleep(0.05)
        time.sleep(2.0)
        assert other.poll() is None, "the second process did not wait for the lock"
        # this process plays the first importer: it cleans and stamps while holding the lock
        (package / "__pycache__" / STAMP_NAME).write_text(_cache_guard.source_fingerprint(package))
    deleted, waited = other.communicate(timeout=60)[0].split()
    assert deleted == "False" and float(waited) >= 1.5      # it waited, then found the fresh stamp
