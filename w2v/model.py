"""The Word2Vec model: vocabulary, tables and training state, with gensim 4's signatures.

``w2v.train(corpus, **params)`` is the one-call path; ``Word2Vec`` is gensim's class, step by step
(``build_vocab`` then ``train``), with continued training and online vocabulary growth. Every
parameter lives in one :class:`~w2v.params.TrainParams`; the gensim attributes (``model.window``,
``model.alpha``, ...) and the rest of gensim's surface come from :mod:`w2v.gensim_compat`.
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
import warnings
import zipfile
import zlib
from dataclasses import dataclass

import numpy as np

from . import corpus as corpus_mod
from . import encode
from .fileutil import atomic_write
from .callbacks import check_callbacks
from .checkpoint import Checkpointer
from .gensim_compat import GensimModelMixin, check_train_call, class_only, split_options
from .params import TrainParams
from .training import Training, initial_rng_states
from .vectors import KeyedVectors
from .vocab import Vocabulary, check_trainable, count_words_pruned, effective_min_count, keep_mask

logger = logging.getLogger("w2v")
SAVE_FORMAT = 1
MAX_WORDS_IN_BATCH = 10_000


def train(corpus, *, callbacks=(), cache_dir=None, spill_dir=None, vocab: Vocabulary | None = None,
          checkpoint=None, checkpoint_every: int | None = None, client=None, **params) -> Word2Vec:
    """Build the vocabulary of ``corpus`` and train on it; return the trained :class:`Word2Vec`.

    ``corpus`` is a path (file, directory, .gz/.bz2/.xz) or an iterable of token lists.
    ``params`` are gensim's ``Word2Vec`` parameters (see :class:`~w2v.params.TrainParams`), with
    w2v's defaults where they differ from ``Word2Vec(...)``'s gensim ones: ``workers`` = every
    core, ``compute_loss=True`` (it costs no measurable time and fills ``loss_history``).
    ``cache_dir`` is where file scans are cached (None: the default cache; False: no cache; a
    directory, or a :class:`w2v.cache.DiskCache` for another size cap).
    ``spill_dir`` is where the corpus's ids go once they pass 8M words (None: the system's
    temporary directory): training memory does not grow with the corpus (see :mod:`w2v.idstore`).
    ``vocab`` uses a ready vocabulary (e.g. ``Vocabulary.read_word2vec_vocab``) instead of a scan.
    ``checkpoint`` is a file the run is saved to at every epoch end and, with ``checkpoint_every``,
    every that many words; :func:`w2v.resume` continues from it (see :mod:`w2v.checkpoint`).
    ``client`` (a ``dask.distributed.Client`` or scheduler address) trains on that Dask cluster
    instead: see :mod:`w2v.distributed` (files, globs or a dask.bag; epoch-end checkpoints only).
    """
    callbacks = check_callbacks(callbacks)
    params.setdefault("workers", None)
    params.setdefault("compute_loss", True)
    if client is not None:
        _check_cluster_options(vocab=vocab, checkpoint_every=checkpoint_every)
        from .distributed.driver import fit
        return fit(Word2Vec(cache_dir=cache_dir, **params), corpus, client, cache_dir=cache_dir, checkpoint=checkpoint,
                   callbacks=callbacks)
    checkpointer = Checkpointer.create(checkpoint, checkpoint_every)  # bad paths fail before the scan
    model = Word2Vec(cache_dir=cache_dir, spill_dir=spill_dir, **params)
    model.build_vocab(corpus, vocab=vocab)
    model.run_training(None, model.epochs, model.alpha, model.min_alpha, checkpointer, callbacks=callbacks)
    return model


def _check_cluster_options(**options) -> None:
    """The options a training on a Dask cluster (``client=``) does not take, refused by name."""
    given = sorted(name for name, value in options.items() if value is not None)
    if given:
        raise ValueError(f"with client=, {' and '.join(given)} {'is' if len(given) == 1 else 'are'} not supported "
                         "(checkpoints are written at epoch ends)")


@dataclass
class _Scan:
    """What ``scan_vocab`` found: every distinct word with its count, and how to encode the corpus."""

    corpus: object
    words: list
    counts: np.ndarray
    raw: encode.RawScan | None  # provisional ids of every token (None: a pruned scan, encode again)
    total_words: int
    corpus_count: int


class Word2Vec(GensimModelMixin):
    """A word2vec model: ``wv`` (input vectors), ``syn1neg``/``syn1`` (output tables), vocabulary.

    The constructor is gensim 4.4's, positionally; w2v's own options are keyword-only:
    ``kernel``, ``progress``, ``max_sentence_length``, ``errors`` (see :class:`TrainParams`),
    ``cache_dir`` (the scan cache of file corpora), ``spill_dir`` (where a large corpus's ids are
    kept, see :func:`w2v.train`), ``checkpoint`` and ``checkpoint_every``, and
    ``client`` (train on that Dask cluster: :mod:`w2v.distributed`).
    ``hashfxn`` and ``comment`` are accepted and stored but change nothing (w2v seeds its
    vectors from ``seed`` alone). ``sentences`` may also be a file or directory path.
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size=100, alpha=0.025, window=5, min_count=5,
                 max_vocab_size=None, sample=1e-3, seed=1, workers=3, min_alpha=0.0001,
                 sg=0, hs=0, negative=5, ns_exponent=0.75, cbow_mean=1, hashfxn=hash, epochs=5, null_word=0,
                 trim_rule=None, sorted_vocab=1, batch_words=MAX_WORDS_IN_BATCH, compute_loss=False, callbacks=(),
                 comment=None, max_final_vocab=None, shrink_windows=True, **options):
        w2v_params, extras = split_options(options, ("cache_dir", "spill_dir", "checkpoint", "checkpoint_every",
                                                          "client"))
        self.params = TrainParams(
            vector_size=vector_size, alpha=alpha, window=window, min_count=min_count,
            max_vocab_size=max_vocab_size, sample=sample, seed=seed, workers=workers, min_alpha=min_alpha,
            sg=sg, hs=hs, negative=negative, ns_exponent=ns_exponent, cbow_mean=cbow_mean, epochs=epochs,
            null_word=null_word, sorted_vocab=sorted_vocab, batch_words=batch_words, compute_loss=compute_loss,
            max_final_vocab=max_final_vocab, shrink_windows=shrink_windows, **w2v_params)
        callbacks = check_callbacks(callbacks)
        checkpointer = Checkpointer.create(extras.get("checkpoint"), extras.get("checkpoint_every"))
        self.cache_dir = extras.get("cache_dir")
        self.spill_dir = extras.get("spill_dir")
        self.hashfxn, self.comment = hashfxn, comment
        self.clear_state()
        client = extras.get("client")
        if client is not None and (sentences is not None or corpus_file is not None):  # w2v.distributed
            _check_cluster_options(trim_rule=trim_rule, checkpoint_every=extras.get("checkpoint_every"))
            from .distributed.driver import fit
            fit(self, sentences if sentences is not None else corpus_file, client, cache_dir=self.cache_dir,
                checkpoint=extras.get("checkpoint"), callbacks=callbacks)
        elif sentences is not None or corpus_file is not None:
            self.build_vocab(sentences, corpus_file, trim_rule=trim_rule)
            self.run_training(None, self.epochs, self.alpha, self.min_alpha, checkpointer, callbacks=callbacks)
        elif trim_rule is not None or callbacks:
            logger.warning("Word2Vec() without a corpus: trim_rule and callbacks apply only to the training "
                           "the constructor does; pass them to build_vocab() and train()")

    def clear_state(self) -> None:
        """Empty tables and counters (also what :meth:`reset_from` and the loaders start from)."""
        d = self.params.vector_size
        self.vocab: Vocabulary | None = None
        self.wv = _make_kv(np.zeros((0, d), np.float32), [], np.zeros(0, np.int64))
        self.syn1neg = np.zeros((0, d), np.float32)
        self.syn1 = np.zeros((0, d), np.float32)
        self.rng_states = initial_rng_states(self.params.seed, self.params.workers)
        self.loss_history: list[float] = []
        self.epochs_trained = 0
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.train_count = 0
        self.total_train_time = 0.0
        self.min_alpha_yet_reached = float(self.params.alpha)
        self.effective_min_count = self.params.min_count
        self.interrupted = False
        self.last_train_words = 0  # in-vocabulary words the last train() call trained (before subsampling)
        self._loss_mark, self._loss_base = 0, 0.0
        self._scan: _Scan | None = None
        self._encoded = None
        self._encoded_source = None
        self._callbacks: tuple = ()
        self._training_lock = threading.Lock()

    # ---- pickling: the lock and the cached corpus encoding are not part of the model ------------

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in ("_training_lock", "_encoded", "_encoded_source", "_scan", "_callbacks"):
            state.pop(key, None)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state)
        self.__dict__.setdefault("spill_dir", None)  # pickled before spill files existed
        self._training_lock = threading.Lock()
        self._encoded = self._encoded_source = self._scan = None
        self._callbacks = ()

    @property
    def encoded_corpus(self):
        """The corpus ``build_vocab`` encoded (an :class:`~w2v.encode.EncodedCorpus`), or None.

        ``train()`` without a corpus trains on it; the command line reads its word count to plan
        the progress bar."""
        return self._encoded

    def release_encoded_corpus(self) -> None:
        """Forget the corpus ``build_vocab`` encoded (its ids, in memory or in a spill file).

        ``train()`` does this when it ends; a subclass with its own training loop calls it too."""
        self._encoded = self._encoded_source = None

    # ---- vocabulary --------------------------------------------------------------------------

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update=False, progress_per=10000,
                    keep_raw_vocab=False, trim_rule=None, **kwargs):
        """Scan the corpus for the vocabulary and allocate the tables (gensim's signature).

        With ``update=True`` the words of the corpus that pass ``min_count``/``trim_rule`` and
        are new are appended (online training): existing vectors and ids are kept, counts of known
        words grow. The corpus is encoded in the same pass, so a following ``train`` on the same
        corpus reads no text. ``progress_per`` is accepted and has no effect. ``kwargs``: gensim's
        ``prepare_vocab`` settings (``min_count``, ``sample``) and w2v's ``vocab=`` (a ready
        :class:`Vocabulary`, as the CLI's ``-read-vocab`` uses: no scan).
        """
        vocab = kwargs.pop("vocab", None)
        corpus = self._corpus_argument(corpus_iterable, corpus_file)
        if update and self.vocab is None:
            raise RuntimeError("build_vocab(update=True) needs a vocabulary: call build_vocab(corpus) first")
        if vocab is not None:
            return self._use_vocab(corpus, vocab)
        self.scan_vocab(corpus, trim_rule=trim_rule)
        self.corpus_count, self.corpus_total_words = self._scan.corpus_count, self._scan.total_words
        self.prepare_vocab(update=update, keep_raw_vocab=keep_raw_vocab, trim_rule=trim_rule, **kwargs)
        return None

    def scan_vocab(self, corpus_iterable=None, corpus_file=None, progress_per=10000, workers=None,
                   trim_rule=None):
        """Count every distinct word once; return ``(total_words, corpus_count)`` as gensim does."""
        corpus = self._corpus_argument(corpus_iterable, corpus_file)
        p = self.params
        if p.max_vocab_size is not None:
            scan = self._pruned_scan(corpus, trim_rule)
        else:
            raw = encode.scan(corpus, p.max_sentence_length, p.errors, self.cache_dir, p.workers, self.spill_dir)
            scan = _Scan(corpus, raw.words, raw.counts(), raw, raw.n_tokens, raw.n_sentences)
        self._scan = scan
        logger.info("collected %d word types from a corpus of %d raw words and %d sentences",
                    len(scan.words), scan.total_words, scan.corpus_count)
        return scan.total_words, scan.corpus_count

    def _pruned_scan(self, corpus, trim_rule) -> _Scan:
        """max_vocab_size: count with pruning (bounded memory); the corpus is encoded in a second pass."""
        p = self.params
        if corpus_mod.is_one_shot(corpus):
            raise TypeError("max_vocab_size needs two passes over the corpus, but it is a one-shot "
                            "iterator; pass a list, a restartable iterable or a file path")
        sentences = corpus_mod.iter_sentences(corpus, p.max_sentence_length, p.errors)
        words, counts, n_sentences, n_tokens = count_words_pruned(sentences, p.max_vocab_size, trim_rule)
        return _Scan(corpus, words, counts, None, n_tokens, n_sentences)

    def prepare_vocab(self, update=False, keep_raw_vocab=False, trim_rule=None, min_count=None,
                      sample=None, dry_run=False) -> dict:
        """Apply min_count / max_final_vocab / trim_rule to the scanned counts (gensim's report dict).

        Unless ``dry_run``, the vocabulary is installed, the tables are (re)allocated and the
        scanned corpus is encoded for the next ``train``.
        """
        if self._scan is None:
            raise RuntimeError("prepare_vocab() needs scan_vocab() (or build_vocab) first")
        p, scan = self.params, self._scan
        if min_count or sample:  # gensim: "make stored settings match these applied settings"
            self.min_count = min_count or p.min_count
            self.sample = sample or p.sample
        self.effective_min_count = effective_min_count(scan.counts, p.min_count, p.max_final_vocab)
        keep = keep_mask(scan.words, scan.counts, self.effective_min_count, trim_rule)
        if update:
            report, vocab, kept = self._grown_vocab(scan, keep), None, None
        else:
            vocab, kept = Vocabulary.from_counts(scan.words, scan.counts, self.effective_min_count, None,
                                                 trim_rule, bool(p.sorted_vocab), bool(p.null_word))
            report = {"drop_unique": int((~keep).sum()), "retain_total": int(scan.counts[keep].sum()),
                      "num_retained_words": int(keep.sum())}
        if not dry_run:
            if update:
                vocab = report.pop("_vocab")
            self._install_vocab(vocab, kept, update)
            if not keep_raw_vocab:
                self._scan = None
        else:
            report.pop("_vocab", None)
        report.update(_downsample_report(scan, keep, p.sample))
        return report

    def _grown_vocab(self, scan: _Scan, keep: np.ndarray) -> dict:
        """gensim's update rule: every known word's count grows; new words that pass are appended."""
        known = self.vocab.word_to_id
        counts = self.vocab.counts.copy()
        new_words, new_counts, pre_exist, retain_total = [], [], 0, 0
        for word, count, kept in zip(scan.words, scan.counts.tolist(), keep.tolist()):
            index = known.get(word)
            if index is not None:
                counts[index] += count
                pre_exist += kept
            elif kept:
                new_words.append(word)
                new_counts.append(count)
            retain_total += count if kept else 0
        vocab = Vocabulary(list(self.vocab.words), counts, self.vocab.huffman_kind).extend(new_words, new_counts)
        logger.info("vocabulary update: %d new words, %d in all", len(new_words), len(vocab))
        return {"_vocab": vocab, "drop_unique": int((~keep).sum()), "retain_total": retain_total,
                "num_retained_words": len(new_words) + pre_exist}

    def _install_vocab(self, vocab: Vocabulary, kept, update: bool) -> None:
        """Make ``vocab`` the model's, size the tables, and encode the scanned corpus against it."""
        self.adopt_vocabulary(vocab, keep=len(self.vocab) if update else 0)
        scan = self._scan
        if scan.raw is not None:
            encoded = scan.raw.encode(vocab, consume=True, kept=None if update else kept)
            scan.raw = None
        elif scan.corpus is not None:
            p = self.params
            encoded = encode.encode_with_vocab(scan.corpus, vocab, p.max_sentence_length, p.errors,
                                               self.spill_dir)
        else:
            encoded = None  # build_vocab_from_freq: no corpus to encode
        self._remember_encoding(scan.corpus, encoded)
        if encoded is not None:
            logger.info("vocabulary: %d words (min_count=%d), %d of %d corpus words in vocabulary",
                        len(vocab), self.effective_min_count, encoded.n_words, encoded.raw_words)

    def _use_vocab(self, corpus, vocab: Vocabulary):
        """``build_vocab(corpus, vocab=...)``: a given vocabulary (min_count still applies), no scan."""
        p = self.params
        vocab, _ = Vocabulary.from_counts(vocab.words, vocab.counts, p.min_count, p.max_final_vocab)
        self._scan = _Scan(corpus, vocab.words, vocab.counts, None, 0, 0)
        self._install_vocab(vocab, None, False)
        self._scan = None
        if self._encoded is not None:
            self.corpus_count, self.corpus_total_words = self._encoded.n_sentences, self._encoded.raw_words

    def adopt_vocabulary(self, vocab: Vocabulary, keep: int = 0) -> None:
        """Make ``vocab`` the model's and size its tables (rows ``[0, keep)`` carry over).

        ``build_vocab`` comes here after its scan, a Dask run after its workers' counts are merged;
        both refuse an empty vocabulary with the same error (:func:`w2v.vocab.check_trainable`)."""
        check_trainable(vocab, self.effective_min_count, bool(self.params.hs))
        self.vocab = vocab
        self._allocate(len(vocab), keep=keep)

    def _allocate(self, n: int, keep: int = 0) -> None:
        """Tables for n words; rows [0, keep) carry over, new input rows are uniform in [-1, 1)/dim.

        That is gensim 4's initialisation, twice as wide as word2vec.c's [-0.5, 0.5)/dim: on
        wiki17m (5 epochs) it gained ~0.8 analogy points for both skip-gram and CBOW, and it is the
        scale gensim's reference figures were obtained with. Each output table is allocated only
        when its method is on (``negative``: ``syn1neg``; ``hs``: ``syn1``, one row per inner node of
        the Huffman tree, V-1, plus one unused row: gensim's V x d layout, so its files and code fit).
        """
        d = self.params.vector_size
        rng = np.random.default_rng([self.params.seed % 2**64, keep])
        syn0 = (rng.random((n, d), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(d)
        syn1neg = np.zeros((n if self.params.negative else 0, d), np.float32)
        syn1 = np.zeros((n if self.params.hs else 0, d), np.float32)
        lockf = getattr(self.wv, "vectors_lockf", None) if keep else None
        if keep:
            syn0[:keep] = self.wv.vectors[:keep]
            for new, old in ((syn1neg, self.syn1neg), (syn1, self.syn1)):
                rows = min(len(new), len(old), keep)
                new[:rows] = old[:rows]
        self.syn1neg, self.syn1 = syn1neg, syn1
        self.wv = _make_kv(syn0, self.vocab.words, self.vocab.counts)
        if lockf is not None and np.ndim(lockf) == 1 and len(lockf) == keep:  # per-word locks carry over
            self.wv.vectors_lockf = np.concatenate([lockf, np.ones(n - keep, lockf.dtype)])

    def _set_scan_counts(self, words: list, counts: np.ndarray, corpus_count: int) -> None:
        """A scan result without a corpus (``build_vocab_from_freq``)."""
        self._scan = _Scan(None, words, counts, None, int(counts.sum()), corpus_count)

    _make_kv = staticmethod(lambda vectors, words, counts: _make_kv(vectors, words, counts))

    def _remember_encoding(self, corpus, encoded) -> None:
        self._encoded, self._encoded_source = encoded, corpus

    @staticmethod
    def _corpus_argument(corpus_iterable, corpus_file):
        """gensim's rule: exactly one of ``corpus_iterable``/``sentences`` and ``corpus_file``."""
        if corpus_iterable is not None and corpus_file is not None:
            raise TypeError("pass either a corpus (sentences/corpus_iterable) or corpus_file, not both")
        if corpus_file is not None:
            if not isinstance(corpus_file, (str, os.PathLike)) or not os.path.isfile(corpus_file):
                raise TypeError(f"corpus_file must be the path of an existing file, got {corpus_file!r}")
            return corpus_file
        if corpus_iterable is None:
            raise TypeError("a corpus is needed: pass sentences/corpus_iterable or corpus_file")
        corpus_mod.check_corpus(corpus_iterable)
        return corpus_iterable

    # ---- training ----------------------------------------------------------------------------

    def train(self, corpus_iterable=None, corpus_file=None, total_examples=None, total_words=None,
              epochs=None, start_alpha=None, end_alpha=None, word_count=0, queue_factor=2,
              report_delay=1.0, compute_loss=False, callbacks=(), **kwargs):
        """Train ``epochs`` epochs on the corpus, the learning rate decaying linearly (gensim's call).

        As in gensim, ``epochs`` and one of ``total_examples``/``total_words`` are required, and
        ``start_alpha``, ``end_alpha``, ``epochs`` and ``compute_loss`` become the model's
        settings. w2v schedules the learning rate by the corpus it actually reads: a
        ``total_examples``/``total_words`` that disagrees with it is reported with a warning and
        not used. ``word_count``, ``queue_factor`` and ``report_delay`` have no effect. The
        corpus may be omitted to train on the one just given to :meth:`build_vocab` (w2v).
        Keyword-only w2v options: ``checkpoint``, ``checkpoint_every`` (see :func:`w2v.train`).
        Returns ``(trained_words, raw_words)``: in-vocabulary words trained (before
        subsampling, as the learning rate counts them) and tokens read, over all epochs.
        """
        _, extras = split_options(kwargs, ("checkpoint", "checkpoint_every"), params=False)
        check_train_call(total_examples, total_words, epochs)
        corpus = None
        if corpus_iterable is not None or corpus_file is not None:
            corpus = self._corpus_argument(corpus_iterable, corpus_file)
        if self._training_lock.locked():  # before the settings below change under a running train()
            raise RuntimeError("this model is already training (in another thread or from a callback); "
                               "wait for that train() to return")
        self.alpha = start_alpha or self.alpha
        self.min_alpha = end_alpha or self.min_alpha
        self.epochs = epochs
        self.compute_loss = compute_loss
        checkpointer = extras.get("checkpoint")
        if not isinstance(checkpointer, Checkpointer):  # a path (or None); the CLI passes its own object
            checkpointer = Checkpointer.create(checkpointer, extras.get("checkpoint_every"))
        return self.run_training(corpus, epochs, self.alpha, self.min_alpha, checkpointer,
                                 callbacks=check_callbacks(callbacks), totals=(total_examples, total_words))

    def run_training(self, corpus, epochs, alpha, min_alpha, checkpointer=None, start=None, callbacks=(),
                     totals=(None, None)) -> tuple[int, int]:
        """One training run in this process: what ``train()``, ``w2v.train`` and :func:`w2v.resume` do.

        ``corpus``: a corpus, an :class:`~w2v.encode.EncodedCorpus`, or None (the one ``build_vocab``
        encoded); ``epochs``, ``alpha`` -> ``min_alpha``: the run's schedule; ``checkpointer``: a
        :class:`~w2v.checkpoint.Checkpointer` or None; ``start``: the
        :class:`~w2v.checkpoint.Position` a resumed run continues from; ``totals``: gensim's
        ``(total_examples, total_words)``, checked against the corpus. The lock is taken before
        the corpus is encoded, so a second train() on a model that is training fails at once and
        changes nothing. Returns gensim's ``(trained words, raw words)``.
        """
        started = time.perf_counter()
        try:
            with self.training_lock():
                self._check_trainable(alpha)
                encoded = corpus if isinstance(corpus, encode.EncodedCorpus) else self._encoding_for(corpus)
                _check_totals(encoded, *totals)
                if checkpointer is not None:
                    _json_keys(self.vocab.words)  # a key a checkpoint cannot hold fails now, not after an epoch
                self.begin_run(callbacks)
                run = Training(self, encoded, epochs, alpha, min_alpha, checkpointer, start)
                self.interrupted = not run.run()
                self.end_run(min_alpha)
                words = int(run.progress.sum())
        finally:
            self.release_encoded_corpus()
        self.total_train_time += time.perf_counter() - started
        return words - (start.run_words if start is not None else 0), encoded.raw_words * epochs

    # ---- the protocol of one training run (this process's threads, or a Dask cluster's rounds) ----

    @contextlib.contextmanager
    def training_lock(self):
        """Hold the model's training lock for one run, or fail at once if a run holds it.

        Taken before anything is read or encoded, so a second ``train()`` (another thread, a
        callback) changes nothing; on the way out the run's callbacks are dropped."""
        if not self._training_lock.acquire(blocking=False):
            raise RuntimeError("this model is already training (in another thread or from a callback); "
                               "wait for that train() to return")
        try:
            yield self
        finally:
            self._callbacks = ()
            self._training_lock.release()

    def begin_run(self, callbacks=()) -> None:
        """Install the run's callbacks, restart gensim's ``running_training_loss``, call ``on_train_begin``."""
        self._callbacks = tuple(callbacks)
        self._loss_mark, self._loss_base = len(self.loss_history), 0.0
        self.fire_callbacks("on_train_begin")

    def end_run(self, min_alpha: float) -> None:
        """Call ``on_train_end`` and count the finished run (gensim's ``train_count``, ``min_alpha_yet_reached``)."""
        self.fire_callbacks("on_train_end")
        self.train_count += 1
        self.min_alpha_yet_reached = float(min_alpha)

    def _check_trainable(self, alpha) -> None:
        """Refuse a model whose tables cannot train (a clear error here, never a kernel traceback)."""
        p = self.params
        p.validate()
        if self.vocab is None or len(self.vocab) != len(self.wv):
            raise ValueError("the model has no vocabulary (or its wv was replaced): call build_vocab(corpus) "
                             "before train()")
        if self.wv.vectors.shape[1] != p.vector_size:
            raise ValueError(f"vector_size={p.vector_size} but the vectors have {self.wv.vectors.shape[1]} "
                             "dimensions: build the vocabulary again after changing vector_size")
        # gensim's texts, logged at INFO: both are normal in w2v (word2vec.c trains hs with negatives,
        # and continued training restarts the rate), and gensim's WARNINGs would reach every stderr
        if p.hs and p.negative:
            logger.info("Both hierarchical softmax and negative sampling are activated. "
                           "This is probably a mistake. You should set either 'hs=0' "
                           "or 'negative=0' to disable one of them.")
        if alpha > self.min_alpha_yet_reached:
            logger.info("Effective 'alpha' higher than previous training cycles")
        if not self.wv.vectors.flags.writeable:  # memory-mapped read-only (load(mmap='r')): train a copy
            self.wv.vectors = np.array(self.wv.vectors)
        for name in ("syn1neg", "syn1"):
            if not getattr(self, name).flags.writeable:
                setattr(self, name, np.array(getattr(self, name)))
        v, d = len(self.vocab), p.vector_size
        if p.negative and self.syn1neg.shape != (v, d):  # negative switched on after build_vocab
            self.syn1neg = np.zeros((v, d), np.float32)
        if p.hs and (len(self.syn1) < v - 1 or self.syn1.shape[1:] != (d,)):  # w2v < 0.2 saved V-1 rows
            self.syn1 = np.zeros((v, d), np.float32)
        if len(self.rng_states) < p.workers:  # workers raised after construction
            more = initial_rng_states(p.seed, p.workers)
            more[:len(self.rng_states)] = self.rng_states
            self.rng_states = more

    def _encoding_for(self, corpus):
        if corpus is None or corpus is self._encoded_source:
            if self._encoded is None:
                raise ValueError("train() needs a corpus: pass it (the one given to build_vocab was already "
                                 "used, or the vocabulary came from a file or a frequency table)")
            return self._encoded
        corpus_mod.check_corpus(corpus)
        p = self.params
        return encode.encode_with_vocab(corpus, self.vocab, p.max_sentence_length, p.errors, self.spill_dir)

    def fire_callbacks(self, name: str) -> None:
        """Call ``name`` (``"on_epoch_begin"``, ...) on each callback of the running ``train()``, as gensim
        does; the training loops (threads here, rounds on Dask) call it at their epoch bounds."""
        for cb in self._callbacks:
            method = getattr(cb, name, None)
            if method is not None:
                method(self)

    # ---- persistence -------------------------------------------------------------------------

    def save(self, fname_or_handle, separately=None, sep_limit=10 * 1024**2, ignore=frozenset(),
             pickle_protocol=4) -> None:
        """Save the whole model (to continue training later) as one .npz file, atomically.

        gensim's signature; ``separately``, ``sep_limit``, ``ignore`` and ``pickle_protocol`` have
        no effect (w2v writes no pickle). An existing file is replaced only once the new one is
        complete. A writable binary file object is written to directly.
        """
        meta, arrays = self.to_state()
        payload = dict(meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8), **arrays)
        if hasattr(fname_or_handle, "write"):
            np.savez(fname_or_handle, **payload)
            return
        with atomic_write(fname_or_handle) as f:
            np.savez(f, **payload)

    def to_state(self) -> tuple[dict, dict]:
        """Everything :meth:`save` writes, as (JSON-able meta, arrays); checkpoints store it too."""
        if self.vocab is None:
            raise ValueError("cannot save a model without a vocabulary")
        meta = {"format": SAVE_FORMAT, "params": self.params.to_dict(), "words": _json_keys(self.vocab.words),
                "loss_history": self.loss_history, "epochs_trained": self.epochs_trained,
                "corpus_total_words": self.corpus_total_words, "corpus_count": self.corpus_count,
                "min_alpha_yet_reached": self.min_alpha_yet_reached, "train_count": self.train_count,
                "huffman": self.vocab.huffman_kind}
        arrays = {"counts": self.vocab.counts, "syn0": self.wv.vectors, "syn1neg": self.syn1neg,
                  "syn1": self.syn1, "rng_states": self.rng_states}
        lockf = getattr(self.wv, "vectors_lockf", None)
        if lockf is not None:
            arrays["vectors_lockf"] = np.asarray(lockf, np.float32)
        return meta, arrays

    @class_only
    def load(cls, fname, mmap=None, **kwargs):
        """Load a model written by :meth:`save`, or a gensim ``Word2Vec.save()`` file (gensim 0.12-4.x).

        gensim's files are read by a restricted unpickler that runs nothing from the file
        (:mod:`w2v.gensim_pickle`); ``mmap`` applies to their separate ``.npy`` arrays. w2v's own
        ``.npz`` is read into memory whatever ``mmap`` says. A file that holds KeyedVectors, not a
        model, raises AttributeError as in gensim. Call it on the class: ``Word2Vec.load(path)``.
        """
        from . import gensim_compat

        if gensim_compat.is_gensim_file(fname):
            return cls.from_gensim_state(gensim_compat.load_gensim_state(fname, mmap))
        try:
            with np.load(fname, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode("utf-8"))
                arrays = {k: z[k] for k in z.files if k != "meta"}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            if isinstance(e, FileNotFoundError):
                raise
            gensim_compat.refuse_keyed_vectors(fname)
            raise ValueError(f"{str(fname)!r} is not a w2v model file: {e}") from None
        if meta.get("format") != SAVE_FORMAT:
            raise ValueError(f"{str(fname)!r}: unsupported model format {meta.get('format')!r}")
        return cls.from_state(meta, arrays)

    @classmethod
    def from_state(cls, meta: dict, arrays: dict) -> Word2Vec:
        """Rebuild a model from :meth:`_state`'s output."""
        model = cls.__new__(cls)
        model.params = TrainParams.from_dict(meta["params"])
        model.cache_dir, model.spill_dir, model.hashfxn, model.comment = None, None, hash, None
        model.clear_state()
        model.vocab = Vocabulary(meta["words"], arrays["counts"], meta.get("huffman", "word2vec"))
        model.wv = _make_kv(arrays["syn0"], model.vocab.words, model.vocab.counts)
        if "vectors_lockf" in arrays:
            model.wv.vectors_lockf = arrays["vectors_lockf"]
        model.syn1neg, model.syn1 = arrays["syn1neg"], arrays["syn1"]
        if arrays["rng_states"].shape == model.rng_states.shape:
            model.rng_states = arrays["rng_states"]
        model.loss_history = list(meta["loss_history"])
        model._loss_mark = len(model.loss_history)
        model.epochs_trained = meta["epochs_trained"]
        model.corpus_total_words = meta["corpus_total_words"]
        model.corpus_count = meta.get("corpus_count", 0)
        model.train_count = meta.get("train_count", 0)
        model.min_alpha_yet_reached = meta.get("min_alpha_yet_reached", model.params.alpha)
        return model

    def __repr__(self) -> str:
        p = self.params
        arch = "skip-gram" if p.sg else "CBOW"
        vocab = len(self.vocab) if self.vocab is not None else 0
        return f"Word2Vec({arch}, vocab={vocab}, vector_size={p.vector_size}, epochs_trained={self.epochs_trained})"


def load(path: str | os.PathLike, mmap=None) -> Word2Vec:
    """Load a model saved with ``Word2Vec.save`` (w2v's or gensim's)."""
    return Word2Vec.load(path, mmap=mmap)


def _make_kv(vectors, words, counts) -> KeyedVectors:
    """The model's KeyedVectors over ``vectors`` (held by reference: training updates it in place).

    gensim's ``KeyedVectors(vector_size, ...)`` constructor takes no table; ``from_vectors`` wraps one.
    """
    return KeyedVectors.from_vectors(vectors, words, counts)


def _json_keys(words) -> list:
    """The vocabulary as JSON values: str, int, float, bool and None keys survive a round trip."""
    out = []
    for w in words:
        if isinstance(w, np.generic):
            w = w.item()
        if not isinstance(w, (str, int, float, type(None))) or (isinstance(w, float) and not np.isfinite(w)):
            raise TypeError(f"model.save stores str, int and float words; {type(w).__name__} {w!r:.60} cannot "
                            "be stored (pickle the model instead: pickle.dump(model, f))")
        out.append(w)
    return out


def _check_totals(encoded, total_examples, total_words) -> None:
    """gensim's sizes of the corpus, checked against what was read; a mismatch is reported only.

    gensim would scale its learning-rate decay by the number given; w2v always schedules by the
    corpus it reads, so a wrong number cannot stretch or cut the decay.
    """
    for name, given, actual in (("total_examples", total_examples, encoded.n_sentences),
                                ("total_words", total_words, encoded.raw_words)):
        if given is not None and int(given) != actual:
            warnings.warn(f"train({name}={given}) but the corpus has {actual} "
                          f"{'sentences' if name == 'total_examples' else 'words'}; w2v schedules the "
                          "learning rate by the corpus it reads and ignores the number given", stacklevel=4)


def _downsample_report(scan: _Scan, keep: np.ndarray, sample: float) -> dict:
    """gensim's ``downsample_unique``/``downsample_total`` for the retained words."""
    counts = scan.counts[keep].astype(np.float64)
    total = counts.sum()
    if not sample or total == 0:
        return {"downsample_unique": 0, "downsample_total": int(total)}
    threshold = sample * total if sample < 1.0 else int(sample * (3 + np.sqrt(5)) / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        prob = (np.sqrt(counts / threshold) + 1) * (threshold / counts)
    down = prob < 1.0
    return {"downsample_unique": int(down.sum()),
            "downsample_total": int((prob[down] * counts[down]).sum() + counts[~down].sum())}
