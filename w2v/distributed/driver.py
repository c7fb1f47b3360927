"""The driver: connect, check the workers, build the vocabulary, run the synchronous rounds.

Phases of :func:`fit`:

1. **Workers.** Every worker is asked (by a function shipped by value, so it runs even where w2v
   is missing) which w2v it has; a missing w2v or a different version or kernel source is an
   error naming the worker, before any data moves.
2. **Vocabulary.** Each worker reads and counts its own shards (:func:`.replica.count_shard`,
   which keeps the scan); the counts are merged pairwise on the workers (a tree, shard order kept,
   so the vocabulary equals one process's scan of the same files) and only the final counts
   reach the driver, which applies ``min_count``/``max_final_vocab``.
3. **Replicas.** The vocabulary and the initial tables are sent once (``scatter``, broadcast);
   each worker encodes its shards and keeps the ids (:func:`.replica.prepare`).
4. **Rounds.** Every worker trains its next ``round_words`` words with its own threads; the
   driver merges the changed rows (:mod:`.merge`), applies the change to its own copy of the
   tables (the model it returns and checkpoints) and broadcasts it with the next round's task.
   The learning rate decays on the cluster's word count.

Faults: a worker that disappears mid-round is dropped, its part of the round is discarded (the
merged model never saw it), its shards go to the surviving workers (who read and encode them)
and continue from the last merged cursor. Epoch ends write a checkpoint (w2v's format, plus the
shard list); :func:`resume` continues it on a cluster.
"""
from __future__ import annotations

import logging
import time
from concurrent.futures import CancelledError
import uuid
from dataclasses import asdict
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from .. import __version__ as W2V_VERSION
from .._fileutil import atomic_write
from ..callbacks import check_callbacks
from ..checkpoint import FORMAT, KIND, CheckpointError, Position, RunSpec, _json_bytes, _read_state
from ..kernels._cache_guard import source_fingerprint
from ..vocab import Vocabulary, effective_min_count
from . import replica
from .merge import RULES, TABLES, TableDelta, merge
from .shards import Shard, assign, plan_shards

try:
    import distributed
    from distributed.client import FuturesCancelledError
    from distributed.scheduler import KilledWorker
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("distributed training needs dask.distributed: pip install 'w2v[dask]'") from e

logger = logging.getLogger("w2v")

#: words each worker trains between two merges (measured on wiki17m: see benchmarks/README.md)
ROUND_WORDS = 1_000_000
POLL_SECONDS = 0.5
RESULT_TIMEOUT = 120
CONNECT_TIMEOUT = 10


class Box:
    """A value scattered as one object (``client.scatter`` would split a dict or list)."""

    def __init__(self, value):
        self.value = value


class WorkerLost(RuntimeError):
    """Every worker of the run was lost, or one was lost where w2v cannot recover (before training)."""


# ---- connecting and checking ---------------------------------------------------------------

def connect(client, timeout: float = CONNECT_TIMEOUT):
    """(client, owned): a Client for a scheduler address, or the given Client checked to be connected."""
    if isinstance(client, str):
        try:
            return distributed.Client(client, timeout=timeout, set_as_default=False), True
        except (OSError, TimeoutError) as e:
            raise ConnectionError(f"cannot reach the Dask scheduler at {client!r} "
                                  f"(tried for {timeout:g}s): {e}") from None
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a dask.distributed.Client or a scheduler address, got "
                        f"{type(client).__name__}")
    if client.status != "running":
        raise ConnectionError(f"the Dask client for scheduler {_scheduler_address(client)!r} is "
                              f"{client.status}, not connected")
    return client, False


def _scheduler_address(client) -> str:
    try:
        return client.scheduler.address
    except AttributeError:
        return "?"


def _make_probe():
    """A function the workers run to report their w2v; nested, so it is shipped by value and
    runs on a worker that cannot import w2v at all."""
    def probe():
        try:
            import w2v
            from w2v.kernels._cache_guard import source_fingerprint as fingerprint
            return {"version": w2v.__version__, "kernels": fingerprint()}
        except Exception as e:  # noqa: BLE001 - reported to the driver, which raises
            return {"error": f"{type(e).__name__}: {e}"}
    return probe


def check_workers(reports: dict) -> None:
    """Raise naming the first worker whose w2v is missing or differs from the driver's."""
    if not reports:
        raise WorkerLost("the Dask cluster has no workers")
    mine = source_fingerprint()
    for address, report in sorted(reports.items()):
        if "error" in report:
            raise RuntimeError(f"worker {address} cannot import w2v ({report['error']}): install "
                               f"w2v {W2V_VERSION} on every worker (pip install 'w2v[dask]')")
        if report["version"] != W2V_VERSION:
            raise RuntimeError(f"worker {address} has w2v {report['version']} but the driver has "
                               f"{W2V_VERSION}: install the same version everywhere")
        if report["kernels"] != mine:
            raise RuntimeError(f"worker {address} has w2v {report['version']} with different kernel "
                               "sources than the driver's: install the same w2v everywhere")


def _alive(client) -> set:
    return set(client.scheduler_info(n_workers=-1)["workers"])


class Membership:
    """Which workers are gone: missing from the scheduler's list in two polls in a row (a single
    empty or partial answer, seen while the scheduler is busy, is not taken for a lost worker)."""

    def __init__(self, client):
        self.client, self.missing_once = client, set()

    def gone(self, workers) -> set:
        alive = _alive(self.client)
        missing = set() if not alive else {w for w in workers if w is not None and w not in alive}
        gone, self.missing_once = missing & self.missing_once, missing
        return gone


# ---- the run ----------------------------------------------------------------------------------

class ClusterRun:
    """One distributed ``train``: owns the run id, the shard plan and the round loop."""

    def __init__(self, model, client, round_words: int | None, rule: str, checkpoint, cache_dir):
        if rule not in RULES + ("auto",):
            raise ValueError(f"merge={rule!r} is not one of {RULES + ('auto',)}")
        if round_words is not None and (isinstance(round_words, bool) or int(round_words) < 1):
            raise ValueError(f"round_words must be a positive number of words or None, got {round_words!r}")
        self.model, self.client = model, client
        self.round_words, self.rule = round_words, rule
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.cache_dir = cache_dir
        self.run_id = f"w2v-{uuid.uuid4().hex[:12]}"
        self.stats: list[dict] = []
        self.workers: list[str] = []
        self.pending: list = []
        self.membership = Membership(client)

    # -- setup

    def setup(self, corpus, shards: list[Shard] | None = None) -> None:
        client = self.client
        check_workers(client.run(_make_probe()))
        info = client.scheduler_info(n_workers=-1)["workers"]
        self.workers = sorted(info)
        self.threads = {w: max(1, int(info[w].get("nthreads", 1))) for w in self.workers}
        if shards is None:
            shards, parts = plan_shards(corpus)
        else:
            parts = None
            if shards and shards[0].kind == "bag":
                fresh, parts = plan_shards(corpus)
                if len(fresh) != len(shards):
                    raise ValueError(f"the dask.bag has {len(fresh)} partitions, the checkpoint {len(shards)}")
        if self.rule == "auto":  # measured: sum diverged at 8 workers (analogy 0.007 on wiki17m), mean did not
            self.rule = "sum" if len(self.workers) <= 2 else "mean"
            logger.info("merge rule: %s (%d workers)", self.rule, len(self.workers))
        self.shards = {s.index: s for s in shards}
        self.owner = assign(shards, self.workers)
        self.partitions = client.compute(parts) if parts is not None else [None] * len(shards)
        model = self.model
        if model.vocab is None:
            vocab = self._vocabulary()
            _check_vocabulary(vocab, model.params)
            model.vocab = vocab
            model.effective_min_count = effective_min_count(self.counts, model.params.min_count,
                                                            model.params.max_final_vocab)
            model._allocate(len(vocab))
        self._prepare()

    def _params(self) -> dict:
        return self.model.params.to_dict()

    def _vocabulary(self) -> Vocabulary:
        """Count on the workers, merge counts pairwise there, min_count/max_final_vocab here."""
        started = time.perf_counter()
        futures = {}
        for index, shard in self.shards.items():
            futures[index] = self._submit(replica.count_shard, self.owner[index], self.run_id, shard,
                                          self.partitions[index], self._params(), self.cache_dir)
        self._await({i: (self.owner[i], f) for i, f in futures.items()}, "reading the corpus", tolerate=False)
        level = [futures[i] for i in sorted(futures)]
        while len(level) > 1:  # tree: neighbours merged, left before right (first-seen order kept)
            nxt = [self.client.submit(replica.merge_counts, level[i], level[i + 1], pure=False)
                   for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        self._await({"vocabulary": (None, level[0])}, "merging the vocabulary counts", tolerate=False)
        words, counts = level[0].result()
        p = self.model.params
        vocab, _ = Vocabulary.from_counts(words, counts, p.min_count, p.max_final_vocab, None, bool(p.sorted_vocab),
                                          bool(p.null_word))
        self.counts = np.asarray(counts)
        self.raw_words = int(np.sum(counts))
        logger.info("distributed vocabulary: %d of %d distinct words from %d shards in %.2fs",
                    len(vocab), len(words), len(self.shards), time.perf_counter() - started)
        return vocab

    def _prepare(self) -> None:
        """Send vocabulary and tables once; each worker encodes its shards and sets up its replica."""
        model = self.model
        client = self.client
        vocab = client.scatter(Box((model.vocab.words, model.vocab.counts, model.vocab.huffman_kind)), broadcast=True,
                               hash=False)
        lockf = getattr(model.wv, "vectors_lockf", None)  # gensim's per-word locks travel with the tables
        tables = client.scatter(Box({**self._tables(), "lockf": lockf}), broadcast=True, hash=False)
        self.sent_setup = sum(t.nbytes for t in self._tables().values()) * len(self.workers)
        futures = {}
        for slot, w in enumerate(self.workers):
            mine = [s for i, s in sorted(self.shards.items()) if self.owner[i] == w]
            futures[w] = (w, self._submit(_prepare_task, w, self.run_id, slot, mine,
                                          [self.partitions[s.index] for s in mine], vocab, self._params(),
                                          tables, self.threads[w], self.cache_dir, len(self.stats)))
        results, _ = self._await(futures, "encoding the corpus", tolerate=False)
        self.sizes = {}
        for sizes in results.values():
            self.sizes.update(sizes)
        self.epoch_words = sum(n for n, _, _ in self.sizes.values())
        self.model.corpus_total_words = sum(r for _, _, r in self.sizes.values())
        self.model.corpus_count = sum(n for _, n, _ in self.sizes.values())

    def _tables(self) -> dict:
        m = self.model
        return {"syn0": m.wv.vectors, "syn1neg": m.syn1neg, "syn1": m.syn1}

    # -- task plumbing

    def _submit(self, fn, worker, *args):
        future = self.client.submit(fn, *args, workers=[worker], allow_other_workers=False, pure=False)
        self.pending.append(future)
        return future

    def _await(self, futures: dict, what: str, tolerate: bool = True) -> tuple[dict, set]:
        """Results of ``{key: (worker, future)}`` and the workers lost meanwhile.

        A task error is raised at once (tasks name their worker); a worker that leaves the cluster
        is noticed within POLL_SECONDS (its pinned task would otherwise wait forever) and is an
        error unless ``tolerate``.
        """
        pending = dict(futures)
        results, lost = {}, set()
        while pending:
            try:
                distributed.wait([f for _, f in pending.values()], timeout=POLL_SECONDS,
                                 return_when="FIRST_COMPLETED")
            except (TimeoutError, FuturesCancelledError, CancelledError):
                pass  # each future's own status is read below
            gone = self.membership.gone(set(self.workers) | {w for w, _ in pending.values()})
            if not tolerate and gone:
                raise WorkerLost(f"worker(s) {sorted(gone)} left the cluster while "
                                 f"{what}, before training started: nothing was lost, run again")
            for key, (worker, future) in list(pending.items()):
                if future.status == "finished":
                    try:  # its worker may die between "finished" and the transfer of the result
                        results[key] = future.result(timeout=RESULT_TIMEOUT)
                    except (TimeoutError, FuturesCancelledError, CancelledError):
                        if worker is None or not tolerate:
                            raise WorkerLost(f"the result of a task was lost while {what}: run again") from None
                        lost.add(worker)
                        future.cancel()
                elif future.status == "error":
                    error = future.exception()
                    if worker is not None and (worker in gone or
                                               isinstance(error, KilledWorker)):
                        lost.add(worker)
                    else:
                        raise error
                elif worker in gone:
                    lost.add(worker)
                    future.cancel()
                elif future.status == "cancelled":  # e.g. forgotten by the scheduler after another worker died
                    if not tolerate:
                        raise WorkerLost(f"a task of worker {worker} was cancelled while {what}: run again")
                    logger.warning("the round's result of worker %s was lost; its slice is trained again", worker)
                else:
                    continue
                del pending[key]
        return results, lost

    # -- training

    def train(self, epochs: int, alpha: float, min_alpha: float, start: Position) -> bool:
        """Run the rounds of every epoch from ``start``; False if interrupted (Ctrl-C)."""
        model = self.model
        total = max(1, self.epoch_words * epochs)
        self.done = start.run_words
        self.spec = RunSpec(epochs, alpha, min_alpha, None)
        bar = tqdm(total=total, initial=self.done, unit="w", unit_scale=True, disable=not model.params.progress,
                   desc=f"w2v x{len(self.workers)}", smoothing=0.1, leave=False)
        self.backlog = {w: [] for w in self.workers}  # merged rounds a worker has not confirmed
        self.merges = 0
        try:
            for epoch in range(start.epoch, epochs):
                model._callback("on_epoch_begin")
                self._epoch(epoch, alpha, min_alpha, total, bar)
                self._checkpoint(Position(epoch + 1, 0, self.done))  # before the callback, as on one machine
                model._callback("on_epoch_end")
        except KeyboardInterrupt:
            logger.info("training interrupted; the model keeps every merged round")
            return False
        finally:
            bar.close()
        return True

    def _epoch(self, epoch: int, alpha: float, min_alpha: float, total: int, bar) -> None:
        started, words0 = time.perf_counter(), self.done
        cursors = {i: 0 for i in self.shards}
        loss = 0.0
        rounds = 0
        while any(cursors[i] < self.sizes[i][1] for i in self.shards):
            loss += self._round(epoch, rounds, cursors, alpha, min_alpha, total, bar)
            rounds += 1
        model = self.model
        model.wv.reset_norms()
        model.loss_history.append(loss)
        model.epochs_trained += 1
        seconds = time.perf_counter() - started
        words = self.done - words0
        ep = [s for s in self.stats if s["epoch"] == epoch]
        logger.info("epoch %d: %d words in %d rounds, %.2fs, %.0f words/s, loss %.6g, %.1f MB sent "
                    "(%.1f up, %.1f down)", model.epochs_trained, words, rounds, seconds,
                    words / max(seconds, 1e-9), loss, sum(s["bytes_up"] + s["bytes_down"] for s in ep) / 1e6,
                    sum(s["bytes_up"] for s in ep) / 1e6, sum(s["bytes_down"] for s in ep) / 1e6)
        from ..training import check_finite
        check_finite(model, epoch + 1)

    def _round(self, epoch, number, cursors, alpha, min_alpha, total, bar) -> float:
        started = time.perf_counter()
        plans = {w: [(i, cursors[i]) for i in sorted(self.shards)
                     if self.owner[i] == w and cursors[i] < self.sizes[i][1]] for w in self.workers}
        k = max(1, sum(1 for p in plans.values() if p))
        budget = self.round_words if self.round_words is not None else 1 << 62
        lr = (alpha, min_alpha, total / k, self.done / k, self.epoch_words / k, self.model.params.batch_words / k)
        futures = {w: (w, self._submit(_step_task, w, self.run_id, self.backlog[w], plans[w], budget, lr))
                   for w in self.workers}
        results, lost = self._await(futures, "training")
        if lost:
            self._reassign(lost)
        deltas = {name: [r["deltas"][name] for r in results.values()] for name in TABLES}
        merged = {}
        for name, table in self._tables().items():
            dim = table.shape[1] if table.ndim == 2 else self.model.params.vector_size
            merged[name] = merge(deltas[name], len(table), dim, self.rule)
            if len(merged[name].ids):
                table[merged[name].ids] += merged[name].rows
        for w, r in results.items():
            for i, c in r["cursors"]:
                cursors[i] = c
        words = sum(r["words"] for r in results.values())
        loss = sum(r["loss"] for r in results.values())
        self.done += words
        up = sum(d.nbytes for r in results.values() for d in r["deltas"].values())
        down = sum(d.nbytes for d in merged.values()) * len(self.workers)
        receivers = [w for w in self.workers if w in _alive(self.client)] or self.workers
        sent = self.client.scatter(Box((self.merges, merged)), broadcast=True, hash=False, workers=receivers)
        for w in self.workers:
            confirmed = results[w]["applied"] if w in results else -1
            self.backlog[w] = [(n, f) for n, f in self.backlog[w] if n > confirmed] + [(self.merges, sent)]
        self.merges += 1
        self.pending = [sent]
        seconds = time.perf_counter() - started
        self.stats.append({"epoch": epoch, "round": number, "workers": k, "words": words, "seconds": seconds,
                           "train_seconds": max((r["seconds"] for r in results.values()), default=0.0),
                           "bytes_up": up, "bytes_down": down, "rows": int(sum(len(d.ids) for d in merged.values())),
                           "lost": sorted(lost)})
        logger.info("round %d of epoch %d: %d workers, %d words in %.2fs; sent %.2f MB up, %.2f MB down "
                    "(%d rows merged)", number + 1, epoch + 1, k, words, seconds, up / 1e6, down / 1e6,
                    self.stats[-1]["rows"])
        bar.update(self.done - bar.n)
        bar.set_postfix(loss=f"{loss / max(words, 1):.4f}", MB=f"{(up + down) / 1e6:.1f}", refresh=False)
        return loss

    def _reassign(self, lost: set) -> None:
        """Give a lost worker's shards to the survivors, who read and encode them now."""
        self.workers = [w for w in self.workers if w not in lost]
        if not self.workers:
            raise WorkerLost(f"every worker of the run was lost (last: {sorted(lost)})")
        orphans = [self.shards[i] for i in sorted(self.shards) if self.owner[i] in lost]
        load = {w: sum(self.sizes[i][0] for i in self.shards if self.owner[i] == w) for w in self.workers}
        for shard in orphans:
            w = min(self.workers, key=lambda a: (load[a], self.workers.index(a)))
            self.owner[shard.index] = w
            load[w] += self.sizes[shard.index][0]
        futures = {}
        for w in self.workers:
            mine = [s for s in orphans if self.owner[s.index] == w]
            if mine:
                futures[w] = (w, self._submit(replica.adopt, w, self.run_id, mine,
                                              [self.partitions[s.index] for s in mine], self.cache_dir))
        _, more = self._await(futures, "taking over shards")
        logger.warning("worker(s) %s lost: their part of this round is dropped; %d shard(s) moved to %s",
                       sorted(lost), len(orphans), self.workers)
        if more:
            self._reassign(more)

    # -- checkpoints and the end

    def _checkpoint(self, position: Position) -> None:
        if self.checkpoint is None:
            return
        started = time.perf_counter()
        save_checkpoint(self.checkpoint, self.model, self.spec, position,
                        {"shards": [s.to_json() for _, s in sorted(self.shards.items())],
                         "round_words": self.round_words, "merge": self.rule})
        logger.info("checkpoint at %d words of the run written to %s in %.2fs", position.run_words,
                    self.checkpoint, time.perf_counter() - started)

    def close(self) -> None:
        """Forget the run on every worker still there (best effort: the run is over either way)."""
        try:
            for f in self.pending:
                f.cancel()
            self.client.run(replica.drop, self.run_id)
        except Exception:  # noqa: BLE001 - a closing client or a vanished worker: nothing to clean
            pass


def _step_task(run_id, backlog, plan, budget, lr):
    return replica.step(run_id, [box.value for _, box in backlog], plan, budget, lr)


def _prepare_task(run_id, slot, shards, partitions, vocab, params, tables, threads, cache_dir, start_round):
    return replica.prepare(run_id, slot, shards, partitions, vocab.value, params, tables.value, threads,
                           cache_dir, start_round)


def _check_vocabulary(vocab: Vocabulary, p) -> None:
    """The single-process rule (``Word2Vec.build_vocab``): words left to train, two for hs."""
    from ..model import EmptyVocabularyError

    if len(vocab) == 0:
        raise EmptyVocabularyError(f"no word of the corpus reaches min_count={p.min_count}; "
                                   "lower min_count or give a larger corpus")
    if p.hs and len(vocab) < 2:
        raise ValueError("hierarchical softmax needs at least 2 words in the vocabulary")


def save_checkpoint(path: Path, model, spec: RunSpec, position: Position, cluster: dict) -> None:
    """w2v's checkpoint format with the shard list instead of an encoded corpus file."""
    meta, arrays = model._state()
    full = {"kind": KIND, "format": FORMAT, "model": meta, "run": asdict(spec), "position": asdict(position),
            "corpus": None, "distributed": cluster}
    with atomic_write(path) as f:
        np.savez(f, meta=_json_bytes(full), **arrays)


# ---- entry points -----------------------------------------------------------------------------

def fit(model, corpus, client, *, round_words: int | None = ROUND_WORDS, merge_rule: str = "auto",
        checkpoint=None, cache_dir=None, epochs: int | None = None, start: Position | None = None,
        shards: list[Shard] | None = None, connect_timeout: float = CONNECT_TIMEOUT, callbacks=()):
    """Train ``model`` (a :class:`w2v.Word2Vec`, with or without a vocabulary) on the cluster."""
    if checkpoint is not None:
        directory = Path(checkpoint).parent
        if not directory.is_dir():
            raise FileNotFoundError(f"checkpoint {str(checkpoint)!r}: directory {str(directory)!r} does not exist")
    client, owned = connect(client, connect_timeout)
    run = ClusterRun(model, client, round_words, merge_rule, checkpoint, cache_dir)
    if not model._training_lock.acquire(blocking=False):
        raise RuntimeError("this model is already training; wait for that train() to return")
    try:
        run.setup(corpus, shards)
        p = model.params
        model._callbacks = tuple(callbacks)
        model._loss_mark, model._loss_base = len(model.loss_history), 0.0  # gensim's running_training_loss
        model._callback("on_train_begin")
        start = start or Position()
        model.interrupted = not run.train(p.epochs if epochs is None else epochs, p.alpha, p.min_alpha, start)
        model.last_train_words = run.done - start.run_words
        model.train_count += 1
        model.min_alpha_yet_reached = float(p.min_alpha)
        model._callback("on_train_end")
    finally:
        model._callbacks = ()
        model._training_lock.release()
        run.close()
        model.cluster_stats = run.stats
        if owned:
            client.close()
    return model


def train(corpus, client, *, callbacks=(), cache_dir=None, checkpoint=None, round_words: int | None = ROUND_WORDS,
          merge: str = "auto", connect_timeout: float = CONNECT_TIMEOUT, **params):
    """``w2v.train`` on a Dask cluster; ``client`` is a ``distributed.Client`` or a scheduler address.

    ``corpus``: a file, a directory, a glob pattern, a list of those (or fsspec URLs), or a
    ``dask.bag`` of token lists; every file (partition) is a shard, and there must be at least one
    per worker. ``round_words``: words each worker trains between merges (None: one merge per
    epoch, Spark's schedule); ``merge``: the rule (:mod:`w2v.distributed.merge`; "auto" = "sum"
    with up to 2 workers, "mean" beyond: sum diverged with 8 workers, see benchmarks/README.md). Threads per
    worker are the Dask worker's ``nthreads`` (``params['workers']`` is ignored). ``checkpoint``
    is written at every epoch end; :func:`resume` (or ``w2v.resume(path, client=...)``) continues.
    """
    from ..model import Word2Vec

    params.setdefault("compute_loss", True)  # as w2v.train
    model = Word2Vec(cache_dir=cache_dir, **params)
    return fit(model, corpus, client, round_words=round_words, merge_rule=merge, checkpoint=checkpoint,
               cache_dir=cache_dir, connect_timeout=connect_timeout, callbacks=check_callbacks(callbacks))


def resume(path, client=None, *, corpus=None, callbacks=(), progress: bool | None = None):
    """Continue a distributed run from its epoch-end checkpoint ``path`` on ``client``'s cluster.

    The shards are read again by the workers (files must still be where they were; a dask.bag
    corpus must be passed again as ``corpus``); vocabulary, tables and position come from the file.
    """
    from ..model import Word2Vec

    meta, arrays = _read_state(path, arrays=True)
    cluster = meta.get("distributed")
    if cluster is None:
        raise CheckpointError(path, "is a single-process checkpoint: resume it without client=")
    if client is None:
        raise CheckpointError(path, "is a distributed run's checkpoint: pass client= (a Dask client or "
                                    "scheduler address) to continue it")
    model = Word2Vec._from_state(meta["model"], arrays)
    if progress is not None:
        model.params.progress = bool(progress)
    shards = [Shard(**s) for s in cluster["shards"]]
    if shards and shards[0].kind == "bag" and corpus is None:
        raise CheckpointError(path, "was trained on a dask.bag: pass the same bag again as corpus=")
    run = meta["run"]
    model.params.alpha, model.params.min_alpha = run["alpha"], run["min_alpha"]
    return fit(model, corpus, client, round_words=cluster["round_words"], merge_rule=cluster["merge"],
               checkpoint=path, epochs=run["epochs"], start=Position(**meta["position"]), shards=shards,
               callbacks=check_callbacks(callbacks))
