"""Words given ids in first-seen order, for the phrase counters: a dict that also lists its words by
id and knows each word's delimiter-separated parts (so ``new_york`` + ``city`` and ``new`` +
``york_city`` are one key, as gensim's joined strings are).
"""
from __future__ import annotations

import itertools

import numpy as np

from . import corpus as corpus_mod


def _entered_first(name: str):
    """``dict.<name>`` for :class:`WordIndex`, called once the index's pending words are entered."""
    method = getattr(dict, name)

    def read(self, *args):
        self._sync()
        return method(self, *args)

    read.__name__ = read.__qualname__ = name
    return read


class WordIndex(dict):
    """word -> id in first-seen order; ``words`` lists them by id. Unknown words get the next id.

    With a ``delimiter``, every word also has *parts*: the ids of its delimiter-separated pieces
    (itself when it holds no delimiter; the pieces are words of the index too). Keys made of parts
    compare like gensim's delimiter-joined strings (see :meth:`parts_arrays`).
    """

    def __init__(self, words=(), delimiter: str | None = None, str_only: bool = True):
        super().__init__()
        self.words: list[str] = []
        self.delimiter = delimiter
        self.str_only = str_only  # False: any hashable token (gensim's training corpora: str, int node ids, ...)
        self._mapped = 0  # words[:_mapped] are keys of the dict; the rest join it on first use
        self._wp_start = np.zeros(0, np.int64)
        self._wp_len = np.zeros(0, np.int32)
        self._wp_parts = np.zeros(0, np.int32)
        for w in words:
            self[w]

    def __missing__(self, word):
        if self._mapped < len(self.words):
            self._sync()
            i = dict.get(self, word)
            if i is not None:
                return i
        if self.str_only and not isinstance(word, str):
            raise corpus_mod.bad_token(word)
        i = self[word] = len(self.words)
        self.words.append(word)
        self._mapped += 1
        return i

    # the dict is read through these: each first enters the words extend_new appended
    __contains__, __len__, __iter__, __repr__, keys, values, items, get = (
        _entered_first(name) for name in ("__contains__", "__len__", "__iter__", "__repr__", "keys", "values",
                                          "items", "get"))

    def extend_new(self, words: list[str]) -> None:
        """Append words known to be distinct and not in the index (a tokeniser's new words,
        when the index holds exactly that tokeniser's words so far). They get the next ids
        at once; the dict entries are made when the dict is first read. Counting a file
        never reads it, so learning phrases from a file makes no dict entry (300k words:
        ~0.1 s of the counting thread on wiki17m)."""
        self.words.extend(words)

    def _sync(self) -> None:
        """Enter the words extend_new appended into the dict."""
        n0, n = self._mapped, len(self.words)
        if n0 < n:
            dict.update(self, zip(self.words[n0:], range(n0, n)))
            self._mapped = n

    def copy(self) -> WordIndex:
        other = WordIndex(delimiter=self.delimiter, str_only=self.str_only)
        dict.update(other, dict.items(self))  # the words entered so far; the rest stay to be entered
        other.words = list(self.words)
        other._mapped = self._mapped
        other._wp_start = self._wp_start.copy()
        other._wp_len = self._wp_len.copy()
        other._wp_parts = self._wp_parts.copy()
        return other

    def parts_arrays(self):
        """(start int64, length int32, parts int32): word w's parts are
        ``parts[start[w]:start[w] + length[w]]``, for every word (pieces added as words)."""
        done = len(self._wp_len)
        if done == len(self.words):
            return self._wp_start, self._wp_len, self._wp_parts
        d = self.delimiter
        lengths, parts = [], []
        while done < len(self.words):  # the pieces of a word join the index, so the list can grow here
            chunk = self.words[done:]
            new_len = np.ones(len(chunk), np.int32)
            segments, prev = [], 0
            for j in (_with_delimiter(chunk, d) if d is not None else []):
                pieces = [self[p] for p in chunk[j].split(d)]
                new_len[j] = len(pieces)
                segments += [np.arange(done + prev, done + j), pieces]
                prev = j + 1
            segments.append(np.arange(done + prev, done + len(chunk)))  # words of one part: themselves
            lengths.append(new_len)
            parts.append(np.concatenate(segments).astype(np.int32))
            done += len(chunk)
        new_len = np.concatenate(lengths)
        new_start = np.zeros(len(new_len), np.int64)
        if len(new_len) > 1:
            np.cumsum(new_len[:-1], out=new_start[1:])
        self._wp_start = _appended(self._wp_start, new_start + len(self._wp_parts))
        self._wp_len = _appended(self._wp_len, new_len)
        self._wp_parts = _appended(self._wp_parts, np.concatenate(parts))
        return self._wp_start, self._wp_len, self._wp_parts

    def ids_of_words(self, words: list[str]) -> np.ndarray:
        """Ids of str ``words`` (a tokeniser's new words, say), the unknown ones added in order:
        one C-level pass each for the test, the insertion and the lookup."""
        self._sync()
        n0 = len(self.words)
        if self.keys().isdisjoint(words):  # a tokeniser's new words: distinct and all new (C-level test)
            before = len(self)
            dict.update(self, zip(words, range(n0, n0 + len(words))))
            if len(self) == before + len(words):
                self.words.extend(words)
                self._mapped = len(self.words)
                return np.arange(n0, n0 + len(words), dtype=np.int32)
            for w in words:  # repeats among them: undo, and take the general path
                dict.pop(self, w, None)
        missing = list(itertools.filterfalse(dict.keys(self).__contains__, words))  # C-level, in order
        if len(set(missing)) < len(missing):
            missing = list(dict.fromkeys(missing))
        if missing:
            self.words.extend(missing)
            dict.update(self, zip(missing, range(n0, n0 + len(missing))))
            self._mapped = len(self.words)
        return np.fromiter(map(self.__getitem__, words), np.int32, count=len(words))

    def lookup_for(self, words, table: np.ndarray | None = None) -> np.ndarray:
        """Ids here of ``words`` (a list that may have grown since ``table`` was made for it)."""
        old = 0 if table is None else len(table)
        new = self.ids_of_words(words[old:])
        return new if table is None else np.concatenate([table, new])


def _appended(view: np.ndarray, values: np.ndarray) -> np.ndarray:
    """``view`` followed by ``values``, as a view of the same buffer when its spare room holds
    them (buffers grow by doubling: appending a block's new words costs their own size, not the
    whole array's). Views handed out before stay valid: only the room after them is written,
    so one buffer must have one writer (:meth:`WordIndex.copy` copies the arrays)."""
    n, k = len(view), len(values)
    buf = view.base if isinstance(view.base, np.ndarray) and view.base.ndim == 1 else view
    if buf.dtype != view.dtype or view.ctypes.data != buf.ctypes.data or len(buf) < n + k:
        buf = np.empty(max(2 * (n + k), 1024), view.dtype)
        buf[:n] = view
    buf[n:n + k] = values
    return buf[:n + k]


def _with_delimiter(words: list[str], d: str) -> list[int]:
    """Positions of the words that contain ``d`` (one C-level search first: usually none do)."""
    if d not in "\n".join(words):
        return []
    return [j for j, w in enumerate(words) if d in w]
