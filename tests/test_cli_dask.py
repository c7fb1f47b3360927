"""The Dask command line as the README shows it, run end to end: ``python -m w2v train ... -dask-workers 2``
(a LocalCluster of its own) and ``-scheduler ADDRESS`` (a LocalCluster this test starts), in a fresh
process whose only Dask client is the one the CLI makes (issue 29: it was never the default client,
and the driver's waits asked for the default one: "No clients found").

Small: four shards of 5k words, one epoch, 16 dimensions.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import time

import pytest

from conftest import sample_words

distributed = pytest.importorskip("distributed")

FLAGS = ["-iter", "1", "-size", "16", "-min-count", "2", "-q", "-cache", "0"]


@pytest.fixture(scope="module")
def shard_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli-shards")
    words = sample_words(20_000)
    for k in range(4):
        part = words[k * 5_000:(k + 1) * 5_000]
        (root / f"part-{k}.txt").write_text("\n".join(" ".join(part[i:i + 50]) for i in range(0, len(part), 50)) + "\n")
    return root


def w2v_train(*args, timeout=600):
    return subprocess.run([sys.executable, "-m", "w2v", "train", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def check_vectors(path, shard_dir):
    vocabulary = {w for p in shard_dir.iterdir() for w in p.read_text().split()}
    rows = path.read_text().splitlines()
    count, size = map(int, rows[0].split())
    assert size == 16 and count == len(rows) - 1 and 100 < count <= len(vocabulary)
    assert all(len(row.split()) == 17 for row in rows[1:])


@pytest.mark.slow
def test_dask_workers_starts_a_local_cluster_and_trains(shard_dir, tmp_path):
    out = tmp_path / "v.txt"
    proc = w2v_train("-train", shard_dir, "-output", out, "-dask-workers", "2", *FLAGS)
    assert proc.returncode == 0, proc.stderr
    assert "No clients found" not in proc.stderr and "on a Dask cluster" in proc.stderr
    check_vectors(out, shard_dir)
    assert not (tmp_path / "v.txt.partial.ckpt").exists()  # the CLI's own checkpoint, removed after the run


@pytest.mark.slow
def test_scheduler_address_of_a_running_cluster(shard_dir, tmp_path):
    out = tmp_path / "v.txt"
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        proc = w2v_train("-train", shard_dir, "-output", out, "-scheduler", cluster.scheduler_address, *FLAGS)
    assert proc.returncode == 0, proc.stderr
    check_vectors(out, shard_dir)


def unused_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_scheduler_is_named_at_once(shard_dir, tmp_path):
    address = f"tcp://127.0.0.1:{unused_port()}"
    started = time.monotonic()
    proc = w2v_train("-train", shard_dir, "-output", tmp_path / "v.txt", "-scheduler", address, *FLAGS, timeout=60)
    assert proc.returncode == 2 and time.monotonic() - started < 30
    assert f"w2v: error: cannot reach the Dask scheduler at '{address}'" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "v.txt").exists()


@pytest.mark.slow
def test_a_listener_that_never_answers_does_not_hang_the_command(shard_dir, tmp_path):
    """Something accepts connections at the address but speaks no Dask: Dask's own connect would wait
    for good there; the command gives up after the connect timeout and names the address."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        address = f"127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        proc = w2v_train("-train", shard_dir, "-output", tmp_path / "v.txt", "-scheduler", address, *FLAGS,
                         timeout=120)
    assert proc.returncode == 2 and time.monotonic() - started < 60, proc.stderr
    assert f"cannot reach the Dask scheduler at '{address}'" in proc.stderr and "handshake" in proc.stderr


@pytest.mark.slow
def test_workers_with_a_cold_kernel_cache_compile_as_an_announced_step(shard_dir, tmp_path, monkeypatch, capsys):
    """A first run on fresh workers sat a minute or two at 0% while each worker compiled. Workers
    whose probe says their numba cache is cold now compile first, as a step announced before and
    timed after. (The workers here are warm; the driver is told they are cold.)"""
    from w2v import cli
    from w2v.distributed import driver

    told = []
    monkeypatch.setattr(driver, "cold_workers", lambda reports: told.append(sorted(reports)) or sorted(reports))
    out = tmp_path / "v.txt"
    assert cli.main(["train", "-train", str(shard_dir), "-output", str(out), "-dask-workers", "2", "-iter", "1",
                     "-size", "16", "-min-count", "2", "-cache", "0"]) == 0
    lines = capsys.readouterr().err.splitlines()
    said = [i for i, line in enumerate(lines) if line.startswith("w2v: compiling kernels on 2 Dask workers")]
    ready = [i for i, line in enumerate(lines) if line.startswith("w2v: kernels ready in")]
    trained = [i for i, line in enumerate(lines) if line.startswith("w2v: trained 1 epoch")]
    assert len(told) == 1 and len(told[0]) == 2 and len(said) == 1 and ready and trained, lines
    assert said[0] < ready[0] < trained[0], lines
    check_vectors(out, shard_dir)


def test_probe_reports_whether_the_worker_would_compile():
    from w2v.distributed import calls

    report = calls.make_probe()()
    assert report["cold"] in (True, False)
    assert calls.cold_workers({"a": {"cold": True}, "b": {"cold": False}, "c": {}}) == ["a"]


@pytest.mark.slow
def test_merge_settings_reach_the_cluster_and_its_log(shard_dir, tmp_path):
    """-reduce, -merge and -round-words are the driver's settings (its log at -debug 3 says so)."""
    out = tmp_path / "v.txt"
    flags = [f for f in FLAGS if f != "-q"]
    proc = w2v_train("-train", shard_dir, "-output", out, "-dask-workers", "2", *flags, "-debug", "3",
                     "-reduce", "tree", "-merge", "damped", "-round-words", "2000")
    assert proc.returncode == 0, proc.stderr
    assert "round exchange: tree" in proc.stderr
    assert "merge rule: damped; 2000 words per worker per round (2 workers)" in proc.stderr
    assert "round 2 of epoch 1: 2 workers" in proc.stderr
    check_vectors(out, shard_dir)


@pytest.mark.parametrize("flags, message", [
    (["-dask-workers", "2", "-merge", "average"], "-merge must be auto or one of sum, mean"),
    (["-dask-workers", "2", "-round-words", "0"], "-round-words must be a number of words >= 1, auto or epoch"),
    (["-dask-workers", "2", "-round-words", "many"], "got 'many'"),
    (["-reduce", "tree"], "-reduce applies to training on a Dask cluster"),
    (["-merge", "sum", "-round-words", "epoch"], "-round-words, -merge apply to training on a Dask cluster"),
])
def test_bad_merge_settings_are_named_before_a_cluster_starts(shard_dir, tmp_path, flags, message):
    started = time.perf_counter()
    proc = w2v_train("-train", shard_dir, "-output", tmp_path / "v.txt", *FLAGS, *flags)
    assert proc.returncode != 0 and message in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr and not (tmp_path / "v.txt").exists()
    assert time.perf_counter() - started < 30  # no cluster was started and waited for
