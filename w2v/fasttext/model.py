"""FastText: word2vec with subword rows, gensim 4.4's class over w2v's corpus path.

``FastText`` is a :class:`w2v.Word2Vec` (as gensim's is a gensim ``Word2Vec``): the corpus scan,
vocabulary, encoding, noise table, Huffman tree, learning-rate schedule and gensim attributes are
Word2Vec's. What differs is the input side: ``wv`` is a
:class:`~w2v.fasttext.keyedvectors.FastTextKeyedVectors` whose ``vectors_vocab`` (each word's own
row) and ``vectors_ngrams`` (``bucket`` rows of hashed character n-grams) are what training
updates, through the kernels of :mod:`w2v.fasttext.kernels`; ``wv.vectors`` is recomposed from
them after every ``train``.
"""
from __future__ import annotations

import logging
import os
import threading
import time
import warnings

import numpy as np

from .. import corpus as corpus_mod
from .. import encode
from ..callbacks import check_callbacks
from ..gensim_compat import check_train_call, class_only
from ..model import MAX_WORDS_IN_BATCH, Word2Vec
from ..params import TrainParams
from ..training import initial_rng_states
from ..vectors import KeyedVectors
from ..vocab import Vocabulary
from .kernels import fill_uniform
from .keyedvectors import REAL, FastTextKeyedVectors, read_npz, write_npz
from .training import FastTextTraining

logger = logging.getLogger("w2v")
MODEL_FORMAT = "w2v-fasttext-model"
MODEL_FORMAT_VERSION = 1


def check_subword_settings(min_n, max_n, bucket, word_ngrams) -> None:
    """The n-gram settings, refused with an error naming the parameter (before any work)."""
    for name, value in (("min_n", min_n), ("max_n", max_n), ("bucket", bucket), ("word_ngrams", word_ngrams)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
            raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
        if value < 0:
            raise ValueError(f"{name} must be >= 0, got {value!r}")
    if bucket > 2**31 - 1:
        raise ValueError(f"bucket must be < 2**31, got {bucket!r}")
    if word_ngrams != 1:
        raise NotImplementedError("Gensim's FastText implementation does not yet support word_ngrams != 1.")


def random_rows(rows: int, d: int, seed: int, stream: int, threads: int = 1) -> np.ndarray:
    """Rows uniform in [-1/d, 1/d) (gensim's initialisation), filled in one numba pass by
    ``threads`` threads, each on its own slice (the values do not depend on how many): the
    default 2M-bucket table is 800 MB at d=100, and most of its cost is the kernel handing the
    process fresh pages on first write, which threads share out as well as the arithmetic."""
    table = np.empty((rows, d), np.float32)
    start = np.random.SeedSequence([seed % 2**64, stream]).generate_state(1, np.uint64)[0]
    bounds = np.linspace(0, rows, max(1, min(threads, rows // 1024 + 1)) + 1).astype(np.int64)

    def fill(k: int) -> None:
        a, b = int(bounds[k]), int(bounds[k + 1])
        fill_uniform(table[a:b], -1.0 / d, 1.0 / d, start, a * d)

    workers = [threading.Thread(target=fill, args=(k,), daemon=True) for k in range(1, len(bounds) - 1)]
    for t in workers:
        t.start()
    try:
        fill(0)
    finally:
        for t in workers:
            t.join()
    return table


class BackgroundTable:
    """The n-gram table drawn by :func:`random_rows` in a thread, started before the corpus scan.

    Its shape (``bucket`` x ``vector_size``) is known before the vocabulary, and most of its cost
    is the kernel handing the process 800 MB of fresh pages (at the defaults), which need not wait
    for the scan: both run at once, and the table is taken when the vocabulary is ready.
    """

    def __init__(self, rows: int, d: int, seed: int, stream: int, threads: int):
        self.shape = (rows, d)
        self.table = None
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self.fill, args=(rows, d, seed, stream, threads), daemon=True,
                                       name="w2v-fasttext-ngram-table")
        self.thread.start()

    def fill(self, rows: int, d: int, seed: int, stream: int, threads: int) -> None:
        try:
            self.table = random_rows(rows, d, seed, stream, threads)
        except BaseException as e:  # MemoryError: raised by result() in the caller's thread
            self.error = e

    def result(self) -> np.ndarray:
        self.thread.join()
        if self.error is not None:
            raise self.error
        return self.table


class FastText(Word2Vec):
    """gensim 4.4's ``FastText``: same positional order, defaults and behaviour.

    w2v's keyword-only options are Word2Vec's (``progress``, ``max_sentence_length``, ``errors``,
    ``cache_dir``, ``spill_dir``) and ``compute_loss`` (gensim's FastText computes no loss; here
    it fills ``loss_history`` as Word2Vec does). ``word_ngrams`` other than 1 is refused, as in gensim.
    ``kernel`` (Word2Vec's option) picks the update: ``"auto"`` (the default, ``"shared"``),
    ``"shared"`` (window slots: a word's rows gathered once as it enters the window and its
    gradients scattered once as it leaves, instead of once per pair (skip-gram) or per centre
    word (CBOW); skip-gram draws one set of negatives per target word, shared by the centres
    that predict it), ``"batched"`` (skip-gram: one draw per centre word, trained once per
    centre; faster, below gensim's quality) or ``"exact"`` (gensim's update order and draws):
    see :mod:`w2v.fasttext.kernels`.
    """

    def __init__(self, sentences=None, corpus_file=None, sg=0, hs=0, vector_size=100, alpha=0.025, window=5,
                 min_count=5, max_vocab_size=None, word_ngrams=1, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
                 negative=5, ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0, min_n=3, max_n=6,
                 sorted_vocab=1, bucket=2000000, trim_rule=None, batch_words=MAX_WORDS_IN_BATCH, callbacks=(),
                 max_final_vocab=None, shrink_windows=True, compute_loss=False, **options):
        check_subword_settings(min_n, max_n, bucket, word_ngrams)
        if max_n < min_n:
            bucket = 0  # gensim: no n-gram length qualifies, so no bucket is allocated
        self.word_ngrams = int(word_ngrams)
        self.min_n, self.max_n, self.bucket = int(min_n), int(max_n), int(bucket)
        self.callbacks = check_callbacks(callbacks)
        self.vocab_corpus = None
        self.ft_lock = threading.Lock()
        self.pending_table = None
        super().__init__(None, None, vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
                         max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers,
                         min_alpha=min_alpha, sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent,
                         cbow_mean=cbow_mean, hashfxn=hashfxn, epochs=epochs, null_word=null_word,
                         sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss,
                         max_final_vocab=max_final_vocab, shrink_windows=shrink_windows, **options)
        self.wv = FastTextKeyedVectors(self.params.vector_size, self.min_n, self.max_n, self.bucket)
        if sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file, trim_rule=trim_rule)
            self.train(sentences, corpus_file, total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=self.compute_loss, callbacks=self.callbacks)

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("ft_lock", None)
        state.pop("pending_table", None)
        state["vocab_corpus"] = None
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self.ft_lock = threading.Lock()

    # ---- vocabulary ------------------------------------------------------------------------------

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """gensim's ``build_vocab``; the n-gram table is sized once (``bucket`` rows) and kept on update.
        A fresh table is drawn in a thread while the corpus is scanned (:class:`BackgroundTable`)."""
        p = self.params
        if not update and self.bucket > 0:
            self.pending_table = BackgroundTable(self.bucket, p.vector_size, p.seed, 1, p.workers)
        try:
            result = super().build_vocab(corpus_iterable, corpus_file, update=update, progress_per=progress_per,
                                         keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule, **kwargs)
        finally:
            pending, self.pending_table = getattr(self, "pending_table", None), None
            if pending is not None:
                pending.thread.join()   # not taken (an error, or a vocabulary that skipped prepare_vocab)
        self.vocab_corpus = corpus_iterable if corpus_iterable is not None else corpus_file
        if not isinstance(self.wv, FastTextKeyedVectors) or len(self.wv.vectors_vocab) != len(self.wv):
            self.adopt_tables(update)  # a vocabulary given as vocab= skips prepare_vocab
        return result

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None, sample=None,
                      dry_run=False) -> dict:
        """Word2Vec's ``prepare_vocab``, then the FastText tables for the new vocabulary."""
        if dry_run:
            return super().prepare_vocab(update, keep_raw_vocab, trim_rule, min_count, sample, dry_run)
        old = self.wv
        if isinstance(old, FastTextKeyedVectors) and self.vocab is not None:
            # Word2Vec carries over rows of wv.vectors: let those be the trained own rows
            self.wv = KeyedVectors.from_vectors(old.vectors_vocab, self.vocab.words, self.vocab.counts)
        try:
            report = super().prepare_vocab(update, keep_raw_vocab, trim_rule, min_count, sample, dry_run)
        except BaseException:
            self.wv = old
            raise
        self.adopt_tables(update, old)
        return report

    def adopt_tables(self, update: bool, old=None) -> None:
        """``wv`` for the model's vocabulary: its own rows as Word2Vec allocated them (carried
        over on update), the n-gram rows kept on update or drawn fresh."""
        old = old if old is not None else self.wv
        d = self.params.vector_size
        ngrams = getattr(old, "vectors_ngrams", None)
        if not (update and isinstance(ngrams, np.ndarray) and ngrams.shape == (self.bucket, d)):
            ngrams = self.fresh_ngram_table()
        vocab_rows = np.ascontiguousarray(self.wv.vectors, dtype=REAL)
        wv = FastTextKeyedVectors.from_tables(vocab_rows, ngrams, self.vocab.words, self.vocab.counts,
                                              self.min_n, self.max_n, self.bucket)
        if isinstance(old, FastTextKeyedVectors):
            wv.vectors_ngrams_lockf = old.vectors_ngrams_lockf
            lockf = old.vectors_vocab_lockf
            if len(lockf) > 1 and len(lockf) < len(wv):  # per-word factors: new words train normally
                lockf = np.concatenate([lockf, np.ones(len(wv) - len(lockf), REAL)])
            wv.vectors_vocab_lockf = lockf
        self.wv = wv

    def fresh_ngram_table(self) -> np.ndarray:
        """A newly drawn n-gram table: the one drawn during the scan, else drawn now."""
        d = self.params.vector_size
        pending, self.pending_table = getattr(self, "pending_table", None), None
        if pending is not None and pending.shape == (self.bucket, d):
            return pending.result()
        return random_rows(self.bucket, d, self.params.seed, 1, self.params.workers)

    # ---- training --------------------------------------------------------------------------------

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), **kwargs):
        """Train ``epochs`` epochs (gensim's call and rules, as :meth:`w2v.Word2Vec.train`).

        The corpus may be omitted to train on the one just given to :meth:`build_vocab`.
        Returns ``(trained_words, raw_words)``.
        """
        if kwargs:
            raise TypeError(f"FastText.train() got unexpected keyword arguments {sorted(kwargs)}")
        check_train_call(total_examples, total_words, epochs)
        if corpus_iterable is not None and corpus_file is not None:
            raise TypeError("pass either a corpus (sentences/corpus_iterable) or corpus_file, not both")
        corpus = corpus_iterable if corpus_iterable is not None else corpus_file
        if corpus_file is not None and not (isinstance(corpus_file, (str, os.PathLike))
                                            and os.path.isfile(corpus_file)):
            raise TypeError(f"corpus_file must be the path of an existing file, got {corpus_file!r}")
        callbacks = check_callbacks(callbacks)
        if not self.ft_lock.acquire(blocking=False):
            raise RuntimeError("this model is already training (in another thread or from a callback); "
                               "wait for that train() to return")
        try:
            self.alpha = start_alpha or self.alpha
            self.min_alpha = end_alpha or self.min_alpha
            self.epochs = epochs
            self.compute_loss = compute_loss
            return self.run_epochs(corpus, epochs, callbacks, total_examples, total_words)
        finally:
            self.ft_lock.release()

    def run_epochs(self, corpus, epochs: int, callbacks, total_examples, total_words) -> tuple[int, int]:
        started = time.perf_counter()
        self.check_tables()
        encoded = self.encoding_for(corpus)
        for name, given, actual in (("total_examples", total_examples, encoded.n_sentences),
                                    ("total_words", total_words, encoded.raw_words)):
            if given is not None and int(given) != actual:
                warnings.warn(f"train({name}={given}) but the corpus has {actual}; w2v schedules the learning rate "
                              "by the corpus it reads and ignores the number given", stacklevel=4)
        self.running_training_loss = 0.0
        for cb in callbacks:
            cb.on_train_begin(self)
        run = FastTextTraining(self, encoded, epochs, self.alpha, self.min_alpha, callbacks)
        try:
            self.interrupted = not run.run()
        finally:
            if not run.composed:  # the last epoch's finiteness check composed them already
                self.wv.adjust_vectors()
        for cb in callbacks:
            cb.on_train_end(self)
        self.train_count += 1
        self.total_train_time += time.perf_counter() - started
        self.min_alpha_yet_reached = float(self.min_alpha)
        self.vocab_corpus = None
        return int(run.progress.sum()), encoded.raw_words * epochs

    def encoding_for(self, corpus):
        """The corpus as vocabulary ids: the one build_vocab encoded, or ``corpus`` encoded now."""
        if corpus is None or corpus is self.vocab_corpus:
            encoded = self.encoded_corpus
            if encoded is None or (corpus is None and self.vocab_corpus is None and self.train_count):
                raise ValueError("train() needs a corpus: pass it (the one given to build_vocab was already "
                                 "used, or the vocabulary came from a file or a frequency table)")
            return encoded
        corpus_mod.check_corpus(corpus)
        p = self.params
        return encode.encode_with_vocab(corpus, self.vocab, p.max_sentence_length, p.errors, self.spill_dir)

    def check_tables(self) -> None:
        """Refuse a model whose tables cannot train; allocate an output table switched on late."""
        p = self.params
        p.validate()
        wv = self.wv
        if self.vocab is None or not isinstance(wv, FastTextKeyedVectors) or len(self.vocab) != len(wv):
            raise RuntimeError("you must first build vocabulary before training the model")
        v, d = len(self.vocab), p.vector_size
        if wv.vectors_vocab.shape != (v, d) or wv.vectors_ngrams.shape != (wv.bucket, d):
            raise ValueError(f"vector_size={d} but the tables have shapes {wv.vectors_vocab.shape} and "
                             f"{wv.vectors_ngrams.shape}: build the vocabulary again after changing vector_size")
        for name in ("vectors_vocab", "vectors_ngrams"):
            table = getattr(wv, name)
            if not (table.flags.writeable and table.flags.c_contiguous and table.dtype == np.float32):
                setattr(wv, name, np.ascontiguousarray(table, dtype=np.float32).copy())
        if p.negative and self.syn1neg.shape != (v, d):
            self.syn1neg = np.zeros((v, d), np.float32)
        if p.hs and self.syn1.shape != (v, d):
            self.syn1 = np.zeros((v, d), np.float32)
        for name in ("syn1neg", "syn1"):
            if not getattr(self, name).flags.writeable:
                setattr(self, name, np.array(getattr(self, name)))
        if len(self.rng_states) < p.workers:
            more = initial_rng_states(p.seed, p.workers)
            more[:len(self.rng_states)] = self.rng_states
            self.rng_states = more

    def check_finite(self, epoch: int) -> None:
        """Refuse to go on once a table holds NaN or inf, naming the epoch. The n-gram rows are
        checked through the words' composed vectors (every trained n-gram row is in one of them),
        not by reading the whole bucket table (800 MB by default) after each epoch."""
        self.wv.adjust_vectors()
        for name, table in (("vectors_vocab", self.wv.vectors_vocab), ("syn1neg", self.syn1neg),
                            ("vectors (own and n-gram rows)", self.wv.vectors), ("syn1", self.syn1)):
            if table.size and not np.isfinite(table).all():
                raise FloatingPointError(f"training diverged in epoch {epoch}: {name} contain NaN or inf "
                                         f"(alpha={self.params.alpha} may be too large)")

    def estimate_memory(self, vocab_size=None, report=None) -> dict:
        """gensim's estimate, in bytes, of the vocabulary, the tables and the n-gram lists (same formula)."""
        wv = self.wv
        vocab_size = vocab_size or len(wv)
        item = np.dtype(np.float32).itemsize
        report = report or {}
        report["vocab"] = vocab_size * (700 if self.hs else 500)
        report["syn0_vocab"] = vocab_size * self.vector_size * item
        if self.hs:
            report["syn1"] = vocab_size * self.layer1_size * item
        if self.negative:
            report["syn1neg"] = vocab_size * self.layer1_size * item
        if wv.bucket:
            report["syn0_ngrams"] = wv.bucket * self.vector_size * item
            starts, _ = wv.ngram_table()
            report["buckets_word"] = 64 + 100 * len(wv) + 4 * int(starts[-1])
        report["total"] = sum(report.values())
        logger.info("estimated required memory for %i words, %i buckets and %i dimensions: %i bytes",
                    len(wv), wv.bucket, self.vector_size, report["total"])
        return report

    # ---- persistence ---------------------------------------------------------------------------

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024**2, ignore=frozenset(),
             pickle_protocol=4) -> None:
        """Save the whole model (to continue training) as one .npz file, atomically; no pickle."""
        if self.vocab is None:
            raise ValueError("cannot save a model without a vocabulary")
        words = list(self.vocab.words)
        for i, w in enumerate(words):
            if not isinstance(w, str):
                raise TypeError(f"word #{i} {w!r} is not a str: FastText.save stores str words")
        meta = {"format": MODEL_FORMAT, "version": MODEL_FORMAT_VERSION, "params": self.params.to_dict(),
                "subwords": {"min_n": self.min_n, "max_n": self.max_n, "bucket": self.bucket,
                             "word_ngrams": self.word_ngrams},
                "words": words, "huffman": self.vocab.huffman_kind, "loss_history": list(self.loss_history),
                "epochs_trained": self.epochs_trained, "corpus_total_words": self.corpus_total_words,
                "corpus_count": self.corpus_count, "min_alpha_yet_reached": self.min_alpha_yet_reached,
                "train_count": self.train_count}
        wv = self.wv
        arrays = {"counts": self.vocab.counts, "vectors_vocab": wv.vectors_vocab,
                  "vectors_ngrams": wv.vectors_ngrams,
                  "syn1neg": self.syn1neg, "syn1": self.syn1, "rng_states": self.rng_states,
                  "vectors_vocab_lockf": wv.vectors_vocab_lockf, "vectors_ngrams_lockf": wv.vectors_ngrams_lockf}
        write_npz(fname_or_handle, meta, arrays)

    @class_only
    def load(cls, fname, mmap=None, **kwargs) -> FastText:
        """Load a model written by :meth:`save` (call it on the class: ``FastText.load(path)``)."""
        meta, arrays = read_npz(fname, MODEL_FORMAT)
        try:
            params = TrainParams.from_dict(meta["params"]).to_dict()
            sub = meta["subwords"]
            model = cls(**params, **sub)
            model.vocab = Vocabulary(meta["words"], arrays["counts"], meta.get("huffman", "word2vec"))
            wv = FastTextKeyedVectors.from_tables(arrays["vectors_vocab"], arrays["vectors_ngrams"], model.vocab.words,
                                                  model.vocab.counts, sub["min_n"], sub["max_n"], sub["bucket"])
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(f"{str(fname)!r}: a damaged w2v FastText model file ({type(e).__name__}: {e})") from None
        wv.vectors_vocab_lockf = arrays.get("vectors_vocab_lockf", np.ones(1, REAL))
        wv.vectors_ngrams_lockf = arrays.get("vectors_ngrams_lockf", np.ones(1, REAL))
        model.wv = wv
        model.syn1neg, model.syn1 = arrays["syn1neg"], arrays["syn1"]
        if arrays["rng_states"].shape == model.rng_states.shape:
            model.rng_states = arrays["rng_states"]
        model.loss_history = list(meta["loss_history"])
        model.running_training_loss = 0.0
        model.epochs_trained = meta["epochs_trained"]
        model.corpus_total_words = meta["corpus_total_words"]
        model.corpus_count = meta["corpus_count"]
        model.train_count = meta["train_count"]
        model.min_alpha_yet_reached = meta["min_alpha_yet_reached"]
        return model

    def __repr__(self) -> str:
        p = self.params
        vocab = len(self.vocab) if self.vocab is not None else 0
        return (f"FastText({'skip-gram' if p.sg else 'CBOW'}, vocab={vocab}, vector_size={p.vector_size}, "
                f"min_n={self.min_n}, max_n={self.max_n}, bucket={self.bucket}, epochs_trained={self.epochs_trained})")
