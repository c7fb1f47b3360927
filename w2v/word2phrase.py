"""word2phrase.c, file to file: learn bigrams from a text file and write it back with them joined.

This is the tool that made the ``new_york`` tokens of the GoogleNews vectors. Its rules, kept here:

* counting: every word and every consecutive pair of words of the file, across line ends too
  (word2phrase resets its sentence-start flag before testing it, so pairs span lines);
* a word, or a pair, counted fewer than ``min_count`` times is unknown;
* token b joins the token a before it (same line) when a and b and "a_b" are known, a was not
  itself just joined, and ``(count(a_b) - min_count) / count(a) / count(b) * train_words``,
  computed in float32 as word2phrase does, exceeds ``threshold``;
* output: each token preceded by ``' '`` (or ``'_'`` when joined), ``'\\n'`` at each line end.

Pairs are keyed by the pieces of their words split at ``'_'``, so ``a_b`` written in the text and
the pair (a, b) share one count, as in word2phrase's single table of strings. Differences
(documented in the README's phrases section): tokens split at every whitespace character
``str.split`` knows (word2phrase: only space, tab and newline, and it drops ``\\r``); blank lines
are not reproduced; the last token of a file that does not end in whitespace is kept (word2phrase
drops it) and a final ``'\\n'`` written; words are not truncated at 59 bytes; no pruning
(word2phrase prunes only past 350M distinct entries).
"""
from __future__ import annotations

import sys
import time

import numpy as np

from . import corpus as corpus_mod
from . import tokenize
from .fileutil import atomic_write
from .kernels import phrases as K
from .file_blocks import ReadProgress, StreamingTokenizer, in_background, indexed_blocks
from .ngram_table import NgramTable
from .ngrams import kept_blocks
from .size_forecast import SizeForecast
from .word_bytes import WordBytes
from .word_index import WordIndex

NO_SENTENCE_CUT = 1 << 62
#: the first pass keeps the ids of a file up to this many tokens (4 bytes each) for the second,
#: which then need not read and tokenise the text again
KEEP_TOKENS = 1 << 26


def _tokenized_lines(path):
    """(tokeniser ids, line ends, the words first seen in this block, bytes read up to its end)
    per block of the file; ends are positions in this block's ids where a line ends (a line that
    continues into the next block has no end here)."""
    tok = StreamingTokenizer(NO_SENTENCE_CUT)
    known = nbytes = 0

    def take():
        nonlocal known
        n_ids, n_sent = int(tok.state[tokenize.BLOCK_IDS]), int(tok.state[tokenize.BLOCK_SENTENCES])
        ids, ends = tok.ids[:n_ids].copy(), tok.offsets[:n_sent].copy()
        tok.state[tokenize.BLOCK_IDS], tok.state[tokenize.BLOCK_SENTENCES] = 0, 0
        n = int(tok.state[tokenize.WORDS])
        new, known = (tok.new_words(known) if n > known else []), n
        return ids, ends, new, nbytes

    for block in corpus_mod.validated_blocks(path):
        tok.feed(block)
        nbytes += len(block)
        yield take()
    tok.end_document()
    yield take()


def _line_blocks(path, index: WordIndex, progress: ReadProgress | None = None):
    """(ids in ``index``, line ends) per block of the file (see :func:`w2v.file_blocks.indexed_blocks`)."""
    return indexed_blocks(_tokenized_lines(path), index, progress)


def word2phrase(train, output, min_count: int = 5, threshold: float = 100.0, debug: int = 2,
                log=None) -> dict:
    """Run word2phrase on ``train`` (a file or directory, optionally compressed), writing ``output``
    atomically. Returns {'train_words', 'entries', 'joined', 'seconds'}."""
    log = log or (lambda msg: print(msg, file=sys.stderr))
    start = time.perf_counter()
    files = corpus_mod.corpus_files(train)
    index = WordIndex(delimiter="_")
    table = NgramTable(1 << 16)
    prev = -1
    kept: list = []  # the blocks of the first pass, if they fit KEEP_TOKENS
    progress, forecast = ReadProgress(), SizeForecast(1 << 40)  # no pruning: no limit
    progress.expect(files)
    first_pass = (b for path in files for b in _line_blocks(path, index, progress))
    for ids, ends in kept_blocks(first_pass, KEEP_TOKENS, kept):
        table.count_pairs(ids, prev, index.parts_arrays())
        table.reserve_slots(forecast(progress.fraction, len(table)))  # for the file's end, not the next block
        if len(ids):
            prev = int(ids[-1])
    table.finish_pairs(index.parts_arrays())
    train_words = table.words
    if train_words == 0:
        raise corpus_mod.CorpusError(f"training file {str(train)!r} contains no words")
    if debug > 0:  # all distinct words and pairs (word2phrase prints a number its SortVocab skews)
        log(f"Vocab size (unigrams + bigrams): {len(table)}")
        log(f"Words in train file: {train_words}")
    parts = index.parts_arrays()
    counts = table.word_counts(parts)
    pairs = table.subset(K.word2phrase_pairs(len(table), table.entries, counts, min_count, threshold, train_words))
    jfirst = K.phrase_starts(len(index.words), parts[0], parts[2], len(pairs), pairs.entries, pairs.arena)
    carry = np.array([-1, 0], np.int64)
    blocks = kept[0] if kept else (b for path in files for b in _line_blocks(path, index))

    def decided():  # in a thread, a block ahead of the writer: the join decisions (GIL released)
        for ids, ends in blocks:
            joins = np.zeros(len(ids), np.uint8)
            K.word2phrase_joins(ids, ends, carry, counts, *parts, min_count, threshold, train_words,
                                table.slots, table.entries, table.arena, jfirst, pairs.slots, pairs.entries,
                                pairs.arena, joins)
            yield ids, ends, joins

    words, joined = WordBytes(), 0
    with atomic_write(output, "wb") as f:
        for ids, ends, joins in in_background(decided()):
            joined += int(joins.sum())
            if len(words) < len(index.words):
                words.extend(index.words[len(words):])
            # a separator and the word per token, a newline per line end, and 8 bytes of slack
            # (a word's last 8-byte store may reach 7 bytes past its end)
            out = np.empty(int(words.lengths[ids].sum(dtype=np.int64)) + len(ids) + len(ends) + 8, np.uint8)
            n = K.write_word2phrase(ids, ends, joins, words.chunks, words.records, out)
            f.write(out[:n])
    return {"train_words": train_words, "entries": len(table), "joined": joined,
            "seconds": time.perf_counter() - start}
