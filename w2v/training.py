"""Training driver: epochs, threads, the shared learning rate, progress, callbacks and loss.

The driver owns everything that is Python: it cuts the encoded corpus into chunks of sentences,
starts ``workers`` threads that each pull chunks and run the nogil kernel on them (Hogwild: no
locks on the tables), and meanwhile the main thread only watches the shared progress counters to
draw the progress display (:mod:`w2v.progress`). No Python code runs per word.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from .checkpoint import Position, RunSpec
from .encode import SentenceBuffers
from .kernels import hot_rows
from .kernels.arguments import Corpus, Counters, Mode, Schedule, Scratch, Settings, Tables, WordTables
from .kernels.sentences import RING, SLOT_STRIDE, chunk_kernel, scheduled_alpha
from .kernels.skipgram import SG_KERNELS
from .progress import LOSS_WINDOW, Progress, kernel_step, progress_mode

logger = logging.getLogger("w2v")

CHUNK_WORDS = 200_000
#: negative sampling with |f| >= 6: skip the pair (gensim) rather than clip the sigmoid (word2vec.c).
#: Skipping scored as well or better on wiki17m (5 epochs, analogy: skip-gram 0.369 vs 0.366,
#: CBOW 0.296 vs 0.293 over 3 seeds), and it is what gensim, the quality reference, does.
NS_SKIP_SATURATED = True
POLL_SECONDS = 0.2


@dataclass
class KernelTables:
    """Per-word lookup tables the kernels read (all derived from the vocabulary and parameters)."""

    keep_thr: np.ndarray    # uint64: subsampling thresholds out of 2**32
    alias_thr: np.ndarray   # uint64: alias-table thresholds out of 2**32
    alias_idx: np.ndarray   # int32
    codes: np.ndarray       # uint8 V x L (1 x 1 when hs is off)
    points: np.ndarray      # int32 V x L
    codelens: np.ndarray    # int32 V
    lockf: np.ndarray       # float32 V: input-row update factors (1 x 1 when nothing is locked)
    use_lockf: bool         # False: the kernels never read lockf (the unlocked fast path)
    hot_first: int          # first inner node each thread trains in a private copy (kernels.hot_rows)
    hot_rows: int           # how many: syn1[hot_first:], 0 when off (no hs, HogBatch, a tree of odd shape)

    @classmethod
    def build(cls, vocab, params, lockf=None) -> KernelTables:
        alias_thr, alias_idx = vocab.noise_table(params.ns_exponent)
        if params.hs:
            codes, points, codelens = vocab.huffman()
        else:
            codes = np.zeros((1, 1), np.uint8)
            points = np.zeros((1, 1), np.int32)
            codelens = np.zeros(1, np.int32)
        factors, use_lockf = lock_factors(lockf, len(vocab))
        n_inner = len(vocab) - 1
        first = n_inner
        # not for HogBatch ("batched"): it reads and writes each target row once per block, not once
        # per pair, and its two block calls (copies, then shared rows) may be compiled differently
        # from its one call without copies, so one worker would no longer be bit-identical
        if params.hs and not (params.sg and params.sg_kernel == "batched"):
            first = hot_rows.hot_first(points, codelens, n_inner, hot_rows.HOT_ROWS)
        return cls(vocab.keep_thresholds(params.sample), alias_thr, alias_idx, codes, points, codelens,
                   factors, use_lockf, first, n_inner - first)

    @property
    def words(self) -> WordTables:
        """The kernel's per-word tables (:class:`w2v.kernels.arguments.WordTables`)."""
        return WordTables(self.keep_thr, self.alias_thr, self.alias_idx, self.codes, self.points, self.codelens,
                          self.lockf, bool(self.use_lockf), int(self.hot_first))


_NO_LOCK = np.ones(1, np.float32)


def lock_factors(lockf, n_words: int) -> tuple[np.ndarray, bool]:
    """gensim's ``wv.vectors_lockf`` as the kernels take it: (per-word float32 factors, use them?).

    gensim 4 keeps a 1-element array by default (one factor for every word: 1 = no locking) or one
    factor per word (0 = frozen, 1 = normal, between = scaled). An array of ones, of either shape,
    selects the kernels' unlocked path, so a model that never locks anything trains at full speed.
    gensim reads the array through a float32 pointer and indexes it modulo its length, so a float64
    array or a wrong length trains silently wrong there; here they are refused, naming the shape.
    """
    if lockf is None:
        return _NO_LOCK, False
    if not isinstance(lockf, np.ndarray):
        raise TypeError(f"wv.vectors_lockf must be a numpy float32 array of shape (1,) or ({n_words},), "
                        f"got {type(lockf).__name__}")
    expected = f"(1,) or ({n_words},) (one factor per vocabulary word)"
    if lockf.ndim != 1 or len(lockf) not in (1, n_words):
        raise ValueError(f"wv.vectors_lockf has shape {lockf.shape}; expected shape {expected}")
    if lockf.dtype != np.float32:
        raise TypeError(f"wv.vectors_lockf of shape {lockf.shape} has dtype {lockf.dtype}; expected float32 "
                        f"(gensim's REAL): use vectors_lockf.astype(np.float32)")
    if not np.isfinite(lockf).all():
        bad = int(np.flatnonzero(~np.isfinite(lockf))[0])
        raise ValueError(f"wv.vectors_lockf of shape {lockf.shape} holds a non-finite factor "
                         f"({lockf[bad]} at index {bad})")
    if (lockf == 1.0).all():
        return _NO_LOCK, False
    if len(lockf) == 1:
        return np.full(n_words, lockf[0], np.float32), True
    return np.ascontiguousarray(lockf), True


CACHE_LINE = 64


def private_zeros(shape, dtype) -> np.ndarray:
    """Zeros on cache lines of their own: 64-byte aligned and padded to a whole line, so a small
    buffer that one thread writes all the time never shares a line with anything else (numpy
    packs small allocations next to each other)."""
    dtype = np.dtype(dtype)
    nbytes = int(np.prod(shape)) * dtype.itemsize
    padded = -(-nbytes // CACHE_LINE) * CACHE_LINE
    raw = np.zeros(padded + CACHE_LINE, np.uint8)
    start = -raw.ctypes.data % CACHE_LINE
    return raw[start:start + nbytes].view(dtype).reshape(shape)


class ThreadScratch:
    """One thread's private buffers, each on cache lines of its own (see :func:`private_zeros`):
    ``buffers`` as the kernel takes them (:class:`w2v.kernels.arguments.Scratch`), and ``chunk``,
    where a spilled corpus's chunk is read before it is trained."""

    def __init__(self, params, max_sentence: int, max_codelen: int, hot_rows: int = 0):
        d, span = params.vector_size, 2 * params.window
        ns_labels = private_zeros(params.negative + 1, np.float32)
        ns_labels[0] = 1.0
        self.buffers = Scratch(
            sentence=private_zeros(max_sentence, np.int32),
            context=private_zeros(span, np.int32),
            inputs=private_zeros((span, d), np.float32),
            input_grads=private_zeros((span, d), np.float32),
            gradients=private_zeros(max(span, 2 * max_codelen), np.float32),  # per input row, or per (row, path node) (HS)
            ns_ring=private_zeros((RING, params.negative + 1), np.int32),
            ns_count=private_zeros(RING, np.int32),
            ns_labels=ns_labels,
            hs_targets=private_zeros(max(1, max_codelen), np.int32),
            hs_labels=private_zeros(max(1, max_codelen), np.float32),
            # the thread's copies of the tree's top and the rows as last merged; with no copies (hot_rows 0)
            # one unused row (the kernel turns the copies off: hot_first = len(syn1) leaves no room for it)
            syn1_hot=private_zeros((max(1, hot_rows), d), np.float32),
            syn1_base=private_zeros((max(1, hot_rows), d), np.float32),
        )
        self.chunk = SentenceBuffers()

    @property
    def sent(self) -> np.ndarray:
        """The sentence buffer (int32, the longest sentence's length)."""
        return self.buffers.sentence


class KernelRun(NamedTuple):
    """What every kernel call of one training call shares: the compiled mode, its settings and its
    learning-rate schedule."""

    kernel: object        # the mode's compiled kernel (w2v.kernels.sentences.chunk_kernel)
    settings: Settings
    schedule: Schedule


class RateSchedule(NamedTuple):
    """The learning rate a Dask round trains at, as the driver sends it to the workers: gensim's
    decay over the run, seen from ``k`` replicas (every word count divided by ``k``)."""

    alpha: float
    min_alpha: float
    total_words: float   # the run's words / k
    words_done: float    # words trained before this round / k (the progress counter starts there)
    epoch_words: float   # an epoch's words / k
    batch_words: float   # batch_words / k


def kernel_mode(p) -> Mode:
    """The training mode of parameters ``p``: which compiled kernel trains them."""
    return Mode(sg=bool(p.sg), hs=bool(p.hs), ns=int(p.negative) > 0, sg_kernel=SG_KERNELS[p.sg_kernel])


def kernel_settings(p, alpha, min_alpha, total_words, epoch_words, batch_words) -> KernelRun:
    """The kernel, its settings and schedule, with fixed Python types: numba compiles one
    machine-code version per argument type, so alpha=1 (an int) or shrink_windows=1 must not cost
    a new compile."""
    settings = Settings(window=int(p.window), shrink_windows=bool(p.shrink_windows), cbow_mean=bool(p.cbow_mean),
                        negative=int(p.negative), compute_loss=bool(p.compute_loss),
                        ns_skip_saturated=NS_SKIP_SATURATED, merge_every=hot_rows.MERGE_EVERY)
    schedule = Schedule(float(alpha), float(min_alpha), int(max(1, total_words)), int(max(1, epoch_words)),
                        int(max(1, batch_words)))
    return KernelRun(chunk_kernel(kernel_mode(p)), settings, schedule)


def train_sentences(tables, enc, begin: int, end: int, t: KernelTables, run: KernelRun, progress, k: int,
                    stop, rng, loss, s: ThreadScratch) -> None:
    """Thread ``k`` trains sentences [begin, end) of ``enc`` on ``tables`` (syn0, syn1neg, syn1): the
    one kernel call, shared by :class:`Training` and the Dask workers (:mod:`w2v.distributed`)."""
    ids, offsets, begin, end = enc.sentences(begin, end, s.chunk)
    run.kernel(Tables(*tables), Corpus(ids, offsets), begin, end, t.words, run.settings, run.schedule,
               Counters(progress, loss, stop), k * SLOT_STRIDE, rng, s.buffers)


def initial_rng_states(seed: int, workers: int) -> np.ndarray:
    """One independent 64-bit RNG state per thread, derived from ``seed`` and the thread index.

    Row k is thread k's state (only column 0 is used): rows are a 64-byte cache line apart, so
    the threads' draws never invalidate each other's cache line.
    """
    states = np.zeros((workers, SLOT_STRIDE), dtype=np.uint64)
    for k in range(workers):
        states[k, 0] = np.random.SeedSequence([seed, k]).generate_state(1, np.uint64)[0]
    return states


class ChunkQueue:
    """A segment's chunks, handed out in order, counting the words of the chunks that are done.

    A worker asks for its next chunk only once the kernel has returned from the previous one, and
    the kernel adds a chunk's loss to ``loss_out`` as it returns: so when a worker asks again, its
    previous chunk's words (``finished_words``) and loss are both in. The displayed loss per word
    divides the one by the other (the progress counters also hold the words of unfinished chunks,
    whose loss is not in yet: dividing by them made the loss read 0 at each epoch start).
    """

    def __init__(self, chunks, words: dict):
        self._chunks = list(chunks)
        self._next = 0
        self._words = words  # chunk -> its words
        self._current: dict[int, tuple[int, int]] = {}
        self._lock = threading.Lock()
        self.finished_words = 0

    def get_nowait(self) -> tuple[int, int]:
        """The next chunk for the calling thread; ``queue.Empty`` when none is left."""
        me = threading.get_ident()
        with self._lock:
            done = self._current.pop(me, None)
            if done is not None:
                self.finished_words += self._words[done]
            if self._next >= len(self._chunks):
                raise queue.Empty
            chunk = self._chunks[self._next]
            self._next += 1
            self._current[me] = chunk
            return chunk


def plan_chunks(encoded, workers: int) -> list[tuple[int, int]]:
    """Cut sentences into consecutive chunks of about CHUNK_WORDS words (at least one sentence each).

    Chunks are small enough that threads finish an epoch together and large enough that the
    Python work per chunk is nothing next to the kernel's. ``encoded`` is an
    :class:`~w2v.encode.EncodedCorpus` (its offsets are read block by block).
    """
    total = encoded.n_words
    target = max(10_000, min(CHUNK_WORDS, total // (4 * workers) + 1))
    bounds = encoded.sentence_cuts(target)
    cuts = np.unique(np.concatenate([[0], bounds, [encoded.n_sentences]]))
    return [(int(a), int(b)) for a, b in zip(cuts[:-1], cuts[1:]) if b > a]


class Training:
    """One call of ``model.train``: runs ``epochs`` epochs of the encoded corpus on the model's tables.

    With a ``checkpointer``, each epoch runs as segments of about ``checkpointer.every`` words:
    the workers finish a segment's chunks and stop, the checkpoint is written while nothing
    trains, and the next segment starts fresh threads. ``start`` (from a checkpoint) makes the
    run begin mid-way, with the progress counter, and so the learning rate, where it stopped.
    """

    def __init__(self, model, encoded, epochs: int, alpha: float, min_alpha: float,
                 checkpointer=None, start: Position | None = None):
        self.model, self.encoded, self.epochs = model, encoded, epochs
        self.alpha, self.min_alpha = alpha, min_alpha
        self.checkpointer, self.start = checkpointer, start or Position()
        p = model.params
        self.tables = KernelTables.build(model.vocab, p, getattr(model.wv, "vectors_lockf", None))
        max_sentence = encoded.longest_sentence()
        self.scratch = [ThreadScratch(p, max(1, max_sentence), self.tables.codes.shape[1], self.tables.hot_rows)
                        for _ in range(p.workers)]
        self.chunks = plan_chunks(encoded, p.workers)
        self.epoch_words = max(1, encoded.n_words)
        self.total_words = self.epoch_words * epochs
        self.kernel_run = kernel_settings(p, alpha, min_alpha, self.total_words, self.epoch_words, p.batch_words)
        self.progress = np.zeros(p.workers * SLOT_STRIDE, np.int64)
        self.loss = np.zeros(p.workers * SLOT_STRIDE, np.float64)
        self.progress[0], self.loss[0] = self.start.run_words, self.start.epoch_loss
        self.stop = np.zeros(1, np.int32)
        self.loss_words = self.start.run_words  # words of finished chunks: their loss is in self.loss
        self.display: Progress | None = None
        self.errors: list[BaseException] = []
        self.threads: list[threading.Thread] = []
        self.launched: list[threading.Thread] = []  # the threads whose start() was called

    def run(self) -> bool:
        """Train all epochs; return False if interrupted by Ctrl-C (the model stays usable)."""
        model = self.model
        p = model.params
        self.display = display = Progress(self.total_words, self.start.run_words, self.epochs,
                                          progress_mode(p.progress), show_loss=bool(p.compute_loss),
                                          loss_window=min(LOSS_WINDOW, max(1, self.encoded.n_words)))
        display.loss.reset(self.loss_words, float(self.loss.sum()))
        try:
            kernel_step(self.kernel_run.kernel, self._first_dispatch, display.message)
            display.begin()
            for epoch in range(self.start.epoch, self.epochs):
                pos = self.start if epoch == self.start.epoch else Position(epoch, 0, int(self.progress.sum()))
                if pos.sentence == 0:
                    model.fire_callbacks("on_epoch_begin")
                if not self._epoch(pos):
                    return False
                model.fire_callbacks("on_epoch_end")
        except KeyboardInterrupt:  # outside the workers' time: in a callback or a checkpoint write
            self._stop_workers()
            logger.info("training interrupted; the model keeps what was trained")
            return False
        finally:
            display.close()
            model.last_train_words = int(self.progress.sum()) - self.start.run_words
        return True

    def _first_dispatch(self) -> None:
        """One kernel call that trains nothing (an empty chunk), so numba's compile or cache load
        happens here, shown as its own step, rather than at 0% of the first epoch."""
        jobs: queue.SimpleQueue = queue.SimpleQueue()
        jobs.put((0, 0))
        self._worker(0, jobs)
        if self.errors:
            raise self.errors.pop()

    def _epoch(self, pos: Position) -> bool:
        """One pass over the corpus (from ``pos.sentence``); logs and records the epoch's loss."""
        epoch = pos.epoch
        loss_before = float(self.loss.sum()) - pos.epoch_loss
        words_before = int(self.progress.sum()) - pos.epoch_words
        start = time.perf_counter()
        interrupted = False
        try:
            for segment in self._segments(pos.sentence):
                self._run_segment(segment, epoch)
                if self.errors:
                    break
                if segment[-1][1] < self.encoded.n_sentences:  # the epoch end is checkpointed below
                    self._checkpoint(self._position(epoch, segment[-1][1], words_before, loss_before))
        except KeyboardInterrupt:
            interrupted = True
            self._stop_workers()
        if self.errors:
            raise self.errors[0]
        self._finish_epoch(epoch, time.perf_counter() - start, words_before, loss_before, interrupted)
        if interrupted:
            logger.info("training interrupted in epoch %d; the model keeps what was trained", epoch + 1)
            return False
        self._checkpoint(Position(epoch + 1, 0, int(self.progress.sum())))
        return True

    def _position(self, epoch: int, sentence: int, words_before: int, loss_before: float) -> Position:
        """The run's position now, at a segment boundary of ``epoch`` (for a checkpoint)."""
        done = int(self.progress.sum())
        return Position(epoch, sentence, done, done - words_before, float(self.loss.sum()) - loss_before)

    def _segments(self, first_sentence: int):
        """The epoch's remaining chunks, grouped into runs of at least ``checkpointer.every`` words.

        A segment holds a multiple of ``workers`` chunks (chunks are of similar size), so every
        thread has work until the segment ends, however small ``every`` is.
        """
        chunks = [(max(a, first_sentence), b) for a, b in self.chunks if b > first_sentence]
        every = self.checkpointer.every if self.checkpointer is not None else None
        if every is None:
            yield chunks
            return
        workers, segment, words = self.model.params.workers, [], 0
        for a, b in chunks:
            segment.append((a, b))
            words += self.encoded.words_between(a, b)
            if words >= every and len(segment) % workers == 0:
                yield segment
                segment, words = [], 0
        if segment:
            yield segment

    def _run_segment(self, chunks, epoch: int) -> None:
        """All workers train ``chunks`` and exit; the main thread draws progress meanwhile."""
        jobs = ChunkQueue(chunks, {c: self.encoded.words_between(*c) for c in chunks})
        self.threads = [threading.Thread(target=self._worker, args=(k, jobs), daemon=True,
                                         name=f"w2v-train-{k}") for k in range(self.model.params.workers)]
        self.launched = []
        for t in self.threads:
            self.launched.append(t)  # before start(): Ctrl-C may land inside it, thread already running
            t.start()
        try:
            self._watch(self.threads, jobs, epoch)
        finally:
            self.loss_words += jobs.finished_words

    def _stop_workers(self) -> None:
        """Make every kernel return within one sentence, and wait for the threads to exit.

        A Ctrl-C can land inside ``Thread.start()`` after the thread began but before it has an
        ident; such a thread is waited for too, so no worker outlives the call (it gets its
        ident within microseconds and sees the stop flag at once). Should the interrupt have come
        before the thread existed, the wait for its ident gives up after a second.
        """
        self.stop[0] = 1
        deadline = time.monotonic() + 1.0
        for t in self.launched:
            while t.ident is None and time.monotonic() < deadline:
                time.sleep(0.001)
            if t.ident is not None:
                t.join()

    def _checkpoint(self, position: Position) -> None:
        """Save the run while no worker runs; a checkpoint never holds a diverged (NaN) model.

        At an epoch end :meth:`_finish_epoch` has just checked the tables; mid-epoch they are
        checked here, so the error names the epoch being trained.
        """
        if self.checkpointer is None:
            return
        if position.sentence:
            check_finite(self.model, position.epoch + 1)
        started = time.perf_counter()
        run = RunSpec(self.epochs, self.alpha, self.min_alpha, self.checkpointer.every)
        self.checkpointer.save(self.model, self.encoded, run, position)
        logger.info("checkpoint at %d words of the run written to %s in %.2fs", position.run_words,
                    self.checkpointer.path, time.perf_counter() - started)

    def _watch(self, threads, jobs: ChunkQueue, epoch: int):
        """Main thread: refresh the progress display until every worker is done."""
        while True:
            alive = [t for t in threads if t.is_alive()]
            if not alive:
                break
            alive[0].join(POLL_SECONDS)
            self._show(jobs, epoch)
        self._show(jobs, epoch)

    def _show(self, jobs: ChunkQueue, epoch: int) -> None:
        if self.display is not None:
            self.display.update(int(self.progress.sum()), epoch, self.loss_words + jobs.finished_words,
                                float(self.loss.sum()))

    def _worker(self, k: int, jobs: queue.SimpleQueue) -> None:
        t, s, enc = self.tables, self.scratch[k], self.encoded
        m = self.model
        try:
            while not self.stop[0]:
                try:
                    begin, end = jobs.get_nowait()
                except queue.Empty:
                    return
                train_sentences((m.wv.vectors, m.syn1neg, m.syn1), enc, begin, end, t, self.kernel_run,
                                self.progress, k, self.stop, m.rng_states[k], self.loss, s)
        except BaseException as e:  # surfaced by the main thread
            self.errors.append(e)
            self.stop[0] = 1

    def _finish_epoch(self, epoch, seconds, words_before, loss_before, interrupted):
        words = int(self.progress.sum()) - words_before
        loss = float(self.loss.sum()) - loss_before
        model = self.model
        model.wv.reset_norms()
        if not interrupted:
            model.loss_history.append(loss)
            model.epochs_trained += 1
        alpha_now = scheduled_alpha.py_func(self.alpha, self.min_alpha, int(self.progress.sum()), self.total_words,
                                            self.epoch_words, model.params.batch_words)
        logger.info("epoch %d: %d words in %.2fs, %.0f words/s, loss %.6g, alpha %.6f",
                    model.epochs_trained, words, seconds, words / max(seconds, 1e-9), loss, alpha_now)
        check_finite(model, epoch + 1)


def check_finite(model, epoch: int) -> None:
    """Refuse to go on (or save) once a table holds NaN or inf: name the epoch where it happened."""
    p = model.params
    for name, table in (("input vectors", model.wv.vectors), ("syn1neg", model.syn1neg), ("syn1", model.syn1)):
        if table.size and not np.isfinite(table).all():
            raise FloatingPointError(f"training diverged in epoch {epoch}: {name} contain NaN or inf (alpha={p.alpha} "
                                     f"may be too large for vector_size={p.vector_size}, window={p.window})")
