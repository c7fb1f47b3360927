"""Out-of-core id streams: a corpus as int32 word ids and int64 sentence offsets, off the heap.

w2v reads a corpus once and trains every epoch from its ids. Held in memory, the ids cost 4 bytes
per corpus word (plus 8 per sentence), which a corpus of billions of words cannot pay. A
:class:`StreamWriter` therefore keeps at most :data:`SPILL_AFTER` items in memory; past that it
writes them to a *spill file*, and the finished :class:`IdStream` is read back in blocks with
``pread`` into buffers the reader owns. Nothing is memory-mapped: the pages of a mapped file count
in the process's resident set while they stay mapped, and reading into a reused buffer keeps the
resident set at the buffer's size whatever the file's. When RAM is plentiful the file stays in the
kernel's page cache, so a read costs about a memory copy.

A spill file is created already unlinked (:func:`tempfile.TemporaryFile`), in ``spill_dir``
(default: :func:`tempfile.gettempdir`, i.e. ``$TMPDIR`` or ``/tmp``): it has no name, and the
operating system frees its space when the last descriptor closes, whether the run ends normally,
with an exception, with Ctrl-C or killed. Small corpora (up to :data:`SPILL_AFTER` words) never
touch the disk.

An :class:`IdStream` may also be a region of an existing file (a scan cache entry, see
:mod:`w2v.cache`): reads check they got every byte asked for, so a file truncated underneath is
an error naming the file, never garbage ids.
"""
from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

import numpy as np
from numba import njit

#: items a stream keeps in memory before it moves to a spill file (8M ids = 32 MiB)
SPILL_AFTER = 1 << 23
#: items per block when a stream is read through (copied, transformed, checked)
READ_BLOCK = 1 << 20


class SpillError(OSError):
    """The spill directory cannot take the corpus's ids: the message names the directory and why."""


def spill_directory(spill_dir=None) -> Path:
    """The directory spill files go to: ``spill_dir``, else the system's temporary directory.

    Checked at once (it exists, is a directory, can be written), so a bad setting fails before the
    corpus is read, naming the path.
    """
    if spill_dir is not None and not isinstance(spill_dir, (str, os.PathLike)):
        raise TypeError(f"spill_dir must be a directory path or None, got {type(spill_dir).__name__} {spill_dir!r}")
    path = Path(tempfile.gettempdir() if spill_dir is None else spill_dir).expanduser()
    if not path.exists():
        raise SpillError(errno.ENOENT, f"spill directory {str(path)!r} does not exist (spill_dir=)")
    if not path.is_dir():
        raise SpillError(errno.ENOTDIR, f"spill directory {str(path)!r} is not a directory (spill_dir=)")
    if not os.access(path, os.W_OK | os.X_OK):
        raise SpillError(errno.EACCES, f"spill directory {str(path)!r} cannot be written (spill_dir=)")
    return path


class IdStream:
    """A finished, read-only sequence of ``n`` items of one dtype: a numpy array, or a file region.

    ``array``: the items in memory. Otherwise ``file`` (an open binary file object, kept open by
    the stream) holds them from byte ``offset`` on; ``name`` is what errors call it.
    """

    def __init__(self, dtype, array: np.ndarray | None = None, file=None, offset: int = 0, n: int = 0,
                 name: str = "spill file"):
        self.dtype = np.dtype(dtype)
        self.array = None if array is None else np.ascontiguousarray(array, self.dtype)
        self.file, self.offset, self.name = file, int(offset), name
        self.n = len(self.array) if self.array is not None else int(n)

    @classmethod
    def of(cls, items, dtype) -> IdStream:
        """``items`` as a stream: a stream as it is, anything array-like in memory."""
        if isinstance(items, IdStream):
            return items
        return cls(dtype, array=np.asarray(items, dtype))

    def __len__(self) -> int:
        return self.n

    @property
    def in_memory(self) -> bool:
        return self.array is not None

    def read(self, start: int, stop: int, out: np.ndarray | None = None) -> np.ndarray:
        """Items [start, stop), copied into ``out`` when given (the caller may then change them);
        else a view when in memory, or a new array read from the file."""
        start, stop = max(0, int(start)), min(self.n, int(stop))
        count = max(0, stop - start)
        if self.array is not None and out is None:
            return self.array[start:start + count]
        buf = np.empty(count, self.dtype) if out is None or len(out) < count else out[:count]
        if self.array is not None:
            buf[:] = self.array[start:start + count]
        else:
            _pread_exact(self.file, memoryview(buf).cast("B"), self.offset + start * self.dtype.itemsize, self.name)
        return buf

    def item(self, index: int) -> int:
        return int(self.read(index, index + 1)[0])

    def blocks(self, start: int = 0, stop: int | None = None, size: int = READ_BLOCK):
        """Consecutive blocks of items [start, stop), each at most ``size``: views when in memory,
        else one buffer refilled (consume a block before asking for the next; never change it)."""
        stop = self.n if stop is None else min(int(stop), self.n)
        buf = None if self.array is not None else np.empty(min(size, max(0, stop - start)), self.dtype)
        for a in range(int(start), stop, size):
            yield self.read(a, min(a + size, stop), buf)

    def to_array(self) -> np.ndarray:
        """The whole stream in memory (a view when it already is)."""
        return self.array if self.array is not None else self.read(0, self.n)

    def close(self) -> None:
        """Release the file now (a spill file's space is freed) rather than when collected."""
        if self.file is not None:
            self.file.close()


class StreamWriter:
    """Appends items of one dtype; beyond ``spill_after`` items they go to an unlinked spill file.

    ``spill_dir`` is a directory (see :func:`spill_directory`); None means the system's temporary
    directory, checked only when the stream first spills. A write error (a full disk, a quota) is
    a :class:`SpillError` naming the directory; the file it was writing is already gone.
    """

    def __init__(self, dtype, spill_dir=None, spill_after: int | None = None):
        self.dtype = np.dtype(dtype)
        self.spill_dir = spill_dir
        self.spill_after = SPILL_AFTER if spill_after is None else int(spill_after)
        self.buffer = np.empty(min(1 << 16, max(1, self.spill_after)), self.dtype)
        self.held = 0        # items in buffer
        self.written = 0     # items in the file
        self.file = None

    def __len__(self) -> int:
        return self.written + self.held

    def append(self, items: np.ndarray) -> None:
        items = np.asarray(items, self.dtype)
        if self.held + len(items) > len(self.buffer):
            if self.held + len(items) > self.spill_after:
                self._spill(items)
                return
            self.buffer.resize(max(self.held + len(items), min(2 * len(self.buffer), self.spill_after)),
                               refcheck=False)
        self.buffer[self.held:self.held + len(items)] = items
        self.held += len(items)

    def _spill(self, items: np.ndarray) -> None:
        """Write what is held, then ``items``, to the spill file (opened on first use)."""
        if self.file is None:
            directory = spill_directory(self.spill_dir)
            try:
                self.file = tempfile.TemporaryFile(prefix="w2v-spill-", dir=directory)
            except OSError as e:
                raise SpillError(e.errno, f"cannot create a spill file in {str(directory)!r}: "
                                          f"{e.strerror or e} (spill_dir=)") from None
        for part in (self.buffer[:self.held], items):
            self._write(part)
        self.held = 0

    def _write(self, part: np.ndarray) -> None:
        try:
            self.file.write(memoryview(np.ascontiguousarray(part)).cast("B"))
        except OSError as e:
            self.close()
            where = self.spill_dir if self.spill_dir is not None else tempfile.gettempdir()
            raise SpillError(e.errno, f"cannot write the corpus ids to a spill file in {str(where)!r}: "
                                      f"{e.strerror or e}; free space there or choose another spill_dir") from None
        self.written += len(part)

    def finish(self) -> IdStream:
        """The items written, as a stream; the writer is spent."""
        if self.file is None:
            array, self.buffer = self.buffer, np.empty(0, self.dtype)
            array.resize(self.held, refcheck=False)  # give back the spare capacity in place
            return IdStream(self.dtype, array=array)
        if self.held:
            self._write(self.buffer[:self.held])
            self.held = 0
        try:
            self.file.flush()
        except OSError as e:
            self.close()
            raise SpillError(e.errno, f"cannot write a spill file: {e.strerror or e}") from None
        self.buffer = np.empty(0, self.dtype)
        stream = IdStream(self.dtype, file=self.file, n=self.written,
                          name=f"spill file in {self.spill_dir or tempfile.gettempdir()!s}")
        self.file = None
        return stream

    def close(self) -> None:
        """Drop what was written (the spill file's space is freed)."""
        if self.file is not None:
            self.file.close()
            self.file = None


@contextlib.contextmanager
def dropped_on_error(*streams):
    """Close ``streams`` (writers or finished streams: their spill files are freed) if the block
    raises, Ctrl-C included; on success they are the caller's."""
    try:
        yield
    except BaseException:
        for stream in streams:
            stream.close()
        raise


@njit(cache=True, nogil=True)
def count_ids(counts, ids):
    """counts[w] += 1 for every id of a block; False (stopping there) at an id outside ``counts``:
    ids read back from a file index arrays in nogil kernels, so a damaged one must stop here."""
    n = len(counts)
    for w in ids:
        if w < 0 or w >= n:
            return False
        counts[w] += 1
    return True


def _pread_exact(file, view: memoryview, position: int, name: str) -> None:
    """Fill ``view`` from ``file`` at ``position``; a short read means the file shrank underneath."""
    fd = file.fileno()
    done = 0
    while done < len(view):
        got = os.preadv(fd, [view[done:]], position + done)
        if got == 0:
            raise OSError(errno.EIO, f"{name}: ended {len(view) - done} bytes early at byte {position + done} "
                                     "(was it truncated or replaced while in use?)")
        done += got
