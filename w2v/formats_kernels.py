"""Numba scanners for word2vec.c files: the per-entry loops of :mod:`w2v.formats`' readers.

A word2vec.c file is a sequence of variable-length entries (a word, then its vector), so where
one entry ends is only known once the previous one is read: a Python loop has to visit every
entry, and parsing text numbers one by one (``float()``, ``np.fromstring``) goes through a
general-purpose string-to-double routine per number, both far slower than the disk. These
kernels walk the bytes of one buffered chunk at a time instead, and write the vectors straight
into the rows of the preallocated table; Python is left with decoding the words (one call per
chunk) and with explaining errors (figures: ``benchmarks/memory_vectors.py``).

Text numbers are parsed exactly: a decimal with at most 18 significant digits and a power of ten
within 10^±22 is ``mantissa * 10^e`` (or ``/ 10^-e``) with both operands exact in float64, so the
one IEEE operation gives the correctly rounded double (Clinger's fast path), which is what
Python's ``float()`` (and so gensim's ``np.float32(token)``) gives; anything else (more digits,
huge exponents, ``nan``, ``inf``, junk) is left to the caller as a "slow" token, parsed by
``float()``. The table then holds float32(double(token)), bit for bit what gensim stores.

Kernels are cached on disk by numba (``cache=True``); this module imports nothing else from w2v,
so numba's per-file cache key is sufficient.

The entry kernels' arguments, by name (B bytes in the buffer, n the entries one call may find):

* ``buf``: uint8 (B,), the file's buffered chunk; ``pos``, ``end``: int, the span to read.
* ``width``: int, bytes of one binary vector (dim x 4); ``dim``: int, values per text line.
* ``max_entries``, ``max_lines``, ``count``: int, at most n.
* ``word_start``, ``word_end``, ``vector_start``, ``line_start``: int64 (n,), filled with byte
  offsets into ``buf``.
* ``rows``: int64 (n,), the table rows ``copy_rows`` writes; ``out`` of ``copy_rows``: uint8,
  the float32 table viewed as flat bytes; ``out`` of ``join_words``: uint8, the joined words.
* ``out`` of ``parse_text_lines``: float32 or float64 (rows, dim), the table (or a float64 stage);
  ``first_row``: int, where line 0 goes.
* ``slow_line``, ``slow_col``, ``slow_start``, ``slow_end``: int64 (m,), the tokens left to
  ``float()`` (line within the call, column, byte span).
"""
from __future__ import annotations

import numpy as np
from numba import njit

#: Status codes of :func:`parse_text_lines` (the line at index ``n_done`` is the bad one).
TEXT_OK = 0
TEXT_BAD_LINE = 1  # wrong number of values, an empty word, or a blank line
TEXT_SLOW_FULL = 2  # the slow-token arrays are full: hand them over, then call again from n_done

_SPACE, _NEWLINE, _TAB, _CR, _VT, _FF = 32, 10, 9, 13, 11, 12
_POW10 = np.array([10.0 ** i for i in range(23)], dtype=np.float64)
_MAX_DIGITS = 18  # 10^18 < 2^63: the mantissa fits an int64 without overflow checks


@njit(cache=True, nogil=True)
def scan_binary_entries(buf, pos, end, width, max_entries, word_start, word_end, vector_start):
    """Find up to ``max_entries`` complete binary entries in ``buf[pos:end]``.

    An entry is ``word`` (bytes up to the first space, leading newlines not included: word2vec.c
    ends each vector with one, gensim does not), a space, ``width`` bytes of vector. Returns
    ``(entries found, position after the last one)``; the caller reads more data when fewer
    than it asked for were found. An empty word shows as ``word_start == word_end``.
    """
    n = 0
    while n < max_entries:
        space = pos
        while space < end and buf[space] != _SPACE:
            space += 1
        if space >= end or end - (space + 1) < width:
            break
        start = pos
        while start < space and buf[start] == _NEWLINE:
            start += 1
        word_start[n] = start
        word_end[n] = space
        vector_start[n] = space + 1
        n += 1
        pos = space + 1 + width
    return n, pos


@njit(cache=True, nogil=True)
def copy_rows(buf, vector_start, count, width, rows, out):
    """Copy ``count`` vectors of ``width`` bytes from ``buf`` into rows ``rows`` of ``out`` (the
    table as one flat uint8 array). The indices are unsigned: with signed ones numba tests each
    for a negative (wraparound) value, which keeps the inner loop from compiling to a vectorised
    copy."""
    w = np.uint64(width)
    for k in range(count):
        src = np.uint64(vector_start[k])
        dst = np.uint64(rows[k]) * w
        for b in range(w):
            out[dst + b] = buf[src + b]


@njit(cache=True, nogil=True)
def join_words(buf, word_start, word_end, count, out):
    """Copy ``count`` words into ``out``, each followed by a newline, so that one ``decode`` and
    one ``split`` make all their strings; returns the length written, or -1 when a word holds a
    newline byte itself (the caller then decodes word by word)."""
    length = np.uint64(0)
    one = np.uint64(1)
    for k in range(count):
        for b in range(np.uint64(word_start[k]), np.uint64(word_end[k])):
            c = buf[b]
            if c == _NEWLINE:
                return -1
            out[length] = c
            length += one
        out[length] = _NEWLINE
        length += one
    return np.int64(length)


@njit(cache=True, nogil=True, inline="always")
def _is_blank(c):
    """A separator between values: ASCII whitespace other than the newline."""
    return c == _SPACE or c == _TAB or c == _CR or c == _VT or c == _FF


@njit(cache=True, nogil=True, inline="always")
def _parse_number(buf, i, stop):
    """Parse the token starting at ``buf[i]``: ``(ok, value, end of token)``.

    ``ok`` is False when the fast path cannot give the exact value (see the module docstring);
    the token's end is found either way. Indices are unsigned (no negative-index test per byte).
    """
    one = np.uint64(1)
    negative = False
    c = buf[i]
    if c == 45:  # '-'
        negative = True
        i += one
    elif c == 43:  # '+'
        i += one
    mantissa = np.int64(0)
    digits = 0
    exponent = 0
    seen_digit = False
    while i < stop:
        d = np.int64(buf[i]) - 48
        if d < 0 or d > 9:
            break
        seen_digit = True
        if mantissa != 0 or d != 0:  # leading zeros are not significant digits
            digits += 1
            mantissa = mantissa * 10 + d  # wraps past 18 digits, but then the token is not ok
        i += one
    if i < stop and buf[i] == 46:  # '.'
        i += one
        while i < stop:
            d = np.int64(buf[i]) - 48
            if d < 0 or d > 9:
                break
            seen_digit = True
            if mantissa != 0 or d != 0:
                digits += 1
                mantissa = mantissa * 10 + d
            exponent -= 1
            i += one
    ok = seen_digit and digits <= _MAX_DIGITS
    if i < stop and (buf[i] == 101 or buf[i] == 69):  # 'e' / 'E'
        i += one
        exp_negative = False
        if i < stop and (buf[i] == 45 or buf[i] == 43):
            exp_negative = buf[i] == 45
            i += one
        written = 0
        exp_digits = 0
        while i < stop:
            d = np.int64(buf[i]) - 48
            if d < 0 or d > 9:
                break
            if written < 10000:
                written = written * 10 + d
            exp_digits += 1
            i += one
        ok = ok and exp_digits > 0
        exponent += -written if exp_negative else written
    if i < stop and not (_is_blank(buf[i]) or buf[i] == _NEWLINE):  # junk inside the token
        ok = False
        while i < stop and not (_is_blank(buf[i]) or buf[i] == _NEWLINE):
            i += one
    value = 0.0
    if ok and mantissa != 0:
        if mantissa > 9007199254740992 or exponent < -22 or exponent > 22:  # 2^53: beyond, not exact
            ok = False
        elif exponent >= 0:
            value = float(mantissa) * _POW10[exponent]
        else:
            value = float(mantissa) / _POW10[-exponent]
    return ok, (-value if negative else value), i


@njit(cache=True, nogil=True)
def parse_text_lines(buf, pos, end, dim, max_lines, out, first_row, word_start, word_end,
                     line_start, slow_line, slow_col, slow_start, slow_end):
    """Parse up to ``max_lines`` lines ``word v1 ... v_dim`` of ``buf[pos:end]`` into ``out``.

    ``buf[pos:end]`` holds whole lines only (the last one may lack its newline at end of file).
    The word is everything before the first space; values are separated by any ASCII blanks.
    Line ``k`` goes to row ``first_row + k`` of ``out``; its word span and start are recorded.
    Tokens the fast path cannot parse are recorded in the ``slow_*`` arrays (line index within
    this call, column, byte span) and their cells left for the caller. Returns ``(status, lines
    done, position, slow tokens)``: on :data:`TEXT_BAD_LINE` the line at index ``lines done``
    (which starts at ``position``) is malformed; on :data:`TEXT_SLOW_FULL` that line was not
    parsed (its slow tokens did not fit), and the call can be repeated from ``position``.
    """
    one = np.uint64(1)
    i = np.uint64(pos)
    stop = np.uint64(end)
    n = 0
    n_slow = 0
    capacity = len(slow_line)
    while n < max_lines and i < stop:
        start = i
        line_start[n] = start
        while i < stop and buf[i] != _SPACE and buf[i] != _NEWLINE:
            i += one
        if i == start or i >= stop or buf[i] == _NEWLINE:  # empty word, blank line, or no values at all
            return TEXT_BAD_LINE, n, np.int64(start), n_slow
        word_start[n] = start
        word_end[n] = i
        row = out[first_row + n]
        slow_before = n_slow
        column = 0
        while True:
            while i < stop and _is_blank(buf[i]):
                i += one
            if i >= stop:
                break
            if buf[i] == _NEWLINE:
                i += one
                break
            if column >= dim:
                return TEXT_BAD_LINE, n, np.int64(start), slow_before
            token = i
            ok, value, i = _parse_number(buf, i, stop)
            if ok:
                row[column] = value
            else:
                if n_slow >= capacity:
                    return TEXT_SLOW_FULL, n, np.int64(start), slow_before
                slow_line[n_slow] = n
                slow_col[n_slow] = column
                slow_start[n_slow] = token
                slow_end[n_slow] = i
                n_slow += 1
            column += 1
        if column != dim:
            return TEXT_BAD_LINE, n, np.int64(start), slow_before
        n += 1
    return TEXT_OK, n, np.int64(i), n_slow


# ---------------------------------------------------------------------- small files: the Python twins
#
# A process's first call of any kernel costs a fraction of a second (numba sets up its compiler
# and loads the cached machine code), more than reading a small file takes in Python. Files below
# KERNEL_MIN_BYTES are therefore read by these twins (same arguments, same results), unless the
# kernels are already loaded in this process. They loop per entry, not per byte: ``bytearray.find``
# for separators, numpy for the vectors, ``np.fromstring`` (C's strtod, then the float32 rounding:
# the same values as ``float()``) for a text line's numbers.

#: bytes (of file) from which the kernels pay for their first call
KERNEL_MIN_BYTES = 32 << 20


def scan_binary_entries_py(buf, pos, end, width, max_entries, word_start, word_end, vector_start):
    """:func:`scan_binary_entries` in Python (``buf`` a bytearray)."""
    n = 0
    while n < max_entries:
        space = buf.find(b" ", pos, end)
        if space < 0 or end - (space + 1) < width:
            break
        start = pos
        while start < space and buf[start] == _NEWLINE:
            start += 1
        word_start[n], word_end[n], vector_start[n] = start, space, space + 1
        n += 1
        pos = space + 1 + width
    return n, pos


def copy_rows_py(buf, vector_start, count, width, rows, out):
    """:func:`copy_rows` in Python: one numpy slice copy per row."""
    data = np.frombuffer(buf, dtype=np.uint8)
    for src, row in zip(vector_start[:count].tolist(), rows[:count].tolist()):
        out[row * width:(row + 1) * width] = data[src:src + width]


def join_words_py(buf, word_start, word_end, count, out):
    """:func:`join_words` in Python."""
    words = [buf[s:e] for s, e in zip(word_start[:count].tolist(), word_end[:count].tolist())]
    if any(b"\n" in w for w in words):
        return -1
    joined = b"\n".join(words) + b"\n"
    out[:len(joined)] = np.frombuffer(joined, dtype=np.uint8)
    return len(joined)


def parse_text_lines_py(buf, pos, end, dim, max_lines, out, first_row, word_start, word_end,
                        line_start, slow_line, slow_col, slow_start, slow_end):
    """:func:`parse_text_lines` in Python. It leaves no slow tokens: a line whose numbers
    ``np.fromstring`` cannot read whole (junk, or the wrong count) is reported as a bad line,
    which the caller then describes."""
    import warnings

    n = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)  # numpy warns on junk: make it an error
        while n < max_lines and pos < end:
            newline = buf.find(b"\n", pos, end)
            line_end = end if newline < 0 else newline
            line_start[n] = pos
            space = buf.find(b" ", pos, line_end)
            if space <= pos:  # empty word, blank line, or no values at all
                return TEXT_BAD_LINE, n, pos, 0
            try:
                values = np.fromstring(bytes(buf[space + 1:line_end]), dtype=np.float64, sep=" ")
            except (ValueError, DeprecationWarning):
                return TEXT_BAD_LINE, n, pos, 0
            if values.size != dim:
                return TEXT_BAD_LINE, n, pos, 0
            out[first_row + n] = values
            word_start[n], word_end[n] = pos, space
            n += 1
            pos = line_end if newline < 0 else newline + 1
    return TEXT_OK, n, pos, 0


class Scanners:
    """The four scanners a reader uses: the numba kernels, or their Python twins."""

    def __init__(self, kernels: bool):
        self.kernels = kernels
        self.scan_binary_entries = scan_binary_entries if kernels else scan_binary_entries_py
        self.copy_rows = copy_rows if kernels else copy_rows_py
        self.join_words = join_words if kernels else join_words_py
        self.parse_text_lines = parse_text_lines if kernels else parse_text_lines_py


def scanners_for(nbytes: int) -> Scanners:
    """The kernels for ``nbytes`` of file from :data:`KERNEL_MIN_BYTES` on, or once any kernel is
    loaded in this process; the Python twins otherwise."""
    warm = any(k.signatures for k in (scan_binary_entries, copy_rows, join_words, parse_text_lines))
    return Scanners(warm or nbytes >= KERNEL_MIN_BYTES)
