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


def test_take_changes_matches_the_numpy_reference_and_catches_base_up():
    base, table = _replica()
    ref_base, ref_table = base.copy(), table.copy()
    ids_ref, exact_ref, steps_ref, scales_ref = reference.take_changes(ref_table, ref_base)
    change = table - base
    packed, own = wire.take(table, base)
    np.testing.assert_array_equal(packed.ids, ids_ref)
    np.testing.assert_array_equal(own.ids, ids_ref)
    np.testing.assert_array_equal(own.rows, exact_ref)
    np.testing.assert_array_equal(own.rows, change[ids_ref])
    np.testing.assert_array_equal(packed.steps, steps_ref)
    np.testing.assert_array_equal(packed.scales, scales_ref)
    np.testing.assert_array_equal(base, table)  # reported: base caught up, the replica kept its change
    np.testing.assert_array_equal(base, ref_base)
    assert 3 in packed.ids and len(packed.ids) < len(base)


def test_a_replica_taking_a_merged_change_back_equals_the_driver():
    """Replica and driver start equal; the replica reports its change, the driver merges it with
    another replica's; after the replica applies the merged change minus its own, both agree."""
    start, table = _replica(seed=4)
    base = start.copy()
    packed, own = wire.take(table, base)
    other = wire.pack(TableDelta(np.array([1, 3, 8], np.int32), np.full((3, 7), 0.01, np.float32),
                                 np.ones(3, np.float32)))
    driver = start.copy()
    merged = wire.sum_merge([packed, other], driver)
    wire.apply(base, table, merged, own)
    np.testing.assert_allclose(table, driver, rtol=1e-6, atol=1e-7)
    np.testing.assert_array_equal(table, base)
    ref_base, ref_table = start.copy() + 0, start.copy() + 1
    reference.add_changes(ref_base, ref_table, merged.ids, merged.steps, merged.scales)
    np.testing.assert_array_equal(ref_base, driver)


def test_packed_changes_decode_within_one_step_of_the_row_largest_change():
    base, table = _replica(seed=1)
    change = table - base
    packed, _ = wire.take(table.copy(), base.copy())
    ids, steps = packed.ids, packed.steps
    decoded = packed.rows()
    largest = np.abs(change[ids]).max(axis=1)
    assert np.all(np.abs(decoded - change[ids]) <= largest[:, None] / (2 * exchange.STEPS) * 1.01)
    assert np.all(np.abs(steps).max(axis=1) == exchange.STEPS)


def test_a_nan_change_decodes_to_nan_not_to_zero():
    base, table = _replica(seed=2)
    table[5, 0] = np.nan
    packed, own = wire.take(table, base)
    assert np.isnan(packed.rows()[list(packed.ids).index(5)]).all()
    assert np.isnan(own.rows[list(own.ids).index(5), 0])


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
    own = wire.OwnChange(np.array([1, 2, 6, 39], np.int32), rng.normal(size=(4, 5)).astype(np.float32))
    reference.take_merged(base_ref, table_ref, packed.ids, packed.steps, packed.scales, own.ids, own.rows)
    wire.apply(base, table, packed, own)  # own rows 1 and 39 are not in the merged change
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
    table = rng.normal(size=(30, 4)).astype(np.float32)
    expected_table = table.copy()
    fast = wire.sum_merge(deltas, table)
    slow = wire.pack(merge([d.unpack() for d in deltas], 30, 4, "sum"))
    np.testing.assert_array_equal(fast.ids, slow.ids)
    np.testing.assert_array_equal(fast.steps, slow.steps)
    np.testing.assert_array_equal(fast.scales, slow.scales)
    np.testing.assert_allclose(fast.weights, slow.weights, rtol=1e-6)
    expected_table[slow.ids] += slow.rows()
    np.testing.assert_array_equal(table, expected_table)  # the driver's table took the decoded change
    assert wire.sum_merge([], table).ids.size == 0


def test_a_partial_report_leaves_the_other_rows_changed_in_the_replica():
    base, table = _replica(seed=5, rows=50)
    full_ids = np.flatnonzero((table != base).any(axis=1))
    packed, own = wire.take(table, base, rows=20)
    np.testing.assert_array_equal(packed.ids, full_ids[full_ids < 20])
    assert (table[20:] != base[20:]).any(axis=1).sum() == (full_ids >= 20).sum()  # kept for a later report
    tail = int(full_ids[full_ids >= 20][0])
    unreported = table[tail] - base[tail]
    other = wire.pack(TableDelta(np.array([tail], np.int32), np.full((1, 7), 0.5, np.float32), np.ones(1, np.float32)))
    wire.apply(base, table, wire.pack(wire.sum_merge([packed, other], np.zeros_like(base)).unpack()), own)
    np.testing.assert_allclose(table[tail] - base[tail], unreported, rtol=1e-5, atol=1e-7)  # still to report
    rest, _ = wire.take(table, base)
    np.testing.assert_array_equal(rest.ids, full_ids[full_ids >= 20])
