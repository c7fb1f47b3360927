"""numba's cache would keep a kernel compiled from an older version of a file it inlines; the guard
drops a module's cached kernels whenever one of the sources they were compiled from changes (the
module itself or any module of the package it imports), and only then."""
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import w2v
from w2v.kernels import cache_guard
from w2v.kernels.cache_guard import LOCK_NAME, STAMP_NAME, _exclusive, invalidate_stale_cache

PACKAGE = Path(w2v.__file__).resolve().parent


@pytest.fixture(autouse=True)
def default_cache_location(monkeypatch):
    """These tests lay numba's files out where it keeps them by default (``__pycache__`` beside
    the sources), here and in the processes they start, whatever ``$NUMBA_CACHE_DIR`` says."""
    from numba.core import config

    monkeypatch.setattr(config, "CACHE_DIR", "")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)


def make_package(tmp_path):
    """A package laid out like w2v: kernels in a subpackage and beside it, intrinsics they import."""
    package = tmp_path / "w2v"
    kernels = package / "kernels"
    kernels.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "unrelated.py").write_text("Y = 1\n")
    (package / "tokenize.py").write_text("from .kernels.unaligned import load\nfrom . import unrelated as u\n"
                                         "# unrelated is imported, so it counts\n@njit(cache=True)\ndef f(): pass\n")
    (package / "plain.py").write_text("Z = 1\n")
    (kernels / "__init__.py").write_text("")
    (kernels / "unaligned.py").write_text("def load(): pass\n")
    (kernels / "common.py").write_text("X = 1\n")
    (kernels / "sentences.py").write_text("from .common import X\n@njit(cache=True)\ndef train_chunk(): pass\n")
    return package


def cached(package):
    """numba's files for the two kernel modules (and a .pyc, which is not numba's)."""
    for directory, stem, function in ((package / "kernels", "sentences", "train_chunk"),
                                      (package, "tokenize", "f")):
        cache = directory / "__pycache__"
        cache.mkdir(exist_ok=True)
        (cache / f"{stem}.{function}-61.py311.nbi").write_bytes(b"index")
        (cache / f"{stem}.{function}-61.py311.1.nbc").write_bytes(b"code")
        (cache / f"{stem}.cpython-311.pyc").write_bytes(b"pyc")


def numba_files(package):
    return sorted(str(p.relative_to(package)) for p in package.rglob("*.nb[ic]"))


def test_every_module_with_cached_kernels_is_found_with_the_intrinsics_it_inlines():
    marked = {p for p in PACKAGE.rglob("*.py") if re.search(r"@njit\([^)]*cache=True", p.read_text())}
    found = set(cache_guard.kernel_modules())
    assert marked <= found and PACKAGE / "tokenize.py" in found
    tokenizer = {p.relative_to(PACKAGE).as_posix() for p in cache_guard.dependencies(PACKAGE / "tokenize.py")}
    assert {"kernels/borrow.py", "kernels/prefetch.py", "kernels/unaligned.py"} <= tokenizer
    trainer = {p.name for p in cache_guard.dependencies(PACKAGE / "kernels" / "sentences.py")}
    assert {"common.py", "skipgram.py", "cbow.py", "borrow.py", "prefetch.py"} <= trainer
    assert "model.py" not in trainer and "model.py" not in tokenizer


def test_cache_is_kept_while_sources_are_unchanged(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)            # first import: stamps the sources
    cached(package)
    files = numba_files(package)
    assert invalidate_stale_cache(package) is False
    assert numba_files(package) == files


def test_editing_an_inlined_file_drops_only_the_kernels_compiled_from_it(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    cached(package)
    (package / "kernels" / "common.py").write_text("X = 2\n")   # sentences.py itself is untouched
    assert invalidate_stale_cache(package) is True
    assert numba_files(package) == ["__pycache__/tokenize.f-61.py311.1.nbc", "__pycache__/tokenize.f-61.py311.nbi"]
    left = sorted(p.name for p in (package / "kernels" / "__pycache__").iterdir())
    assert left == sorted(["sentences.cpython-311.pyc", STAMP_NAME, LOCK_NAME])  # only numba's files go
    assert invalidate_stale_cache(package) is False          # and the new stamp holds


def test_editing_an_intrinsic_drops_the_kernels_of_another_directory_that_use_it(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    cached(package)
    (package / "kernels" / "unaligned.py").write_text("def load(): return 1\n")
    assert invalidate_stale_cache(package) is True
    assert numba_files(package) == ["kernels/__pycache__/sentences.train_chunk-61.py311.1.nbc",
                                    "kernels/__pycache__/sentences.train_chunk-61.py311.nbi"]


def test_a_module_no_kernel_imports_changes_nothing(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    cached(package)
    files = numba_files(package)
    (package / "plain.py").write_text("Z = 2\n")
    assert invalidate_stale_cache(package) is False
    assert numba_files(package) == files
    (package / "unrelated.py").write_text("Y = 2\n")           # imported by tokenize.py: its kernels go
    assert invalidate_stale_cache(package) is True
    assert numba_files(package) == [f for f in files if f.startswith("kernels/")]


def test_the_kernels_of_a_removed_module_go_too(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    cached(package)
    (package / "kernels" / "sentences.py").unlink()
    assert invalidate_stale_cache(package) is True
    assert all(f.startswith("__pycache__/tokenize.") for f in numba_files(package))
    assert invalidate_stale_cache(package) is False


def test_a_cache_moved_by_numba_cache_dir_is_guarded_there(tmp_path, monkeypatch):
    from numba.core import config
    package = make_package(tmp_path / "src")
    monkeypatch.setattr(config, "CACHE_DIR", str(tmp_path / "numba"))
    invalidate_stale_cache(package)
    where = cache_guard.cache_directory(package / "kernels" / "sentences.py")
    assert where.parent == tmp_path / "numba" and where.name.startswith("kernels_")
    (where / "sentences.train_chunk-61.py311.nbi").write_bytes(b"index")
    (package / "kernels" / "common.py").write_text("X = 2\n")
    assert invalidate_stale_cache(package) is True
    assert not (where / "sentences.train_chunk-61.py311.nbi").exists()
    assert not (package / "kernels" / "__pycache__").exists()    # nothing written beside the sources


def test_a_cache_directory_that_does_not_exist_yet_is_created_with_its_stamp(tmp_path):
    package = make_package(tmp_path)
    invalidate_stale_cache(package)
    stamp = (package / "kernels" / "__pycache__" / STAMP_NAME).read_text()
    assert cache_guard.module_fingerprint(package / "kernels" / "sentences.py", package) in stamp


def copy_of_w2v(tmp_path):
    copy = tmp_path / "w2v"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "data"))
    return copy


def run_in(tmp_path, code):
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}  # numba's default: in-tree
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(tmp_path)}, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_importing_w2v_runs_the_guard(tmp_path):
    """A fresh copy of the package (no __pycache__, no stamp) gets its stamps on ``import w2v.tokenize``
    alone: the guard runs before any kernel could be loaded from numba's cache. (Importing compiles
    nothing: numba compiles at the first call.)"""
    copy = copy_of_w2v(tmp_path)
    run_in(tmp_path, "import w2v.tokenize")
    for source in (copy / "tokenize.py", copy / "kernels" / "sentences.py"):
        stamp = (source.parent / "__pycache__" / STAMP_NAME).read_text()
        assert cache_guard.module_fingerprint(source, copy) in stamp


TOKENIZE = """
from w2v.tokenize import Tokenizer
tok = Tokenizer(1000)
tok.feed(b"the quick brown fox jumps over the lazy dog and the cat\\n")
print(list(tok.result()[0]))
"""
#: load_u64 (kernels/unaligned.py, inlined into the tokeniser) made to read 'AAAAAAAA' wherever it loads
LOAD = "        load.align = 1\n        return load\n"
FAKE_LOAD = "        load.align = 1\n        return context.get_constant(types.uint64, 0x4141414141414141)\n"


def test_editing_an_inlined_intrinsic_rebuilds_the_tokeniser_that_uses_it(tmp_path):
    """End to end in a copy of the package: the tokeniser's kernels are compiled and cached, then
    the intrinsic they inline from another file changes; the next process must run the new machine
    code (numba alone would load the cached tokeniser, whose own file did not change)."""
    copy = copy_of_w2v(tmp_path)
    words = run_in(tmp_path, TOKENIZE)
    assert eval(words) == "the quick brown fox jumps over lazy dog and cat".split()
    assert list((copy / "__pycache__").glob("tokenize._tokenize-*.nbi"))   # warm: cached, not recompiled
    assert run_in(tmp_path, TOKENIZE) == words
    unaligned = copy / "kernels" / "unaligned.py"
    assert LOAD in unaligned.read_text()
    unaligned.write_text(unaligned.read_text().replace(LOAD, FAKE_LOAD))
    changed = eval(run_in(tmp_path, TOKENIZE))
    assert changed != eval(words) and len(changed) < 5   # 8 bytes at a time never see a space now


def test_processes_starting_together_clean_the_cache_one_at_a_time(tmp_path):
    """Dask worker processes import w2v at the same moment: while one holds the guard's lock,
    another waits, then finds the fresh stamp and deletes nothing (not the kernels the first one
    may be writing back). Checked by holding the lock here while a second process imports."""
    package = make_package(tmp_path / "src")
    cached(package)  # no stamp yet: stale
    cache = package / "kernels" / "__pycache__"
    ready = tmp_path / "ready"
    code = ("import pathlib, time; from w2v.kernels.cache_guard import invalidate_stale_cache as f; "
            f"pathlib.Path({str(ready)!r}).touch(); t = time.time(); "
            f"r = f(pathlib.Path({str(package)!r})); print(r, time.time() - t)")
    (package / "tokenize.py").unlink()   # one cache directory: the one locked here
    with _exclusive(cache / LOCK_NAME):
        other = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                                 env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)})
        deadline = time.time() + 120
        while not ready.exists() and time.time() < deadline:  # w2v imported there: it calls the guard next
            time.sleep(0.05)
        time.sleep(2.0)
        assert other.poll() is None, "the second process did not wait for the lock"
        # this process plays the first importer: it cleans and stamps while holding the lock
        stamp = {"sentences": cache_guard.module_fingerprint(package / "kernels" / "sentences.py", package)}
        (cache / STAMP_NAME).write_text(__import__("json").dumps(stamp))
    deleted, waited = other.communicate(timeout=60)[0].split()
    assert deleted == "False" and float(waited) >= 1.5      # it waited, then found the fresh stamp
    assert list(cache.glob("*.nbi"))
