"""Writes that must not destroy anything: every writer goes through ``fileutil.atomic_write``, which
does what ``open(path, "w")`` does (umask, kept mode, symlinks followed, streams written as streams)
but replaces a regular file only once the new content is complete.

Special files are made in tmp_path (a FIFO, symlinks, a read-only directory); no test touches a
real ``/dev`` path: a broken build would replace it on the test machine. CI runs as root, so the
permission tests say what they check in each case.
"""
from __future__ import annotations

import gzip
import os
import stat

import numpy as np
import pytest

import w2v
from conftest import read_fifo_in_thread
from w2v import fileutil
from w2v.fileutil import atomic_write, check_writable, own_fd

ROOT = os.geteuid() == 0


@pytest.fixture()
def umask022():
    old = os.umask(0o022)
    yield
    os.umask(old)


def mode_of(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def no_temp_files(directory) -> bool:
    return not [p for p in os.listdir(directory) if p.endswith(".tmp")]


# ---- permissions -----------------------------------------------------------------------------

@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_mode_open_would_give(tmp_path, umask, expected):
    old = os.umask(umask)
    try:
        with atomic_write(tmp_path / "v.txt", "w") as f:
            f.write("x")
        with open(tmp_path / "plain.txt", "w") as f:  # the reference: a plain open()
            f.write("x")
    finally:
        os.umask(old)
    assert mode_of(tmp_path / "v.txt") == expected == mode_of(tmp_path / "plain.txt")


@pytest.mark.parametrize("existing", [0o600, 0o664, 0o640])
def test_existing_file_keeps_its_mode_whatever_the_umask(tmp_path, umask022, existing):
    path = tmp_path / "v.txt"
    path.write_text("old")
    os.chmod(path, existing)
    with atomic_write(path, "w") as f:
        f.write("new")
    assert path.read_text() == "new" and mode_of(path) == existing


@pytest.mark.skipif(not ROOT, reason="only root may give a file to another owner (CI runs as root)")
def test_root_rewriting_another_users_file_keeps_its_owner(tmp_path):
    path = tmp_path / "theirs.txt"
    path.write_text("old")
    os.chown(path, 12345, 23456)
    with atomic_write(path, "w") as f:
        f.write("new")
    st = os.stat(path)
    assert (st.st_uid, st.st_gid) == (12345, 23456) and path.read_text() == "new"


# ---- symlinks ----------------------------------------------------------------------------------

def test_symlink_is_followed_and_stays_a_link(tmp_path, umask022):
    real_dir = tmp_path / "real"
    real_dir.mkdir()
    target = real_dir / "vectors.txt"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "link.txt"
    link.symlink_to(os.path.relpath(target, tmp_path))  # relative, resolved from the link's directory
    with atomic_write(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and os.readlink(link) == os.path.relpath(target, tmp_path)
    assert target.read_text() == "new" and mode_of(target) == 0o640
    assert no_temp_files(tmp_path) and no_temp_files(real_dir)


def test_dangling_symlink_creates_its_target(tmp_path, umask022):
    link = tmp_path / "link.txt"
    link.symlink_to(tmp_path / "made.txt")
    with atomic_write(link, "w") as f:
        f.write("new")
    assert link.is_symlink() and (tmp_path / "made.txt").read_text() == "new"
    assert mode_of(tmp_path / "made.txt") == 0o644


# ---- streams and refused paths -----------------------------------------------------------------


def unblock(fifo, thread):
    """If the reader is still waiting for a writer (the bug), give it end-of-file."""
    if thread.is_alive():
        fileutil.release_stream(fifo)
        thread.join(5)


def test_fifo_is_written_as_a_stream_not_replaced(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    thread, got = read_fifo_in_thread(fifo)
    try:
        with atomic_write(fifo, "wb") as f:
            f.write(b"3 1\nword 0.5\n" * 1000)
        thread.join(10)
    finally:
        unblock(fifo, thread)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode), "the FIFO was replaced by a regular file"
    assert got.get("data") == b"3 1\nword 0.5\n" * 1000
    assert check_writable(fifo) == "stream"


def test_symlink_to_a_fifo_writes_into_the_fifo(tmp_path):
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    link = tmp_path / "link"
    link.symlink_to(fifo)
    thread, got = read_fifo_in_thread(fifo)
    try:
        with atomic_write(link, "w") as f:
            f.write("hello")
        thread.join(10)
    finally:
        unblock(fifo, thread)
    assert link.is_symlink() and stat.S_ISFIFO(os.lstat(fifo).st_mode) and got.get("data") == b"hello"


def test_directory_is_refused_with_a_clear_error_and_left_alone(tmp_path):
    target = tmp_path / "out"
    target.mkdir()
    (target / "keep.txt").write_text("keep")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        with atomic_write(target, "w") as f:
            f.write("x")
    assert target.is_dir() and (target / "keep.txt").read_text() == "keep" and no_temp_files(tmp_path)


def test_symlink_to_a_directory_is_refused(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "d")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        check_writable(tmp_path / "link", "vectors")
    assert (tmp_path / "link").is_symlink()


def test_own_descriptor_paths_are_recognised_by_name_alone():
    assert own_fd("/dev/stdout") == 1 and own_fd("/dev/stderr") == 2
    assert own_fd("/dev/fd/7") == 7 and own_fd("/proc/self/fd/12") == 12
    assert own_fd("/dev/stdout.txt") is None and own_fd("dev/fd/1") is None and own_fd("-") is None


def test_own_descriptor_is_written_in_place_and_appended_not_replaced(tmp_path):
    """A ``>> log`` redirection (an O_APPEND descriptor): the file keeps its inode and old lines."""
    log = tmp_path / "log.txt"
    log.write_text("earlier line\n")
    inode = log.stat().st_ino
    fd = os.open(log, os.O_WRONLY | os.O_APPEND)
    try:
        with atomic_write(f"/proc/self/fd/{fd}", "w") as f:
            f.write("vectors\n")
        os.write(fd, b"after\n")  # the descriptor is still open and usable
    finally:
        os.close(fd)
    assert log.read_text() == "earlier line\nvectors\nafter\n" and log.stat().st_ino == inode


def test_own_descriptor_pipe(tmp_path):
    r, w = os.pipe()
    try:
        with atomic_write(f"/dev/fd/{w}", "wb") as f:
            f.write(b"through the pipe")
        os.close(w)
        assert os.read(r, 100) == b"through the pipe"
    finally:
        os.close(r)


# ---- read-only places ----------------------------------------------------------------------------

def test_read_only_directory(tmp_path, umask022):
    """Not root: refused with an error naming the directory, the old file untouched (a plain open()
    could write the file, but then a crash would leave it half-written). Root ignores the directory's
    mode, so there the write must succeed exactly as open() would: same file, mode kept, no leftovers."""
    d = tmp_path / "ro"
    d.mkdir()
    path = d / "v.txt"
    path.write_text("old")
    os.chmod(path, 0o644)
    os.chmod(d, 0o555)
    try:
        if ROOT:
            with atomic_write(path, "w") as f:
                f.write("new")
            assert path.read_text() == "new" and mode_of(path) == 0o644 and no_temp_files(d)
        else:
            with pytest.raises(PermissionError, match="directory .* is not writable"):
                with atomic_write(path, "w") as f:
                    f.write("new")
            assert path.read_text() == "old"
    finally:
        os.chmod(d, 0o755)


def test_temp_file_refused_is_a_clear_error_and_the_file_is_untouched(tmp_path, monkeypatch):
    """The read-only-directory error path, forced for root too (root bypasses directory modes)."""
    path = tmp_path / "v.txt"
    path.write_text("old")
    real_open = os.open

    def refusing_open(p, flags, *a, **kw):
        if str(p).endswith(".tmp"):
            raise PermissionError(13, "Permission denied")
        return real_open(p, flags, *a, **kw)

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(PermissionError, match="is not writable .*temporary file"):
        with atomic_write(path, "w") as f:
            f.write("new")
    assert path.read_text() == "old"


def test_read_only_file_is_refused_like_open_would(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("old")
    os.chmod(path, 0o444)
    if ROOT:  # open() lets root write a 0444 file; so does atomic_write, keeping the mode
        with atomic_write(path, "w") as f:
            f.write("new")
        assert path.read_text() == "new" and mode_of(path) == 0o444
    else:
        with pytest.raises(PermissionError, match="read-only"):
            with atomic_write(path, "w") as f:
                f.write("new")
        assert path.read_text() == "old"


def test_failure_inside_the_block_leaves_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / "v.txt"
    path.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(path, "w") as f:
            f.write("half")
            raise KeyboardInterrupt
    assert path.read_text() == "old" and no_temp_files(tmp_path)


def test_missing_directory_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        check_writable(tmp_path / "nope" / "v.txt")


def test_compressed_text_output(tmp_path, umask022):
    with atomic_write(tmp_path / "v.txt.gz", "w", encoding="utf-8") as f:
        f.write("caf\u00e9\n")
    assert gzip.open(tmp_path / "v.txt.gz", "rt", encoding="utf-8").read() == "caf\u00e9\n"
    assert mode_of(tmp_path / "v.txt.gz") == 0o644


# ---- every writer of the package goes through it ---------------------------------------------------

@pytest.fixture(scope="module")
def tiny_model():
    sentences = [["alpha", "beta", "gamma", "delta"] * 5] * 50
    return w2v.train(sentences, vector_size=8, min_count=1, epochs=1, workers=1, progress=False)


WRITERS = {
    "wv.save_word2vec_format": lambda m, p: m.wv.save_word2vec_format(p),
    "wv.save_word2vec_format binary": lambda m, p: m.wv.save_word2vec_format(p, binary=True),
    "model.save": lambda m, p: m.save(p),
    "wv.save": lambda m, p: m.wv.save(p),
    "vocab.save_word2vec_vocab": lambda m, p: m.vocab.save_word2vec_vocab(p),
}


@pytest.mark.parametrize("writer", sorted(WRITERS))
def test_every_writer_follows_symlinks_and_respects_the_umask(tmp_path, umask022, tiny_model, writer):
    target = tmp_path / "real.out"
    link = tmp_path / "link.out"
    link.symlink_to(target)
    WRITERS[writer](tiny_model, link)
    assert link.is_symlink() and target.stat().st_size > 0 and mode_of(target) == 0o644
    os.chmod(target, 0o600)
    WRITERS[writer](tiny_model, link)
    assert link.is_symlink() and mode_of(target) == 0o600


def test_checkpoint_files_respect_the_umask(tmp_path, umask022):
    sentences = [["alpha", "beta", "gamma", "delta"] * 5] * 50
    w2v.train(sentences, vector_size=8, min_count=1, epochs=1, workers=1, progress=False,
              checkpoint=tmp_path / "run.ckpt")
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2 and all(mode_of(p) == 0o644 for p in files)  # state + corpus file
    assert np.load(tmp_path / "run.ckpt")["syn0"].shape == (4, 8)


def test_native_vectors_file_respects_the_umask(tmp_path, umask022, tiny_model):
    tiny_model.wv.save(tmp_path / "native.kv")  # one file since KeyedVectors.save took gensim's semantics
    files = sorted(tmp_path.iterdir())
    assert files == [tmp_path / "native.kv"] and mode_of(files[0]) == 0o644
    assert w2v.KeyedVectors.load(tmp_path / "native.kv").vectors.shape == (4, 8)
