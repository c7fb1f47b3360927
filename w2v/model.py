"""The Word2Vec model: vocabulary, tables and training state, with gensim's methods.

``w2v.train(corpus, **params)`` is the one-call path; ``Word2Vec`` offers gensim's step-by-step
path (``build_vocab`` then ``train``), continued training and online vocabulary growth.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import zipfile
import zlib

import numpy as np

from . import corpus as corpus_mod
from . import encode
from ._fileutil import atomic_write
from .checkpoint import Checkpointer
from .params import TrainParams
from .training import Training, initial_rng_states
from .vectors import KeyedVectors
from .vocab import Vocabulary, count_words_pruned

logger = logging.getLogger("w2v")
SAVE_FORMAT = 1


def train(corpus, *, callbacks=(), cache_dir=None, vocab: Vocabulary | None = None,
          checkpoint=None, checkpoint_every: int | None = None, **params) -> Word2Vec:
    """Build the vocabulary of ``corpus`` and train on it; return the trained :class:`Word2Vec`.

    ``corpus`` is a path (file, directory, .gz/.bz2/.xz) or an iterable of token lists.
    ``params`` are gensim's ``Word2Vec`` parameters (see :class:`~w2v.params.TrainParams`).
    ``cache_dir`` is where file scans are cached (None: the default cache; False: no cache; a
    directory, or a :class:`w2v.cache.DiskCache` for another size cap).
    ``vocab`` uses a ready vocabulary (e.g. ``Vocabulary.read_word2vec_vocab``) instead of a scan.
    ``checkpoint`` is a file the run is saved to at every epoch end and, with ``checkpoint_every``,
    every that many words; :func:`w2v.resume` continues from it (see :mod:`w2v.checkpoint`).
    """
    checkpointer = Checkpointer.create(checkpoint, checkpoint_every)  # bad paths fail before the scan
    model = Word2Vec(callbacks=callbacks, cache_dir=cache_dir, **params)
    model.build_vocab(corpus, vocab=vocab)
    model.train(corpus, checkpoint=checkpointer)
    return model


class Word2Vec:
    """A word2vec model: ``wv`` (input vectors), ``syn1neg``/``syn1`` (output tables), vocabulary."""

    def __init__(self, corpus=None, *, callbacks=(), cache_dir=None, **params):
        unknown = set(params) - set(TrainParams.__dataclass_fields__)
        if unknown:
            raise TypeError(f"unknown parameter(s) {sorted(unknown)}; see help(w2v.TrainParams)")
        self.params = TrainParams(**params)
        self.callbacks = _check_callbacks(callbacks)
        self.cache_dir = cache_dir
        self.vocab: Vocabulary | None = None
        self.wv: KeyedVectors | None = None
        self.syn1neg = np.zeros((0, self.params.vector_size), np.float32)
        self.syn1 = np.zeros((0, self.params.vector_size), np.float32)
        self.rng_states = initial_rng_states(self.params.seed, self.params.workers)
        self.loss_history: list[float] = []
        self.epochs_trained = 0
        self.corpus_total_words = 0
        self.interrupted = False
        self.last_train_words = 0  # in-vocabulary words the last train() call trained (before subsampling)
        self._encoded = None
        self._encoded_source = None
        self._training_lock = threading.Lock()
        if corpus is not None:
            self.build_vocab(corpus)
            self.train(corpus)

    # ---- vocabulary --------------------------------------------------------------------------

    def build_vocab(self, corpus, update: bool = False, vocab: Vocabulary | None = None) -> Word2Vec:
        """Scan ``corpus`` for the vocabulary and allocate the tables.

        With ``update=True`` the words of ``corpus`` that reach ``min_count`` and are new are
        appended (online training): existing vectors and ids are kept, counts of known words grow.
        The corpus is encoded in the same pass, so the following ``train(corpus)`` reads no text.
        """
        p = self.params
        if update and self.vocab is None:
            raise ValueError("build_vocab(update=True) needs a vocabulary: call build_vocab(corpus) first")
        corpus_mod.check_corpus(corpus)
        if update:
            return self._update_vocab(corpus)
        if vocab is not None:
            vocab, _ = Vocabulary.from_counts(vocab.words, vocab.counts, p.min_count, p.max_final_vocab)
            encoded = encode.encode_with_vocab(corpus, vocab, p.max_sentence_length, p.errors)
        elif p.max_vocab_size is not None:
            vocab, encoded = self._pruned_scan(corpus)
        else:
            raw = encode.scan(corpus, p.max_sentence_length, p.errors, self.cache_dir, p.workers)
            vocab, kept = Vocabulary.from_counts(raw.words, raw.counts(), p.min_count, p.max_final_vocab)
            encoded = raw.encode(vocab, consume=True, kept=kept) if len(vocab) else None
        self._check_vocab_size(vocab, corpus)
        self.vocab = vocab
        self._allocate(len(vocab))
        self._remember_encoding(corpus, encoded)
        logger.info("vocabulary: %d words (min_count=%d), %d of %d corpus words in vocabulary",
                    len(vocab), p.min_count, encoded.n_words, encoded.raw_words)
        return self

    def _pruned_scan(self, corpus):
        """max_vocab_size: count with pruning (bounded memory), then encode in a second pass."""
        p = self.params
        if corpus_mod.is_one_shot(corpus):
            raise TypeError("max_vocab_size needs two passes over the corpus, but it is a one-shot "
                            "iterator; pass a list, a restartable iterable or a file path")
        sentences = corpus_mod.iter_sentences(corpus, p.max_sentence_length, p.errors)
        words, counts = count_words_pruned(sentences, p.max_vocab_size)
        vocab, _ = Vocabulary.from_counts(words, counts, p.min_count, p.max_final_vocab)
        self._check_vocab_size(vocab, corpus)
        return vocab, encode.encode_with_vocab(corpus, vocab, p.max_sentence_length, p.errors)

    def _update_vocab(self, corpus) -> Word2Vec:
        p = self.params
        raw = encode.scan(corpus, p.max_sentence_length, p.errors, self.cache_dir, p.workers)
        counts = raw.counts()
        known = self.vocab.word_to_id
        new_counts = self.vocab.counts.copy()
        new_words, new_word_counts = [], []
        for w, c in zip(raw.words, counts.tolist()):
            if w in known:
                new_counts[known[w]] += c
            elif c >= p.min_count:
                new_words.append(w)
                new_word_counts.append(c)
        old = len(self.vocab)
        self.vocab = Vocabulary(list(self.vocab.words), new_counts).extend(new_words, new_word_counts)
        self._allocate(len(self.vocab), keep=old)
        self._remember_encoding(corpus, raw.encode(self.vocab, consume=True))
        logger.info("vocabulary update: %d new words, %d in all", len(new_words), len(self.vocab))
        return self

    def _check_vocab_size(self, vocab: Vocabulary, corpus) -> None:
        if len(vocab) == 0:
            raise ValueError(f"no word of the corpus reaches min_count={self.params.min_count}; "
                             "lower min_count or give a larger corpus")
        if self.params.hs and len(vocab) < 2:
            raise ValueError("hierarchical softmax needs at least 2 words in the vocabulary")

    def _allocate(self, n: int, keep: int = 0) -> None:
        """Tables for n words; rows [0, keep) carry over, new input rows are uniform in [-1, 1)/dim.

        That is gensim 4's initialisation, twice as wide as word2vec.c's [-0.5, 0.5)/dim: on
        wiki17m (5 epochs) it gained ~0.8 analogy points for both skip-gram and CBOW, and it is the
        scale gensim's reference figures were obtained with.
        """
        d = self.params.vector_size
        rng = np.random.default_rng([self.params.seed, keep])
        syn0 = (rng.random((n, d), dtype=np.float32) * np.float32(2.0) - np.float32(1.0)) / np.float32(d)
        syn1neg = np.zeros((n, d), np.float32)
        syn1 = np.zeros((max(n - 1, 0), d), np.float32)
        if keep:
            syn0[:keep] = self.wv.vectors[:keep]
            syn1neg[:keep] = self.syn1neg[:keep]
            syn1[:len(self.syn1)] = self.syn1[:len(syn1)]
        self.syn1neg = syn1neg if self.params.negative else np.zeros((0, d), np.float32)
        self.syn1 = syn1 if self.params.hs else np.zeros((0, d), np.float32)
        self.wv = KeyedVectors.from_vectors(syn0, self.vocab.words, self.vocab.counts)

    def _remember_encoding(self, corpus, encoded) -> None:
        self._encoded, self._encoded_source = encoded, corpus
        self.corpus_total_words = encoded.raw_words

    # ---- training ----------------------------------------------------------------------------

    def train(self, corpus=None, epochs: int | None = None, start_alpha: float | None = None,
              end_alpha: float | None = None, *, checkpoint=None,
              checkpoint_every: int | None = None) -> Word2Vec:
        """Train ``epochs`` epochs (default: the model's) on ``corpus``, decaying alpha linearly.

        ``corpus`` defaults to the one given to :meth:`build_vocab`; a different corpus is encoded
        against the current vocabulary (its new words are ignored: see ``build_vocab(update=True)``).
        ``checkpoint``/``checkpoint_every``: see :func:`w2v.train`.
        """
        if self.vocab is None:
            raise ValueError("the model has no vocabulary: call build_vocab(corpus) before train()")
        p = self.params
        epochs = p.epochs if epochs is None else epochs
        TrainParams(**{**p.to_dict(), "epochs": epochs})  # validates epochs like every parameter
        if not isinstance(checkpoint, Checkpointer):
            checkpoint = Checkpointer.create(checkpoint, checkpoint_every)
        return self._run_training(corpus, epochs, p.alpha if start_alpha is None else start_alpha,
                                  p.min_alpha if end_alpha is None else end_alpha, checkpoint)

    def _run_training(self, corpus, epochs, alpha, min_alpha, checkpointer=None, start=None) -> Word2Vec:
        """One run under the training lock (``corpus`` may be an already encoded corpus).

        The lock is taken before the corpus is encoded, so a second train() on a model that is
        training fails at once and changes nothing. :func:`w2v.resume` enters here with ``start``.
        """
        if not self._training_lock.acquire(blocking=False):
            raise RuntimeError("this model is already training (in another thread or from a callback); "
                               "wait for that train() to return")
        try:
            encoded = corpus if isinstance(corpus, encode.EncodedCorpus) else self._encoding_for(corpus)
            self._callback("on_train_begin")
            run = Training(self, encoded, epochs, alpha, min_alpha, checkpointer, start)
            self.interrupted = not run.run()
            self._callback("on_train_end")
        finally:
            self._training_lock.release()
            self._encoded = self._encoded_source = None
        return self

    def _encoding_for(self, corpus):
        if corpus is None or corpus is self._encoded_source:
            if self._encoded is None:
                raise ValueError("train() needs a corpus: the one given to build_vocab was already used")
            return self._encoded
        corpus_mod.check_corpus(corpus)
        p = self.params
        encoded = encode.encode_with_vocab(corpus, self.vocab, p.max_sentence_length, p.errors)
        self.corpus_total_words = encoded.raw_words
        return encoded

    def _callback(self, name: str) -> None:
        for cb in self.callbacks:
            method = getattr(cb, name, None)
            if method is not None:
                method(self)

    # ---- persistence -------------------------------------------------------------------------

    def save(self, path: str | os.PathLike) -> None:
        """Save the whole model (to continue training later) as one .npz file, atomically."""
        meta, arrays = self._state()
        with atomic_write(path) as f:
            np.savez(f, meta=np.frombuffer(json.dumps(meta).encode("utf-8"), np.uint8), **arrays)

    def _state(self) -> tuple[dict, dict]:
        """Everything :meth:`save` writes, as (JSON-able meta, arrays); checkpoints store it too."""
        if self.vocab is None:
            raise ValueError("cannot save a model without a vocabulary")
        meta = {"format": SAVE_FORMAT, "params": self.params.to_dict(), "words": self.vocab.words,
                "loss_history": self.loss_history, "epochs_trained": self.epochs_trained,
                "corpus_total_words": self.corpus_total_words}
        arrays = {"counts": self.vocab.counts, "syn0": self.wv.vectors, "syn1neg": self.syn1neg,
                  "syn1": self.syn1, "rng_states": self.rng_states}
        return meta, arrays

    @classmethod
    def load(cls, path: str | os.PathLike) -> Word2Vec:
        """Load a model written by :meth:`save`."""
        try:
            with np.load(path, allow_pickle=False) as z:
                meta = json.loads(z["meta"].tobytes().decode("utf-8"))
                arrays = {k: z[k] for k in ("counts", "syn0", "syn1neg", "syn1", "rng_states")}
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error) as e:
            if isinstance(e, FileNotFoundError):
                raise
            raise ValueError(f"{str(path)!r} is not a w2v model file: {e}") from None
        if meta.get("format") != SAVE_FORMAT:
            raise ValueError(f"{str(path)!r}: unsupported model format {meta.get('format')!r}")
        return cls._from_state(meta, arrays)

    @classmethod
    def _from_state(cls, meta: dict, arrays: dict) -> Word2Vec:
        """Rebuild a model from :meth:`_state`'s output."""
        model = cls(**meta["params"])
        model.vocab = Vocabulary(meta["words"], arrays["counts"])
        model.wv = KeyedVectors.from_vectors(arrays["syn0"], model.vocab.words, model.vocab.counts)
        model.syn1neg, model.syn1 = arrays["syn1neg"], arrays["syn1"]
        if arrays["rng_states"].shape == model.rng_states.shape:
            model.rng_states = arrays["rng_states"]
        model.loss_history = list(meta["loss_history"])
        model.epochs_trained = meta["epochs_trained"]
        model.corpus_total_words = meta["corpus_total_words"]
        return model

    def __repr__(self) -> str:
        p = self.params
        arch = "skip-gram" if p.sg else "CBOW"
        vocab = len(self.vocab) if self.vocab is not None else 0
        return f"Word2Vec({arch}, vocab={vocab}, vector_size={p.vector_size}, epochs_trained={self.epochs_trained})"


def load(path: str | os.PathLike) -> Word2Vec:
    """Load a model saved with ``Word2Vec.save``."""
    return Word2Vec.load(path)


def _check_callbacks(callbacks) -> tuple:
    hooks = ("on_train_begin", "on_epoch_begin", "on_epoch_end", "on_train_end")
    callbacks = tuple(callbacks)
    for cb in callbacks:
        if not any(callable(getattr(cb, h, None)) for h in hooks):
            raise TypeError(f"callback {cb!r} has none of the methods {hooks}")
    return callbacks
