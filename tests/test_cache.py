"""The disk cache of corpus scans: one entry per path (replaced when the file changes), a size cap with
least-recently-used eviction, safe under concurrent processes, and the CLI's switches."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from w2v import cache as cache_mod
from w2v import cli, encode
from w2v.cache import DiskCache, parse_size


def corpus(tmp_path, name, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    path = tmp_path / name
    path.write_text(" ".join(f"w{i}" for i in rng.integers(0, 300, n)) + "\n")
    return path


def entries(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(cache_mod.SUFFIX))


def test_hit_gives_the_same_scan(tmp_path):
    path, cd = corpus(tmp_path, "c.txt"), tmp_path / "cache"
    first = encode.scan(path, cache_dir=cd)
    second = encode.scan(path, cache_dir=cd)
    assert not second.id_stream.in_memory  # really from the cache (a file-backed stream)
    assert first.words == second.words and (first.ids == second.ids).all()
    assert (first.offsets == second.offsets).all()


def test_touched_or_changed_file_replaces_its_entry(tmp_path):
    path, cd = corpus(tmp_path, "c.txt"), tmp_path / "cache"
    encode.scan(path, cache_dir=cd)
    (name,) = entries(cd)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # touched
    encode.scan(path, cache_dir=cd)
    assert entries(cd) == [name]
    path.write_text("brand new words\n")  # changed
    assert encode.scan(path, cache_dir=cd).words == ["brand", "new", "words"]
    assert entries(cd) == [name]
    assert encode.scan(path, cache_dir=cd).words == ["brand", "new", "words"]


def test_other_reader_options_are_separate_entries(tmp_path):
    path, cd = corpus(tmp_path, "c.txt"), tmp_path / "cache"
    encode.scan(path, cache_dir=cd)
    encode.scan(path, 50, cache_dir=cd)
    assert len(entries(cd)) == 2


def test_least_recently_used_entry_is_evicted_over_the_cap(tmp_path):
    cd = tmp_path / "cache"
    a, b, c = (corpus(tmp_path, f"{n}.txt", seed=i) for i, n in enumerate("abc"))
    unlimited = DiskCache(cd, max_bytes="1G")
    for i, p in enumerate((a, b)):
        encode.scan(p, cache_dir=unlimited)
    size = max(p.stat().st_size for p in cd.iterdir())
    old = 1_000_000_000
    for i, p in enumerate(sorted(cd.iterdir())):  # make both entries old, in a known order
        os.utime(p, (old + i, old + i))
    key_a = unlimited.key(a, {"max_sentence_length": 10_000, "errors": "strict"})
    key_b = unlimited.key(b, {"max_sentence_length": 10_000, "errors": "strict"})
    os.utime(key_a.path, (old, old))
    os.utime(key_b.path, (old + 5, old + 5))  # b used after a...
    assert not encode.scan(a, cache_dir=unlimited).id_stream.in_memory  # ...then a is used: a hit touches it
    capped = DiskCache(cd, max_bytes=int(2.5 * size))
    encode.scan(c, cache_dir=capped)
    assert key_a.path.exists() and not key_b.path.exists() and len(entries(cd)) == 2


def test_entry_larger_than_the_cap_is_not_written(tmp_path):
    cd = tmp_path / "cache"
    encode.scan(corpus(tmp_path, "c.txt"), cache_dir=DiskCache(cd, max_bytes=100))
    assert not cd.exists() or entries(cd) == []


def test_cap_from_environment_and_zero_turns_the_cache_off(tmp_path, monkeypatch):
    monkeypatch.setenv("W2V_CACHE_DIR", str(tmp_path / "envcache"))
    monkeypatch.setenv("W2V_CACHE_MAX", "3M")
    assert DiskCache().max_bytes == 3 << 20 and DiskCache().directory == tmp_path / "envcache"
    monkeypatch.setenv("W2V_CACHE_MAX", "0")
    assert DiskCache.from_arg(None) is None
    encode.scan(corpus(tmp_path, "c.txt"), cache_dir=None)
    assert not (tmp_path / "envcache").exists()
    monkeypatch.setenv("W2V_CACHE_MAX", "lots")
    with pytest.raises(ValueError, match="W2V_CACHE_MAX"):
        DiskCache()


def test_parse_size():
    assert parse_size("500M") == 500 << 20 and parse_size("2G") == 2 << 30 and parse_size("1.5GiB") == 3 << 29
    assert parse_size(1234) == 1234 and parse_size("0") == 0
    with pytest.raises(ValueError):
        parse_size("-1")


def test_damaged_entry_is_dropped_and_rebuilt(tmp_path):
    path, cd = corpus(tmp_path, "c.txt"), tmp_path / "cache"
    first = encode.scan(path, cache_dir=cd)
    (entry,) = [p for p in cd.iterdir()]
    entry.write_bytes(entry.read_bytes()[: entry.stat().st_size // 2])  # as if half-written
    again = encode.scan(path, cache_dir=cd)
    assert again.id_stream.in_memory and (again.ids == first.ids).all()
    assert not encode.scan(path, cache_dir=cd).id_stream.in_memory


def test_leftovers_of_the_first_cache_format_are_removed(tmp_path):
    cd = tmp_path / "cache"
    legacy = cd / "scan-0123456789abcdef01234567"
    legacy.mkdir(parents=True)
    (legacy / "ids.npy").write_bytes(b"\0" * 4000)
    (cd / ".tmp-abc").mkdir()
    old = 1_000_000_000
    os.utime(cd / ".tmp-abc", (old, old))
    encode.scan(corpus(tmp_path, "c.txt"), cache_dir=cd)
    assert not legacy.exists() and not (cd / ".tmp-abc").exists() and len(entries(cd)) == 1


CONCURRENT = textwrap.dedent("""
    import hashlib, sys
    from w2v import encode
    from w2v.cache import DiskCache
    cache = DiskCache(sys.argv[1], max_bytes=int(sys.argv[2]))
    out = []
    for round in range(6):
        for path in sys.argv[3:]:
            raw = encode.scan(path, cache_dir=cache)
            h = hashlib.sha1(raw.ids.tobytes() + raw.offsets.tobytes() + "|".join(raw.words).encode())
            out.append(h.hexdigest())
        if round == 2:
            cache.clear()
    print(" ".join(out))
""")


def test_concurrent_processes_never_read_a_broken_entry(tmp_path):
    """Three processes scan three files six times each through one cache whose cap holds only two
    entries (so entries are replaced and evicted under each other), one clearing it midway:
    every scan each process gets is the true one."""
    cd = tmp_path / "cache"
    files = [str(corpus(tmp_path, f"{i}.txt", n=30_000, seed=i)) for i in range(3)]
    encode.scan(files[0], cache_dir=False)
    size = 30_000 * 4 + 4096
    procs = [subprocess.Popen([sys.executable, "-c", CONCURRENT, str(cd), str(int(2.2 * size)), *files],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    results = [p.communicate(timeout=300) for p in procs]
    assert all(p.returncode == 0 for p in procs), [r[1][-2000:] for r in results]
    outputs = {r[0].strip() for r in results}
    assert len(outputs) == 1, outputs  # every process saw the same scans, round after round
    (line,) = outputs
    digests = line.split()
    assert len(set(digests)) == 3 and digests[:3] * 6 == digests


def test_cli_cache_switches_info_and_clear(tmp_path, monkeypatch, capsys):
    cd = tmp_path / "cache"
    monkeypatch.setenv("W2V_CACHE_DIR", str(cd))
    path = corpus(tmp_path, "c.txt")
    args = ["train", "-train", str(path), "-output", str(tmp_path / "v.txt"), "-size", "4", "-iter", "1",
            "-min-count", "1", "-threads", "1", "-q"]
    assert cli.main([*args, "-cache", "0"]) == 0 and not cd.exists()
    assert cli.main([*args, "--no-cache"]) == 0 and not cd.exists()
    assert cli.main([*args, "-cache", "50"]) == 0 and (not cd.exists() or entries(cd) == [])  # over that cap
    assert cli.main(args) == 0 and len(entries(cd)) == 1
    capsys.readouterr()
    assert cli.main(["cache", "info"]) == 0
    out = capsys.readouterr().out
    assert str(cd) in out and "2.0 GiB" in out and "entries:   1" in out and str(path.resolve()) in out
    assert "fresh" in out
    path.write_text("changed\n")
    assert cli.main(["cache", "info"]) == 0 and "stale" in capsys.readouterr().out
    assert cli.main(["cache", "clear"]) == 0
    assert "removed 1 cache entries" in capsys.readouterr().out and entries(cd) == []
    assert cli.main([*args, "-cache", "lots"]) == 2 and "-cache" in capsys.readouterr().err


def test_reader_never_sees_an_entry_that_is_being_written(tmp_path):
    """A writer replacing an entry is paused half-way (header written, ids not yet): a reader in the
    meantime still gets the complete old entry; once the writer finishes, the new one."""
    import threading

    path, cache = corpus(tmp_path, "c.txt"), DiskCache(tmp_path / "cache")
    first = encode.scan(path, cache_dir=cache)
    key = cache.key(path, {"max_sentence_length": 10_000, "errors": "strict"})
    writing, release = threading.Event(), threading.Event()
    new_ids = np.ascontiguousarray(np.asarray(first.ids)[::-1])

    class PausingIds:
        """The ids to store; handing them over to the writer waits until the test says so."""
        nbytes = new_ids.nbytes

        def __len__(self):
            return len(new_ids)

        def __array__(self, dtype=None, copy=None):
            writing.set()
            release.wait(30)
            return new_ids

    writer = threading.Thread(target=cache.store, args=(key, first.words, PausingIds(), first.offsets))
    writer.start()
    try:
        assert writing.wait(30)
        during = cache.load(key)
        assert during is not None and np.array_equal(during[1].to_array(), first.ids)
    finally:
        release.set()
        writer.join(30)
    after = cache.load(key)
    assert after is not None and np.array_equal(after[1].to_array(), new_ids)
