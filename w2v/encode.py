"""Encoded corpus: the text read once and turned into int32 word ids with sentence offsets.

Reading text is the slow part of a word2vec run outside the kernels, so w2v reads it once:
:func:`scan` tokenises the corpus a single time, giving every distinct word a provisional id in
first-seen order and recording the id stream. The counts come from that stream (``bincount``), the
:class:`~w2v.vocab.Vocabulary` is built from the counts, and :meth:`RawScan.encode` maps provisional
ids to vocabulary ids with one array lookup, dropping out-of-vocabulary words but keeping sentence
boundaries. Epochs then run over the int32 ids and never see text again.

The ids live in :class:`~w2v.idstore.IdStream` s: in memory up to
:data:`~w2v.idstore.SPILL_AFTER` words, beyond that in an unlinked spill file (``spill_dir``)
that is written block by block during the scan, encoded block by block, and read a chunk at a
time by the training threads. So the memory a run needs does not grow with the corpus: the
vocabulary tables, per-thread buffers and one block of ids at each step.

For file corpora the scan is cached on disk (``cache_dir``, see :mod:`w2v.cache`: one entry per
path and reader options, replaced when a file changes, least recently used entries evicted over
a size cap), so a second run on the same file skips tokenisation. The cached scan holds every
distinct word, so any vocabulary (min_count, max_final_vocab) can be derived from it. Cache
entries take 4 bytes per corpus word.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np
from numba import njit

from . import corpus as corpus_mod
from .cache import DiskCache, default_cache_dir  # noqa: F401  (still importable from here)
from .idstore import READ_BLOCK, IdStream, StreamWriter, count_ids, dropped_on_error, spill_directory
from .token_lists import TokenListIds
from .tokenize import Tokenizer
from .vocab import Vocabulary
from .word_index import WordIndex

#: corpora up to this many words are counted and encoded with numpy instead of numba loops: the
#: same result without loading cached machine code (~25 ms of CPU each in a fresh process)
SMALL_CORPUS = 1 << 20

BATCH_TOKENS = 1 << 20


class SentenceStreams:
    """Sentences as two streams: int32 ids and int64 offsets, ``ids[offsets[s]:offsets[s + 1]]``
    being sentence ``s``; each an :class:`~w2v.idstore.IdStream` (in memory, or in a spill or cache
    file). ``ids`` and ``offsets`` give the whole arrays, read into memory when on disk: for small
    corpora, tests and inspection, never for a corpus of unknown size."""

    def __init__(self, ids, offsets):
        self.id_stream = IdStream.of(ids, np.int32)
        self.offset_stream = IdStream.of(offsets, np.int64)  # len = sentences + 1

    @property
    def ids(self) -> np.ndarray:
        return self.id_stream.to_array()

    @property
    def offsets(self) -> np.ndarray:
        return self.offset_stream.to_array()

    @property
    def n_sentences(self) -> int:
        return len(self.offset_stream) - 1

    @property
    def in_memory(self) -> bool:
        return self.id_stream.in_memory and self.offset_stream.in_memory

    def close(self) -> None:
        """Free the spill files now (they are freed anyway when the streams are collected)."""
        self.id_stream.close()
        self.offset_stream.close()


class EncodedCorpus(SentenceStreams):
    """Vocabulary ids of a corpus (out-of-vocabulary words removed), sentence by sentence.

    Training reads a chunk of sentences at a time (:meth:`sentences`), so a corpus on disk is
    never held whole.
    """

    def __init__(self, ids, offsets, raw_words: int):
        super().__init__(ids, offsets)
        self.raw_words = int(raw_words)  # tokens read, in or out of the vocabulary

    @property
    def n_words(self) -> int:
        return len(self.id_stream)

    def sentences(self, begin: int, end: int, buffers: SentenceBuffers) -> tuple[np.ndarray, np.ndarray, int, int]:
        """``(ids, offsets, b, e)`` such that sentences ``b..e`` of the returned arrays are this
        corpus's sentences ``begin..end``: the whole arrays when in memory, else the chunk read
        into ``buffers`` (its offsets rebased to 0)."""
        if self.in_memory:
            return self.id_stream.array, self.offset_stream.array, begin, end
        offsets = self.offset_stream.read(begin, end + 1, buffers.offsets_for(end - begin + 1))
        first = int(offsets[0])
        ids = self.id_stream.read(first, int(offsets[-1]), buffers.ids_for(int(offsets[-1]) - first))
        offsets -= first
        return ids, offsets, 0, end - begin

    def words_between(self, begin: int, end: int) -> int:
        """In-vocabulary words of sentences [begin, end)."""
        return self.offset_stream.item(end) - self.offset_stream.item(begin)

    def longest_sentence(self) -> int:
        """Words in the longest sentence (at least 1), read through the offsets block by block."""
        longest, last = 1, None
        for block in self.offset_stream.blocks():
            if last is not None:
                longest = max(longest, int(block[0] - last))
            if len(block) > 1:
                longest = max(longest, int(np.diff(block).max()))
            last = int(block[-1])
        return longest

    def sentence_cuts(self, every: int) -> np.ndarray:
        """For each multiple t of ``every`` below the word total, the first sentence whose start
        offset is >= t (``np.searchsorted(offsets, t)``), found block by block."""
        total = int(self.n_words)
        targets = np.arange(every, total, every, dtype=np.int64)
        cuts, base, done = [], 0, 0
        for block in self.offset_stream.blocks():
            upto = int(np.searchsorted(targets, block[-1], side="right"))  # targets <= block's last
            if upto > done:
                cuts.append(np.searchsorted(block, targets[done:upto], side="left") + base)
                done = upto
            base += len(block)
        return np.concatenate(cuts) if cuts else np.zeros(0, np.int64)

    def digest_blocks(self):
        """The ids then the offsets, block by block (for a content digest or a copy)."""
        yield from self.id_stream.blocks()
        yield from self.offset_stream.blocks()

class SentenceBuffers:
    """One reader's buffers for :meth:`EncodedCorpus.sentences`, grown to the largest chunk read."""

    def __init__(self):
        self.ids = np.zeros(0, np.int32)
        self.offsets = np.zeros(0, np.int64)

    def ids_for(self, n: int) -> np.ndarray:
        if len(self.ids) < n:
            self.ids = np.empty(n, np.int32)
        return self.ids

    def offsets_for(self, n: int) -> np.ndarray:
        if len(self.offsets) < n:
            self.offsets = np.empty(n, np.int64)
        return self.offsets


class RawScan(SentenceStreams):
    """The corpus as provisional ids over every distinct word (before any min_count), first-seen
    order; ``counts`` (each word's count) is computed from the ids when not given."""

    def __init__(self, words: list, ids, offsets, counts: np.ndarray | None = None, spill_dir=None):
        super().__init__(ids, offsets)
        self.words = words
        self._counts = counts
        self.spill_dir = spill_dir

    @property
    def n_tokens(self) -> int:
        return len(self.id_stream)

    def counts(self) -> np.ndarray:
        """Count of each word in ``words``."""
        if self._counts is None:
            n = len(self.words)
            if self.id_stream.in_memory and len(self.id_stream) <= SMALL_CORPUS:
                self._counts = np.bincount(self.id_stream.array, minlength=n).astype(np.int64)
            else:
                self._counts = np.zeros(n, np.int64)
                for block in self.id_stream.blocks():
                    if not count_ids(self._counts, block):
                        raise ValueError(f"{self.id_stream.name}: a word id outside the scan's {n} words")
        return self._counts

    def encode(self, vocab: Vocabulary, consume: bool = False, kept: np.ndarray | None = None) -> EncodedCorpus:
        """Map provisional ids to ``vocab`` ids, dropping words the vocabulary lacks.

        ``consume=True`` frees this scan's ids as soon as they are encoded (a spill file's space,
        or the array, which a small in-memory scan overwrites in place); the scan is unusable
        afterwards. ``kept`` (from :meth:`Vocabulary.from_counts` on this scan's words) gives the
        mapping without a dictionary lookup per distinct word.
        """
        lookup = np.full(len(self.words), -1, dtype=np.int32)
        if kept is not None:
            lookup[kept] = np.arange(len(kept), dtype=np.int32)
        else:
            index = vocab.word_to_id
            for i, w in enumerate(self.words):
                lookup[i] = index.get(w, -1)
        ids, offsets = self.id_stream, self.offset_stream
        if ids.in_memory and offsets.in_memory and len(ids) <= SMALL_CORPUS:
            array = ids.array
            in_place = consume and array.flags.writeable and not isinstance(array, np.memmap)
            return _apply_lookup(lookup, array, offsets.array, out=array if in_place else None)
        encoded = _remap_streams(lookup, ids, offsets, self.spill_dir)
        if consume:
            ids.close()
            offsets.close()
        return encoded


def _remap_streams(lookup: np.ndarray, ids: IdStream, offsets: IdStream, spill_dir) -> EncodedCorpus:
    """:func:`_apply_lookup` over streams: a group of whole sentences (about READ_BLOCK ids) at a
    time, written to new streams, so neither side is ever held whole."""
    id_out, end_out = StreamWriter(np.int32, spill_dir), StreamWriter(np.int64, spill_dir)
    with dropped_on_error(id_out, end_out):
        end_out.append(np.zeros(1, np.int64))
        kept_words = 0
        id_buf, out = np.empty(READ_BLOCK, np.int32), np.empty(READ_BLOCK, np.int32)
        for block in _offset_blocks(offsets):
            s = 0
            while s < len(block) - 1:
                # whole sentences of about READ_BLOCK ids (at least one, however long)
                e = max(s + 1, int(np.searchsorted(block, block[s] + READ_BLOCK, side="right")) - 1)
                e = min(e, len(block) - 1)
                count = int(block[e] - block[s])
                if count > len(id_buf):
                    id_buf, out = np.empty(count, np.int32), np.empty(count, np.int32)
                chunk = ids.read(int(block[s]), int(block[e]), id_buf)
                new_ends = np.empty(e - s + 1, np.int64)
                n = _remap(lookup, chunk, block[s:e + 1] - block[s], out, new_ends)
                id_out.append(out[:n])
                end_out.append(new_ends[1:] + kept_words)
                kept_words += n
                s = e
        return EncodedCorpus(id_out.finish(), end_out.finish(), len(ids))


def _offset_blocks(offsets: IdStream):
    """Consecutive offset blocks that overlap by one item, so that each block's sentences are
    whole: block k's last offset is block k+1's first."""
    n = len(offsets)
    for first in range(0, max(1, n - 1), READ_BLOCK):
        yield offsets.read(first, min(n, first + READ_BLOCK + 1)).copy()


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


def _encode_sentences(sentences, index: WordIndex, spill_dir=None) -> tuple[IdStream, IdStream]:
    """Map every token through ``index`` (new words get the next ids) in batches of ~1M tokens;
    return (ids, offsets) streams.

    Batching keeps the per-token work out of Python bytecode whatever the sentence lengths are
    (:class:`~w2v.token_lists.TokenListIds`: str tokens through the byte tokeniser, others by
    dict lookups in C); the batches go to stream writers, so a long iterable corpus spills to
    disk like a file corpus.
    """
    id_out, end_out = StreamWriter(np.int32, spill_dir), StreamWriter(np.int64, spill_dir)
    with dropped_on_error(id_out, end_out):
        end_out.append(np.zeros(1, np.int64))
        batch: list = []
        lengths: list = []
        done = 0
        lookup = TokenListIds(index)
        for sentence in sentences:
            batch.extend(sentence)
            lengths.append(len(sentence))
            if len(batch) >= BATCH_TOKENS:
                done = _write_batch(lookup, batch, lengths, done, id_out, end_out)
                batch, lengths = [], []
        if lengths:
            _write_batch(lookup, batch, lengths, done, id_out, end_out)
        return id_out.finish(), end_out.finish()


def _write_batch(lookup: TokenListIds, batch: list, lengths: list, done: int, id_out, end_out) -> int:
    """Append one batch's ids and sentence ends; return the ids written so far."""
    id_out.append(lookup(batch))
    end_out.append(done + np.cumsum(np.asarray(lengths, dtype=np.int64)))
    return done + len(batch)


def scan(corpus, max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH, errors: str = "strict",
         cache_dir=None, threads: int = 1, spill_dir=None) -> RawScan:
    """Tokenise ``corpus`` once into a :class:`RawScan`, from the disk cache when it is fresh.

    File corpora are tokenised by up to ``threads`` threads (same result as one). ``cache_dir``
    is None (the default cache), False (none), a directory or a :class:`~w2v.cache.DiskCache`.
    ``spill_dir`` is where ids go beyond :data:`w2v.idstore.SPILL_AFTER` words (None: the
    system's temporary directory; see :mod:`w2v.idstore`).
    """
    if hasattr(corpus, "raw_scan"):  # a phrased corpus (w2v.phrases) scans itself, as ids
        return corpus.raw_scan(max_sentence_length)
    if spill_dir is not None:
        spill_directory(spill_dir)  # a bad directory fails before the corpus is read
    cache = DiskCache.from_arg(cache_dir) if corpus_mod.is_path_corpus(corpus) else None
    key = None
    if cache is not None:
        key = cache.key(corpus, {"max_sentence_length": max_sentence_length, "errors": errors})
        cached = cache.load(key)  # stamps are taken before reading, so a file changed meanwhile is rescanned
        if cached is not None:
            return RawScan(*cached, spill_dir=spill_dir)
    if corpus_mod.is_path_corpus(corpus) and errors == "strict":
        result = _scan_files(corpus_mod.corpus_files(corpus), max_sentence_length, threads, spill_dir)
    else:
        index = WordIndex(str_only=False)
        ids, offsets = _encode_sentences(
            corpus_mod.iter_sentences(corpus, max_sentence_length, errors), index, spill_dir)
        result = RawScan(index.words, ids, offsets, spill_dir=spill_dir)
    if result.n_tokens == 0:
        raise corpus_mod.EmptyCorpusError(_empty_message(corpus))
    if cache is not None:
        cache.store(key, result.words, result.id_stream, result.offset_stream)
    return result


def _scan_files(files, max_sentence_length: int, threads: int = 1, spill_dir=None) -> RawScan:
    """The numba byte tokeniser over every file (same output as the Python path, ~5x faster).

    With ``threads`` > 1 the corpus is cut into that many consecutive pieces of about equal size
    (plain files at whitespace, compressed ones whole), each tokenised by its own thread (the
    tokeniser releases the GIL), and the pieces are absorbed in order: the result is the same
    as one thread's, word order and sentence boundaries included (a test checks it). Each piece
    writes its own id stream; on any failure every stream written so far is dropped.
    """
    pieces = plan_pieces(files, threads)
    tokenizers = [Tokenizer(max_sentence_length, spill_dir) for _ in pieces]
    try:
        if len(pieces) == 1:
            _tokenize_piece(tokenizers[0], pieces[0])
        else:
            with ThreadPoolExecutor(len(pieces), thread_name_prefix="w2v-scan") as pool:
                list(pool.map(_tokenize_piece, tokenizers, pieces))
        first = tokenizers[0]
        for k in range(1, len(tokenizers)):
            first.absorb(tokenizers[k])
            tokenizers[k] = None  # free each piece's table once its words are mapped
        words, ids, offsets, counts = first.result()
    except BaseException:
        for tokenizer in tokenizers:
            if tokenizer is not None:
                tokenizer.close()
        raise
    return RawScan(words, ids, offsets, counts, spill_dir=spill_dir)


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


def _tokenize_piece(tokenizer: Tokenizer, piece) -> None:
    for path, start, end, ends_file in piece:
        for block in corpus_mod.validated_blocks(path, start, end):
            tokenizer.feed(block)
        if ends_file:
            tokenizer.end_document()


def encode_with_vocab(corpus, vocab: Vocabulary,
                      max_sentence_length: int = corpus_mod.MAX_SENTENCE_LENGTH,
                      errors: str = "strict", spill_dir=None) -> EncodedCorpus:
    """Encode ``corpus`` against a fixed vocabulary (continued training, ``-read-vocab``)."""
    index = WordIndex(str_only=False)
    ids, offsets = _encode_sentences(
        corpus_mod.iter_sentences(corpus, max_sentence_length, errors), index, spill_dir)
    if len(ids) == 0:
        raise corpus_mod.EmptyCorpusError(_empty_message(corpus))
    # the corpus's own ids to the vocabulary's; -1 (not in it) drops the token
    word_to_id = vocab.word_to_id
    lookup = np.fromiter((word_to_id.get(w, -1) for w in index.words), np.int32, count=len(index.words))
    if ids.in_memory and offsets.in_memory:
        return _apply_lookup(lookup, ids.array, offsets.array)
    encoded = _remap_streams(lookup, ids, offsets, spill_dir)
    ids.close()
    offsets.close()
    return encoded


def _empty_message(corpus) -> str:
    if corpus_mod.is_one_shot(corpus):
        return ("corpus yielded no tokens: it is a one-shot iterator (a generator?) that was already "
                "consumed; pass a list or a restartable iterable, or a file path")
    return f"corpus {corpus!r:.80} contains no tokens"
