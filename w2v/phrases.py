"""Phrase detection (collocations such as ``new_york``): gensim 4's ``Phrases`` API, counted in numba.

    from w2v.phrases import Phrases
    bigram = Phrases("corpus.txt")                  # or any iterable of token lists
    trigram = Phrases(bigram[Path("corpus.txt")])   # phrases of phrases
    model = w2v.train(trigram.freeze()[bigram.freeze()[Path("corpus.txt")]], sg=1)

Semantics are gensim's (``gensim.models.phrases``): the same counting (unigrams of non-connector
words, bigrams of consecutive non-connector words with any connector words between them), the
same ``max_vocab_size`` pruning (after a sentence, when the table holds more than
``max_vocab_size`` unigrams + n-grams, every entry counted fewer than ``min_reduce`` times is
dropped and ``min_reduce`` grows by one), the same scorers and the same left-to-right phrase
application. What differs is the machinery: words get integer ids, counts live in a numba hash
table keyed by id sequences (:mod:`w2v.ngrams`), and a corpus is transformed in blocks of about a
million tokens by one kernel call, so no Python code runs per token.

Differences from gensim, all deliberate:

* gensim keys bigrams by the *joined string* ``"a_b"``, so a bigram can collide with a corpus
  token that already contains the delimiter (``"a_b"`` written with an underscore) and their counts
  are added. w2v keys n-grams by word ids, so they never collide; results differ only for corpora
  whose tokens contain the delimiter (``len_vocab`` may then differ by the number of collisions).
* ``phrases[corpus]`` also accepts a ``pathlib.Path`` (a file, directory or compressed file): the
  corpus is then read by w2v's byte tokeniser in ~10,000-word sentences (gensim's
  ``LineSentence``), and the result can be given to :func:`w2v.train` or to another
  ``Phrases`` without ever being held as Python strings. A plain ``str`` keeps gensim's meaning
  (one sentence of characters).
* A model counted from one file (a path or gensim's ``LineSentence`` of it) keeps that file's
  word ids, up to ``ngrams.KEEP_TOKENS`` (32M tokens, 4 bytes each), and its frozen copy shares
  them: applying the phrases to the same unchanged file (same size, modification time, sentence
  cut) then skips reading and tokenising it again. The ids go with the models (they are not saved).
* ``save``/``load`` use w2v's own ``.npz`` format (no pickle). A custom ``scoring`` function is
  saved by name only; pass it again to ``load(path, scoring=...)``. gensim-saved pickles are read
  by :func:`load_gensim`, whose unpickler accepts only the classes a gensim Phrases model holds.
"""
from __future__ import annotations

import inspect
import itertools
import json
import os
from concurrent.futures import ThreadPoolExecutor
from math import log
from pathlib import Path

import numpy as np

from . import corpus as corpus_mod
from .fileutil import atomic_write
from .kernels import phrases as K
from .file_blocks import ReadProgress, in_background
from .ngram_table import NgramTable
from .ngrams import BLOCK_TOKENS, gensim_line_file, id_blocks, joined_blocks, keeping
from .size_forecast import SizeForecast
from .token_lists import TokenListIds, token_ids
from .word_bytes import WordBytes, words_arena
from .word_index import WordIndex

NEGATIVE_INFINITY = float("-inf")
SAVE_FORMAT = 1

ENGLISH_CONNECTOR_WORDS = frozenset(
    " a an the "
    " for of with without at from to in on by "
    " and or "
    .split()
)

SCORING_PARAMS = ("worda_count", "wordb_count", "bigram_count", "len_vocab", "min_count", "corpus_word_count")


def original_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """Mikolov et al.'s score: ``(bigram_count - min_count) / (worda_count * wordb_count) * len_vocab``."""
    denom = worda_count * wordb_count
    if denom == 0:
        return NEGATIVE_INFINITY
    return (bigram_count - min_count) / float(denom) * len_vocab


def npmi_scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """Normalised pointwise mutual information (Bouma 2009), in [-1, 1]; -inf below ``min_count``."""
    if bigram_count >= min_count:
        corpus_word_count = float(corpus_word_count)
        pa = worda_count / corpus_word_count
        pb = wordb_count / corpus_word_count
        pab = bigram_count / corpus_word_count
        try:
            return log(pab / (pa * pb)) / -log(pab)
        except (ValueError, ZeroDivisionError):
            return NEGATIVE_INFINITY
    return NEGATIVE_INFINITY


_BUILTIN_SCORERS = {"default": original_scorer, "npmi": npmi_scorer}
_KERNEL_SCORING = {original_scorer: 0, npmi_scorer: 1}


def _check_scoring(scoring, threshold):
    """gensim's checks, with the offending value named."""
    if isinstance(scoring, str):
        if scoring not in _BUILTIN_SCORERS:
            raise ValueError(f"unknown scoring method string {scoring!r}; use 'default', 'npmi' or a function")
        if scoring == "default" and not threshold > 0:
            raise ValueError(f"threshold should be positive for default scoring, got {threshold!r}")
        if scoring == "npmi" and not -1 <= threshold <= 1:
            raise ValueError(f"threshold should be between -1 and 1 for npmi scoring, got {threshold!r}")
        return _BUILTIN_SCORERS[scoring]
    if not callable(scoring):
        raise TypeError(f"scoring must be 'default', 'npmi' or a function, got {type(scoring).__name__}")
    try:
        params = inspect.signature(scoring).parameters
    except (TypeError, ValueError):
        raise ValueError(f"cannot read the parameters of scoring function {scoring!r}") from None
    names = {n for n, p in params.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    missing = [p for p in SCORING_PARAMS if p not in names]
    if missing:
        raise ValueError(f"scoring function {getattr(scoring, '__name__', scoring)!r} is missing expected "
                         f"parameters {missing}; it must accept {', '.join(SCORING_PARAMS)}")
    return scoring


def _check_delimiter(delimiter):
    if not isinstance(delimiter, str) or not delimiter:
        raise ValueError(f"delimiter must be a non-empty str, got {delimiter!r}")
    return delimiter


def _is_single(obj):
    """gensim's test: a sentence (iterable of str) or a corpus; returns (is_single, same sequence)."""
    obj_iter = iter(obj)
    temp_iter = obj_iter
    try:
        peek = next(obj_iter)
        obj_iter = itertools.chain([peek], obj_iter)
    except StopIteration:
        return True, obj
    if isinstance(peek, str):
        return True, obj_iter
    if temp_iter is obj:
        return False, obj_iter
    return False, obj


class _Compiled:
    """Phrases ready to apply: the word index, connector flags, the phrase table and scores.

    The index grows with the distinct words the phrases are applied to (an unknown token may
    still hold a phrase's pieces, e.g. ``new_york`` before ``city``).
    """

    def __init__(self, index: WordIndex, connector_words, table: NgramTable, scores: np.ndarray,
                 phrases: list[str], threshold: float):
        self.index = index
        self.connector_words = connector_words
        self.is_conn = np.zeros(0, np.bool_)
        self.starts = np.zeros(0, np.bool_)
        self.flags = np.zeros(0, np.uint8)
        self.table, self.scores, self.phrases, self.threshold = table, scores, phrases, float(threshold)
        log_bits = K.pair_filter_bits(len(table))
        self.bits, self.shift = np.empty(1 << (log_bits - 6), np.uint64), 64 - log_bits
        K.pair_filter(len(table), table.entries, self.bits, self.shift)

    def _kernel_args(self, offsets) -> tuple:
        """The phrase kernels' arguments after (ids, offsets): word flags (brought up to date
        with the index), word parts, a key buffer for the longest sentence, the phrase table."""
        parts = self.index.parts_arrays()
        is_conn = self.is_conn = connector_flags(self.index, self.connector_words, self.is_conn)
        t = self.table
        if len(self.flags) != len(self.index.words):  # words whose first part begins a phrase, ...
            self.starts = K.phrase_starts(len(self.index.words), parts[0], parts[2], len(t), t.entries, t.arena)
            self.flags = np.empty(len(self.index.words), np.uint8)
            K.word_flags(is_conn, self.starts, parts[1], self.flags)
        longest = int(np.diff(offsets).max(initial=0))
        buf = np.empty(max(1, longest * int(parts[1].max(initial=1))), np.int32)
        return (self.flags, *parts, buf, self.threshold, self.scores, self.bits, self.shift, t.slots, t.entries,
                t.arena)

    def apply(self, ids, offsets):
        """(codes, number of output tokens, output offsets): see ``kernels.phrases.apply_phrases``."""
        codes = np.empty(len(ids), np.int64)
        out_offsets = np.empty(len(offsets), np.int64)
        n = K.apply_phrases(ids, offsets, *self._kernel_args(offsets), codes, out_offsets)
        if n < 0:  # pragma: no cover - buf is sized for the longest sentence
            raise RuntimeError("phrase key buffer too small")
        return codes, n, out_offsets

    def positions(self, ids, offsets, phrase_ids):
        """(output word ids, output offsets): :meth:`apply` and ``codes_to_ids`` (a phrase as
        ``phrase_ids[entry]``) in one kernel call, so a thread applying the phrases takes the
        GIL back once per block (while the caller builds lists it holds the GIL, and each
        return from a kernel waits up to the 5 ms switch interval for it)."""
        out, out_offsets = K.apply_positions(ids, offsets, *self._kernel_args(offsets), phrase_ids)
        if len(out_offsets) == 0:  # pragma: no cover - buf is sized for the longest sentence
            raise RuntimeError("phrase key buffer too small")
        return out, out_offsets

    def ids_of(self, tokens: list) -> np.ndarray:
        """Ids of tokens (new words join the index)."""
        return token_ids(self.index, tokens)

    def analyze(self, sentence: list):
        """gensim's analyze_sentence for one sentence: (token, score or None) pairs."""
        ids = self.ids_of(sentence)
        codes, n, _ = self.apply(ids, np.array([0, len(ids)], np.int64))
        for c in codes[:n].tolist():
            if c >= 0:
                yield sentence[c], None
            else:
                yield self.phrases[-c - 1], float(self.scores[-c - 1])


def connector_flags(index: WordIndex, connector_words, flags: np.ndarray) -> np.ndarray:
    """``flags`` extended to every word of ``index``: True for connector words."""
    words = index.words
    if len(flags) == len(words):
        return flags
    if not connector_words:
        return np.concatenate([flags, np.zeros(len(words) - len(flags), np.bool_)])
    new = np.fromiter((w in connector_words for w in words[len(flags):]), np.bool_, count=len(words) - len(flags))
    return np.concatenate([flags, new])


class _PhrasesTransformation:
    """What :class:`Phrases` and :class:`FrozenPhrases` share: applying phrases to text."""

    def compiled(self) -> _Compiled:  # pragma: no cover - abstract
        """The phrases as the id tables every application of them uses (built once per model
        state and kept: a model that counts more builds new ones)."""
        raise NotImplementedError

    def analyze_sentence(self, sentence):
        """Yield ``(token, None)`` for tokens left alone and ``(phrase, score)`` for joined ones."""
        yield from self.compiled().analyze(list(sentence))

    def __getitem__(self, sentence):
        """A sentence (list of str) with its phrases joined, or, for a corpus (an iterable of
        sentences, or a ``pathlib.Path``), a restartable :class:`PhrasedCorpus`."""
        if isinstance(sentence, os.PathLike) or isinstance(sentence, PhrasedCorpus):
            return PhrasedCorpus(self, sentence)
        is_single, sentence = _is_single(sentence)
        if not is_single:
            return PhrasedCorpus(self, sentence)
        return [token for token, _ in self.analyze_sentence(sentence)]

    def find_phrases(self, sentences) -> dict:
        """Every distinct phrase that forms in ``sentences``, with its score (first-seen order)."""
        compiled = self.compiled()
        result: dict[str, float] = {}
        for ids, offsets in id_blocks(_source(sentences), compiled.index, kept=_kept(self)):
            codes, n, _ = compiled.apply(ids, offsets)
            neg = codes[:n][codes[:n] < 0]
            uniq, first = np.unique(neg, return_index=True)
            for c in uniq[np.argsort(first)].tolist():
                result.setdefault(compiled.phrases[-c - 1], float(compiled.scores[-c - 1]))
        return result

    def save_phrased(self, corpus, path) -> int:
        """Write ``self[corpus]`` to ``path`` as text, one sentence per line, tokens joined by
        spaces (what gensim's ``LineSentence`` reads back); atomic. Returns the tokens written."""
        return PhrasedCorpus(self, _source(corpus)).save(path)

    @classmethod
    def load(cls, path, scoring=None):
        """Load a model saved by :meth:`save` (``scoring``: the custom scoring function, if any)."""
        model = load(path, scoring=scoring)
        if not isinstance(model, cls):
            raise TypeError(f"{str(path)!r} holds a {type(model).__name__}, not a {cls.__name__}")
        return model


def _kept(model):
    """The file ids a model kept from counting (models loaded from disk have none)."""
    return getattr(model, "_kept", None)


def _source(corpus):
    """A str path given where a corpus is expected (find_phrases, save_phrased) means the file."""
    return Path(corpus) if isinstance(corpus, str) else corpus


class Phrases(_PhrasesTransformation):
    """Detect phrases from collocation counts (gensim 4's ``Phrases``, same parameters in the same order).

    ``sentences`` may be an iterable of token lists, a path (file, directory, ``.gz``/``.bz2``/
    ``.xz``; read in ``max_sentence_length``-word sentences like gensim's ``LineSentence``) or a
    phrased corpus (``other_phrases[corpus]``). ``progress_per`` is accepted for compatibility
    (counting runs in blocks, not sentence by sentence, so there is no per-sentence log).
    """

    def __init__(self, sentences=None, min_count=5, threshold=10.0, max_vocab_size=40000000, delimiter="_",
                 progress_per=10000, scoring="default", connector_words=frozenset(), *,
                 max_sentence_length=corpus_mod.MAX_SENTENCE_LENGTH):
        if not isinstance(min_count, (int, np.integer)) or min_count <= 0:
            raise ValueError(f"min_count should be at least 1, got {min_count!r}")
        if not isinstance(max_vocab_size, (int, np.integer)) or max_vocab_size < 1:
            raise ValueError(f"max_vocab_size should be a positive int, got {max_vocab_size!r}")
        self.scoring = _check_scoring(scoring, threshold)
        self.min_count, self.threshold, self.max_vocab_size = int(min_count), threshold, int(max_vocab_size)
        self.delimiter = _check_delimiter(delimiter)
        self.progress_per = progress_per
        self.connector_words = frozenset(connector_words)
        self.max_sentence_length = max_sentence_length
        self._index = WordIndex(sorted(self.connector_words), self.delimiter)  # connectors: never counted
        self._table = NgramTable()
        self._cache = None
        self._kept = None  # the ids of the last file counted (ngrams.KeptIds), or None
        if sentences is not None:
            self.add_vocab(sentences)

    def __str__(self):
        return (f"{type(self).__name__}<{len(self._table)} vocab, min_count={self.min_count}, "
                f"threshold={self.threshold}, max_vocab_size={self.max_vocab_size}>")

    __repr__ = __str__

    # ---- counting ---------------------------------------------------------------------------

    @property
    def corpus_word_count(self) -> int:
        return self._table.words

    @property
    def word_index(self) -> WordIndex:
        """The words the counts refer to by id (connector words first, never counted)."""
        return self._index

    @property
    def min_reduce(self) -> int:
        return self._table.min_reduce

    def _learn(self, sentences) -> NgramTable:
        table = NgramTable(1 << 16)
        is_conn = np.zeros(0, np.bool_)
        kept: list = []
        progress, forecast = ReadProgress(), SizeForecast(self.max_vocab_size)
        for ids, offsets in keeping(sentences, self._index, self.max_sentence_length, kept, progress):
            parts = self._index.parts_arrays()
            is_conn = connector_flags(self._index, self.connector_words, is_conn)
            table.count_sentences(ids, offsets, is_conn, parts, self.max_vocab_size, settle=False)
            table.reserve_slots(forecast(progress.fraction, len(table)))  # for the file's end, not the next block
        table.settle()
        if kept:  # a file's ids, for applying the phrases to it (see ngrams.KeptIds)
            self._kept = kept[0]
        return table

    def add_vocab(self, sentences) -> None:
        """Count ``sentences`` into the model (gensim's merge: the new counts are collected with
        their own pruning, added, and the sum pruned once if it is over ``max_vocab_size``)."""
        new = self._learn(sentences)
        if new.words == 0:
            raise corpus_mod.CorpusError(f"corpus {sentences!r:.80} contains no tokens")
        self._cache = None
        if len(self._table) == 0 and self._table.words == 0:
            self._table = new
            return
        words = self._table.words + new.words
        min_reduce = max(self._table.min_reduce, new.min_reduce)
        self._table.merge(new)
        self._table.state[K.WORDS] = words
        self._table.state[K.MIN_REDUCE] = min_reduce
        if len(self._table) > self.max_vocab_size:
            self._table.prune(min_reduce)
            self._table.state[K.MIN_REDUCE] = min_reduce + 1

    @property
    def vocab(self) -> dict:
        """gensim's ``vocab``: {unigram or delimiter-joined n-gram: count}. Built on request (slow
        for large tables; counting itself never makes these strings)."""
        t, words, d = self._table, self._index.words, self.delimiter
        return {d.join([words[i] for i in t.key(e).tolist()]): int(t.ecount[e]) for e in range(len(t))}

    def _key_string(self, e: int) -> str:
        return self.delimiter.join([self._index.words[i] for i in self._table.key(e).tolist()])

    # ---- scoring ----------------------------------------------------------------------------

    def _phrase_scores(self):
        """(entries scoring above ``threshold``, their scores), in table (first-seen) order;
        unigrams and n-grams with an uncounted end word never score."""
        t = self._table
        n = len(t)
        counts = t.word_counts(self._index.parts_arrays())
        code = _KERNEL_SCORING.get(self.scoring)
        if code is not None:
            return _scored_in_halves(t, counts, code, self.min_count, float(self.threshold))
        keep, scores = [], []
        keys = t.entries[:n, 0]
        for e in np.flatnonzero((keys < 0) | (keys & 0xFFFFFFFF != 0)).tolist():  # keys of 2+ ids
            key = t.key(e)
            ca, cb = int(counts[key[0]]), int(counts[key[-1]])
            if ca > 0 and cb > 0:
                score = self.scoring(worda_count=ca, wordb_count=cb, bigram_count=int(t.ecount[e]),
                                     len_vocab=n, min_count=self.min_count, corpus_word_count=t.words)
                if score > self.threshold:
                    keep.append(e)
                    scores.append(score)
        return np.asarray(keep, np.int64), np.asarray(scores, np.float64)

    def _phrase_entries(self):
        """(entries that are phrases, their scores, their strings), in table (first-seen) order."""
        keep, scores = self._phrase_scores()
        return keep, scores, self._table.key_strings(keep, self._index.words, self.delimiter)

    def export_phrases(self) -> dict:
        """{phrase: score} of every n-gram whose score is above ``threshold``."""
        _, scores, strings = self._phrase_entries()
        return dict(zip(strings, scores.tolist()))

    def compiled(self) -> _Compiled:
        if self._cache is None:
            keep, scores, strings = self._phrase_entries()
            self._cache = _Compiled(self._index, self.connector_words, self._table.subset(keep), scores,
                                    strings, self.threshold)
        return self._cache

    def score_candidate(self, word_a, word_b, in_between):
        """gensim's: (joined phrase, score) if ``word_a in_between... word_b`` is a phrase, else (None, None)."""
        compiled = self.compiled()
        ids = compiled.ids_of([word_a, *in_between, word_b])
        start, length, parts = self._index.parts_arrays()
        key = np.concatenate([parts[start[w]:start[w] + length[w]] for w in ids.tolist()])
        e = compiled.table.lookup(key)
        if e < 0 or not compiled.scores[e] > self.threshold:
            return None, None
        return compiled.phrases[e], float(compiled.scores[e])

    def freeze(self) -> FrozenPhrases:
        """The phrases alone (smaller, faster to load; no more counting)."""
        return FrozenPhrases(self)

    def save(self, path) -> None:
        """Save to ``path`` (w2v's ``.npz`` format, no pickle; written atomically)."""
        meta = _settings(self)
        meta["max_vocab_size"] = self.max_vocab_size
        meta["max_sentence_length"] = self.max_sentence_length
        arrays = {f"table_{k}": v for k, v in self._table.compact_state().items()}
        _save(path, "Phrases", meta, self._index.words, arrays)

    @classmethod
    def restored(cls, settings: dict, scoring, index: WordIndex, table: NgramTable) -> Phrases:
        """A model from the parts :meth:`save` wrote: its ``settings`` (the file's meta, checked
        by :func:`load`), the ``scoring`` function, the word index and the count table."""
        model = cls.__new__(cls)
        model.scoring, model.min_count, model.threshold = scoring, settings["min_count"], settings["threshold"]
        model.max_vocab_size, model.delimiter = settings["max_vocab_size"], settings["delimiter"]
        model.progress_per, model.connector_words = settings["progress_per"], frozenset(settings["connector_words"])
        model.max_sentence_length = settings["max_sentence_length"]
        model._index, model._table, model._cache, model._kept = index, table, None, None
        return model


def _settings(model) -> dict:
    """The settings a saved :class:`Phrases` or :class:`FrozenPhrases` keeps (its file's meta)."""
    name = next((k for k, v in _BUILTIN_SCORERS.items() if v is model.scoring), None)
    return {"min_count": model.min_count, "threshold": model.threshold, "delimiter": model.delimiter,
            "connector_words": sorted(model.connector_words), "scoring": name,
            "scoring_name": getattr(model.scoring, "__qualname__", repr(model.scoring)),
            "progress_per": getattr(model, "progress_per", 10000)}


class FrozenPhrases(_PhrasesTransformation):
    """The phrases of a trained :class:`Phrases`, without the counts (gensim's ``FrozenPhrases``).

    ``phrasegrams`` is gensim's {phrase: score} dict (for reading: the compiled id tables every
    ``frozen[...]`` call uses are built from the model once, so editing the dict changes nothing
    but ``score_candidate``; changing ``threshold`` does apply).
    """

    def __init__(self, phrases_model: Phrases):
        self.threshold = phrases_model.threshold
        self.min_count = phrases_model.min_count
        self.delimiter = phrases_model.delimiter
        self.scoring = phrases_model.scoring
        self.connector_words = phrases_model.connector_words
        self._kept = getattr(phrases_model, "_kept", None)  # shared: same word ids (the index is copied)
        compiled = phrases_model.compiled()
        # the model's word index comes along (a copy): applying to the text it learned from then
        # meets no new word; save() keeps only the words the phrases use. The phrase table is
        # shared (nothing writes to it: a model that counts more builds a new one)
        self._compiled_phrases = _Compiled(phrases_model.word_index.copy(), self.connector_words, compiled.table,
                                           compiled.scores, list(compiled.phrases), self.threshold)
        self.phrasegrams = dict(zip(compiled.phrases, compiled.scores.tolist()))

    @classmethod
    def restored(cls, settings: dict, scoring, index: WordIndex, elen, arena, scores, phrases) -> FrozenPhrases:
        """Frozen phrases from the parts :meth:`save` wrote: ``settings`` (the file's meta, checked
        by :func:`load`), the ``scoring`` function, the word index, each phrase's key (``elen``
        lengths, ``arena`` word ids one after another), its score and its string."""
        model = cls.__new__(cls)
        model.scoring, model.min_count, model.threshold = scoring, settings["min_count"], settings["threshold"]
        model.delimiter, model.connector_words = settings["delimiter"], frozenset(settings["connector_words"])
        model._install(index, elen, arena, scores, phrases)
        return model

    def _install(self, index: WordIndex, elen, arena, scores, phrases) -> None:
        table = NgramTable.from_state(elen, np.ones(len(elen), np.int64), arena,
                                      np.array([0, 0, 1, 0, 0], np.int64))
        self._compiled_phrases = _Compiled(index, self.connector_words, table, np.asarray(scores, np.float64),
                                           list(phrases), self.threshold)
        self.phrasegrams = dict(zip(phrases, np.asarray(scores, np.float64).tolist()))

    def __str__(self):
        return (f"{type(self).__name__}<{len(self.phrasegrams)} phrases, min_count={self.min_count}, "
                f"threshold={self.threshold}>")

    __repr__ = __str__

    def compiled(self) -> _Compiled:
        c = self._compiled_phrases
        c.threshold = float(self.threshold)
        return c

    def score_candidate(self, word_a, word_b, in_between):
        phrase = self.delimiter.join([word_a, *in_between, word_b])
        score = self.phrasegrams.get(phrase, NEGATIVE_INFINITY)
        if score > self.threshold:
            return phrase, score
        return None, None

    def save(self, path) -> None:
        """Save to ``path`` (w2v's ``.npz`` format, no pickle; written atomically)."""
        c = self._compiled_phrases
        elen, keys = c.table.flat_keys()
        used = np.unique(keys) if len(keys) else np.zeros(0, np.int32)
        words = c.index.words
        index = WordIndex(sorted(self.connector_words), self.delimiter)
        remap = np.full(len(words), -1, np.int32)
        remap[used] = index.lookup_for([words[i] for i in used.tolist()])
        meta = _settings(self)
        arrays = {"elen": elen, "arena": remap[keys], "scores": c.scores}
        _save(path, "FrozenPhrases", meta, index.words, arrays, phrases=c.phrases)


Phraser = FrozenPhrases  # gensim's old name


class PhrasedCorpus:
    """``phrases[corpus]``: the corpus with phrases joined, read again on every iteration.

    Iterating yields token lists (gensim's API). :func:`w2v.train`, :class:`Phrases` and another
    model's ``[...]`` read it as blocks of ids instead (``output_blocks``), so a file corpus goes
    from bytes to phrased word ids without a Python string per token.
    """

    def __init__(self, model: _PhrasesTransformation, corpus):
        self.model = model
        self.corpus = corpus
        if isinstance(corpus, (str, bytes)):
            raise TypeError("a phrased corpus needs token lists or a pathlib.Path, not a str")
        # gensim's LineSentence of a file: read the file itself (same sentences, no list per sentence)
        self._line_file = gensim_line_file(corpus)

    def __repr__(self):
        return f"PhrasedCorpus({self.model}, {self.corpus!r:.60})"

    def _is_token_lists(self) -> bool:
        return not isinstance(self.corpus, (os.PathLike, PhrasedCorpus)) and self._line_file is None

    def __iter__(self):
        if self._is_token_lists():
            yield from self._iter_lists()
            return
        yield from self._iter_read()

    def _iter_read(self):
        """Token lists of a file (or phrased) source: ids from the kernels, strings only at the end
        (one C-level list build per block: the index's words and the phrases as one pool)."""
        compiled = self.model.compiled()
        index, phrases = compiled.index, compiled.phrases
        max_len = self._line_file[1] if self._line_file else corpus_mod.MAX_SENTENCE_LENGTH
        pool = _object_array([])

        def positions(blocks):  # in a thread: the pool position of every output token
            for ids, offsets in blocks:
                n_words = len(index.words)  # words met in this block have joined the index by now
                phrase_ids = np.arange(n_words, n_words + len(phrases), dtype=np.int32)  # after them in the pool
                where, out_offsets = compiled.positions(ids, offsets, phrase_ids)
                del ids, offsets  # a joined block's copy goes now, not when the next one comes
                yield where, out_offsets, n_words

        # blocks of ~1M tokens: fewer returns from kernels, each a wait for the GIL (see positions)
        blocks = joined_blocks(id_blocks(self.corpus, index, max_len, _kept(self.model)), BLOCK_TOKENS)
        for where, out_offsets, n_words in in_background(positions(blocks)):
            if len(pool) != n_words + len(phrases):  # the index grew: the pool follows
                pool = _object_array(index.words[:n_words] + phrases)
            yield from _split(pool, where, out_offsets)

    def _iter_lists(self):
        """Token lists in, token lists out: the input's own str objects are reused, phrases are
        the model's strings; per block of ~1M tokens one kernel call and C-level list building."""
        compiled = self.model.compiled()
        phrases = compiled.phrases
        flat, lengths = [], [0]
        ids_of = TokenListIds(compiled.index)
        for n, sentence in enumerate(self.corpus):
            if isinstance(sentence, str):
                raise TypeError(f"corpus sentence {n} is a str ({sentence[:40]!r}), expected a list of str tokens")
            flat.extend(sentence)
            lengths.append(len(flat))
            if len(flat) >= (1 << 20):
                yield from _phrased_lists(compiled, ids_of, phrases, flat, lengths)
                flat, lengths = [], [0]
        if len(lengths) > 1:
            yield from _phrased_lists(compiled, ids_of, phrases, flat, lengths)

    def output_blocks(self, max_sentence_length: int):
        """Yield (ids, offsets, words): the phrased corpus as ids into ``words`` (a list that grows)."""
        compiled = self.model.compiled()
        index = compiled.index
        out = WordIndex()
        phrase_ids = out.lookup_for(compiled.phrases)
        word_to_out = np.zeros(0, np.int32)
        source = self.corpus if not isinstance(self.corpus, str) else Path(self.corpus)
        for ids, offsets in id_blocks(source, index, max_sentence_length, _kept(self.model)):
            codes, n, out_offsets = compiled.apply(ids, offsets)
            if len(word_to_out) < len(index.words):
                word_to_out = out.lookup_for(index.words, word_to_out)
            result = np.empty(n, np.int32)
            K.codes_to_ids(codes, n, word_to_out[ids], phrase_ids, result)
            yield result, out_offsets, out.words

    def raw_scan(self, max_sentence_length: int):
        """The phrased corpus as a :class:`w2v.encode.RawScan` (what ``w2v.train`` builds from)."""
        from .encode import RawScan

        parts, offsets, words, total = [], [np.zeros(1, np.int64)], [], 0
        for ids, off, words in self.output_blocks(max_sentence_length):
            parts.append(ids)
            offsets.append(off[1:] + total)
            total += len(ids)
        ids = np.concatenate(parts) if parts else np.zeros(0, np.int32)
        offsets = _recut(np.concatenate(offsets), max_sentence_length)
        if total == 0:
            raise corpus_mod.CorpusError(f"phrased corpus {self.corpus!r:.80} contains no tokens")
        return RawScan(list(words), ids, offsets)

    def save(self, path) -> int:
        """Write the phrased corpus to ``path`` (one sentence per line), atomically; return tokens written."""
        written = 0
        with atomic_write(path, "wb") as f:
            if self._is_token_lists():
                for sentence in self:
                    f.write((" ".join(sentence) + "\n").encode("utf-8"))
                    written += len(sentence)
                return written
            # bytes straight from the apply codes: input words from the index's UTF-8 arena,
            # phrases from theirs (no second id space, no Python string per token); three stages
            # that release the GIL (apply, text, write) overlap, a block apart
            compiled = self.model.compiled()
            delim = max(1, len(getattr(self.model, "delimiter", "_").encode("utf-8")))
            source = self.corpus if not isinstance(self.corpus, str) else Path(self.corpus)
            blocks = id_blocks(source, compiled.index, corpus_mod.MAX_SENTENCE_LENGTH, _kept(self.model))
            for text, n in in_background(_phrased_text(compiled, in_background(_applied(compiled, blocks)), delim),
                                         depth=TEXT_QUEUE_DEPTH):
                f.write(text)
                written += n
        return written


def _applied(compiled: _Compiled, blocks):
    """(ids, offsets, apply's result) per block: run in a thread (:func:`w2v.ngrams.in_background`),
    the phrase kernel works on the next block while the caller writes this one (both release
    the GIL). New words join the index in that thread, before their block is handed over."""
    for ids, offsets in blocks:
        yield ids, offsets, compiled.apply(ids, offsets)


#: text blocks queued between the text thread and the writer; the text thread reuses its buffers
#: in turn, so it keeps this many + 2 (queued, being written, being filled)
TEXT_QUEUE_DEPTH = 2


def _phrased_text(compiled: _Compiled, applied, delim: int):
    """Yield (text, tokens) per applied block: the block as UTF-8 text (a view of one of
    ``TEXT_QUEUE_DEPTH + 2`` buffers used in turn, so no fresh pages per block: a view is
    rewritten only after the writer has asked for the view after it). Runs in a thread."""
    index = compiled.index
    phrases, words = WordBytes(compiled.phrases), WordBytes()
    buffers = [np.zeros(0, np.uint64)] * (TEXT_QUEUE_DEPTH + 2)
    for k, (ids, offsets, (codes, n, out_offsets)) in enumerate(applied):
        if len(words) < len(index.words):
            words.extend(index.words[len(words):])
        # a phrase is its words' bytes joined by delimiters where spaces were
        size = int(words.lengths[ids].sum(dtype=np.int64)) + delim * len(ids) + len(offsets)
        slot = k % len(buffers)
        if len(buffers[slot]) < size // 8 + 2:
            buffers[slot] = np.empty(size // 8 + 2 + (size >> 5), np.uint64)  # some room to grow
        out = buffers[slot]
        size = K.write_phrased(codes, n, ids, out_offsets, words.chunks, words.records, phrases.chunks,
                               phrases.records, out)
        yield out.view(np.uint8)[:size], n


def _phrased_lists(compiled: _Compiled, ids_of: TokenListIds, phrases: list, flat: list, lengths: list):
    offsets = np.asarray(lengths, np.int64)
    codes, n, out_offsets = compiled.apply(ids_of(flat), offsets)
    codes = codes[:n]
    where = np.where(codes >= 0, codes, len(flat) - 1 - codes)
    yield from _split(_object_array(flat + phrases), where, out_offsets)


#: tables of fewer entries are scored in one call (a thread costs more than it saves)
PARALLEL_SCORING_ENTRIES = 1 << 18


def _scored_in_halves(table: NgramTable, counts, code: int, min_count: int, threshold: float):
    """:func:`K.score_ngrams` over every entry, the two halves of a large table in two threads
    (the kernel releases the GIL): the results, concatenated, are in entry order as one call's."""
    n = len(table)
    args = (table.entries, table.arena, counts, code, min_count, n, table.words, threshold)
    if n < PARALLEL_SCORING_ENTRIES:
        return K.score_ngrams(0, n, *args)
    half = n // 2
    with ThreadPoolExecutor(1) as pool:
        upper = pool.submit(K.score_ngrams, half, n, *args)
        lower = K.score_ngrams(0, half, *args)
        upper = upper.result()
    return np.concatenate([lower[0], upper[0]]), np.concatenate([lower[1], upper[1]])


def _object_array(items: list) -> np.ndarray:
    """``items`` as a 1-D object array (the same str objects), for C-level gathers."""
    arr = np.empty(len(items), object)
    arr[:] = items
    return arr


def _split(pool: np.ndarray, where: np.ndarray, out_offsets: np.ndarray):
    """The sentences of a block as lists of ``pool[where]``: per sentence, an object-array gather
    and its ``tolist`` (C loops that share the str objects, ~3x faster than a Python call per
    token). Gathering sentence by sentence, not the whole block at once, keeps the reference
    counts it touches in cache between the gather and the list: ~2x faster (measured). ``take``
    with ``mode="clip"`` skips the bounds check (every position is in the pool): ~20% faster."""
    bounds = out_offsets.tolist()
    take = pool.take
    for a, b in zip(bounds[:-1], bounds[1:]):
        yield take(where[a:b], mode="clip").tolist()


def _recut(offsets: np.ndarray, max_len: int) -> np.ndarray:
    """Split sentences longer than ``max_len`` tokens into chunks (as the corpus reader does)."""
    lengths = np.diff(offsets)
    if not len(lengths) or lengths.max() <= max_len:
        return offsets
    parts = [offsets[:1]]
    for s in range(len(lengths)):
        parts.append(np.append(np.arange(offsets[s] + max_len, offsets[s + 1], max_len), offsets[s + 1]))
    return np.concatenate(parts).astype(np.int64)


# ---- save / load ----------------------------------------------------------------------------------

def _save(path, kind: str, meta: dict, words: list[str], arrays: dict, phrases=None) -> None:
    meta = dict(meta, kind=kind, format=SAVE_FORMAT)
    blob, _, lengths = words_arena(words)
    payload = {"meta": np.frombuffer(json.dumps(meta).encode(), np.uint8), "words": blob,
               "word_lengths": lengths, **arrays}
    if phrases is not None:
        pblob, _, plengths = words_arena(phrases)
        payload.update(phrases=pblob, phrase_lengths=plengths)
    with atomic_write(path, "wb") as f:
        np.savez(f, **payload)


def _strings(blob: np.ndarray, lengths: np.ndarray) -> list[str]:
    data = blob.tobytes()
    ends = np.cumsum(lengths, dtype=np.int64).tolist()
    starts = [0, *ends[:-1]]
    return [data[a:b].decode("utf-8") for a, b in zip(starts, ends)]


def load(path, scoring=None):
    """Load a :class:`Phrases` or :class:`FrozenPhrases` saved by ``save`` (no pickle is read).

    ``scoring`` supplies a custom scoring function (saved by name only); the built-in scorers are
    restored by themselves. For a model saved by gensim, use :func:`load_gensim`.
    """
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as z:
            data = {k: z[k] for k in z.files}
    except FileNotFoundError:
        raise FileNotFoundError(f"phrases file {str(path)!r} does not exist") from None
    except (ValueError, OSError) as e:
        raise ValueError(f"{str(path)!r} is not a w2v phrases file ({e}); a gensim pickle loads with "
                         "w2v.phrases.load_gensim") from None
    try:
        meta = json.loads(data["meta"].tobytes())
        kind = meta["kind"]
        words = _strings(data["words"], data["word_lengths"])
    except (KeyError, ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{str(path)!r} is not a w2v phrases file (missing or damaged {e})") from None
    if meta.get("format") != SAVE_FORMAT or kind not in ("Phrases", "FrozenPhrases"):
        raise ValueError(f"{str(path)!r}: unsupported phrases file (format {meta.get('format')}, kind {kind!r})")
    if meta["scoring"] is None and scoring is None:
        raise ValueError(f"{str(path)!r} was saved with the custom scoring function {meta['scoring_name']!r}; "
                         "pass it again: load(path, scoring=that_function)")
    scorer = _check_scoring(scoring if scoring is not None else meta["scoring"], meta["threshold"])
    if kind == "Phrases":
        if int(data["table_arena"].max(initial=-1)) >= len(words) or int(data["table_arena"].min(initial=0)) < 0:
            raise ValueError(f"{str(path)!r}: phrase table refers to words the file does not hold")
        table = NgramTable.from_state(*(data[f"table_{k}"] for k in ("elen", "ecount", "arena", "state")))
        return Phrases.restored(meta, scorer, WordIndex(words, meta["delimiter"]), table)
    phrases = _strings(data["phrases"], data["phrase_lengths"])
    if len(phrases) != len(data["elen"]) or len(data["scores"]) != len(phrases) or (
            len(data["arena"]) and int(data["arena"].max()) >= len(words)):
        raise ValueError(f"{str(path)!r}: inconsistent phrase arrays")
    return FrozenPhrases.restored(meta, scorer, WordIndex(words, meta["delimiter"]), data["elen"], data["arena"],
                                  data["scores"], phrases)
