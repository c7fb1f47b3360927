"""Worker side: what each Dask worker process keeps between tasks, and the tasks the driver sends.

A worker keeps, per run (keyed by the run's id, in this module's ``_RUNS``): the scans of its
shards until the vocabulary arrives, then their encoded ids, its replica of the tables with a copy
of them as last reported to the driver (``base``: the merged tables plus this replica's changes
sent but not merged back yet, which it keeps exactly in ``own``), the kernel's lookup tables and its threads' scratch buffers and RNG states. Nothing here talks to the scheduler: the driver decides,
these functions do the work and return small results (counts, changed rows, cursors).

Every task names the worker in the errors it raises, so the driver can say which worker failed.
"""
from __future__ import annotations

import functools
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from ..encode import EncodedCorpus
from ..kernels.sentences import SLOT_STRIDE
from ..params import TrainParams
from ..training import KernelTables, RateSchedule, ThreadScratch, initial_rng_states, kernel_settings, train_sentences
from ..vocab import Vocabulary
from . import wire
from .merge import TABLES, update_weights
from .shards import Shard, read_shard

CHUNK_WORDS = 100_000
_RUNS: dict[str, WorkerRun] = {}
_LOCK = threading.Lock()


@dataclass
class WorkerRun:
    """One run's state on this worker."""

    scans: dict = field(default_factory=dict)      # shard index -> RawScan (until encoded)
    encoded: dict = field(default_factory=dict)    # shard index -> EncodedCorpus
    params: TrainParams | None = None
    vocab: Vocabulary | None = None
    threads: int = 1
    tables: dict = field(default_factory=dict)     # name -> replica table
    base: dict = field(default_factory=dict)       # name -> the replica as reported (merged + own changes sent)
    own: dict = field(default_factory=dict)        # round -> {name: OwnChange} sent, not merged back yet
    kernel: KernelTables | None = None
    scratch: list = field(default_factory=list)
    rng: np.ndarray | None = None
    noise: np.ndarray | None = None
    applied: int = -1                              # the last merged round applied here
    lock: threading.Lock = field(default_factory=threading.Lock)  # one step at a time on this replica


class ReplicaMissing(RuntimeError):
    """This worker process has no state for the run (it was restarted under the same address)."""


def worker_address() -> str:
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return "local process"


def names_worker(fn):
    """Re-raise a task's error with this worker's address in front of its message (same type)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as e:
            message = f"worker {worker_address()}: {e}"
            try:
                error = type(e)(message)
            except Exception:
                error = RuntimeError(message)
            raise error from e
    return wrapper


def _run(run_id: str) -> WorkerRun:
    with _LOCK:
        return _RUNS.setdefault(run_id, WorkerRun())


@names_worker
def warm_up(params: dict) -> float:
    """Compile (or load) this worker's kernels with the run's settings: a few words of a temporary
    file read by the shard reader and trained by the very call :func:`_train` makes, so every
    kernel a round needs is compiled here. Returns the seconds it took. Run where the worker's
    numba cache is cold, so that the compile is a step of its own."""
    import os
    import tempfile

    started = time.perf_counter()
    p = TrainParams(**{**params, "workers": 1, "epochs": 1, "min_count": 1, "max_final_vocab": None,
                       "max_vocab_size": None, "progress": False})
    with tempfile.TemporaryDirectory(prefix="w2v-warm-up-") as tmp:
        path = os.path.join(tmp, "warm-up.txt")
        with open(path, "w", encoding="utf-8") as f:
            f.write("compile the kernels of this worker once\n" * 20)
        raw = read_shard(Shard(0, "file", path), None, p.max_sentence_length, p.errors, False, 1)
    vocab, kept = Vocabulary.from_counts(raw.words, raw.counts(), 1)
    encoded = raw.encode(vocab, consume=True, kept=kept)
    kernel = KernelTables.build(vocab, p)
    d, v = p.vector_size, len(vocab)
    tables = (np.full((v, d), 0.01, np.float32), np.zeros((v if p.negative else 0, d), np.float32),
              np.zeros((v if p.hs else 0, d), np.float32))
    scratch = ThreadScratch(p, encoded.longest_sentence(), kernel.codes.shape[1], kernel.hot_rows)
    settings = kernel_settings(p, p.alpha, p.min_alpha, encoded.n_words, encoded.n_words, p.batch_words)
    train_sentences(tables, encoded, 0, encoded.n_sentences, kernel, settings, np.zeros(SLOT_STRIDE, np.int64),
                    0, np.zeros(1, np.int32), initial_rng_states(p.seed, 1)[0], np.zeros(SLOT_STRIDE, np.float64),
                    scratch)
    return time.perf_counter() - started


@names_worker
def count_shard(run_id: str, shard: Shard, partition, params: dict, cache_dir) -> tuple[list, np.ndarray]:
    """Read one shard with w2v's tokeniser, keep its scan here, return its words and counts."""
    p = TrainParams(**params)
    raw = read_shard(shard, partition, p.max_sentence_length, p.errors, cache_dir, 1)
    _run(run_id).scans[shard.index] = raw
    return raw.words, raw.counts()


def merge_counts(a: tuple, b: tuple) -> tuple[list, np.ndarray]:
    """Counts of two shard groups (``a`` first): words keep first-seen order, as one scan of a then b."""
    words, counts = list(a[0]), a[1]
    index = {w: i for i, w in enumerate(words)}
    extra = []
    positions = np.empty(len(b[0]), np.int64)
    for j, w in enumerate(b[0]):
        i = index.get(w)
        if i is None:
            i = index[w] = len(words)
            words.append(w)
            extra.append(j)
        positions[j] = i
    merged = np.zeros(len(words), np.int64)
    merged[:len(counts)] = counts
    np.add.at(merged, positions, b[1])
    return words, merged


@names_worker
def prepare(run_id: str, slot: int, shards: list, partitions: list, vocab: tuple, params: dict, tables: dict,
            threads: int, cache_dir, start_round: int) -> dict:
    """Encode this worker's shards against the vocabulary and set up the replica; return shard sizes."""
    state = _run(run_id)
    p = TrainParams(**params)
    state.params, state.threads = p, threads
    state.vocab = Vocabulary(list(vocab[0]), vocab[1], vocab[2])
    state.kernel = KernelTables.build(state.vocab, p, tables.get("lockf"))
    weights = state.vocab.counts.astype(np.float64) ** p.ns_exponent
    state.noise = weights / weights.sum()
    state.tables = {name: np.array(tables[name], np.float32, copy=True) for name in TABLES}
    state.base = {name: t.copy() for name, t in state.tables.items()}
    seed = int(np.random.SeedSequence([p.seed, slot, start_round]).generate_state(1, np.uint64)[0] >> 2)
    state.rng = initial_rng_states(seed, threads)
    return _encode_shards(state, shards, partitions, cache_dir)


@names_worker
def adopt(run_id: str, shards: list, partitions: list, cache_dir) -> dict:
    """Take over shards of a lost worker: read and encode them here; return their sizes."""
    return _encode_shards(_run(run_id), shards, partitions, cache_dir)


def _encode_shards(state: WorkerRun, shards: list, partitions: list, cache_dir) -> dict:
    p = state.params
    sizes = {}
    for shard, partition in zip(shards, partitions):
        raw = state.scans.pop(shard.index, None)
        if raw is None:
            raw = read_shard(shard, partition, p.max_sentence_length, p.errors, cache_dir, 1)
        enc = raw.encode(state.vocab, consume=True)
        # the sentence offsets (8 bytes a sentence) in memory: every round slices and plans by them;
        # the ids stay where the encoding put them (a spill file past 8M words), read a chunk at a time
        enc = EncodedCorpus(enc.id_stream, enc.offsets, enc.raw_words)
        state.encoded[shard.index] = enc
        sizes[shard.index] = (enc.n_words, enc.n_sentences, enc.raw_words)
    state.scans.clear()
    longest = max((int(np.diff(e.offsets).max(initial=1)) for e in state.encoded.values()), default=1)
    if not state.scratch or state.scratch[0].sent.shape[0] < longest:
        state.scratch = [ThreadScratch(p, max(1, longest), state.kernel.codes.shape[1], state.kernel.hot_rows)
                         for _ in range(state.threads)]
    return sizes


@names_worker
def step(run_id: str, inbox: list, plan: list, budget: int, lr: tuple, number: int,
         report: int | None = None) -> dict:
    """Bring the replica up to the driver's merged tables, train the next slice, return the rows it changed.

    ``inbox`` is what the driver sent since this worker's last step: ``("delta", n, change)``,
    the merged change of round ``n`` (applied once, however often it arrives, minus this
    replica's own change of round ``n``, which it holds already), or ``("full", n, tables)``, the
    driver's merged tables after round ``n`` (sent when a step's result was lost, so the replica
    cannot have missed anything). A delta that skips a round is not applied: the step then trains
    nothing and returns ``{"behind": applied}``, and the driver sends full tables.

    ``plan`` is [(shard index, first sentence)] of the shards this worker trains from, in order;
    at most ``budget`` words (whole sentences, at least one) are trained. ``lr`` is (alpha, min_alpha, run words / k, words done
    / k, epoch words / k, batch_words / k) for k training replicas: the kernel decays the rate on
    ``done + k * (words trained here)``, an estimate of the cluster's global count, in the same
    steps of ``batch_words`` per epoch as on one machine. ``number`` is the round. ``report``:
    None reports every changed row; a number reports only the changed rows of the first
    ``report`` words (the most frequent) of syn0 and syn1neg, the others keep their change in the
    replica until a round reports every row (see :data:`.driver.TAIL_EVERY`).
    """
    state = _RUNS.get(run_id)
    if state is None or state.params is None:
        raise ReplicaMissing(f"no replica of run {run_id} here (the worker process was restarted)")
    with state.lock:  # a step the driver gave up on may still run: never two on one replica
        began = time.perf_counter()
        for kind, merged_round, payload in inbox:
            if kind == "full":
                resync(state, payload, merged_round)
            elif merged_round > state.applied + 1:
                return {"behind": state.applied}
            elif merged_round > state.applied:
                apply_merged(state, payload, state.own.pop(merged_round, None))
                state.applied = merged_round
        started = time.perf_counter()
        pieces, cursors = _slice(state, plan, budget)
        progress, loss, occurrences = _train(state, pieces, lr)
        trained = time.perf_counter()
        deltas, state.own[number] = _collect(state, occurrences, report)
    return {"deltas": deltas, "delta_bytes": sum(d.nbytes for d in deltas.values()), "cursors": cursors,
            "applied": state.applied, "words": int(progress.sum()) - int(RateSchedule(*lr).words_done),
            "loss": float(loss.sum()), "seconds": trained - started, "apply_seconds": started - began,
            "collect_seconds": time.perf_counter() - trained}


def summary(result: dict) -> dict:
    """A step's result less its changed rows: what the driver fetches when the rows go into a
    tree (:mod:`.reduce`) instead of to the driver."""
    return {key: value for key, value in result.items() if key != "deltas"}


def resync(state: WorkerRun, tables: dict, number: int) -> None:
    """Take the driver's merged tables after round ``number`` as this replica's; changes of its own
    not merged by then are dropped with the replica's state."""
    for name in TABLES:
        np.copyto(state.tables[name], tables[name])
        np.copyto(state.base[name], tables[name])
    state.own.clear()
    state.applied = number


def apply_merged(state: WorkerRun, merged: dict, own: dict | None) -> None:
    for name, delta in merged.items():
        wire.apply(state.base[name], state.tables[name], delta, None if own is None else own[name])


def _slice(state: WorkerRun, plan: list, budget: int) -> tuple[list, list]:
    """The (shard, first, last sentence) pieces of this round and each shard's cursor after it."""
    pieces, cursors, left = [], [], budget
    for index, first in plan:
        offsets = state.encoded[index].offsets
        n = len(offsets) - 1
        if left <= 0 or first >= n:
            cursors.append((index, first))
            continue
        end = int(np.searchsorted(offsets, offsets[first] + left, side="left"))
        end = min(max(end, first + 1), n)
        pieces.append((index, first, end))
        left -= int(offsets[end] - offsets[first])
        cursors.append((index, end))
    return pieces, cursors


def _chunks(pieces: list, encoded: dict) -> list:
    chunks = []
    for index, first, end in pieces:
        offsets = encoded[index].offsets
        cuts = np.searchsorted(offsets, np.arange(offsets[first] + CHUNK_WORDS, offsets[end], CHUNK_WORDS))
        bounds = np.unique(np.concatenate([[first], np.clip(cuts, first, end), [end]]))
        chunks += [(index, int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:]) if b > a]
    return chunks


def _train(state: WorkerRun, pieces: list, lr: tuple):
    """Run the pieces with this worker's threads and w2v's nogil kernel (the call training.py makes)."""
    p, t, tables = state.params, state.kernel, state.tables
    lr = RateSchedule(*lr)
    settings = kernel_settings(p, lr.alpha, lr.min_alpha, lr.total_words, lr.epoch_words, lr.batch_words)
    progress = np.zeros(state.threads * SLOT_STRIDE, np.int64)
    progress[0] = int(lr.words_done)
    loss = np.zeros(state.threads * SLOT_STRIDE, np.float64)
    stop = np.zeros(1, np.int32)
    jobs = _chunks(pieces, state.encoded)
    lock = threading.Lock()
    errors = []

    def work(k: int) -> None:
        s = state.scratch[k]
        try:
            while True:
                with lock:
                    if not jobs or errors:
                        return
                    index, a, b = jobs.pop(0)
                enc: EncodedCorpus = state.encoded[index]
                train_sentences((tables["syn0"], tables["syn1neg"], tables["syn1"]), enc, a, b, t, settings,
                                progress, k, stop, state.rng[k], loss, s)
        except BaseException as e:
            errors.append(e)

    if state.threads == 1:
        work(0)
    else:
        threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(state.threads)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
    if errors:
        raise errors[0]
    occurrences = np.zeros(len(state.vocab), np.int64)
    for index, a, b in pieces:
        enc = state.encoded[index]
        offsets = enc.offsets
        occurrences += np.bincount(enc.id_stream.read(offsets[a], offsets[b]), minlength=len(state.vocab))
    return progress, loss, occurrences


def _collect(state: WorkerRun, occurrences: np.ndarray, report: int | None) -> tuple[dict, dict]:
    """The rows each table changed (of syn0 and syn1neg, the first ``report`` rows only, if given):
    packed for the driver, and exact, kept until the round's merged change arrives (``base``
    catches up with the replica on those rows)."""
    p, t = state.params, state.kernel
    deltas, own = {}, {}
    for name in TABLES:
        rows = report if report is not None and name != "syn1" else None
        deltas[name], own[name] = wire.take(state.tables[name], state.base[name], rows)
        if len(deltas[name].ids):
            weights = update_weights(occurrences, name, p.negative, state.noise, t.points, t.codelens)
            deltas[name].weights = np.asarray(weights[deltas[name].ids], np.float32)
    return deltas, own


def drop(run_id: str) -> bool:
    """Forget a run (its end, or the driver gave up on it)."""
    with _LOCK:
        return _RUNS.pop(run_id, None) is not None
