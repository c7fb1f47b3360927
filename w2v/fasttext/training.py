"""The FastText training driver: epochs, threads and progress around :func:`.kernels.train_fasttext_chunk`.

The same shape as Word2Vec's driver (:mod:`w2v.training`): the encoded corpus is cut into chunks
of sentences (``plan_chunks``), ``workers`` threads pull chunks and run the nogil kernel on them
(Hogwild, no locks), the main thread draws progress, and callbacks fire at epoch bounds. The
tables are the FastText ones: ``vectors_vocab`` and ``vectors_ngrams`` in, ``syn1neg``/``syn1``
out, with every vocabulary word's n-gram bucket ids precomputed once (CSR).
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass

import numpy as np

from ..encode import SentenceBuffers
from ..kernels.sentences import SLOT_STRIDE
from ..progress import LOSS_WINDOW, Progress, kernel_step, progress_mode
from ..training import ChunkQueue, plan_chunks, private_zeros
from .kernels import NOISE_AHEAD, UPDATES, row_growths, train_fasttext_chunk

logger = logging.getLogger("w2v")
POLL_SECONDS = 0.2


def fasttext_update(p) -> int:
    """The update a FastText run uses (:data:`.kernels.UPDATES`): ``kernel`` with ``"auto"`` resolved.

    ``"auto"`` is ``"shared"``, the window slots, in both modes: they train gensim's pairs, with
    one draw of negatives per target word, at gensim's quality (benchmarks/results/, fasttext).
    An earlier skip-gram ``"shared"`` drew one set per *centre* word (the input) for all its
    contexts: each centre then met a fifth of the noise words, 4.8 analogy points below gensim;
    ``"batched"`` keeps that draw, trained once per centre word."""
    if p.kernel == "auto":
        return UPDATES["shared"]
    return UPDATES[p.kernel]


@dataclass
class FastTextTables:
    """What the kernel reads besides the trained rows, derived from the vocabulary and settings."""

    ngram_starts: np.ndarray   # int64 (V+1,)
    ngram_ids: np.ndarray      # int32
    row_growth: np.ndarray     # float32 (V,): kernels.row_growths
    keep_thr: np.ndarray       # uint64 (V,)
    alias_thr: np.ndarray      # uint64
    alias_idx: np.ndarray      # int32
    codes: np.ndarray          # uint8 (V, L)
    points: np.ndarray         # int32 (V, L)
    codelens: np.ndarray       # int32 (V,)
    vocab_lockf: np.ndarray    # float32 (>= 1,)
    ngrams_lockf: np.ndarray   # float32 (>= 1,)
    use_lockf: bool

    @classmethod
    def build(cls, model) -> FastTextTables:
        p, vocab, wv = model.params, model.vocab, model.wv
        alias_thr, alias_idx = vocab.noise_table(p.ns_exponent)
        if p.hs:
            codes, points, codelens = vocab.huffman()
        else:
            codes, points, codelens = np.zeros((1, 1), np.uint8), np.zeros((1, 1), np.int32), np.zeros(1, np.int32)
        vocab_lockf = _lock_array(wv.vectors_vocab_lockf, "vectors_vocab_lockf")
        ngrams_lockf = _lock_array(wv.vectors_ngrams_lockf, "vectors_ngrams_lockf")
        use_lockf = not ((vocab_lockf == 1.0).all() and (ngrams_lockf == 1.0).all())
        starts, ids = wv.ngram_table()
        return cls(starts, ids, row_growths(starts, ids), vocab.keep_thresholds(p.sample), alias_thr, alias_idx,
                   codes, points, codelens, vocab_lockf, ngrams_lockf, use_lockf)


def _lock_array(lockf, name: str) -> np.ndarray:
    """gensim's lock factors (row r uses ``lockf[r % len]``), refused unless a non-empty float32 vector."""
    if not isinstance(lockf, np.ndarray) or lockf.ndim != 1 or len(lockf) == 0:
        raise ValueError(f"wv.{name} must be a 1-D numpy float32 array with at least one factor, got {lockf!r:.80}")
    if lockf.dtype != np.float32:
        raise TypeError(f"wv.{name} has dtype {lockf.dtype}; expected float32 (use .astype(np.float32))")
    if not np.isfinite(lockf).all():
        raise ValueError(f"wv.{name} holds a non-finite factor")
    return np.ascontiguousarray(lockf)


class ThreadScratch:
    """One thread's private buffers, each on cache lines of its own."""

    def __init__(self, d: int, window: int, negative: int, max_sentence: int):
        span = 2 * window
        self.sent = private_zeros(max_sentence, np.int32)
        self.contexts = private_zeros(span, np.int32)
        self.neg_targets = private_zeros((max(span, NOISE_AHEAD), max(negative + 1, span * negative)), np.int32)
        self.neg_counts = private_zeros(max(span, NOISE_AHEAD), np.int32)
        self.neu1 = private_zeros(d, np.float32)
        self.work = private_zeros(d, np.float32)
        self.work_total = private_zeros(d, np.float32)
        self.slot_sums = private_zeros((span + 1, d), np.float32)
        self.slot_grads = private_zeros((span + 1, d), np.float32)
        self.slot_steps = private_zeros(span + 1, np.float32)
        self.slot_rows = private_zeros(span + 1, np.int32)
        self.slot_used = private_zeros(span + 1, np.int32)
        self.chunk = SentenceBuffers()


class FastTextTraining:
    """One ``FastText.train`` call: ``epochs`` passes over the encoded corpus."""

    def __init__(self, model, encoded, epochs: int, alpha: float, min_alpha: float, callbacks=()):
        self.model, self.encoded, self.epochs, self.callbacks = model, encoded, epochs, tuple(callbacks)
        p = model.params
        self.tables = FastTextTables.build(model)
        longest = max(1, encoded.longest_sentence())
        self.scratch = [ThreadScratch(p.vector_size, p.window, p.negative, longest) for _ in range(p.workers)]
        self.chunks = plan_chunks(encoded, p.workers)
        self.epoch_words = max(1, encoded.n_words)
        self.total_words = self.epoch_words * epochs
        self.settings = (int(p.sg), int(p.cbow_mean), int(p.window), bool(p.shrink_windows), int(p.negative),
                         int(p.hs), bool(p.compute_loss), fasttext_update(p), float(alpha), float(min_alpha),
                         int(self.total_words), int(self.epoch_words), int(max(1, p.batch_words)))
        self.progress = np.zeros(p.workers * SLOT_STRIDE, np.int64)
        self.loss = np.zeros(p.workers * SLOT_STRIDE, np.float64)
        self.stop = np.zeros(1, np.int32)
        self.errors: list[BaseException] = []
        self.loss_words = 0
        self.composed = False  # wv.vectors composed from the tables as training left them

    def run(self) -> bool:
        """Train all epochs; return False if interrupted by Ctrl-C (the model keeps what was trained)."""
        model, p = self.model, self.model.params
        display = Progress(self.total_words, 0, self.epochs, progress_mode(p.progress), show_loss=bool(p.compute_loss),
                           loss_window=min(LOSS_WINDOW, self.epoch_words), desc="w2v fasttext")
        try:
            kernel_step(train_fasttext_chunk, self.first_dispatch, display.message)
            display.begin()
            for epoch in range(self.epochs):
                self.fire("on_epoch_begin")
                if not self.epoch(epoch, display):
                    return False
                self.fire("on_epoch_end")
        except KeyboardInterrupt:
            self.stop_workers()
            return False
        finally:
            display.close()
            model.last_train_words = int(self.progress.sum())
        return True

    def fire(self, name: str) -> None:
        for cb in self.callbacks:
            method = getattr(cb, name, None)
            if method is not None:
                method(self.model)

    def first_dispatch(self) -> None:
        """An empty chunk, so the compile or cache load is its own step, not 0% of epoch 1."""
        self.train(0, 0, 0)

    def train(self, k: int, begin: int, end: int) -> None:
        """Thread ``k`` trains sentences [begin, end)."""
        m, t, s = self.model, self.tables, self.scratch[k]
        wv = m.wv
        ids, offsets, b, e = self.encoded.sentences(begin, end, s.chunk)
        train_fasttext_chunk(wv.vectors_vocab, wv.vectors_ngrams, m.syn1neg, m.syn1, t.ngram_starts, t.ngram_ids,
                             t.row_growth, t.vocab_lockf, t.ngrams_lockf, t.use_lockf, ids, offsets, b, e,
                             t.keep_thr, t.alias_thr, t.alias_idx, t.codes, t.points, t.codelens,
                             *self.settings, self.progress, k * SLOT_STRIDE, self.stop, m.rng_states[k], self.loss,
                             s.sent, s.contexts, s.neg_targets, s.neg_counts, s.neu1, s.work, s.work_total,
                             s.slot_sums, s.slot_grads, s.slot_steps, s.slot_rows, s.slot_used)

    def worker(self, k: int, jobs: ChunkQueue) -> None:
        try:
            while not self.stop[0]:
                try:
                    begin, end = jobs.get_nowait()
                except queue.Empty:
                    return
                self.train(k, begin, end)
        except BaseException as e:  # surfaced by the main thread
            self.errors.append(e)
            self.stop[0] = 1

    def epoch(self, epoch: int, display: Progress) -> bool:
        self.composed = False
        words_before, loss_before = int(self.progress.sum()), float(self.loss.sum())
        started = time.perf_counter()
        jobs = ChunkQueue(self.chunks, {c: self.encoded.words_between(*c) for c in self.chunks})
        threads = [threading.Thread(target=self.worker, args=(k, jobs), daemon=True, name=f"w2v-fasttext-{k}")
                   for k in range(self.model.params.workers)]
        self.threads = threads
        interrupted = False
        try:
            for t in threads:
                t.start()
            while True:
                alive = [t for t in threads if t.is_alive()]
                if not alive:
                    break
                alive[0].join(POLL_SECONDS)
                display.update(int(self.progress.sum()), epoch, self.loss_words + jobs.finished_words,
                               float(self.loss.sum()))
        except KeyboardInterrupt:
            interrupted = True
            self.stop_workers()
        self.loss_words += jobs.finished_words
        if self.errors:
            raise self.errors[0]
        model = self.model
        words, loss = int(self.progress.sum()) - words_before, float(self.loss.sum()) - loss_before
        seconds = time.perf_counter() - started
        if not interrupted:
            model.loss_history.append(loss)
            model.epochs_trained += 1
        logger.info("fasttext epoch %d: %d words in %.2fs, %.0f words/s, loss %.6g", model.epochs_trained, words,
                    seconds, words / max(seconds, 1e-9), loss)
        model.check_finite(epoch + 1)
        self.composed = True
        return not interrupted

    def stop_workers(self) -> None:
        self.stop[0] = 1
        for t in getattr(self, "threads", ()):
            if t.ident is not None:
                t.join()
