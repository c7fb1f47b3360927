"""Calls to the workers as the driver makes them: pinned tasks, transfers, and waits that never hang.

The driver (:mod:`.driver`) plans rounds; this module is how each of its calls reaches a worker
and comes back. Every wait is bounded and polls the scheduler meanwhile, because Dask alone would
block for good on a task pinned to a worker that died (such a task never runs again): a task's
outcome is its result, its own error (raised at once: tasks name their worker), or the reason
its worker is given up on (left the cluster, past its deadline, lost its result).
"""
from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import CancelledError

from . import replica
from .calls import CONNECT_TIMEOUT, Job, Membership, WorkerLost, alive_workers, bounded, secs

try:
    import distributed
    from distributed.client import FuturesCancelledError
    from distributed.scheduler import KilledWorker
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("distributed training needs dask.distributed: pip install 'w2v[dask]'") from e

logger = logging.getLogger("w2v")

#: seconds between two looks at the scheduler's worker list while waiting
POLL_SECONDS = 0.5
#: a transfer's deadline grows by one second per this many bytes
MIN_BYTES_PER_SECOND = 1_000_000


class Box:
    """A value scattered as one object (``client.scatter`` would split a dict or list)."""

    def __init__(self, value):
        self.value = value


class TaskRunner:
    """The run's calls to its workers: ``submit`` a task pinned to one worker, ``wait`` for tasks
    with a deadline, ``send`` each worker its payload, ``cancel`` what the run gave up on.

    ``watched()`` returns the run's current workers (they change as workers are dropped); a wait
    notices any of them leaving the cluster. ``pending`` holds the futures still worth cancelling
    when the run ends.
    """

    def __init__(self, client, task_timeout: float, watched):
        self.client = client
        self.task_timeout = task_timeout
        self.watched = watched
        self.membership = Membership(client)
        self.pending: list = []

    def submit(self, fn, worker, *args):
        future = self.client.submit(fn, *args, workers=[worker], allow_other_workers=False, pure=False)
        self.pending.append(future)
        return future

    def cancel(self, futures) -> None:
        """Cancel tasks the run gave up on (best effort, bounded: the scheduler may be busy with a death)."""
        futures = [f for f in futures if f.status not in ("finished", "cancelled")]
        if futures:
            try:
                bounded(lambda: self.client.cancel(futures), CONNECT_TIMEOUT, "cancelling tasks")
            except Exception as e:  # noqa: BLE001 - a task that cannot be cancelled is only ignored
                logger.debug("cancelling %d task(s) failed: %s", len(futures), e)

    def wait(self, futures: dict, what: str, *, tolerate: bool = True, fetch: bool = True,
               timeout: float | None = None) -> tuple[dict, dict, dict]:
        """(results, lost, missed) of ``{key: (worker, future)}``, waited for at most ``timeout`` s.

        ``lost`` maps the workers to drop (gone from the scheduler, past the deadline, killed) to
        why; ``missed`` the live workers whose result was lost (cancelled, a failed transfer). A
        task's own error is raised at once (tasks name their worker). Results are transferred in
        threads (``fetch``) so that the scheduler is polled meanwhile: a finished task whose worker
        dies before its result arrived would otherwise block ``result()`` for good (a task pinned
        to a dead worker never runs again). Without ``tolerate`` any loss raises WorkerLost.
        """
        timeout = self.task_timeout if timeout is None else timeout
        deadline = time.monotonic() + timeout
        pending = dict(futures)
        wake = threading.Event()
        jobs = {key: Job(future.result, wake) for key, (_, future) in pending.items()} if fetch else {}
        results, lost, missed = {}, {}, {}
        gone, polled = set(), time.monotonic()
        try:
            while pending:
                if fetch:
                    wake.wait(POLL_SECONDS)
                    wake.clear()
                else:
                    try:  # wait() asks for the default client: a CLI's or an address's is not one
                        with self.client.as_current():
                            distributed.wait([f for _, f in pending.values()], timeout=POLL_SECONDS,
                                             return_when="FIRST_COMPLETED")
                    except (TimeoutError, FuturesCancelledError, CancelledError):
                        pass  # each future's own status is read below
                now = time.monotonic()
                if now - polled >= POLL_SECONDS or not fetch:
                    gone |= self.membership.gone(set(self.watched()) | {w for w, _ in pending.values()})
                    polled = now
                expired = now > deadline
                for key, (worker, future) in list(pending.items()):
                    reason = self._outcome(key, worker, future, jobs.get(key), gone, expired, timeout, results)
                    if reason is None:
                        continue
                    del pending[key]
                    if reason == "done":
                        continue
                    if worker is None or not tolerate:
                        raise WorkerLost(f"{'worker ' + worker if worker else 'a task'} {reason} while {what}"
                                         + (", before training started: nothing was lost, run again"
                                            if not tolerate else ""))
                    if reason.startswith("lost its result"):
                        missed[worker] = reason
                    else:
                        lost[worker] = reason
                        self.cancel([future])
        finally:
            if pending:
                self.cancel([f for _, f in pending.values()])
        return results, lost, missed

    def settle(self, futures: dict, what: str, timeout: float) -> tuple[str | None, set]:
        """Wait until every task of ``{key: (worker, future)}`` finished (results stay on the
        workers): (None, set()); or stop at the first sign that one never will, a task that
        failed or was cancelled, one of their workers (or the run's) gone, the deadline:
        (why, the workers gone). For tasks that depend on each other across workers (a tree):
        a task waiting for data from a dead worker would wait for good, so any loss ends the wait."""
        deadline = time.monotonic() + timeout
        workers = {w for w, _ in futures.values()}
        polled = time.monotonic()
        while True:
            pending = [f for _, f in futures.values() if f.status != "finished"]
            if not pending:
                return None, set()
            for key, (worker, future) in futures.items():
                if future.status in ("error", "cancelled"):
                    error = future.exception() if future.status == "error" else "cancelled"
                    return f"the task {key} on worker {worker} failed while {what} ({error})", set()
            if time.monotonic() - polled >= POLL_SECONDS:  # the scheduler is asked at most this often
                polled = time.monotonic()
                gone = self.membership.gone(workers | set(self.watched()))
                if gone:
                    return f"worker(s) {sorted(gone)} left the cluster while {what}", gone
            if time.monotonic() > deadline:
                return f"{what} did not finish within {secs(timeout)}", set()
            try:
                with self.client.as_current():
                    distributed.wait(pending, timeout=POLL_SECONDS, return_when="FIRST_COMPLETED")
            except Exception:  # noqa: BLE001 - a timeout, an erred or cancelled future: statuses are read above
                pass

    def _outcome(self, key, worker, future, job, gone: set, expired: bool, timeout: float, results: dict):
        """What became of one task: None (still waiting), "done" (in ``results``) or why it failed."""
        if job is not None and job.finished.is_set():
            if job.error is None:
                results[key] = job.value
                return "done"
            error = job.error
        elif job is None and future.status == "finished":
            results[key] = None
            return "done"
        elif job is None and future.status in ("error", "cancelled"):
            error = future.exception() if future.status == "error" else CancelledError()
        elif worker in gone:
            return "left the cluster"
        elif expired:
            return f"did not answer within {secs(timeout)}"
        else:
            return None
        if future.status == "error":  # the task ran and raised
            if isinstance(error, (KilledWorker, replica.ReplicaMissing)):
                return f"was lost ({type(error).__name__}: {error})"
            if worker in gone:
                return "left the cluster"
            raise error
        alive = alive_workers(self.client)  # a cancelled task is often the first sign of a dead worker
        if worker in gone or (alive and worker not in alive):
            return "left the cluster"
        return f"lost its result ({type(error).__name__})"

    def send(self, payloads: dict, what: str, *, box: bool = True, nbytes: int = 0) -> tuple[dict, dict]:
        """Scatter each worker its payload, to it alone and all at once: ({worker: future}, {worker: why}).

        One scatter per worker (not one broadcast) so that a worker dying during the transfer
        fails only its own copy; each is bounded by TASK_TIMEOUT plus its bytes at MIN_BYTES_PER_SECOND.
        """
        wake = threading.Event()
        jobs = {}
        for w, payload in payloads.items():
            data = Box(payload) if box else payload
            jobs[w] = Job(lambda w=w, data=data: self.client.scatter(data, workers=[w], hash=False), wake)
        timeout = self.task_timeout + nbytes / MIN_BYTES_PER_SECOND
        deadline = time.monotonic() + timeout
        while not all(j.finished.is_set() for j in jobs.values()) and time.monotonic() < deadline:
            wake.wait(min(POLL_SECONDS, max(0.0, deadline - time.monotonic())))
            wake.clear()
        sent, failed = {}, {}
        for w, job in jobs.items():
            if not job.finished.is_set():
                failed[w] = f"did not take {what} within {secs(timeout)}"
            elif job.error is not None:
                failed[w] = f"failed {what} ({type(job.error).__name__}: {job.error})"
            else:
                sent[w] = job.value
        return sent, failed
