"""Any corpus w2v accepts, read as consecutive ``(ids, offsets)`` blocks of whole sentences for the
phrase counters (:mod:`w2v.phrases`), and a file's blocks kept for a second pass over the same file.

:func:`id_blocks` takes a path, an iterable of token lists, a phrased corpus or gensim's
``LineSentence`` of a file, and gives ids in a :class:`~w2v.word_index.WordIndex`'s id space, so
counting and applying phrases never hold more than a block of the corpus and never make a Python
call per token. The rooms it draws on: :mod:`w2v.file_blocks` (a file, tokenised a block ahead),
:mod:`w2v.word_index` (ids), :mod:`w2v.ngram_table` (the count table), :mod:`w2v.size_forecast` and
:mod:`w2v.word_bytes` (the writers' word bytes); their main classes are importable from here too.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np

from . import corpus as corpus_mod
from .file_blocks import ReadProgress, StreamingTokenizer, file_blocks
from .ngram_table import NgramTable
from .size_forecast import SizeForecast
from .token_lists import TokenListIds
from .word_bytes import WordBytes
from .word_index import WordIndex

__all__ = ["BLOCK_TOKENS", "KEEP_TOKENS", "KeptIds", "id_blocks", "keeping", "kept_blocks", "joined_blocks",
           "file_key", "gensim_line_file", "NgramTable", "SizeForecast", "StreamingTokenizer", "WordBytes",
           "WordIndex"]

#: sentences given as token lists are mapped to ids this many tokens at a time
BLOCK_TOKENS = 1 << 20
#: suffixes gensim's reader (smart_open) decompresses but w2v's reader would not
_OTHER_COMPRESSION = frozenset({".zst", ".lz4", ".zip", ".z", ".br", ".snappy", ".lzma"})
#: a file's ids are kept after counting, for applying the phrases to the same file without reading
#: and tokenising it again, up to this many tokens (4 bytes each: 128 MiB)
KEEP_TOKENS = 1 << 25


def gensim_line_file(corpus):
    """(path, max_sentence_length) when ``corpus`` is gensim's ``LineSentence`` over a file path,
    else None. Its sentences are each line split with ``str.split`` and cut into chunks of
    ``max_sentence_length``: exactly what w2v's byte reader produces from the same file, so the
    file can be read in numba instead of one Python list per sentence (same tokens out)."""
    kind = type(corpus)
    if kind.__name__ != "LineSentence" or not kind.__module__.startswith("gensim."):
        return None
    source, max_len = getattr(corpus, "source", None), getattr(corpus, "max_sentence_length", None)
    if getattr(corpus, "limit", 0) is not None or not isinstance(source, (str, os.PathLike)):
        return None
    if not isinstance(max_len, int) or max_len < 1:
        return None
    path = Path(source)
    if not path.is_file() or path.suffix.lower() in _OTHER_COMPRESSION:
        return None
    return path, max_len


def file_key(corpus, max_sentence_length: int):
    """What identifies the sentences of a one-file corpus (a path to a file, or gensim's
    ``LineSentence`` of one): the file (resolved path, inode, size, modification time) and the
    sentence length it is cut at. None for any other corpus."""
    line_file = gensim_line_file(corpus)
    if line_file is not None:
        path, max_len = line_file
    elif isinstance(corpus, (str, os.PathLike)) and not hasattr(corpus, "output_blocks"):
        path, max_len = Path(corpus), max_sentence_length
    else:
        return None
    try:
        if not path.is_file():
            return None
        st = path.stat()
        return str(path.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, int(max_len)
    except OSError:
        return None


class KeptIds:
    """The ``(ids, offsets)`` blocks of one file in a model's word index, kept from counting so
    that applying the phrases to that same, unchanged file (:func:`file_key`) skips reading and
    tokenising it: for a file of up to ``KEEP_TOKENS`` tokens, the second pass over it is then
    the phrase kernel alone. The blocks are shared, never written to."""

    def __init__(self, key, blocks: list):
        self.key, self.blocks = key, blocks


def keeping(corpus, index: WordIndex, max_sentence_length: int, holder: list, progress: ReadProgress | None = None):
    """:func:`id_blocks` of ``corpus`` that also keeps them: when the corpus is one file of at most
    ``KEEP_TOKENS`` tokens, unchanged while it was read, ``holder`` gets a :class:`KeptIds`."""
    key = file_key(corpus, max_sentence_length)
    if key is None:
        yield from id_blocks(corpus, index, max_sentence_length, progress=progress)
        return
    kept: list = []
    yield from kept_blocks(id_blocks(corpus, index, max_sentence_length, progress=progress), KEEP_TOKENS, kept)
    if kept and file_key(corpus, max_sentence_length) == key:
        holder.append(KeptIds(key, kept[0]))


def kept_blocks(blocks, max_tokens: int, holder: list):
    """Yield ``blocks`` ((ids, ...) tuples); if all of them together hold at most ``max_tokens``
    ids, ``holder`` then gets the list of them (for a second pass that need not read them again)."""
    kept, total = [], 0
    for block in blocks:
        if kept is not None:
            total += len(block[0])
            if total <= max_tokens:
                kept.append(block)
            else:
                kept = None
        yield block
    if kept is not None:
        holder.append(kept)


def joined_blocks(blocks, min_tokens: int):
    """``(ids, offsets)`` blocks of whole sentences joined, in order, into blocks of at least
    ``min_tokens`` ids (the last one may hold fewer); a block already that large passes as is."""
    ids_parts, offset_parts, total = [], [np.zeros(1, np.int64)], 0
    for ids, offsets in blocks:
        if not ids_parts and len(ids) >= min_tokens:
            yield ids, offsets
            continue
        ids_parts.append(ids)
        offset_parts.append(offsets[1:] + total)
        total += len(ids)
        if total >= min_tokens:
            yield np.concatenate(ids_parts), np.concatenate(offset_parts)
            ids_parts, offset_parts, total = [], [np.zeros(1, np.int64)], 0
    if ids_parts:
        yield np.concatenate(ids_parts), np.concatenate(offset_parts)


def id_blocks(corpus, index: WordIndex, max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH,
              kept: KeptIds | None = None, progress: ReadProgress | None = None):
    """Yield ``(ids, offsets)`` blocks of whole sentences of ``corpus``, ids in ``index`` (which
    grows with new words). Accepts a path, a phrased corpus (anything with ``output_blocks``),
    gensim's ``LineSentence`` of a file (read as that file) or an iterable of token lists.
    ``kept``: ids of a file read before in ``index``'s id space, used if ``corpus`` is that file.
    ``progress``: follows the bytes read, for a file corpus."""
    progress = progress or ReadProgress()
    if kept is not None and kept.key == file_key(corpus, max_sentence_length):
        yield from kept.blocks
        return
    line_file = gensim_line_file(corpus)
    if line_file is not None:
        progress.expect([line_file[0]])
        yield from file_blocks(line_file[0], index, line_file[1], progress)
        return
    if hasattr(corpus, "output_blocks"):
        lookup = np.zeros(0, np.int32)
        for ids, offsets, words in corpus.output_blocks(max_sentence_length):
            if len(lookup) < len(words):
                lookup = index.lookup_for(words, lookup)
            yield lookup[ids], offsets
        return
    corpus_mod.check_corpus(corpus)
    if corpus_mod.is_path_corpus(corpus):
        files = corpus_mod.corpus_files(corpus)
        progress.expect(files)
        for path in files:
            yield from file_blocks(path, index, max_sentence_length, progress)
        return
    # token lists are taken whole, as gensim's Phrases does (max_sentence_length is for files)
    yield from _list_blocks(corpus_mod.iter_sentences(corpus, sys.maxsize), index)


def _list_blocks(sentences, index: WordIndex):
    batch, lengths = [], [0]
    token_ids = TokenListIds(index)
    for sentence in sentences:
        batch.extend(sentence)
        lengths.append(len(sentence))
        if len(batch) >= BLOCK_TOKENS:
            yield token_ids(batch), np.cumsum(np.asarray(lengths, np.int64))
            batch, lengths = [], [0]
    if len(lengths) > 1:
        yield token_ids(batch), np.cumsum(np.asarray(lengths, np.int64))
