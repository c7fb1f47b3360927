"""Encoded corpus: the text read once and turned into int32 word ids with sentence offsets.

Reading text is the slow part of a word2vec run outside the kernels, so w2v reads it once:
:func:`scan` tokenises the corpus a single time, giving every distinct word a provisional id in
first-seen order and recording the id stream. The counts come from that stream (``bincount``), the
:class:`~w2v.vocab.Vocabulary` is built from the counts, and :meth:`RawScan.encode` maps provisional
ids to vocabulary ids with one array lookup, dropping out-of-vocabulary words but keeping sentence
boundaries. Epochs then run over the int32 array and never see text again.

For file corpora the scan is cached on disk (``cache_dir``, see :mod:`w2v.cache`: one entry per
path and reader options, replaced when a file changes, least recently used entries evicted over
a size cap), so a second run on the same file skips tokenisation. The cached scan holds every
distinct word, so any vocabulary (min_count, max_final_vocab) can be derived from it. Cache
entries take 4 bytes per corpus word.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numba import njit

from . import corpus as corpus_mod
from .cache import DiskCache, default_cache_dir  # noqa: F401  (still importable from here)
from .tokenize import Tokenizer

#: corpora up to this many words are counted and encoded with numpy instead of numba loops: the
#: same result without loading cached machine code (~25 ms of CPU each in a fresh process)
SMALL_CORPUS = 1 << 20
from .vocab import Vocabulary

BATCH_TOKENS = 1 << 20


@dataclass
class EncodedCorpus:
    """Vocabulary ids of a corpus: ``ids[offsets[s]:offsets[s + 1]]`` is sentence ``s``."""

    ids: np.ndarray       # int32, out-of-vocabulary words removed
    offsets: np.ndarray   # int64, len = sentences + 1
    raw_words: int        # tokens read, in or out of the vocabulary

    @property
    def n_words(self) -> int:
        return int(len(self.ids))

    @property
    def n_sentences(self) -> int:
        return int(len(self.offsets) - 1)


@dataclass
class RawScan:
    """The corpus as provisional ids over every distinct word (before any min_count)."""

    words: list[str]
    ids: np.ndarray       # int32 provisional ids, first-seen order
    offsets: np.ndarray   # int64 sentence offsets into ids

    def counts(self) -> np.ndarray:
        """Count of each word in ``words``."""
        if len(self.ids) <= SMALL_CORPUS:
            return np.bincount(self.ids, minlength=len(self.words)).astype(np.int64)
        return _count_ids(self.ids, len(self.words))

    def encode(self, vocab: Vocabulary, consume: bool = False, kept: np.ndarray | None = None) -> EncodedCorpus:
        """Map provisional ids to ``vocab`` ids, dropping words the vocabulary lacks.

        ``consume=True`` writes the result over this scan's own id array when it can (a fresh
        scan, not a read-only cached one), so the corpus is not held twice at the peak; the scan
        is unusable afterwards. ``kept`` (from :meth:`Vocabulary.from_counts` on this scan's
        words) gives the mapping without a dictionary lookup per distinct word.
        """
        lookup = np.full(len(self.words), -1, dtype=np.int32)
        if kept is not None:
            lookup[kept] = np.arange(len(kept), dtype=np.int32)
        else:
            index = vocab.word_to_id
            for i, w in enumerate(self.words):
                lookup[i] = index.get(w, -1)
        in_place = consume and self.ids.flags.writeable and not isinstance(self.ids, np.memmap)
        return _apply_lookup(lookup, self.ids, self.offsets, out=self.ids if in_place else None)


def _apply_lookup(lookup: np.ndarray, ids: np.ndarray, offsets: np.ndarray, out=None) -> EncodedCorpus:
    """Translate ids through ``lookup`` (-1 = drop) and recompute sentence offsets to match.

    ``out`` may be ``ids`` itself: each output position is at or before its input position.
    """
    raw_words = int(len(ids))
    if out is None:
        out = np.empty(len(ids), dtype=np.int32)
    new_offsets = np.empty_like(offsets)
    if len(ids) <= SMALL_CORPUS:
        n = _remap_small(lookup, ids, offsets, out, new_offsets)
    else:
        n = _remap(lookup, ids, offsets, out, new_offsets)
    return EncodedCorpus(out[:n].copy() if n < len(ids) // 2 else out[:n], new_offsets, raw_words)


def _remap_small(lookup, ids, offsets, out, new_offsets):
    """:func:`_remap` in numpy, for corpora of up to SMALL_CORPUS words (it needs ~13 bytes of
    temporaries per word, the numba loop none, but it loads no machine code)."""
    mapped = lookup[ids]
    keep = mapped >= 0
    n = int(keep.sum())
    out[:n] = mapped[keep]
    before = np.concatenate(([0], np.cumsum(keep, dtype=np.int64)))
    new_offsets[:] = before[offsets]
    return n


@njit(cache=True, nogil=True)
def _remap(lookup, ids, offsets, out, new_offsets):
    """One pass: out = lookup[ids] without the -1s, new_offsets = where each sentence now starts."""
    n = 0
    for s in range(len(offsets) - 1):
        new_offsets[s] = n
        for k in range(offsets[s], offsets[s + 1]):
            v = lookup[ids[k]]
            if v >= 0:
                out[n] = v
                n += 1
    new_offsets[len(offsets) - 1] = n
    return n


@njit(cache=True, nogil=True)
def _count_ids(ids, n):
    counts = np.zeros(n, dtype=np.int64)
    for i in ids:
        counts[i] += 1
    return counts


class _GrowingIndex(dict):
    """word -> id that assigns the next id to an unseen word.

    Tokens may be any hashable key, as in gensim (str, int node ids of graph walks, ...);
    an unhashable one fails in the lookup itself and :func:`_map_batch` names it.
    """

    def __missing__(self, word):
        i = self[word] = len(self)
        return i


class _FixedIndex(dict):
    """word -> id that answers -1 for an unknown word."""

    def __missing__(self, word):
        return -1


def _encode_sentences(sentences, index: dict) -> tuple[np.ndarray, np.ndarray]:
    """Map every token through ``index`` in batches of ~1M tokens; return (ids, offsets).

    Batching keeps the per-token work inside C (``map`` over ``dict.__getitem__`` feeding
    ``np.fromiter``) whatever the sentence lengths are.
    """
    parts, lengths = [], [0]
    batch: list = []
    lookup = index.__getitem__
    for sentence in sentences:
        batch.extend(sentence)
        lengths.append(len(sentence))
        if len(batch) >= BATCH_TOKENS:
            parts.append(_map_batch(lookup, batch))
            batch = []
    if batch:
        parts.append(_map_batch(lookup, batch))
    ids = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
    return ids, np.cumsum(np.asarray(lengths, dtype=np.int64))


def _map_batch(lookup, batch: list) -> np.ndarray:
    try:
        return np.fromiter(map(lookup, batch), dtype=np.int32, count=len(batch))
    except TypeError as e:
        if "unhashable" in str(e):
            bad = next(t for t in batch if not _hashable(t))
            raise corpus_mod.bad_token(bad) from None
        raise


def _hashable(token) -> bool:
    try:
        hash(token)
    except TypeError:
        return False
    return True


def scan(corpus, max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH, errors: str = "strict",
         cache_dir=None, threads: int = 1) -> RawScan:
    """Tokenise ``corpus`` once into a :class:`RawScan`, from the disk cache when it is fresh.

    File corpora are tokenised by up to ``threads`` threads (same result as one). ``cache_dir``
    is None (the default cache), False (none), a directory or a :class:`~w2v.cache.DiskCache`.
    """
    if hasattr(corpus, "raw_scan"):  # a phrased corpus (w2v.phrases) scans itself, as ids
        return corpus.raw_scan(max_sentence_length)
    cache = DiskCache.from_arg(cache_dir) if corpus_mod.is_path_corpus(corpus) else None
    key = None
    if cache is not None:
        key = cache.key(corpus, {"max_sentence_length": max_sentence_length, "errors": errors})
        cached = cache.load(key)  # stamps are taken before reading, so a file changed meanwhile is rescanned
        if cached is not None:
            return RawScan(*cached)
    if corpus_mod.is_path_corpus(corpus) and errors == "strict":
        result = _scan_files(corpus_mod.corpus_files(corpus), max_sentence_length, threads)
    else:
        index = _GrowingIndex()
        ids, offsets = _encode_sentences(
            corpus_mod.iter_sentences(corpus, max_sentence_length, errors), index)
        result = RawScan(list(index), ids, offsets)
    if len(result.ids) == 0:
        raise corpus_mod.EmptyCorpusError(_empty_message(corpus))
    if cache is not None:
        cache.store(key, result.words, result.ids, result.offsets)
    return result


def _scan_files(files, max_sentence_length: int, threads: int = 1) -> RawScan:
    """The numba byte tokeniser over every file (same output as the Python path, ~5x faster).

    With ``threads`` > 1 the corpus is cut into that many consecutive pieces of about equal size
    (plain files at whitespace, compressed ones whole), each tokenised by its own thread (the
    tokeniser releases the GIL), and the pieces are absorbed in order: the result is the same
    as one thread's, word order and sentence boundaries included (a test checks it).
    """
    pieces = plan_pieces(files, threads)
    if len(pieces) == 1:
        tokenizers = [_tokenize_piece(pieces[0], max_sentence_length)]
    else:
        with ThreadPoolExecutor(len(pieces), thread_name_prefix="w2v-scan") as pool:
            tokenizers = list(pool.map(lambda piece: _tokenize_piece(piece, max_sentence_length), pieces))
    first = tokenizers[0]
    for k in range(1, len(tokenizers)):
        first.absorb(tokenizers[k])
        tokenizers[k] = None  # free each piece's ids once they are copied
    return RawScan(*first.result())


#: below this many bytes a corpus is scanned by one thread (starting threads would cost more)
PARALLEL_SCAN_BYTES = 8 << 20


def plan_pieces(files, threads: int) -> list[list[tuple]]:
    """Cut the files, in order, into up to ``threads`` consecutive pieces of similar byte size.

    A piece is a list of ``(path, start, end, ends_file)`` ranges; ``end`` None means to the end
    of the file. Plain files are cut right after a whitespace byte near the ideal place;
    compressed files can only be read from their start, so a cut falling inside one moves to
    its end.
    """
    sizes = [p.stat().st_size for p in files]
    total = sum(sizes)
    if threads <= 1 or total < PARALLEL_SCAN_BYTES:
        return [[(p, 0, None, True) for p in files]]
    targets = [total * k // threads for k in range(1, threads)]
    pieces, offset = [[]], 0
    for path, size in zip(files, sizes):
        start, cut_after = 0, False
        while targets and targets[0] < offset + size:  # a cut falls inside this file
            target = targets.pop(0)
            cut = None if corpus_mod.is_compressed(path) else corpus_mod.whitespace_cut(path, target - offset)
            if cut is not None and start < cut < size:
                pieces[-1].append((path, start, cut, False))
                pieces.append([])
                start = cut
            else:
                cut_after = True
        pieces[-1].append((path, start, None, True))
        offset += size
        while targets and targets[0] <= offset:  # a cut at this file's end
            targets.pop(0)
            cut_after = True
        if cut_after:
            pieces.append([])
    return [piece for piece in pieces if piece]


def _tokenize_piece(piece, max_sentence_length: int) -> Tokenizer:
    tokenizer = Tokenizer(max_sentence_length)
    for path, start, end, ends_file in piece:
        for block in corpus_mod.validated_blocks(path, start, end):
            tokenizer.feed(block)
        if ends_file:
            tokenizer.end_document()
    return tokenizer


def encode_with_vocab(corpus, vocab: Vocabulary,
                      max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH,
                      errors: str = "strict") -> EncodedCorpus:
    """Encode ``corpus`` against a fixed vocabulary (continued training, ``-read-vocab``)."""
    index = _FixedIndex(vocab.word_to_id)
    ids, offsets = _encode_sentences(
        corpus_mod.iter_sentences(corpus, max_sentence_length, errors), index)
    if len(ids) == 0:
        raise corpus_mod.EmptyCorpusError(_empty_message(corpus))
    if (ids >= 0).all():
        return EncodedCorpus(ids, offsets, len(ids))
    # ids are already vocabulary ids; -1 (unknown) indexes the appended last slot, which drops it
    lookup = np.append(np.arange(len(vocab), dtype=np.int32), np.int32(-1))
    return _apply_lookup(lookup, ids, offsets)


def _empty_message(corpus) -> str:
    if corpus_mod.is_one_shot(corpus):
        return ("corpus yielded no tokens: it is a one-shot iterator (a generator?) that was already "
                "consumed; pass a list or a restartable iterable, or a file path")
    return f"corpus {corpus!r:.80} contains no tokens"
