"""Small file helpers shared by every writer and reader: safe writes and compressed opening.

Every file w2v writes goes through :func:`atomic_write`, which does what a plain
``open(path, "w")`` would do, minus the ways that can destroy data:

* A regular file (new or existing) is written to a temporary file beside it, flushed, fsync'ed
  and renamed over the target in one step, so a crash or Ctrl-C never leaves a half-written file
  under the final name. The new file gets the permissions ``open()`` would give: a new file
  ``0o666`` less the umask (the kernel applies it, and a directory's default ACL, exactly as for
  ``open()``), an existing file keeps its mode (and, where allowed, its owner and group). A file
  ``open()`` could not write (read-only, not ours) is refused the same way.
* A symbolic link is followed: its target is written (atomically if it is a regular file) and
  the link stays a link, as with ``open()``. (A hard link is not followed: the name written gets
  the new file, the other names keep the old content, as with any rename-based save.)
* ``/dev/stdout``, ``/dev/stderr``, ``/dev/fd/N`` and ``/proc/self/fd/N`` name this process's
  own file descriptors: the data is written to that descriptor directly (never reopened, so a
  ``>> log`` redirection is appended to, not truncated or replaced).
* A FIFO or character device is written directly as a stream (nothing to replace).
* A directory, a block device or a socket is refused with an error that says so; nothing is
  replaced. :func:`check_writable` applies the same rules up front, so a command can fail before
  an hour of training rather than after it.

Reading (:func:`open_binary`) recognises gzip, bzip2 and xz by their magic bytes, whatever the
file is called.
"""
from __future__ import annotations

import bz2
import contextlib
import errno
import gzip
import io
import lzma
import os
import signal
import threading
import re
import secrets
import stat
import sys
from pathlib import Path

_COMPRESSORS = {".gz": gzip.GzipFile, ".bz2": bz2.BZ2File, ".xz": lzma.LZMAFile}
_OPENERS = {"gzip": gzip.open, "bzip2": bz2.open, "xz": lzma.open}
#: (format, magic bytes at offset 0); bzip2's is checked further in :func:`compression_of`
_MAGIC = (("gzip", b"\x1f\x8b"), ("xz", b"\xfd7zXZ\x00"), ("bzip2", b"BZh"))
#: formats Python's standard library cannot read: named in the error instead of read as text
_UNSUPPORTED = ((b"\x28\xb5\x2f\xfd", "zstd"), (b"PK\x03\x04", "zip"), (b"\x04\x22\x4d\x18", "lz4"))
_OWN_FD = re.compile(r"^/(?:dev/fd|proc/self/fd)/(\d+)$")
_STD_NAMES = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


# ---------------------------------------------------------------------------- reading


class UnsupportedCompression(ValueError):
    """A file compressed in a format w2v does not read (zstd, zip, lz4); the message names the file."""


def compression_of(path: str | os.PathLike) -> str | None:
    """``"gzip"``, ``"bzip2"`` or ``"xz"`` from the file's first bytes, else None (plain data).

    Content decides, not the name: a gzip file without ``.gz`` is still decompressed, and a
    ``.gz`` file holding plain text is read as it is. A format the standard library cannot read
    (zstd, zip, lz4) raises ValueError naming it, rather than being read as text.
    """
    try:
        with open(path, "rb") as f:
            head = f.read(10)
    except IsADirectoryError:
        return None
    for name, magic in _MAGIC:
        if head.startswith(magic):
            if name != "bzip2":
                return name
            # "BZh" + block size digit + the block or end-of-stream magic: not just text "BZh..."
            if len(head) >= 10 and head[3:4] in b"123456789" and head[4:10] in (
                    b"\x31\x41\x59\x26\x53\x59", b"\x17\x72\x45\x38\x50\x90"):
                return name
    for magic, name in _UNSUPPORTED:
        if head.startswith(magic):
            raise UnsupportedCompression(f"{os.fspath(path)!r} is {name}-compressed, which w2v cannot read; "
                             f"decompress it first (or recompress it as .gz, .bz2 or .xz)")
    return None


def open_binary(path: str | os.PathLike):
    """Open ``path`` for binary reading, decompressing gzip, bzip2 and xz (detected by content)."""
    kind = compression_of(path)
    return open(path, "rb") if kind is None else _OPENERS[kind](path, "rb")


# ---------------------------------------------------------------------------- writing


def own_fd(path: str | os.PathLike) -> int | None:
    """The descriptor number a path names in this process (``/dev/stdout`` -> 1), else None.

    Decided from the name alone, without touching the file system.
    """
    name = os.fspath(path)
    if name in _STD_NAMES:
        return _STD_NAMES[name]
    match = _OWN_FD.match(name)
    return int(match.group(1)) if match else None


def check_writable(path: str | os.PathLike, what: str = "output") -> str:
    """Raise a clear OSError if ``path`` cannot be written the way :func:`atomic_write` writes it.

    Returns how it will be written: ``"fd"`` (own descriptor), ``"stream"`` (FIFO, character
    device), ``"replace"`` (existing regular file) or ``"create"`` (new file). Cheap and
    side-effect free, so a command can call it before any slow work.
    """
    name = os.fspath(path)
    if own_fd(name) is not None:
        return "fd"
    target = os.path.realpath(name)  # follows every symlink, even a dangling one's target
    try:
        st = os.stat(target)
    except FileNotFoundError:
        st = None
    except OSError as e:
        raise _error(e.errno, f"cannot write {what} {name!r}: {e.strerror}", name) from None
    if st is None:
        _check_directory(name, target, what)
        return "create"
    kind = _refused_kind(st.st_mode)
    if kind is not None:
        raise _error(errno.EISDIR if kind == "a directory" else errno.EINVAL,
                     f"cannot write {what} {name!r}: it is {kind}" + (
                         f" ({target!r})" if target != os.path.abspath(name) else "")
                     + ("; give a file name" if kind == "a directory" else ""), name)
    if stat.S_ISFIFO(st.st_mode) or stat.S_ISCHR(st.st_mode):
        return "stream"
    if not os.access(target, os.W_OK):
        raise _error(errno.EACCES, f"cannot write {what} {name!r}: the file is read-only "
                     f"(mode {stat.S_IMODE(st.st_mode):o}) or not yours", name)
    _check_directory(name, target, what)
    return "replace"


def _refused_kind(mode: int) -> str | None:
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISBLK(mode):
        return "a block device (writing would overwrite the disk)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return None


def _check_directory(name: str, target: str, what: str) -> None:
    """The directory the temporary file goes to must exist and be writable."""
    directory = os.path.dirname(target) or "."
    if not os.path.isdir(directory):
        raise _error(errno.ENOENT, f"cannot write {what} {name!r}: directory {directory!r} does not exist", name)
    if not os.access(directory, os.W_OK | os.X_OK):
        raise _error(errno.EACCES, f"cannot write {what} {name!r}: directory {directory!r} is not writable "
                     "(w2v writes a temporary file beside the target and renames it into place, so "
                     "a crash never leaves a half-written file)", name)


_ERROR_CLASSES = {errno.EISDIR: IsADirectoryError, errno.ENOENT: FileNotFoundError, errno.EACCES: PermissionError}


def _error(code: int, message: str, name: str) -> OSError:
    """An OSError of the right subclass (IsADirectoryError, PermissionError, ...) whose str is ``message``."""
    e = _ERROR_CLASSES.get(code, OSError)(message)
    e.errno = code  # no strerror/filename: str(e) stays the message alone
    return e


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "wb", **kwargs):
    """Yield a file object for writing ``path``; a regular file is replaced only if the block succeeds.

    ``mode`` is ``"w"``/``"wt"`` (text, ``kwargs`` as for :func:`open`) or ``"wb"``. A
    ``.gz``/``.bz2``/``.xz`` suffix on ``path`` compresses the output. See the module docstring
    for symlinks, streams and the paths that are refused.
    """
    if not mode.startswith("w") or set(mode) - set("wbt"):
        raise ValueError(f"atomic_write mode must be 'w', 'wt' or 'wb', got {mode!r}")
    if "b" in mode and kwargs:
        raise TypeError(f"binary mode takes no encoding arguments, got {sorted(kwargs)}")
    how = check_writable(path)
    suffix = Path(os.fspath(path)).suffix.lower()
    if how in ("fd", "stream"):
        with _stream(path, how) as raw:
            f = _wrap(raw, suffix, mode, kwargs)
            yield f
            _finish(f, raw)
        return
    target = os.path.realpath(os.fspath(path))
    tmp, fd = _create_temp(target, how == "replace")
    try:
        with open(fd, "wb") as raw:
            f = _wrap(raw, suffix, mode, kwargs)
            yield f
            _finish(f, raw)
            os.fsync(raw.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _sync_directory(os.path.dirname(target) or ".")


@contextlib.contextmanager
def _stream(path, how: str):
    """A binary file object on an own descriptor (duplicated) or an opened FIFO/character device."""
    if how == "fd":
        number = own_fd(path)
        for std in (sys.stdout, sys.stderr):  # what Python buffered must come first
            with contextlib.suppress(Exception):
                std.flush()
        try:
            fd = os.dup(number)
        except OSError:
            raise _error(errno.EBADF, f"cannot write {os.fspath(path)!r}: descriptor {number} is not open",
                         os.fspath(path)) from None
        raw = open(fd, "wb")
    else:
        raw = open(os.path.realpath(os.fspath(path)), "wb")
    with raw:
        yield raw


def _wrap(raw, suffix: str, mode: str, kwargs: dict):
    """Put the compressor (chosen by suffix) and the text layer (by mode) over a binary file."""
    f = raw
    compressor = _COMPRESSORS.get(suffix)
    if compressor is not None:  # given a file object, none of them closes it
        f = compressor(fileobj=f, mode="wb") if compressor is gzip.GzipFile else compressor(f, mode="wb")
    return f if "b" in mode else io.TextIOWrapper(f, **kwargs)


def _finish(f, raw) -> None:
    """Flush the text layer and end the compressed stream, leaving ``raw`` open and flushed."""
    if isinstance(f, io.TextIOWrapper):
        f = f.detach()
    if f is not raw:
        f.close()
    raw.flush()


def _create_temp(target: str, existing: bool) -> tuple[str, int]:
    """A new file beside ``target`` with the permissions ``open(target, "w")`` would leave it with.

    Created with mode 0o666 so the kernel applies the umask (and any default ACL) exactly as
    for a plain ``open()``; an existing target's mode, owner and group are copied over.
    """
    directory, base = os.path.split(target)
    for _ in range(100):
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o666)
            break
        except FileExistsError:
            continue
        except PermissionError:
            raise _error(errno.EACCES, f"cannot write {target!r}: directory {directory or '.'!r} is not "
                         "writable (w2v writes a temporary file beside the target and renames it into "
                         "place, so a crash never leaves a half-written file)", target) from None
    else:  # pragma: no cover - 100 collisions of 32 random bits
        raise FileExistsError(errno.EEXIST, f"cannot create a temporary file beside {target!r}")
    if existing:
        try:
            st = os.stat(target)
            with contextlib.suppress(OSError):  # only root, or a group we belong to, may keep them
                os.fchown(fd, st.st_uid, st.st_gid)
            os.fchmod(fd, stat.S_IMODE(st.st_mode))
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return tmp, fd


def _sync_directory(directory: str) -> None:
    """Make the rename itself durable (best effort: not every file system allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def release_stream(path: str | os.PathLike) -> None:
    """Open a FIFO for writing without blocking and close it at once, so a reader waiting on it
    sees end-of-file instead of hanging (used when a run ends without writing its output)."""
    name = os.fspath(path)
    if own_fd(name) is not None:
        return
    with contextlib.suppress(OSError):
        if stat.S_ISFIFO(os.stat(name).st_mode):
            os.close(os.open(name, os.O_WRONLY | os.O_NONBLOCK))


@contextlib.contextmanager
def interrupts_held():
    """Hold a Ctrl-C (SIGINT) that arrives during the block and deliver it when the block is done.

    For writes that must finish once begun, such as a checkpoint: interrupted half-way, the
    zip writer inside ``np.savez`` could fail while unwinding (an error that hid the
    KeyboardInterrupt and made the CLI exit with a traceback). The signal is re-raised after the
    block under the handler that was in place, so it means what it always meant. Outside the
    main thread (where Python delivers no signals) this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
        if caught:
            signal.raise_signal(signal.SIGINT)

