"""The distributed exchange's kernels (w2v.kernels.exchange) against their numpy references, and
the packed wire format against float32 changes."""
import numpy as np
import pytest

from w2v.distributed import wire
from w2v.distributed.merge import TableDelta, merge
from w2v.kernels import exchange, reference


def _replica(seed=0, rows=50, dim=7, touched=0.4):
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(rows, dim)).astype(np.float32)
    table = base.copy()
    hit = rng.random(rows) < touched
    table[hit] += rng.normal(scale=1e-3, size=(hit.sum(), dim)).astype(np.float32)
    table[3, 2] += np.float32(1e-7)  # one element of one row changed, by a change smaller than the rest
    return base, table


def test_take_changes_matches_the_numpy_reference_and_resets_the_rows():
    base, table = _replica()
    expected_table = table.copy()
    ids_ref, steps_ref, scales_ref = reference.take_changes(expected_table, base)
    ids, steps, scales = wire.take(table, base)
    np.testing.assert_array_equal(ids, ids_ref)
    np.testing.assert_array_equal(steps, steps_ref)
    np.testing.assert_array_equal(scales, scales_ref)
    np.testing.assert_array_equal(table, base)
    assert 3 in ids and len(ids) < len(base)


def test_packed_changes_decode_within_one_step_of_the_row_largest_change():
    base, table = _replica(seed=1)
    change = table - base
    ids, steps, scales = wire.take(table.copy(), base)
    decoded = steps.astype(np.float32) * scales[:, None]
    largest = np.abs(change[ids]).max(axis=1)
    assert np.all(np.abs(decoded - change[ids]) <= largest[:, None] / 65534 * 1.01)
    assert np.all(np.abs(steps).max(axis=1) == exchange.STEPS)


def test_a_nan_change_decodes_to_nan_not_to_zero():
    base, table = _replica(seed=2)
    table[5, 0] = np.nan
    ids, steps, scales = wire.take(table, base)
    decoded = wire.PackedDelta(ids, steps, scales, np.ones(len(ids), np.float32)).rows()
    assert np.isnan(decoded[list(ids).index(5)]).all()


def test_pack_rows_and_add_changes_match_the_numpy_reference():
    rng = np.random.default_rng(3)
    rows = rng.normal(size=(20, 5)).astype(np.float32)
    rows[4] = 0.0
    packed = wire.pack(TableDelta(np.arange(0, 40, 2, dtype=np.int32), rows, np.ones(20, np.float32)))
    steps_ref, scales_ref = reference.pack_rows(rows)
    np.testing.assert_array_equal(packed.steps, steps_ref)
    np.testing.assert_array_equal(packed.scales, scales_ref)
    assert not packed.rows()[4].any()
    base = rng.normal(size=(40, 5)).astype(np.float32)
    table = rng.normal(size=(40, 5)).astype(np.float32)
    base_ref, table_ref = base.copy(), table.copy()
    reference.add_changes(base_ref, table_ref, packed.ids, packed.steps, packed.scales)
    wire.apply(base, table, packed)
    np.testing.assert_array_equal(base, base_ref)
    np.testing.assert_array_equal(table, table_ref)
    untouched = np.setdiff1d(np.arange(40), packed.ids)
    assert not np.array_equal(table[untouched], base[untouched])  # rows no change names are left alone


@pytest.mark.parametrize("k", [1, 2, 3])
def test_sum_merge_of_packed_deltas_equals_the_numpy_sum_rule(k):
    rng = np.random.default_rng(k)
    deltas = []
    for _ in range(k):
        ids = np.sort(rng.choice(30, size=12, replace=False)).astype(np.int32)
        deltas.append(wire.pack(TableDelta(ids, rng.normal(size=(12, 4)).astype(np.float32),
                                           rng.random(12).astype(np.float32) * 9)))
    fast = wire.sum_merge(deltas, 30, 4)
    slow = merge([d.unpack() for d in deltas], 30, 4, "sum")
    np.testing.assert_array_equal(fast.ids, slow.ids)
    np.testing.assert_array_equal(fast.rows, slow.rows)
    np.testing.assert_allclose(fast.weights, slow.weights, rtol=1e-6)
    assert wire.sum_merge([], 30, 4).ids.size == 0
