"""Block momentum (``merge="bmuf"``, w2v/distributed/momentum.py): its arithmetic against a numpy
reference of Chen & Huo's update, and training with it on 4 worker processes (a real LocalCluster)."""
import numpy as np
import pytest

import w2v

from conftest import sample_words

distributed = pytest.importorskip("distributed")

from w2v.distributed import driver, momentum  # noqa: E402 - needs distributed
from w2v.distributed.merge import TableDelta  # noqa: E402

FAST = dict(sg=1, vector_size=40, epochs=3, progress=False, cache_dir=False)


def reference_rounds(start, rounds, k, eta, zeta, nesterov):
    """BMUF as written in the paper, dense and in float64: the replicas' start points after each round."""
    global_model, d = start.astype(np.float64), np.zeros(start.shape)
    starts = []
    for changes in rounds:  # changes: k dense arrays (zero where a replica did not touch a row)
        g = sum(changes) / k
        d = eta * d + zeta * g
        global_model = global_model + d
        starts.append(global_model + eta * d if nesterov else global_model)
    return starts


def random_rounds(rng, n, dim, k, rounds, hot):
    """Each round each replica changes 2 rows of the first ``hot[t]`` rows: (sparse deltas, dense changes)."""
    out = []
    for t in range(rounds):
        deltas, dense = [], []
        for _ in range(k):
            ids = np.sort(rng.choice(hot[t], 2, replace=False)).astype(np.int32)
            rows = rng.normal(size=(2, dim)).astype(np.float32)
            deltas.append(TableDelta(ids, rows, np.ones(2, np.float32)))
            full = np.zeros((n, dim))
            full[ids] = rows
            dense.append(full)
        out.append((deltas, dense))
    return out


@pytest.mark.parametrize("nesterov", [False, True])
def test_block_momentum_matches_the_dense_reference(nesterov):
    rng = np.random.default_rng(0)
    n, dim, k, eta, zeta = 7, 3, 3, 0.6, 0.9
    table = rng.normal(size=(n, dim)).astype(np.float32)
    start = table.copy()
    # rows 3-6 are touched in the first rounds only: later they move by their momentum alone
    rounds = random_rounds(rng, n, dim, k, 6, hot=[7, 7, 3, 3, 3, 3])
    state = momentum.BlockMomentum({"syn0": table}, k, eta=eta, zeta=zeta, nesterov=nesterov, drop=0.0)
    expected = reference_rounds(start, [dense for _, dense in rounds], k, eta, zeta, nesterov)
    replica = start.astype(np.float64)
    for (deltas, _), want in zip(rounds, expected):
        sent = state.step("syn0", table, deltas, k, dim)
        table[sent.ids] += sent.rows  # the driver applies the change
        replica[sent.ids] += sent.rows  # what a replica does with the change sent down
        np.testing.assert_allclose(table, want, atol=1e-5)
        np.testing.assert_allclose(replica, want, atol=1e-5)
    assert set(sent.ids.tolist()) >= {3, 4, 5, 6}  # untouched rows with momentum are sent


def test_default_eta_and_dropping_negligible_momentum():
    dim = 2
    table = np.ones((3, dim), np.float32)
    state = momentum.BlockMomentum({"syn0": table, "syn1": np.zeros((0, dim), np.float32)}, 4)
    assert state.eta == pytest.approx(0.75) and state.zeta == 1.0 and not state.nesterov
    one = [TableDelta(np.array([0], np.int32), np.full((1, dim), 0.4, np.float32), np.ones(1, np.float32))]
    sent = state.step("syn0", table, one, 4, dim)
    table[sent.ids] += sent.rows
    assert sent.ids.tolist() == [0] and sent.rows[0, 0] == pytest.approx(0.1)  # mean over all 4 replicas
    rounds = 0
    while True:  # row 0 untouched from now on: it moves by 0.1 * 0.75^t until that is < DROP x its norm
        sent = state.step("syn0", table, [], 4, dim)
        table[sent.ids] += sent.rows
        rounds += 1
        if not len(sent.ids):
            break
        assert sent.rows[0, 0] == pytest.approx(0.1 * 0.75 ** rounds, rel=1e-5)
    # |D| = 0.1 * 0.75^t * sqrt(2) against 1e-3 * |row| (~1.4 * sqrt(2)): dropped at t = 18
    assert rounds == int(np.ceil(np.log(momentum.DROP * table[0, 0] / 0.1) / np.log(0.75)))
    assert not state.momentum["syn0"].any()  # the dropped momentum is gone: the row stays put
    assert state.step("syn1", np.zeros((0, dim), np.float32), [], 4, dim).ids.size == 0
    with pytest.raises(ValueError, match="eta"):
        momentum.BlockMomentum({"syn0": table}, 4, eta=1.0)


# ---- on the cluster --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    """The corpus of test_distributed.py: 4 files of 150k words of the bundled sample."""
    root = tmp_path_factory.mktemp("shards")
    words = sample_words(600_000)
    paths = []
    for k in range(4):
        part = words[k * 150_000:(k + 1) * 150_000]
        path = root / f"part-{k}.txt"
        path.write_text("\n".join(" ".join(part[i:i + 1000]) for i in range(0, len(part), 1000)) + "\n")
        paths.append(str(path))
    return paths


@pytest.mark.slow
def test_four_workers_train_with_block_momentum(shards, monkeypatch):
    """bmuf on 4 worker processes ends near one process's loss and keeps only live rows moving."""
    monkeypatch.setattr(driver, "ROUND_WORDS", 100_000)  # the default's rounds, scaled to this 600k-word corpus
    single = w2v.train(shards, workers=2, **FAST)
    with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as c:
        dist = w2v.distributed.train(shards, c, merge="bmuf", **FAST)
    assert dist.epochs_trained == 3 and np.isfinite(dist.wv.vectors).all()
    assert dist.loss_history[-1] < 1.05 * single.loss_history[-1], (dist.loss_history, single.loss_history)
    assert dist.loss_history[-1] < dist.loss_history[0]
    rows = [s["rows"] for s in dist.cluster_stats]
    n_rows = 2 * len(dist.vocab)  # syn0 + syn1neg
    assert 0 < max(rows) <= n_rows
