"""Corpus reading: every input a word2vec user has, turned into a stream of token lists.

Accepted corpora (see :func:`iter_sentences`):

* a restartable iterable of token lists (``[["the", "cat"], ...]``);
* a path to a text file with one sentence per line, tokens split on whitespace (gensim's
  ``LineSentence`` convention); a text8-style file that is one 100 MB line is read in bounded
  memory, in blocks, never as one giant string;
* a directory of such files. The rule: every regular file directly in the directory, in sorted
  name order, whatever its name (a ``README.md`` is read as text too), skipping hidden names
  (starting with ``.``) and subdirectories. :class:`DirectoryCorpus` changes the rule: descend
  into subdirectories (``recursive=True``) and/or read only the files whose name matches a glob
  (``include="*.txt"``);
* a glob pattern (``"shards/part-*.txt"``) or a list of files, directories and patterns, read in
  the order given (each pattern's matches sorted): the corpus forms distributed training takes
  (:mod:`w2v.distributed`), accepted without a cluster too;
* gzip, bzip2 and xz files, decompressed whatever their name (recognised by their first bytes,
  so ``corpus.txt`` that is really gzip is read as text, not as compressed bytes).

Sentences longer than ``max_sentence_length`` tokens (default 10,000, gensim's and word2vec.c's
``MAX_WORDS_IN_BATCH``) are split into consecutive chunks of at most that many tokens: nothing is
ever truncated. A text8 file therefore becomes exactly the 10,000-word sentences of gensim's
``Text8Corpus``.
"""
from __future__ import annotations

import fnmatch
import glob
import lzma
import os
import re
import zlib
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path

from .fileutil import compression_of, open_binary

MAX_SENTENCE_LENGTH = 10_000
BLOCK_BYTES = 1 << 20
_ASCII_SPACES = (b" ", b"\n", b"\t", b"\r", b"\x0b", b"\x0c")
_WHITESPACE = re.compile(b"[" + re.escape(b"".join(_ASCII_SPACES)) + b"]")
_ERRORS = ("strict", "replace", "ignore")


class CorpusError(ValueError):
    """The corpus cannot be read as text: the message names the file, line or sentence."""


class EmptyCorpusError(CorpusError, RuntimeError):
    """The corpus holds no token (also a RuntimeError: gensim raises one for an empty corpus)."""


def bad_token(token) -> TypeError:
    """The error for a token that cannot be a vocabulary key (it is not hashable)."""
    return TypeError(f"corpus tokens must be hashable (str, int, ...), found {type(token).__name__} {token!r:.80}")


def sample_corpus_path() -> Path:
    """Path of the bundled sample: ~2M words of English Wikipedia (CC BY-SA 3.0), text8-normalised."""
    return Path(str(resources.files("w2v") / "data" / "sample.txt.xz"))


class DirectoryCorpus(os.PathLike):
    """A directory corpus with its file rule spelled out: which files of ``path`` are read.

    ``w2v.train("texts/")`` reads the regular files directly in ``texts/`` (sorted by name, hidden
    names skipped, subdirectories skipped); ``w2v.train(DirectoryCorpus("texts/", recursive=True,
    include="*.txt"))`` also descends into subdirectories (hidden ones skipped) and reads only the
    files whose *name* matches one of the ``include`` globs (:func:`fnmatch.fnmatchcase`: ``*``,
    ``?``, ``[seq]``; a str or a sequence of them). Files are read in the sorted order of their
    path relative to ``path``. It is an :class:`os.PathLike` of the directory, so it goes wherever a
    path corpus goes.
    """

    def __init__(self, path: str | os.PathLike, recursive: bool = False,
                 include: str | Sequence[str] | None = None):
        self.path = Path(path)
        self.recursive = bool(recursive)
        if isinstance(include, str):
            include = (include,)
        self.include = tuple(include) if include else ()
        if not all(isinstance(pattern, str) and pattern for pattern in self.include):
            raise TypeError(f"include must be a glob string or a sequence of them, got {include!r}")

    def __fspath__(self) -> str:
        return os.fspath(self.path)

    def __repr__(self) -> str:
        return f"DirectoryCorpus({str(self.path)!r}, recursive={self.recursive}, include={list(self.include)})"

    def _wanted(self, name: str) -> bool:
        return not name.startswith(".") and (
            not self.include or any(fnmatch.fnmatchcase(name, pattern) for pattern in self.include))

    def _walk(self):
        """(relative path, path) of the files read, and the subdirectories left out."""
        found, skipped = [], []
        stack = [self.path]
        while stack:
            directory = stack.pop()
            try:
                entries = list(os.scandir(directory))
            except OSError as e:
                raise OSError(f"cannot list corpus directory {str(directory)!r}: {e.strerror or e}") from e
            for entry in entries:
                path = Path(entry.path)
                if entry.is_dir():
                    if entry.name.startswith("."):
                        continue
                    (stack if self.recursive else skipped).append(path)
                elif entry.is_file() and self._wanted(entry.name):
                    found.append((path.relative_to(self.path).as_posix(), path))
        return found, skipped

    def files(self) -> list[Path]:
        """The files read, in order; CorpusError if there are none."""
        if not self.path.exists():
            raise FileNotFoundError(f"corpus path {str(self.path)!r} does not exist")
        if not self.path.is_dir():
            raise CorpusError(f"corpus {str(self.path)!r} is not a directory")
        found, _ = self._walk()
        if not found:
            rule = f" matching {' or '.join(self.include)}" if self.include else ""
            where = " or its subdirectories" if self.recursive else ""
            raise CorpusError(f"corpus directory {str(self.path)!r}{where} contains no files{rule}")
        return [path for _, path in sorted(found)]

    def skipped_directories(self) -> list[Path]:
        """The subdirectories not read (without ``recursive``), to tell the user they were skipped."""
        return sorted(self._walk()[1])


def corpus_files(path) -> list[Path]:
    """The files a path corpus stands for: the file itself, a directory's files (see
    :class:`DirectoryCorpus` for the rule), a glob pattern's matches (sorted), or, for a list of
    those, each item's files in order."""
    if isinstance(path, (list, tuple)):
        return [f for item in path for f in corpus_files(item)]
    if isinstance(path, DirectoryCorpus):
        return path.files()
    p = Path(path)
    if not p.exists():
        if is_glob(str(path)):
            matches = sorted(Path(m) for m in glob.glob(str(path)) if os.path.isfile(m))
            if not matches:
                raise FileNotFoundError(f"corpus pattern {str(path)!r} matches no file")
            return matches
        raise FileNotFoundError(f"corpus path {str(p)!r} does not exist")
    if p.is_dir():
        return DirectoryCorpus(p).files()
    return [p]


def is_glob(path: str) -> bool:
    """Whether ``path`` holds glob wildcards (``*``, ``?``, ``[``)."""
    return glob.has_magic(path)


def is_path_corpus(corpus) -> bool:
    """True when ``corpus`` names files (a path, a glob, or a list of them) rather than holding token lists.

    A list counts as a list of paths when every item is a path object, or every item is a str and
    at least one of them names an existing path or matches a pattern: a list of plain strings
    (a common mistake for a list of token lists) keeps its own error message.
    """
    if isinstance(corpus, (str, os.PathLike)):
        return True
    if not isinstance(corpus, (list, tuple)) or not corpus:
        return False
    if all(isinstance(c, os.PathLike) for c in corpus):
        return True
    return (all(isinstance(c, str) for c in corpus)
            and any(os.path.exists(c) or (is_glob(c) and glob.glob(c)) for c in corpus))


def check_corpus(corpus) -> None:
    """Reject corpora that cannot work before any reading starts, with a message that says why."""
    if is_path_corpus(corpus):
        corpus_files(corpus)
        return
    if isinstance(corpus, (bytes, bytearray)):
        raise TypeError("corpus is a bytes object; pass a file path or an iterable of token lists")
    if not isinstance(corpus, Iterable):
        raise TypeError(
            f"corpus must be a file path or an iterable of token lists, got {type(corpus).__name__}")


def is_one_shot(corpus) -> bool:
    """True for iterators (generators, file objects): they can be read only once."""
    return not is_path_corpus(corpus) and iter(corpus) is corpus


def iter_sentences(corpus, max_sentence_length: int = MAX_SENTENCE_LENGTH,
                   errors: str = "strict") -> Iterator[list[str]]:
    """Yield the corpus as token lists of at most ``max_sentence_length`` tokens.

    ``errors`` is how undecodable UTF-8 in files is handled: ``"strict"`` (default) raises a
    :class:`CorpusError` naming the file and line, ``"replace"`` and ``"ignore"`` are Python's codecs.
    """
    if errors not in _ERRORS:
        raise ValueError(f"errors must be one of {_ERRORS}, got {errors!r}")
    check_corpus(corpus)
    if is_path_corpus(corpus):
        for path in corpus_files(corpus):
            yield from _file_sentences(path, max_sentence_length, errors)
    else:
        yield from _iterable_sentences(corpus, max_sentence_length)


def _iterable_sentences(corpus, max_len: int) -> Iterator[list[str]]:
    """Token lists from an in-memory corpus, checking the shape that is cheap to check per sentence.

    Tokens themselves are type-checked where each distinct word is first seen (the vocabulary
    scan), so the check costs nothing per repeated token.
    """
    for n, sentence in enumerate(corpus):
        if isinstance(sentence, str):
            raise TypeError(
                f"corpus sentence {n} is a str ({sentence[:40]!r}), expected a list of str tokens; "
                "pass [['a', 'b', ...], ...] or a file path")
        if not isinstance(sentence, list):
            try:
                sentence = list(sentence)
            except TypeError:
                raise TypeError(f"corpus sentence {n} is a {type(sentence).__name__}, "
                                "expected a list of str tokens") from None
        yield from split_long(sentence, max_len)


def split_long(tokens: list, max_len: int) -> Iterator[list]:
    """Split one sentence into pieces of at most ``max_len`` tokens (no truncation, no empties)."""
    if len(tokens) <= max_len:
        if tokens:
            yield tokens
        return
    for i in range(0, len(tokens), max_len):
        yield tokens[i:i + max_len]


def _file_sentences(path: Path, max_len: int, errors: str) -> Iterator[list[str]]:
    """Sentences of one file, read in 1 MiB blocks cut at whitespace so memory stays bounded.

    A line may span many blocks (text8 is one 100 MB line): its tokens are carried over and emitted
    in ``max_len`` chunks as they fill, so the whole line is never held at once.
    """
    pending: list[str] = []
    for text in _decoded_blocks(path, errors):
        lines = text.split("\n")
        for line in lines[:-1]:
            pending.extend(line.split())
            yield from split_long(pending, max_len)
            pending = []
        pending.extend(lines[-1].split())
        if len(pending) >= max_len:
            cut = len(pending) - len(pending) % max_len
            yield from split_long(pending[:cut], max_len)
            pending = pending[cut:]
    yield from split_long(pending, max_len)


def _decoded_blocks(path: Path, errors: str) -> Iterator[str]:
    """Yield the decoded text of blocks that end on an ASCII whitespace byte."""
    for block, line_no in raw_blocks(path):
        yield _decode(block, path, line_no, errors)


def validated_blocks(path: Path, start: int = 0, end: int | None = None) -> Iterator[bytes]:
    """Raw blocks that end at whitespace, each checked to be valid UTF-8 (CorpusError if not).

    ``start``/``end`` read only that byte range of a plain (uncompressed) file; the error for a
    bad byte still names its line in the whole file.
    """
    for block, line_no in raw_blocks(path, start, end):
        if not block.isascii():
            try:
                block.decode("utf-8")
            except UnicodeDecodeError:
                _decode(block, path, line_no + _newlines_before(path, start), "strict")  # raises
        yield block


def raw_blocks(path: Path, start: int = 0, end: int | None = None) -> Iterator[tuple[bytes, int]]:
    """Yield (block, line number of its first byte), blocks cut after the last ASCII whitespace.

    Cutting at ASCII whitespace never splits a multi-byte UTF-8 character (continuation bytes are
    >= 0x80), so each block decodes on its own and a decoding error can name its line. A byte
    range (``start``, ``end``) of a plain file counts its lines from 1 at ``start``.
    """
    line_no = 1
    carry = b""
    remaining = None if end is None else end - start
    try:
        f = open_binary(path) if start == 0 and end is None else open(path, "rb")
    except OSError as e:
        raise OSError(f"cannot open corpus file {str(path)!r}: {e.strerror or e}") from e
    except ValueError as e:  # a compression format the standard library cannot read
        raise CorpusError(f"corpus file {e}") from None
    with f:
        if start:
            f.seek(start)
        while remaining is None or remaining > 0:
            try:
                block = f.read(BLOCK_BYTES if remaining is None else min(BLOCK_BYTES, remaining))
            except (OSError, EOFError, ValueError, zlib.error, lzma.LZMAError) as e:  # damaged compressed data
                raise CorpusError(f"cannot read corpus file {str(path)!r}: {e}") from e
            if not block:
                break
            if remaining is not None:
                remaining -= len(block)
            block = carry + block
            cut = max(block.rfind(c) for c in _ASCII_SPACES) + 1
            if cut == 0:  # no whitespace yet: one very long token, keep reading
                carry = block
                continue
            carry = block[cut:]
            yield block[:cut], line_no
            line_no += block.count(b"\n", 0, cut)
    if carry:
        yield carry, line_no


def _newlines_before(path: Path, offset: int) -> int:
    """How many newlines the first ``offset`` bytes of a plain file hold (to name a line)."""
    count = 0
    with open(path, "rb") as f:
        while offset > 0:
            chunk = f.read(min(BLOCK_BYTES, offset))
            if not chunk:
                break
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count


def is_compressed(path: Path) -> bool:
    """Whether ``path`` is read through a decompressor (then it can only be read from its start).

    Decided by the file's first bytes, as :func:`~w2v.fileutil.open_binary` decides.
    """
    try:
        return compression_of(path) is not None
    except ValueError:  # unreadable format: raw_blocks names it when the file is read
        return True


def whitespace_cut(path: Path, near: int) -> int | None:
    """The first byte offset at or after ``near`` that directly follows an ASCII whitespace byte
    of a plain file (a token never spans it), or None if none lies within 1 MiB."""
    with open(path, "rb") as f:
        f.seek(max(0, near - 1))
        probe = f.read(BLOCK_BYTES)
    found = _WHITESPACE.search(probe)
    return None if found is None else max(0, near - 1) + found.end()


def _decode(data: bytes, path: Path, line_no: int, errors: str) -> str:
    """UTF-8 decode, turning a strict failure into a CorpusError that names file, line and byte."""
    try:
        return data.decode("utf-8", errors)
    except UnicodeDecodeError as e:
        line = line_no + data.count(b"\n", 0, e.start)
        raise CorpusError(
            f"{str(path)!r} line {line}: bytes {data[e.start:e.start + 4]!r} are not valid UTF-8 "
            "(to accept them, replace or drop the bad bytes: errors='replace' or errors='ignore' in "
            "Python, -errors replace or -errors ignore on the w2v command line)") from None
