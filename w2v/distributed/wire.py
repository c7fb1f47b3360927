"""What travels between the driver and the replicas each round: the changed rows of a table,
packed as int8 steps of a per-row scale (:mod:`w2v.kernels.exchange`).

A round of 250k words per replica changes ~45k rows of each 79k-row table of wiki17m; sent as
float32 that was 161 MB per round at 2 workers and half of every round's time went to moving,
merging and applying it. Packed, a row of dimension d costs d + 12 bytes (id, scale, weight)
instead of 4d + 8 (44 MB per round), and the replica finds its changed rows in one pass and
packs them (and catches up with them) in a second that reads only those rows.

The merge rules (:mod:`.merge`) work on float32 :class:`~.merge.TableDelta`; the driver unpacks
what arrives, merges, and packs the merged change, which it applies to its own tables decoded
exactly as the replicas decode it (``sum``, the rule at 1-2 workers, does all of that in one
pass over the packed rows).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.exchange import STEP_TYPE, add_to, changed_rows, pack_rows, sum_changes, take_changes, take_merged
from .merge import PartialMerge, TableDelta


@dataclass
class PackedDelta:
    """Changed rows of one table: ``table[ids] += steps * scales[:, None]`` (ids ascending, unique)."""

    ids: np.ndarray      # int32
    steps: np.ndarray    # STEP_TYPE (int8), len(ids) x dim
    scales: np.ndarray   # float32, one per row
    weights: np.ndarray  # float32, update count of each row (1 where unknown)

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.steps.nbytes + self.scales.nbytes + self.weights.nbytes)

    def rows(self) -> np.ndarray:
        """The float32 changes, as every receiver decodes them."""
        return self.steps.astype(np.float32) * self.scales[:, None]

    def unpack(self) -> TableDelta:
        return TableDelta(self.ids, self.rows(), self.weights)


@dataclass
class PackedPartial:
    """A :class:`~.merge.PartialMerge` as it travels between workers in a tree reduction: the summed
    changes packed as :class:`PackedDelta` packs a change (int8 steps of a per-row scale) and the
    per-row sums the rule's factor needs in float32, so a row costs d + 20 bytes instead of 4d + 16."""

    ids: np.ndarray      # int32, ascending, unique
    steps: np.ndarray    # STEP_TYPE (int8), len(ids) x dim
    scales: np.ndarray   # float32, one per row
    weights: np.ndarray  # float32, summed update counts
    touches: np.ndarray  # float32, replicas that changed the row
    reach: np.ndarray    # float32, summed saturation

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.steps.nbytes + self.scales.nbytes + self.weights.nbytes
                   + self.touches.nbytes + self.reach.nbytes)

    def unpack(self) -> PartialMerge:
        rows = self.steps.astype(np.float32) * self.scales[:, None]
        return PartialMerge(self.ids, rows, self.weights, self.touches, self.reach)


def pack_partial(part: PartialMerge) -> PackedPartial:
    """``part`` packed for the next level of a tree (each level rounds a row to 1/254 of its largest change)."""
    packed = pack(TableDelta(part.ids, part.rows, part.weights))
    return PackedPartial(part.ids, packed.steps, packed.scales, part.weights, part.touches, part.reach)


@dataclass
class OwnChange:
    """A replica's exact change of one table in one round, kept until the merged change that holds
    it (decoded) arrives: the replica then takes it back and adds the merged change."""

    ids: np.ndarray   # int32
    rows: np.ndarray  # float32, len(ids) x dim


def take(table: np.ndarray, base: np.ndarray, rows: int | None = None) -> tuple[PackedDelta, OwnChange]:
    """The rows where ``table`` differs from ``base`` (among the first ``rows``, if given), packed
    (weights left at 1) and exact; ``base`` is caught up with ``table`` for those rows."""
    if rows is not None:
        table, base = table[:rows], base[:rows]
    dim = table.shape[1] if table.ndim == 2 else 0
    if table.size == 0:
        ids = np.zeros(0, np.int32)
        return PackedDelta(ids, np.zeros((0, dim), STEP_TYPE), np.zeros(0, np.float32), np.zeros(0, np.float32)), \
            OwnChange(ids, np.zeros((0, dim), np.float32))
    ids = np.empty(len(table), np.int32)
    ids = ids[:changed_rows(table, base, ids)].copy()  # then buffers of the changed rows only
    exact = np.empty((len(ids), dim), np.float32)
    steps = np.empty((len(ids), dim), STEP_TYPE)
    scales = np.empty(len(ids), np.float32)
    take_changes(table, base, ids, exact, steps, scales)
    return PackedDelta(ids, steps, scales, np.ones(len(ids), np.float32)), OwnChange(ids, exact)


def pack(delta: TableDelta) -> PackedDelta:
    rows = np.ascontiguousarray(delta.rows, np.float32)
    steps = np.empty(rows.shape, STEP_TYPE)
    scales = np.empty(len(rows), np.float32)
    if len(rows):
        pack_rows(rows, steps, scales)
    return PackedDelta(delta.ids, steps, scales, delta.weights)


def apply(base: np.ndarray, table: np.ndarray, delta: PackedDelta, own: OwnChange | None = None) -> None:
    """A replica takes a merged change, less its own change of the same round (``own``: the merged
    change holds it already), into ``base`` and ``table`` alike: a change of its own it has not
    reported yet (``table - base``) stays."""
    if own is None:
        own = OwnChange(np.zeros(0, np.int32), np.zeros((0, base.shape[1]), np.float32))
    if len(delta.ids) or len(own.ids):
        take_merged(base, table, delta.ids, delta.steps, delta.scales, own.ids, own.rows)


def add(table: np.ndarray, delta: PackedDelta) -> None:
    """The driver takes a merged change into its tables, decoded as the replicas decode it."""
    if len(delta.ids):
        add_to(table, delta.ids, delta.steps, delta.scales)


def sum_merge(deltas: list[PackedDelta], table: np.ndarray) -> PackedDelta:
    """:func:`.merge.merge` with rule ``sum``, straight from the packed deltas, packed, and added to
    ``table`` (the driver's) decoded as the replicas decode it: one pass, no dense accumulator.
    The default rule at 1-2 workers, where the exchange's cost decides the speed."""
    deltas = [d for d in deltas if len(d.ids)]
    dim = table.shape[1] if table.ndim == 2 else 0
    if not deltas:
        return PackedDelta(np.zeros(0, np.int32), np.zeros((0, dim), STEP_TYPE), np.zeros(0, np.float32),
                           np.zeros(0, np.float32))
    ids = np.concatenate([d.ids for d in deltas])
    steps = np.concatenate([d.steps for d in deltas])
    scales = np.concatenate([d.scales for d in deltas])
    weights = np.concatenate([d.weights for d in deltas]).astype(np.float64)
    size = min(len(table), len(ids))
    out = PackedDelta(np.empty(size, np.int32), np.empty((size, dim), STEP_TYPE), np.empty(size, np.float32),
                      np.empty(size, np.float32))
    n = sum_changes(ids, steps, scales, weights, table, out.ids, out.steps, out.scales, out.weights)
    return PackedDelta(out.ids[:n], out.steps[:n], out.scales[:n], out.weights[:n])
