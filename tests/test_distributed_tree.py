"""The Dask round's tree (w2v.distributed.reduce): merged as the driver would merge it, fewer bytes
through the driver, and faults that fall back to the driver's merge.

Clusters: 4 worker processes x 1 thread (LocalCluster, shared by the module) and one of 2 for
the bytes' comparison. Corpus: 4 files of 100k words of the bundled Wikipedia sample.
"""
import os
import signal

import numpy as np
import pytest

import w2v
from w2v.distributed.merge import RULES, PartialMerge, TableDelta, combine, merge

from conftest import replicas_in_sync, sample_words, write_shards

distributed = pytest.importorskip("distributed")

from w2v.distributed import reduce, tasks, wire  # noqa: E402 - needs distributed

FAST = dict(sg=1, vector_size=40, epochs=1, progress=False, cache_dir=False, compute_loss=True)


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    return write_shards(tmp_path_factory.mktemp("tree-shards"), sample_words(400_000))


@pytest.fixture(scope="module")
def client4():
    with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as c:
        yield c


def train(client, shards, **kw):
    return w2v.distributed.fit(w2v.Word2Vec(**FAST), shards, client, **kw)


def step_result(delta: TableDelta) -> dict:
    packed = wire.pack(delta)
    return {"deltas": {"syn0": packed}, "delta_bytes": packed.nbytes}


# ---- the tree's arithmetic, in this process --------------------------------------------------

@pytest.mark.parametrize("rule", RULES)
def test_a_tree_of_nodes_merges_as_the_driver_does_up_to_the_int8_rounding(rule):
    """Five replicas' packed changes combined by node() as the tree does (pairs, an odd one carried
    up, the root finishing) decode to the driver's merge of the same changes, each row within
    three int8 steps of its largest change (two levels of packed partials and the final packing)."""
    rng = np.random.default_rng(7)
    dim, rows = 16, 50
    deltas = []
    for _ in range(5):
        ids = np.sort(rng.choice(rows, 30, replace=False)).astype(np.int32)
        deltas.append(TableDelta(ids, rng.normal(0, 0.1, (30, dim)).astype(np.float32),
                                 rng.uniform(1, 80, 30).astype(np.float32)))
    leaves = [step_result(d) for d in deltas]
    tau = 25.0
    rules = {"syn0": (rule, tau, dim)}
    level1 = [reduce.node(leaves[0:2], rules, 1), reduce.node(leaves[2:4], rules, 1), leaves[4]]
    level2 = [reduce.node(level1[0:2], rules, 2), level1[2]]
    root = reduce.node(level2, rules, 3, number=9)
    got = root["merged"]["syn0"]
    want = merge([wire.pack(d).unpack() for d in deltas], rows, dim, rule, alpha=1 / tau)
    assert got.ids.tolist() == want.ids.tolist()
    largest = np.abs(want.rows).max(axis=1)
    assert np.all(np.abs(got.rows() - want.rows).max(axis=1) <= 3 * largest / 127)
    assert np.allclose(got.weights, want.weights)
    # bytes sent between workers into each level: the second input of every node
    assert root["moved"][0] == leaves[1].get("delta_bytes") + leaves[3]["delta_bytes"]
    assert root["moved"][1] > 0 and root["moved"][2] > 0 and root["number"] == 9
    assert [reduce.generations(k) for k in (1, 2, 3, 4, 5, 8, 9, 32)] == [0, 1, 2, 2, 3, 3, 4, 5]


def test_a_nodes_combine_adds_each_rows_sums():
    """merge.combine (a tree node's and the star's) gives every row the float32 sum of its parts'
    values, in part order, overlapping or not, empty parts included: against dense tables."""
    rng = np.random.default_rng(3)

    def part(n):
        ids = np.sort(rng.choice(200, n, replace=False)).astype(np.int32)
        return PartialMerge(ids, rng.normal(0, 1, (n, 8)).astype(np.float32),
                            *(rng.uniform(0, 9, n).astype(np.float32) for _ in range(3)))

    a, b, c = part(120), part(90), part(60)
    for parts in ([a, b], [b, a], [a, part(0)], [part(0), part(0)], [a, b, c]):
        got = combine(parts, 8)
        dense = {column: np.zeros((200,) + getattr(a, column).shape[1:], np.float32)
                 for column in ("rows", "weights", "touches", "reach")}
        for p in parts:
            for column, total in dense.items():
                total[p.ids] += getattr(p, column)
        want = np.unique(np.concatenate([p.ids for p in parts])) if any(len(p.ids) for p in parts) else []
        assert got.ids.dtype == np.int32 and got.ids.tolist() == list(want)
        for column, total in dense.items():
            assert np.array_equal(getattr(got, column), total[got.ids]), column


# ---- on a cluster -----------------------------------------------------------------------------

@pytest.mark.slow
def test_the_trees_merged_model_equals_the_stars_up_to_the_int8_rounding(client4, shards, monkeypatch):
    """One merge per epoch (round_words=None) on 4 workers, from the same tables and with the same
    steps: the model merged by the tree (rules ``damped`` and, for syn1neg, ``saturating``; two
    levels) differs from the star's by the packing of the intermediate partials only: each row
    within 3 int8 steps of its largest change (measured: at most 1.3, median 1.0, as the two
    final packings of a row round a step apart); the replicas end equal to the driver's model.
    Without the rule's factor at the root the rows are hundreds of steps off."""
    untrained = train(client4, shards, round_words=None, epochs=0)
    star = train(client4, shards, round_words=None, reduce="star")
    checked = replicas_in_sync(monkeypatch)
    tree = train(client4, shards, round_words=None, reduce="tree")
    assert [s["exchange"] for s in star.cluster_stats] == ["star"]
    assert [s["exchange"] for s in tree.cluster_stats] == ["tree"]
    assert tree.cluster_stats[0]["rows"] == star.cluster_stats[0]["rows"] > 0
    for name in ("wv", "syn1neg"):
        def table(model):
            return model.wv.vectors if name == "wv" else model.syn1neg
        change = table(star) - table(untrained)
        largest = np.abs(change).max(axis=1)
        moved = largest > 0
        off = np.abs(table(tree) - table(star)).max(axis=1)
        assert moved.sum() > 1000 and np.all(off[~moved] == 0)
        steps = off[moved] / (largest[moved] / 127)
        assert steps.max() <= 3, (name, steps.max())
    assert [ok for _, ok in checked] == [True] * 4, checked


@pytest.mark.slow
def test_bytes_through_the_driver_do_not_grow_from_2_to_4_workers(client4, shards):
    """The same words per round for the cluster (100k) and the same rule (``damped``: "auto" would
    be ``sum`` at 2 workers, which reports the rare rows every 8th round only) at 2 and 4 workers:
    with the tree the driver fetches one merged change (and small summaries) and scatters
    nothing, at 4 workers no more than at 2 (per round, and per merged row); the star at 4 moves
    each worker's change and a copy of the merged change per worker through the driver
    (measured: ~7x the tree's bytes)."""
    def per_round(model):
        rounds = [s for s in model.cluster_stats if s["words"]]
        return (np.median([s["bytes_driver_up"] + s["bytes_driver_down"] for s in rounds]),
                np.median([(s["bytes_driver_up"] + s["bytes_driver_down"]) / s["rows"] for s in rounds]), rounds)

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client2:
        two, two_row, rounds2 = per_round(train(client2, shards, round_words=50_000, merge_rule="damped", reduce="tree"))
    four, four_row, rounds4 = per_round(train(client4, shards, round_words=25_000, merge_rule="damped", reduce="tree"))
    star, _, _ = per_round(train(client4, shards, round_words=25_000, merge_rule="damped", reduce="star"))
    assert len(rounds2) == len(rounds4) == 4
    assert all(s["exchange"] == "tree" and s["bytes_driver_down"] == 0 and s["bytes_workers"] > 0
               for s in rounds2 + rounds4)
    assert four_row <= 1.1 * two_row and four <= 1.25 * two, (two, four, two_row, four_row)
    assert star > 4 * four, (star, four)
    print(f"bytes through the driver per round: tree 2 workers {two:.0f}, 4 workers {four:.0f}; star 4 workers {star:.0f}")


def test_a_failed_tree_or_relay_falls_back_to_the_driver_and_loses_nothing(client4, shards, monkeypatch):
    """The root of round 2's tree is cancelled: that round is merged by the driver from the
    workers' step results (the star), nothing lost; a relay of round 3's merged change is
    cancelled: the driver sends that copy itself. Every word is trained once and the replicas end
    equal to the driver's model."""
    real = tasks.TaskRunner.submit
    seen = {"roots": 0, "relays": 0}

    def cancelling(self, fn, worker, *args):
        future = real(self, fn, worker, *args)
        if fn is reduce.node and args[-1] is not None:
            seen["roots"] += 1
            if seen["roots"] == 2:
                self.client.cancel([future])
        elif fn is reduce.relay:
            seen["relays"] += 1
            if seen["relays"] == 4 + 4 + 2:  # round 3's second relay (rounds 1 and 2 each started 4)
                self.client.cancel([future])
        return future

    monkeypatch.setattr(tasks.TaskRunner, "submit", cancelling)
    checked = replicas_in_sync(monkeypatch)
    model = train(client4, shards, round_words=25_000, reduce="tree")
    stats = model.cluster_stats
    assert stats[1]["exchange"].startswith("star (the task") and stats[1]["bytes_driver_down"] > 0, stats[1]
    assert stats[2]["exchange"] == "tree" and 0 < stats[2]["bytes_driver_down"] < stats[1]["bytes_driver_down"]
    assert [s["exchange"] for s in stats[3:]] == ["tree"] * (len(stats) - 3)
    assert not any(s["lost"] or s["missed"] for s in stats)
    assert sum(s["words"] for s in stats) == model.vocab.total_words
    assert [ok for _, ok in checked] == [True] * 4, checked


@pytest.mark.slow
def test_a_worker_killed_during_the_tree_loses_only_its_part(shards, monkeypatch):
    """A worker process killed while round 3's tree runs: the round is merged by the driver from
    the survivors' results (or by the tree, if its change had already left it), the dead worker is
    dropped, its shards go on from the merged cursors on the survivors, and every word is trained
    once. Its own cluster: the nanny restarts the killed worker under a new address."""
    real = tasks.TaskRunner.settle
    calls = []

    with distributed.LocalCluster(n_workers=4, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster, distributed.Client(cluster) as client:
        pids = client.run(os.getpid)
        victim = sorted(pids)[-1]

        def killing(self, futures, what, timeout):
            if what.startswith("merging"):
                calls.append(what)
                if len(calls) == 3:
                    os.kill(pids[victim], signal.SIGKILL)
            return real(self, futures, what, timeout)

        monkeypatch.setattr(tasks.TaskRunner, "settle", killing)
        model = train(client, shards, round_words=25_000, reduce="tree")
    stats = model.cluster_stats
    lost = [s for s in stats if s["lost"]]
    assert len(lost) == 1 and lost[0]["lost"] == [victim] and lost[0]["round"] == 2, lost
    assert stats[3]["workers"] == 3 and max(s["workers"] for s in stats[3:]) == 3  # the end: who has text left
    assert stats[2]["exchange"] in ("tree", "star (worker(s) ['%s'] left the cluster while merging the round in a tree)"
                                    % victim), stats[2]["exchange"]
    assert sum(s["words"] for s in stats) == model.vocab.total_words
    assert np.isfinite(model.wv.vectors).all()
