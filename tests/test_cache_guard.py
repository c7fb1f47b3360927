"""numba's cache would keep a kernel compiled from an older version of a file it inlines; the guard
drops the package's cached kernels whenever any of its sources changes, and only then."""
from w2v.kernels import _cache_guard
from w2v.kernels._cache_guard import STAMP_NAME, invalidate_stale_cache


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
    assert left == ["sentences.cpython-311.pyc", STAMP_NAME]  # only numba's files go
    assert invalidate_stale_cache(package) is False          # and the new stamp holds


def test_a_cache_directory_that_does_not_exist_yet_is_created_with_its_stamp(tmp_path):
    package = make_package(tmp_path)
    (package / "__pycache__").rmdir()
    invalidate_stale_cache(package)
    assert (package / "__pycache__" / STAMP_NAME).read_text() == _cache_guard.source_fingerprint(package)


def test_the_installed_kernels_carry_a_current_stamp():
    """Importing w2v.kernels ran the guard on the real package."""
    stamp = _cache_guard.PACKAGE / "__pycache__" / STAMP_NAME
    assert stamp.read_text() == _cache_guard.source_fingerprint()
