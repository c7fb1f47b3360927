"""Shared fixtures: slices of the bundled sample corpus (real English text) written as small files.

The suite never writes into the user's cache: ``W2V_CACHE_DIR`` and ``XDG_CACHE_HOME`` point at a
temporary directory of this test session (removed when it ends), set here, before any test runs,
so the subprocesses and Dask workers the tests start inherit them too. A value the shell had set
is overridden on purpose: it may well be the user's real cache. ``tests/test_isolation.py`` runs
part of the suite with a throwaway ``HOME`` and checks that nothing was written there.
"""
import atexit
import lzma
import os
import shutil
import tempfile
import threading
from pathlib import Path

import numpy as np
import pytest

import w2v

SESSION_DIR = Path(tempfile.mkdtemp(prefix="w2v-tests-"))
os.environ["W2V_CACHE_DIR"] = str(SESSION_DIR / "w2v-cache")
os.environ["XDG_CACHE_HOME"] = str(SESSION_DIR / "xdg-cache")
atexit.register(shutil.rmtree, SESSION_DIR, ignore_errors=True)


def sample_words(n: int) -> list[str]:
    """The first ``n`` words of the bundled Wikipedia sample."""
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        text = f.read(n * 8)
    return text.split()[:n]


@pytest.fixture(scope="session")
def words_200k() -> list[str]:
    return sample_words(200_000)


@pytest.fixture(scope="session")
def sentences_200k(words_200k) -> list[list[str]]:
    """200k words as 20-word sentences (an in-memory corpus)."""
    return [words_200k[i:i + 20] for i in range(0, len(words_200k), 20)]


@pytest.fixture()
def text_file(tmp_path, words_200k):
    """200k words written one 20-word sentence per line."""
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(words_200k[i:i + 20]) for i in range(0, len(words_200k), 20)) + "\n")
    return path


def read_fifo_in_thread(fifo):
    """Start a reader of ``fifo`` (a writer blocks until one opens it); returns (thread, result dict)."""
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["data"] = f.read()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    return t, got


def replicas_in_sync(monkeypatch) -> list:
    """Before the run's end, compare every replica still training with the driver's tables: its
    tables plus the merged changes it was sent since its last step, minus its own changes those
    hold, must equal them (to float32 rounding: a replica takes its own change back by subtracting
    it; a merged change missed or applied twice is off by whole updates). Returns the list the
    checked workers are appended to (as (worker, equal))."""
    checked = []
    from w2v.distributed import driver

    real = driver.ClusterRun.close

    def replica_state(run_id):
        from w2v.distributed import replica
        state = replica._RUNS[run_id]
        return state.base, state.own

    def checking_close(self):
        states = self.client.run(replica_state, self.run_id, workers=self.workers)
        for w in self.workers:
            base, own = states[w]
            tables = {name: t.copy() for name, t in base.items()}
            for box in self.inbox[w]:
                kind, number, change = box.result().value
                if kind == "full":
                    tables, own = {name: t.copy() for name, t in change.items()}, {}
                    continue
                for name, delta in change.items():
                    tables[name][delta.ids] += delta.rows()
                    if number in own:
                        tables[name][own[number][name].ids] -= own[number][name].rows
            checked.append((w, all(np.allclose(tables[n], t, rtol=1e-5, atol=1e-5) for n, t in self._tables().items())))
        real(self)

    monkeypatch.setattr(driver.ClusterRun, "close", checking_close)
    return checked


def write_shards(root, words: list, parts: int = 4) -> list:
    """``words`` cut into ``parts`` files of 1,000-word lines under ``root``: a Dask test's shards."""
    size = len(words) // parts
    paths = []
    for k in range(parts):
        part = words[k * size:(k + 1) * size]
        path = root / f"part-{k}.txt"
        path.write_text("\n".join(" ".join(part[i:i + 1000]) for i in range(0, len(part), 1000)) + "\n")
        paths.append(str(path))
    return paths


def dict_scan(sentences) -> tuple[list, list, list]:
    """The reference scan of token lists: (words in first-seen order, ids, sentence ends from 0),
    one dict lookup per token."""
    index, ids, ends = {}, [], [0]
    for sentence in sentences:
        ids += [index.setdefault(token, len(index)) for token in sentence]
        ends.append(len(ids))
    return list(index), ids, ends
