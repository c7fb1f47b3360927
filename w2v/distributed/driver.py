"""The driver: check the workers (:mod:`.calls`), build the vocabulary, run the synchronous rounds.

Phases of :func:`fit`:

1. **Workers.** Every worker is asked (by a function shipped by value, so it runs even where w2v
   is missing) which w2v it has; a missing w2v or a different version or kernel source is an
   error naming the worker, before any data moves.
2. **Vocabulary.** Each worker reads and counts its own shards (:func:`.replica.count_shard`,
   which keeps the scan); the counts are merged pairwise on the workers (a tree, shard order kept,
   so the vocabulary equals one process's scan of the same files) and only the final counts
   reach the driver, which applies ``min_count``/``max_final_vocab``.
3. **Replicas.** The vocabulary and the initial tables are sent once (``scatter`` to each worker);
   each worker encodes its shards and keeps the ids (:func:`.replica.prepare`).
4. **Rounds.** Every worker trains its next ``round_words`` words (by default ROUND_WORDS for the
   whole cluster, split between the workers) with its own threads and reports the rows it changed,
   packed (:mod:`.wire`). Beyond 2 workers (:data:`EXCHANGES`) the workers merge them in a tree
   (:mod:`.reduce`): the driver fetches the merged change once and the workers relay it to each
   other, so the driver's bytes per round do not grow with the workers. Up to 2 (and when a
   round's tree fails) the driver merges them (:mod:`.merge`) and sends the merged change to each
   worker (one scatter per worker, so a dying worker fails only its own copy). Either way the
   driver applies it to its own copy of the tables (the model it returns and checkpoints); each
   replica keeps its own change exactly and takes it back when the merged change (which holds
   it) arrives. With the ``sum`` rule, rows beyond the :data:`HOT_WORDS` most frequent words are
   reported every :data:`TAIL_EVERY` rounds only. The learning rate decays on the cluster's word count.

Faults (see :class:`ClusterRun`): every call to a worker has a deadline. A worker that leaves the
cluster, misses a deadline or cannot take the merged change is dropped; its part of the round is
discarded unless it was merged already, its shards go to the surviving workers (who read and
encode them) and continue from the last merged cursor. A live worker whose result was lost gets
the driver's full tables (and loses the rare rows' changes it had not reported yet). A round
whose tree fails (a task's error, a worker leaving, a deadline) is merged here from the surviving
workers' step results, as a star round, and all of the above applies; a worker whose relay of
the merged change failed gets it from the driver. Before
training a worker lost while counting or encoding gives its
shards to the survivors the same way (nothing was trained yet, so nothing is lost). With no
worker left, WorkerLost names every worker and why. Epoch ends
write a checkpoint (w2v's format, plus the shard list); :func:`resume` continues it on a cluster.
"""
from __future__ import annotations

import logging
import pickle
import time
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..checkpoint import FORMAT, KIND, Position, RunSpec, write_state
from ..progress import Progress, progress_mode
from ..training import RateSchedule, check_finite
from ..vocab import Vocabulary, effective_min_count
from . import replica, wire
from .calls import (CONNECT_TIMEOUT, WorkerLost, bounded, check_workers, cold_workers, connect, make_probe,
                    scheduler_address)
from .merge import RULES, merge, saturation_updates, table_rule
from .reduce import Tree, generations
from .shards import Shard, assign, plan_shards
from .tasks import MIN_BYTES_PER_SECOND, Box, TaskRunner

logger = logging.getLogger("w2v")

#: words the whole cluster trains between two merges with ``round_words="auto"`` (the default):
#: each of k training workers trains ROUND_WORDS // k, so the staleness of a merged change (the
#: words the cluster trained since the replicas last agreed) is the same at any k (measured on a
#: 4.3M-word slice of wiki17m: shorter rounds cost more bytes for little quality; benchmarks/README.md)
ROUND_WORDS = 500_000
#: with ``round_words="auto"``, a run that starts from untrained tables merges every
#: WARM_ROUND_WORDS words (the cluster's) until the cluster has trained WARM_WORDS: while the
#: vectors grow out of their random start, every row grows through the rows it is trained against,
#: and a replica that sees the others' changes only every ROUND_WORDS grows more slowly (in one
#: process every update sees all the others'). That early loss is the same number of words at any
#: epoch count, so it was most of the gap in short runs (wiki17m, 1 epoch, 8 workers: analogy 3.4-4
#: points below one process without the warm-up, 0.8 with it; the frequency-weighted squared norm of
#: the output rows levels off after ~4M words at alpha 0.025; benchmarks/README.md, "Distributed")
WARM_WORDS = 4_000_000
WARM_ROUND_WORDS = ROUND_WORDS // 8
#: with the ``sum`` rule (1-2 workers), rounds report the changed rows of the HOT_WORDS most frequent
#: words every round and the other rows every TAIL_EVERY-th round (and at every epoch's end): the
#: hot rows are the ones every replica moves all the time, whose staleness costs quality; a rare
#: word's row is seldom touched by two replicas in a few rounds, and the tail is most of the bytes
#: and of the work of every round (pWord2Vec syncs its hot rows more often for the same reason)
HOT_WORDS = 4096
TAIL_EVERY = 8
#: seconds any driver->worker call may take before the worker is given up on (a task also gets
#: one second per MIN_WORDS_PER_SECOND words it trains and per MIN_BYTES_PER_SECOND bytes it reads)
TASK_TIMEOUT = 300.0
MIN_WORDS_PER_SECOND = 10_000
#: how a round's changes are merged and passed on: ``tree`` (:mod:`.reduce`: the workers combine
#: them pairwise, the driver fetches one merged change, the workers relay it to each other) or
#: ``star`` (every worker sends its change to the driver, which merges and sends the merged
#: change to each); ``auto``: ``star`` up to 2 workers, ``tree`` beyond. The star's bytes
#: through the driver grow with k (wiki17m slice, 500k words a round: 24, 45, 85 MB at 2, 4, 8
#: workers; the tree's 6.3 MB at each, benchmarks/results/2026-12-07-ea800a0-distributed-rounds.md).
#: At 2 workers the tree would save the driver 3 of its 4 copies, but rounds took the same time
#: (0.66 s vs 0.70 s there) and 2 is where ``sum`` is the default rule, which the driver merges,
#: packs and applies in one pass (:func:`.wire.sum_merge`)
EXCHANGES = ("auto", "tree", "star")
#: rounds in a row a live worker's result may be lost before it is dropped like a dead one
MAX_MISSES = 3
#: bytes of text per word, to weigh a shard not encoded yet (wiki17m: ~5.8 with the spaces)
BYTES_PER_WORD = 6.0


@dataclass
class Round:
    """A round sent to the workers, until its results are merged."""

    epoch: int
    index: int       # rounds of its epoch sent before it
    number: int      # rounds sent in this run before it (its merged change carries the same number)
    futures: dict    # worker -> (worker, future the driver waits for: its step, or the step's summary in a tree)
    steps: dict      # worker -> future of its step (the result stays on the worker in a tree)
    tree: bool       # merged by a tree on the workers (:mod:`.reduce`), or by the driver (star)
    k: int           # workers training in it
    alpha: float     # learning rate at its start (the damped rule uses it)
    timeout: float
    started: float


# ---- the run ----------------------------------------------------------------------------------

class ClusterRun:
    """One distributed ``train``: owns the run id, the shard plan and the round loop.

    Faults during training: every call to a worker has a deadline (:data:`TASK_TIMEOUT` plus
    time for its words or bytes). A worker that leaves the cluster, misses a deadline or cannot
    be sent the merged change is dropped: its contribution to the current round is discarded if
    it was not merged yet (its shards' cursors stay where the merged model has them), and its
    shards go to the survivors, who read and encode them. A live worker whose result was lost
    (a cancelled task, a failed transfer) is sent the driver's full merged tables with its next
    task, and dropped after :data:`MAX_MISSES` such rounds in a row. Nothing waits unbounded.
    """

    def __init__(self, model, client, round_words: int | str | None, rule: str, checkpoint, cache_dir,
                 task_timeout: float | None = None, checkpoint_errors: str = "raise",
                 tail_every: int | str = "auto", exchange: str = "auto"):
        if rule not in RULES + ("auto",):
            raise ValueError(f"merge={rule!r} is not one of {RULES + ('auto',)}")
        if exchange not in EXCHANGES:
            raise ValueError(f"reduce={exchange!r} is not one of {EXCHANGES}")
        self.exchange = exchange
        if rule not in RULES + ("auto",):
            raise ValueError(f"merge={rule!r} is not one of {RULES + ('auto',)}")
        if round_words is not None and round_words != "auto" and (
                isinstance(round_words, (bool, str)) or int(round_words) < 1):
            raise ValueError(f"round_words must be a positive number of words, 'auto' or None, got {round_words!r}")
        if checkpoint_errors not in ("raise", "warn"):
            raise ValueError(f"checkpoint_errors must be 'raise' or 'warn', got {checkpoint_errors!r}")
        self.checkpoint_errors = checkpoint_errors
        task_timeout = TASK_TIMEOUT if task_timeout is None else task_timeout
        if isinstance(task_timeout, bool) or not isinstance(task_timeout, (int, float)) or not task_timeout > 0:
            raise ValueError(f"task_timeout must be a positive number of seconds, got {task_timeout!r}")
        self.model, self.client = model, client
        if tail_every != "auto" and (isinstance(tail_every, bool) or not isinstance(tail_every, int) or tail_every < 1):
            raise ValueError(f"tail_every must be a positive number of rounds or 'auto', got {tail_every!r}")
        self.round_words, self.rule, self.tail_every = round_words, rule, tail_every
        self.checkpoint = None if checkpoint is None else Path(checkpoint)
        self.cache_dir = cache_dir
        self.task_timeout = float(task_timeout)
        self.run_id = f"w2v-{uuid.uuid4().hex[:12]}"
        self.stats: list[dict] = []
        self.workers: list[str] = []
        self.inbox: dict = {}   # what each worker gets with its next step (set per round)
        self.sizes: dict = {}   # shard index -> (words, sentences, raw words), once encoded
        self.tasks = TaskRunner(client, self.task_timeout, lambda: self.workers)
        self.tree = Tree(self.tasks)

    # -- setup

    def setup(self, corpus, shards: list[Shard] | None = None) -> None:
        client = self.client
        reports = bounded(lambda: client.run(make_probe()), self.task_timeout,
                          f"asking the workers of scheduler {scheduler_address(client)!r} for their w2v")
        check_workers(reports)
        info = bounded(lambda: client.scheduler_info(n_workers=-1)["workers"], 3 * CONNECT_TIMEOUT,
                       f"asking the scheduler {scheduler_address(client)!r} for its workers")
        self.workers = sorted(info)
        self.threads = {w: max(1, int(info[w].get("nthreads", 1))) for w in self.workers}
        self._warm_up([w for w in cold_workers(reports) if w in info])
        if shards is None:
            shards, parts = plan_shards(corpus)
        else:
            parts = None
            if shards and shards[0].kind == "bag":
                fresh, parts = plan_shards(corpus)
                if len(fresh) != len(shards):
                    raise ValueError(f"the dask.bag has {len(fresh)} partitions, the checkpoint {len(shards)}")
        if self.rule == "auto":  # measured: sum is best at 2 workers, diverged at 4 and 8; damped did not
            self.rule = "sum" if len(self.workers) <= 2 else "damped"
        if self.tail_every == "auto":  # measured with sum; the other rules weigh one round's updates
            self.tail_every = TAIL_EVERY if self.rule == "sum" else 1
        if self.exchange == "auto":
            self.exchange = "star" if len(self.workers) <= 2 else "tree"
        logger.info("round exchange: %s", self.exchange)
        logger.info("merge rule: %s; %s words per worker per round (%d workers)", self.rule,
                    "all (one merge per epoch)" if self.round_words is None else
                    f"{_budget(self.round_words, len(self.workers))}" + (" (auto)" if self.round_words == "auto" else ""),
                    len(self.workers))
        self.shards = {s.index: s for s in shards}
        self.owner = assign(shards, self.workers)
        self.partitions = client.compute(parts) if parts is not None else [None] * len(shards)
        model = self.model
        if model.vocab is None:
            vocab = self._vocabulary()
            model.effective_min_count = effective_min_count(self.counts, model.params.min_count,
                                                            model.params.max_final_vocab)
            model.adopt_vocabulary(vocab)
        self._prepare()

    def _params(self) -> dict:
        return self.model.params.to_dict()

    def _warm_up(self, cold: list) -> None:
        """Workers whose numba cache is cold compile their kernels now, as a step that is announced
        before and timed after (through the caller's :func:`w2v.progress.compile_notices`, as one
        process's compile is), instead of sitting in the first round for a minute."""
        if not cold:
            return
        from ..progress import NOTICES

        started = time.perf_counter()
        logger.info("compiling the kernels on %d worker(s) whose numba cache is cold", len(cold))
        NOTICES.announce(f"compiling kernels on {len(cold)} Dask worker{'s' * (len(cold) != 1)} (once per install; "
                         "numba caches them, later runs start in about a second)...")
        futures = {w: (w, self.tasks.submit(replica.warm_up, w, self._params())) for w in cold}
        self.tasks.wait(futures, "compiling the kernels", fetch=False, timeout=self.task_timeout)  # a loss shows later
        NOTICES.report(at_least=time.perf_counter() - started)
        logger.info("kernels compiled on the workers in %.1fs", time.perf_counter() - started)

    def _read_timeout(self, shards) -> float:
        """Deadline of a task that reads ``shards``: TASK_TIMEOUT plus their size at MIN_BYTES_PER_SECOND."""
        return self.task_timeout + sum(s.size for s in shards) / MIN_BYTES_PER_SECOND

    def _vocabulary(self) -> Vocabulary:
        """Count on the workers, merge counts pairwise there, min_count/max_final_vocab here."""
        started = time.perf_counter()
        futures = {}
        timeout = self._read_timeout(self.shards.values())
        todo = sorted(self.shards)
        while todo:  # a lost worker's shards (counted or not: its results died with it) go to the others
            for index in todo:
                futures[index] = self.tasks.submit(replica.count_shard, self.owner[index], self.run_id,
                                                   self.shards[index], self.partitions[index], self._params(),
                                                   self.cache_dir)
            _, lost, missed = self.tasks.wait({i: (self.owner[i], futures[i]) for i in todo}, "reading the corpus",
                                              fetch=False, timeout=timeout)
            gone = {**lost, **missed}
            todo = [i for i in sorted(self.shards) if self.owner[i] in gone]
            if gone:
                self._hand_over(gone, todo, "reading the corpus")
        level = [futures[i] for i in sorted(futures)]
        while len(level) > 1:  # tree: neighbours merged, left before right (first-seen order kept)
            nxt = [self.client.submit(replica.merge_counts, level[i], level[i + 1], pure=False)
                   for i in range(0, len(level) - 1, 2)]
            if len(level) % 2:
                nxt.append(level[-1])
            level = nxt
        self.tasks.pending.extend(level)
        results, _, _ = self.tasks.wait({"vocabulary": (None, level[0])}, "merging the vocabulary counts",
                                        tolerate=False, timeout=timeout)
        words, counts = results["vocabulary"]
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
        lockf = getattr(model.wv, "vectors_lockf", None)  # gensim's per-word locks travel with the tables
        setup = Box(((model.vocab.words, model.vocab.counts, model.vocab.huffman_kind),
                     {**self._tables(), "lockf": lockf}))
        table_bytes = sum(t.nbytes for t in self._tables().values())
        sent, failed = self.tasks.send({w: setup for w in self.workers}, "sending the vocabulary and tables",
                                       box=False, nbytes=table_bytes)
        if failed:  # nothing was encoded yet: the survivors take the shards and encode them below
            self._hand_over(failed, [i for i in sorted(self.shards) if self.owner[i] in failed],
                            "sending the vocabulary and tables")
        self.sent_setup = table_bytes * len(self.workers)
        futures = {}
        for slot, w in enumerate(self.workers):
            mine = [s for i, s in sorted(self.shards.items()) if self.owner[i] == w]
            futures[w] = (w, self.tasks.submit(prepare_task, w, self.run_id, slot, mine,
                                               [self.partitions[s.index] for s in mine], self._params(), sent[w],
                                               self.threads[w], self.cache_dir, len(self.stats)))
        results, lost, missed = self.tasks.wait(futures, "encoding the corpus",
                                                timeout=self._read_timeout(self.shards.values()))
        self.sizes = {}
        for sizes in results.values():
            self.sizes.update(sizes)
        self._drop({**lost, **missed}, "encoding the corpus")  # survivors adopt (read, encode) its shards
        self.epoch_words = sum(n for n, _, _ in self.sizes.values())
        self.model.corpus_total_words = sum(r for _, _, r in self.sizes.values())
        self.model.corpus_count = sum(n for _, n, _ in self.sizes.values())

    def _tables(self) -> dict:
        m = self.model
        return {"syn0": m.wv.vectors, "syn1neg": m.syn1neg, "syn1": m.syn1}

    # -- training

    def train(self, epochs: int, alpha: float, min_alpha: float, start: Position) -> bool:
        """Run the rounds of every epoch from ``start``; False if interrupted (Ctrl-C)."""
        model = self.model
        total = max(1, self.epoch_words * epochs)
        self.done = start.run_words
        self.warm_until = WARM_WORDS if self.round_words == "auto" and model.epochs_trained == 0 else 0
        self.spec = RunSpec(epochs, alpha, min_alpha, None)
        bar = Progress(total, self.done, epochs, progress_mode(model.params.progress),
                       show_loss=bool(model.params.compute_loss), desc=f"w2v x{len(self.workers)}")
        self.loss_words, self.loss_total = self.done, 0.0  # the display's running loss per word
        bar.loss.reset(self.loss_words, self.loss_total)
        bar.begin()
        self.inbox = {w: [] for w in self.workers}  # what each worker gets with its next step
        self.misses = {w: 0 for w in self.workers}  # rounds in a row its result was lost
        self.launched, self.unreported = 0, False
        try:
            for epoch in range(start.epoch, epochs):
                model.fire_callbacks("on_epoch_begin")
                self._epoch(epoch, alpha, min_alpha, total, bar)
                self._checkpoint(Position(epoch + 1, 0, self.done))  # before the callback, as on one machine
                model.fire_callbacks("on_epoch_end")
        except KeyboardInterrupt:
            logger.info("training interrupted; the model keeps every merged round")
            return False
        finally:
            bar.close()
        return True

    def _epoch(self, epoch: int, alpha: float, min_alpha: float, total: int, bar) -> None:
        started, words0 = time.perf_counter(), self.done
        cursors = {i: 0 for i in self.shards}
        loss, rounds, self.epoch_rounds = 0.0, 0, 0
        while any(cursors[i] < self.sizes[i][1] for i in self.shards):
            flight = self._launch(epoch, cursors, alpha, min_alpha, total)
            if flight is None:
                break
            loss += self._finish(flight, cursors, bar)
            rounds += 1
        if self.unreported:  # rows changed since the last round that reported every row: merge them now
            loss += self._finish(self._flush(epoch, alpha), cursors, bar)
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
        check_finite(model, epoch + 1)

    def _launch(self, epoch, cursors, alpha, min_alpha, total):
        """Send a round's steps, with plans from the merged cursors; None if no worker has text left."""
        plans = {w: [(i, cursors[i]) for i in sorted(self.shards)
                     if self.owner[i] == w and cursors[i] < self.sizes[i][1]] for w in self.workers}
        active = [w for w in self.workers if plans[w]]
        if not active:
            return None
        k = len(active)
        budget = max(1, WARM_ROUND_WORDS // k) if self.done < self.warm_until else _budget(self.round_words, k)
        lr = RateSchedule(alpha, min_alpha, total / k, self.done / k, self.epoch_words / k,
                          self.model.params.batch_words / k)
        index, number = self._count_round()
        report = None if self.tail_every == 1 or index % self.tail_every == self.tail_every - 1 else HOT_WORDS
        self.unreported = report is not None  # a round reporting every row covers the rounds before it
        steps = {}
        for w in active:
            steps[w] = self.tasks.submit(step_task, w, self.run_id, self.inbox[w], plans[w], budget, lr, number, report)
            self.inbox[w] = []
        most = max(min(budget, sum(self.sizes[i][0] for i, _ in plans[w])) for w in active)
        return Round(epoch, index, number, self._awaited(steps), steps, self.exchange == "tree", k,
                     max(min_alpha, alpha - (alpha - min_alpha) * self.done / max(1, total)),
                     self.task_timeout + most / MIN_WORDS_PER_SECOND, time.perf_counter())

    def _awaited(self, steps: dict) -> dict:
        """What the driver waits for of each step: its result (star), or in a tree its summary, a
        task on the same worker that leaves the changed rows there."""
        if self.exchange != "tree":
            return {w: (w, f) for w, f in steps.items()}
        return {w: (w, self.tasks.submit(replica.summary, w, f)) for w, f in steps.items()}

    def _count_round(self) -> tuple[int, int]:
        """(rounds of this epoch, rounds of the run) sent before the one being sent now."""
        index, number = self.epoch_rounds, self.launched
        self.epoch_rounds, self.launched = index + 1, number + 1
        return index, number

    def _flush(self, epoch: int, alpha: float) -> Round:
        """A round that trains nothing and reports every changed row (the epoch's last word of
        every replica reaches the driver's model before the epoch ends)."""
        index, number = self._count_round()
        self.unreported = False
        lr = RateSchedule(alpha, alpha, 1, 0, 1, 1)  # trains nothing: the rate is only passed on
        steps = {w: self.tasks.submit(step_task, w, self.run_id, self.inbox[w], [], 0, lr, number, None)
                 for w in self.workers}
        for w in self.workers:
            self.inbox[w] = []
        return Round(epoch, index, number, self._awaited(steps), steps, self.exchange == "tree", len(self.workers),
                     alpha, self.task_timeout, time.perf_counter())

    def _finish(self, flight, cursors, bar) -> float:
        """Wait for a round's results, merge them (a tree on the workers, or here if the round is a
        star or its tree failed), pass the merged change on; returns the round's loss."""
        epoch, index, number = flight.epoch, flight.index, flight.number
        results, lost, missed = self.tasks.wait(flight.futures, "training", timeout=flight.timeout)
        awaited = time.perf_counter()
        for w, r in list(results.items()):
            if w not in self.workers:  # dropped meanwhile
                del results[w]
            elif "behind" in r:  # its replica missed a merged change: full tables next
                missed[w] = f"lost its result (replica behind, at round {r['behind']})"
                del results[w]
        reduced, how = None, "star"
        if flight.tree and results:
            reduced, results, how = self._reduce(flight, results, lost, missed)
        if reduced is None:
            merged = self._merge(results, flight.alpha)
            driver_up = sum(_summary_bytes(r) + r["delta_bytes"] for r in results.values())
        else:
            merged = reduced.merged
            for name, table in self._tables().items():
                wire.add(table, merged[name])  # decoded as the replicas decode it: they stay equal
            driver_up = reduced.fetch_bytes + sum(_summary_bytes(r) for r in results.values())
        merge_seconds = time.perf_counter() - awaited
        for r in results.values():
            for i, c in r["cursors"]:
                cursors[i] = c
        words = sum(r["words"] for r in results.values())
        loss = sum(r["loss"] for r in results.values())
        self.done += words
        for w in self.workers:
            self.misses[w] = self.misses[w] + 1 if w in missed else 0
            if self.misses[w] >= MAX_MISSES:
                lost[w] = f"lost its result {MAX_MISSES} rounds in a row"
        if missed:
            logger.warning("round %d of epoch %d: the result of worker(s) %s was lost (%s); their slice is "
                           "trained again and their replicas get the merged tables", index + 1, epoch + 1,
                           sorted(missed), _reasons(missed))
        self._drop(lost, "training")
        sending = time.perf_counter()
        traffic = self._pass_on(number, merged, reduced, missed)
        send_seconds = time.perf_counter() - sending
        self.tasks.pending = [f for w in self.inbox for f in self.inbox[w]]
        self._drop(traffic.pop("failed"), "sending the merged change")
        stats = self._record(flight, results, merged, reduced, how, lost, missed, dict(
            traffic, driver_up=driver_up, awaited=awaited - flight.started, merge=merge_seconds, send=send_seconds))
        self.loss_words, self.loss_total = self.loss_words + words, self.loss_total + loss
        bar.update(self.done, epoch, self.loss_words, self.loss_total,
                   extra={"MB": f"{(stats['bytes_up'] + stats['bytes_down']) / 1e6:.1f}"})
        return loss

    def _record(self, flight, results, merged, reduced, how, lost, missed, measured) -> dict:
        """A round's record in ``model.cluster_stats`` (and its log line). Bytes are the payloads'
        (arrays and pickled summaries; Dask's framing not counted):

        - ``bytes_up``: the replicas' reported changes (packed), wherever they went (to the
          driver in a star, into the tree otherwise): the volume of the round's exchange, as before
          the tree; ``bytes_down``: the merged change (or full tables) delivered to the workers,
          one copy per worker, by the driver or by relays;
        - ``bytes_driver_up`` / ``bytes_driver_down``: what the driver's link carried, from and to
          the workers (a tree: one merged change and the summaries in, nothing out but full
          tables for a replica that missed a round or a copy whose relay failed);
        - ``bytes_workers``: what moved between workers (the tree's levels and the relays);
          ``tree_level_bytes``: of that, into each level of the reduction;
        - seconds: ``await_seconds`` (launch to every step's result or summary), ``train_seconds``,
          ``apply_seconds``, ``collect_seconds`` (the slowest worker's), ``merge_seconds`` (the tree
          or the driver's merge, with the driver's fetch and apply), ``send_seconds`` (passing the
          merged change on), ``tree_seconds`` and ``tree_level_seconds`` (each level's longest combine);
        - ``exchange``: "tree", "star", or "star (why the tree failed)".
        """
        up = sum(r["delta_bytes"] for r in results.values())
        stats = {"epoch": flight.epoch, "round": flight.index, "number": flight.number, "workers": flight.k,
                 "words": sum(r["words"] for r in results.values()), "seconds": time.perf_counter() - flight.started,
                 "train_seconds": max((r["seconds"] for r in results.values()), default=0.0),
                 "apply_seconds": max((r["apply_seconds"] for r in results.values()), default=0.0),
                 "collect_seconds": max((r["collect_seconds"] for r in results.values()), default=0.0),
                 "await_seconds": measured["awaited"], "merge_seconds": measured["merge"],
                 "send_seconds": measured["send"], "exchange": how,
                 "bytes_up": up, "bytes_down": measured["delivered"],
                 "bytes_driver_up": measured["driver_up"], "bytes_driver_down": measured["driver_down"],
                 "bytes_workers": (sum(reduced.moved) if reduced else 0) + measured["relayed"],
                 "tree_level_bytes": reduced.moved if reduced else [],
                 "tree_level_seconds": reduced.level_seconds if reduced else [],
                 "tree_seconds": reduced.seconds if reduced else 0.0,
                 "rows": int(sum(len(d.ids) for d in merged.values())),
                 "lost": sorted(set(lost) | set(measured["dropped"])), "missed": sorted(missed)}
        self.stats.append(stats)
        logger.info("round %d of epoch %d: %d workers, %d words in %.2fs; sent %.2f MB up, %.2f MB down "
                    "(%d rows merged; %s: %.2f MB through the driver, %.2f MB between workers)", flight.index + 1,
                    flight.epoch + 1, flight.k, stats["words"], stats["seconds"], up / 1e6, stats["bytes_down"] / 1e6,
                    stats["rows"], how, (stats["bytes_driver_up"] + stats["bytes_driver_down"]) / 1e6,
                    stats["bytes_workers"] / 1e6)
        return stats

    def _saturation(self, table: str, alpha: float) -> float:
        """``tau`` of ``table``'s rule in a round at learning rate ``alpha`` (:func:`.merge.saturation_updates`)."""
        return saturation_updates(alpha)

    def _reduce(self, flight, results: dict, lost: dict, missed: dict):
        """Merge a round by the tree over the workers whose step results are good: (the merge, their
        summaries, "tree"); if the tree fails, (None, the survivors' full step results, "star (why)"):
        the round is merged here, as a star's, and the fault handling of a star round applies."""
        rules = {}
        for name, table in self._tables().items():
            dim = table.shape[1] if table.ndim == 2 else self.model.params.vector_size
            rules[name] = (table_rule(self.rule, name), self._saturation(name, flight.alpha), dim)
        timeout = self.task_timeout + 2 * sum(r["delta_bytes"] for r in results.values()) / MIN_BYTES_PER_SECOND
        steps = {w: flight.steps[w] for w in self.workers if w in results}
        targets = [w for w in self.workers if w not in missed and w not in lost]
        reduced, why, gone = self.tree.reduce(steps, rules, flight.number, targets, timeout)
        if reduced is not None:
            return reduced, results, "tree"
        logger.warning("round %d of epoch %d: the tree merge failed (%s); the driver merges this round",
                       flight.index + 1, flight.epoch + 1, why)
        lost.update({w: "left the cluster" for w in gone})
        todo = {w: (w, f) for w, f in steps.items() if w not in gone}
        full, more_lost, more_missed = self.tasks.wait(todo, "fetching the step results (the tree failed)",
                                                       timeout=timeout)
        lost.update(more_lost)
        missed.update(more_missed)
        return None, full, f"star ({why})"

    def _pass_on(self, number: int, merged: dict, reduced, missed: dict) -> dict:
        """Give every worker the round's merged change for its next step (a replica whose result was
        lost: the driver's full tables): by relays from the tree's root, else (a star round, a relay
        that failed) by the driver's scatter. Returns the bytes (driver_down: scattered by the driver,
        relayed: copied between workers, delivered: reaching the workers) and the workers that
        could not take it (failed, dropped)."""
        merged_bytes = sum(d.nbytes for d in merged.values())
        relayed, failed = {}, {}
        targets = [w for w in self.workers if w not in missed]
        if reduced is not None and targets:
            timeout = self.task_timeout + merged_bytes * generations(len(self.workers)) / MIN_BYTES_PER_SECOND
            relayed, why, gone = self.tree.delivered(reduced, targets, timeout)
            failed = {w: "left the cluster while the merged change was relayed" for w in gone if w in self.workers}
            if len(relayed) < len(targets):
                logger.warning("relaying the merged change of round %d failed (%s); the driver sends it to %s",
                               number, why, sorted(set(targets) - set(relayed) - set(failed)))
        full = None
        if any(w in missed for w in self.workers):
            full = {name: t.copy() for name, t in self._tables().items()}  # the tables may change before it is sent
        payloads = {w: ("full", number, full) if w in missed else ("delta", number, merged)
                    for w in self.workers if w not in relayed and w not in failed}
        sent, send_failed = self.tasks.send(payloads, "the merged change", nbytes=merged_bytes) if payloads else ({}, {})
        for w, future in {**relayed, **sent}.items():
            self.inbox[w].append(future)
        full_bytes = 0 if full is None else sum(t.nbytes for t in full.values())
        down = sum(full_bytes if w in missed else merged_bytes for w in sent)
        copies = len(relayed) - (reduced is not None and reduced.root_worker in relayed)
        return {"driver_down": down, "relayed": merged_bytes * copies, "delivered": down + merged_bytes * len(relayed),
                "failed": {**failed, **send_failed}, "dropped": sorted({**failed, **send_failed})}

    def _merge(self, results: dict, alpha: float) -> dict:
        """Merge the replicas' deltas by the run's rule and apply them to the driver's tables;
        ``alpha``: the round's learning rate (``damped``, ``saturating``)."""
        merged = {}
        for name, table in self._tables().items():
            deltas = [r["deltas"][name] for r in results.values()]
            if self.rule == "sum":  # merged, packed and applied in one pass
                merged[name] = wire.sum_merge(deltas, table)
                continue
            dim = table.shape[1] if table.ndim == 2 else self.model.params.vector_size
            rule = table_rule(self.rule, name)
            merged[name] = wire.pack(merge([d.unpack() for d in deltas], len(table), dim, rule, alpha))
            wire.add(table, merged[name])  # decoded as the replicas decode it: they stay equal
        return merged

    def _drop(self, lost: dict, what: str) -> None:
        """Drop lost workers; their shards go to the survivors, who read and encode them now."""
        lost = {w: why for w, why in lost.items() if w in self.workers}
        if not lost:
            return
        self.workers = [w for w in self.workers if w not in lost]
        for w in lost:
            self.inbox.pop(w, None)
        orphans = [self.shards[i] for i in sorted(self.shards) if self.owner[i] in lost]
        logger.warning("worker(s) dropped while %s: %s; their part of the round not merged yet is dropped; "
                       "%d shard(s) move to %s", what, _reasons(lost), len(orphans), self.workers)
        if not self.workers:
            raise WorkerLost(f"every worker of the run was lost while {what}: {_reasons(lost)}; the merged "
                             "model is kept in the last checkpoint, if one was written")
        self._reassign([shard.index for shard in orphans])
        futures = {}
        for w in self.workers:
            mine = [s for s in orphans if self.owner[s.index] == w]
            if mine:
                futures[w] = (w, self.tasks.submit(replica.adopt, w, self.run_id, mine,
                                                   [self.partitions[s.index] for s in mine], self.cache_dir))
        adopted, more, missed = self.tasks.wait(futures, "taking over shards", timeout=self._read_timeout(orphans))
        for sizes in adopted.values():
            self.sizes.update(sizes)
        self._drop({**more, **missed}, "taking over shards")

    def _words(self, index: int) -> float:
        """Shard ``index``'s words when encoded, else an estimate from its bytes (for load balancing)."""
        return self.sizes[index][0] if index in self.sizes else max(self.shards[index].size, 1) / BYTES_PER_WORD

    def _hand_over(self, lost: dict, moved: list, what: str) -> None:
        """Before the replicas exist: drop lost workers and give shards ``moved`` to the others, by size."""
        lost = {w: why for w, why in lost.items() if w in self.workers}
        self.workers = [w for w in self.workers if w not in lost]
        logger.warning("worker(s) dropped while %s, before training: %s; %d shard(s) move to %s", what,
                       _reasons(lost), len(moved), self.workers)
        if not self.workers:
            raise WorkerLost(f"every worker of the run was lost while {what}, before training started: "
                             f"{_reasons(lost)}; nothing was trained")
        self._reassign(sorted(moved, key=lambda i: (-self.shards[i].size, i)))

    def _reassign(self, indices: list) -> None:
        """Give shards ``indices`` (in this order) to the surviving workers, each to the least loaded."""
        load = {w: sum(self._words(i) for i in self.shards if self.owner[i] == w) for w in self.workers}
        for index in indices:
            w = min(self.workers, key=lambda a: (load[a], self.workers.index(a)))
            self.owner[index] = w
            load[w] += self._words(index)

    # -- checkpoints and the end

    def _checkpoint(self, position: Position) -> None:
        if self.checkpoint is None:
            return
        started = time.perf_counter()
        try:
            save_checkpoint(self.checkpoint, self.model, self.spec, position,
                            {"shards": [s.to_json() for _, s in sorted(self.shards.items())],
                             "round_words": self.round_words, "merge": self.rule,
                             "tail_every": self.tail_every})
        except OSError as e:
            if self.checkpoint_errors == "raise":
                raise
            logger.warning("cannot write checkpoint %s (%s); training goes on without it", self.checkpoint, e)
            self.checkpoint = None
            return
        logger.info("checkpoint at %d words of the run written to %s in %.2fs", position.run_words,
                    self.checkpoint, time.perf_counter() - started)

    def close(self) -> None:
        """Forget the run on every worker still there (best effort and bounded: the run is over either way)."""
        try:
            self.tasks.cancel(self.tasks.pending)
            bounded(lambda: self.client.run(replica.drop, self.run_id, on_error="ignore"), CONNECT_TIMEOUT,
                    "forgetting the run on the workers")
        except Exception:  # noqa: BLE001 - a closing client or a vanished worker: nothing to clean
            pass


def _budget(round_words: int | str | None, k: int) -> int:
    """Words each of ``k`` training workers trains this round: "auto" keeps the cluster's words per
    round at :data:`ROUND_WORDS` whatever k is (also when workers are lost or run out of text)."""
    if round_words is None:
        return 1 << 62
    if round_words == "auto":
        return max(1, ROUND_WORDS // max(1, k))
    return int(round_words)


def _summary_bytes(result: dict) -> int:
    """Bytes of a step's result besides its changed rows (cursors, words, loss, timings), as pickled."""
    return len(pickle.dumps({key: value for key, value in result.items() if key != "deltas"}))


def _reasons(workers: dict) -> str:
    return "; ".join(f"worker {w} {why}" for w, why in sorted(workers.items()))


def step_task(run_id, inbox, plan, budget, lr, number, report=None):
    """The task a round runs on a worker: unbox what the driver scattered to it and train (:func:`.replica.step`)."""
    return replica.step(run_id, [box.value for box in inbox], plan, budget, lr, number, report)


def prepare_task(run_id, slot, shards, partitions, params, setup, threads, cache_dir, start_round):
    """The task that sets a worker's replica up from the scattered vocabulary and tables (:func:`.replica.prepare`)."""
    vocab, tables = setup.value
    return replica.prepare(run_id, slot, shards, partitions, vocab, params, tables, threads, cache_dir, start_round)


def save_checkpoint(path: Path, model, spec: RunSpec, position: Position, cluster: dict) -> None:
    """w2v's checkpoint format with the shard list instead of an encoded corpus file."""
    meta, arrays = model.to_state()
    full = {"kind": KIND, "format": FORMAT, "model": meta, "run": asdict(spec), "position": asdict(position),
            "corpus": None, "distributed": cluster}
    write_state(path, full, arrays)


# ---- entry points -----------------------------------------------------------------------------

def fit(model, corpus, client, *, round_words: int | str | None = "auto", merge_rule: str = "auto",
        checkpoint=None, cache_dir=None, epochs: int | None = None, start: Position | None = None,
        shards: list[Shard] | None = None, connect_timeout: float = CONNECT_TIMEOUT, callbacks=(),
        task_timeout: float | None = None, checkpoint_errors: str = "raise", tail_every: int | str = "auto",
        reduce: str = "auto"):
    """Train ``model`` (a :class:`w2v.Word2Vec`, with or without a vocabulary) on the cluster;
    ``reduce``: how rounds are merged and passed on, one of :data:`EXCHANGES`."""
    if checkpoint is not None:
        directory = Path(checkpoint).parent
        if not directory.is_dir():
            raise FileNotFoundError(f"checkpoint {str(checkpoint)!r}: directory {str(directory)!r} does not exist")
    client, owned = connect(client, connect_timeout)
    run = ClusterRun(model, client, round_words, merge_rule, checkpoint, cache_dir, task_timeout, checkpoint_errors,
                     tail_every, reduce)
    try:
        with model.training_lock():
            run.setup(corpus, shards)
            p = model.params
            model.begin_run(callbacks)
            start = start or Position()
            model.interrupted = not run.train(p.epochs if epochs is None else epochs, p.alpha, p.min_alpha, start)
            model.last_train_words = run.done - start.run_words
            model.end_run(p.min_alpha)
    finally:
        run.close()
        model.cluster_stats = run.stats
        if owned:
            client.close()
    return model
