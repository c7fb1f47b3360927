"""Calls to the Dask cluster that never wait unbounded: connecting, checking the workers' w2v,
who is still there, and a deadline for any blocking call.

Dask's blocking calls (``Client(...)`` to an address nothing listens at, ``client.run``,
``scatter``, ``scheduler_info``, ``cancel``) either retry until a long timeout or take none, and one
that talks to a worker dying under it can wait forever: the driver makes them here.
"""
from __future__ import annotations

import socket
import threading

from .. import __version__ as W2V_VERSION
from ..kernels.cache_guard import source_fingerprint

try:
    import distributed
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError("distributed training needs dask.distributed: pip install 'w2v[dask]'") from e

CONNECT_TIMEOUT = 10
#: seconds past the connect timeout after which a scheduler address that has not completed Dask's
#: handshake is given up (Dask itself would wait for good on a listener that never answers)
HANDSHAKE_MARGIN = 5


class Deadline(TimeoutError):
    """A blocking call given up by :func:`bounded` (a TimeoutError raised by the call itself is not one)."""


class WorkerLost(RuntimeError):
    """Every worker of the run was lost, or one was lost where w2v cannot recover (before training)."""


def connect(client, timeout: float = CONNECT_TIMEOUT):
    """(client, owned): a Client for a scheduler address, or the given Client checked to be connected."""
    if isinstance(client, str):
        refused(client, timeout)
        address = client
        try:  # bounded: Client(timeout=) does not bound the handshake with a listener that never answers
            return bounded(lambda: distributed.Client(address, timeout=timeout, set_as_default=False),
                           timeout + HANDSHAKE_MARGIN, f"connecting to the Dask scheduler at {address!r}"), True
        except Deadline:
            raise ConnectionError(f"cannot reach the Dask scheduler at {client!r}: something listens there "
                                  f"but gave no Dask handshake within {secs(timeout + HANDSHAKE_MARGIN)} "
                                  "(is it a Dask scheduler's address and port?)") from None
        except (OSError, TimeoutError) as e:
            raise ConnectionError(f"cannot reach the Dask scheduler at {client!r} "
                                  f"(tried for {timeout:g}s): {e}") from None
        except Exception as e:  # noqa: BLE001 - e.g. another service there: its reply is no Dask handshake
            raise ConnectionError(f"cannot connect to a Dask scheduler at {client!r} (is it one?): "
                                  f"{type(e).__name__}: {e}") from None
    if not isinstance(client, distributed.Client):
        raise TypeError(f"client must be a dask.distributed.Client or a scheduler address, got "
                        f"{type(client).__name__}")
    if client.status != "running":
        raise ConnectionError(f"the Dask client for scheduler {scheduler_address(client)!r} is "
                              f"{client.status}, not connected")
    return client, False


def refused(address: str, timeout: float) -> None:
    """Raise at once if nothing listens at a ``tcp://`` scheduler address (Dask would retry a refused
    connection until its timeout); other schemes and other errors are left to Dask to report."""
    scheme, _, rest = address.rpartition("://")
    host, _, port = rest.rpartition(":")
    if scheme not in ("tcp", "") or not host or not port.isdigit():
        return
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=min(timeout, 5)).close()
    except ConnectionRefusedError:
        raise ConnectionError(f"cannot reach the Dask scheduler at {address!r}: connection refused "
                              "(no scheduler listens there)") from None
    except OSError:
        pass


def scheduler_address(client) -> str:
    try:
        return client.scheduler.address
    except AttributeError:
        return "?"


def make_probe():
    """A function the workers run to report their w2v; nested, so it is shipped by value and
    runs on a worker that cannot import w2v at all."""
    def probe():
        try:
            import w2v
            from w2v.kernels.cache_guard import source_fingerprint as fingerprint
            report = {"version": w2v.__version__, "kernels": fingerprint()}
        except Exception as e:  # noqa: BLE001 - reported to the driver, which raises
            return {"error": f"{type(e).__name__}: {e}"}
        try:  # whether numba would compile the training kernels here (not load them from its cache)
            from w2v.kernels import train_chunk
            from w2v.progress import kernel_cache_is_cold
            report["cold"] = bool(kernel_cache_is_cold(train_chunk))
        except Exception:  # noqa: BLE001 - an older w2v: check_workers names the version
            pass
        return report
    return probe


def cold_workers(reports: dict) -> list:
    """The workers whose probe says their numba cache is cold (they would compile in the first round)."""
    return sorted(address for address, report in reports.items() if report.get("cold"))


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


def bounded(fn, timeout: float, what: str):
    """``fn()`` in a daemon thread, waited for at most ``timeout`` seconds.

    Dask's blocking calls (``client.run``, ``scatter``, ``scheduler_info``, ``cancel``) take no
    deadline of their own, and one that talks to a worker dying under it can wait forever; here
    it becomes a TimeoutError naming ``what``. The thread is left to finish on its own.
    """
    job = Job(fn)
    if not job.finished.wait(timeout):
        raise Deadline(f"{what} did not finish within {secs(timeout)}")
    if job.error is not None:
        raise job.error
    return job.value


class Job:
    """``fn()`` running in a daemon thread; ``wake`` (shared by several jobs) is set when it ends."""

    def __init__(self, fn, wake: threading.Event | None = None):
        self.value, self.error = None, None
        self.finished = threading.Event()
        self.wake = wake
        threading.Thread(target=self._run, args=(fn,), daemon=True, name="w2v-dask-call").start()

    def _run(self, fn) -> None:
        try:
            self.value = fn()
        except BaseException as e:  # noqa: BLE001 - handed to the driver's thread
            self.error = e
        finally:
            self.finished.set()
            if self.wake is not None:
                self.wake.set()


def alive_workers(client) -> set:
    try:
        return bounded(lambda: set(client.scheduler_info(n_workers=-1)["workers"]), 3 * CONNECT_TIMEOUT,
                       "asking the scheduler for its workers")
    except (OSError, TimeoutError) as e:
        raise ConnectionError(f"lost the Dask scheduler at {scheduler_address(client)!r}: {e}") from None


class Membership:
    """Which workers are gone: missing from the scheduler's list in two polls in a row (a single
    partial answer, seen while the scheduler is busy, is not taken for a lost worker). An empty
    list counts only after EMPTY_POLLS polls in a row: a cluster whose nannies restart their
    workers is empty for a moment, one without nannies whose workers all died stays empty."""

    EMPTY_POLLS = 10

    def __init__(self, client):
        self.client, self.missing_once, self.empty = client, set(), 0

    def gone(self, workers) -> set:
        alive = alive_workers(self.client)
        self.empty = 0 if alive else self.empty + 1
        if not alive and self.empty < self.EMPTY_POLLS:
            return set()
        missing = {w for w in workers if w is not None and w not in alive}
        gone, self.missing_once = missing & self.missing_once, missing
        return gone


def secs(seconds: float) -> str:
    return f"{seconds:.0f}s" if seconds >= 10 else f"{seconds:.2g}s"
