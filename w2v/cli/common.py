"""What every ``w2v`` command shares: the user-error type, status lines on stderr, input checks, and
reading a vectors file by its content.

Errors a user can cause (a missing file, a bad value) are raised as :class:`CliError` and printed by
:func:`w2v.cli.main` as one ``w2v: error: ...`` line with exit code 2, never as a traceback. gensim
is never imported: its bundled evaluation files are located on disk with
:func:`importlib.util.find_spec`, which does not execute the package.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
from pathlib import Path

from ..fileutil import open_binary

EXIT_USAGE = 2
STDOUT = "/dev/stdout"  # what ``-output -`` means; written to descriptor 1, never opened by name


class CliError(Exception):
    """A problem the user can fix; printed as one line without a traceback."""


def log(message: str) -> None:
    """Status goes to stderr so stdout stays clean for results (and for pipes)."""
    print(message, file=sys.stderr, flush=True)


def say_status(text: str) -> None:
    """A status line of w2v's own (``w2v: ...``), e.g. the compile notices."""
    log(f"w2v: {text}")


def compiles_announced(args: argparse.Namespace):
    """Around a command: a numba compile is announced before it starts and timed after (see
    :func:`w2v.progress.compile_notices`), unless the command was asked to be quiet."""
    if getattr(args, "quiet", False) or getattr(args, "debug", 1) <= 0:
        return contextlib.nullcontext()
    from ..progress import compile_notices

    return compile_notices(say_status)


def check_readable(path: str, what: str) -> None:
    """Fail fast, before any slow work, with a message that names the file."""
    if not os.path.exists(path):
        raise CliError(f"{what} {path!r} does not exist")
    if not os.access(path, os.R_OK):
        raise CliError(f"{what} {path!r} is not readable")


def check_writable_dir(path: str, what: str) -> None:
    """Check an output's directory before training, so a typo doesn't cost a whole training run."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"cannot write {what} {path!r}: directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise CliError(f"cannot write {what} {path!r}: directory {directory!r} is not writable")


def is_binary_vectors(path: str) -> bool:
    """Tell word2vec.c's binary format from text by content: a text file's first row parses as floats.

    The name says nothing: word2vec.c (and ``w2v train``) write text to ``vectors.bin`` unless
    ``-binary 1`` is given. The first vector row after the ``"count dim"`` header must be ``word``
    plus ``dim`` numbers for the file to count as text; anything else is binary.
    """
    with open_binary(path) as f:
        header = f.readline().split()
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise CliError(f"{path!r} is not a word2vec vectors file (bad header {b' '.join(header)[:60]!r})")
        row = f.readline(1 << 20)
    try:
        fields = row.decode("utf-8").split()
        [float(x) for x in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return len(fields) != int(header[1]) + 1


def load_vectors(path: str, binary: bool | None = None):
    """Load word2vec-format vectors, detecting binary vs text unless ``binary`` is given."""
    from ..vectors import KeyedVectors

    check_readable(path, "vectors file")
    if binary is None:
        binary = is_binary_vectors(path)
    return KeyedVectors.load_word2vec_format(path, binary=binary)


def require_words(wv, words) -> None:
    """Name every unknown word at once instead of failing with a bare KeyError on the first."""
    missing = [w for w in words if w not in wv]
    if missing:
        raise CliError(f"not in the vocabulary ({len(wv)} words): {', '.join(map(repr, missing))}")


def print_neighbours(neighbours) -> None:
    """One ``rank word similarity`` row per neighbour on stdout, aligned for reading and easy to parse."""
    for rank, (word, sim) in enumerate(neighbours, 1):
        print(f"{rank:>3}  {word:<24} {sim:.4f}")


def analogy_count(sections) -> str:
    """``N questions`` from gensim-style sections (the last one is the total), or '' if unknown."""
    try:
        total = sections[-1]
        return f"{len(total['correct']) + len(total['incorrect'])} questions"
    except (IndexError, KeyError, TypeError):
        return ""


def gensim_test_file(name: str) -> str | None:
    """Path of a file in gensim's bundled test data, found without importing gensim (w2v never does)."""
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "test" / "test_data" / name
    return str(path) if path.is_file() else None
