"""What travels between the driver and the replicas each round: the changed rows of a table,
packed as int16 steps of a per-row scale (:mod:`w2v.kernels.exchange`).

A round of 250k words per replica changes ~45k rows of each 79k-row table of wiki17m; sent as
float32 that was 161 MB per round at 2 workers and half of every round's time went to moving,
merging and applying it. Packed, a row of dimension d costs 2d + 12 bytes (id, scale, weight)
instead of 4d + 8, and the replica finds, packs and resets its changed rows in one pass.

The merge rules (:mod:`.merge`) work on float32 :class:`~.merge.TableDelta`; the driver unpacks
what arrives, merges, and packs the merged change, which it applies to its own tables decoded
exactly as the replicas decode it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..kernels.exchange import add_changes, pack_rows, sum_changes, take_changes
from .merge import TableDelta


@dataclass
class PackedDelta:
    """Changed rows of one table: ``table[ids] += steps * scales[:, None]`` (ids ascending, unique)."""

    ids: np.ndarray      # int32
    steps: np.ndarray    # int16, len(ids) x dim
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


def take(table: np.ndarray, base: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(ids, steps, scales) of the rows where ``table`` differs from ``base``; those rows are reset to base."""
    if table.size == 0:
        return np.zeros(0, np.int32), np.zeros((0, table.shape[1] if table.ndim == 2 else 0), np.int16), \
            np.zeros(0, np.float32)
    ids = np.empty(len(table), np.int32)
    steps = np.empty(table.shape, np.int16)
    scales = np.empty(len(table), np.float32)
    n = take_changes(table, base, ids, steps, scales)
    return ids[:n], steps[:n], scales[:n]  # views: the round's result keeps its buffers alive


def pack(delta: TableDelta) -> PackedDelta:
    rows = np.ascontiguousarray(delta.rows, np.float32)
    steps = np.empty(rows.shape, np.int16)
    scales = np.empty(len(rows), np.float32)
    if len(rows):
        pack_rows(rows, steps, scales)
    return PackedDelta(delta.ids, steps, scales, delta.weights)


def apply(base: np.ndarray, table: np.ndarray, delta: PackedDelta) -> None:
    """A replica takes a merged change: ``base[ids] += change``, then ``table[ids] = base[ids]``."""
    if len(delta.ids):
        add_changes(base, table, delta.ids, delta.steps, delta.scales)


def sum_merge(deltas: list[PackedDelta], n_rows: int, dim: int) -> TableDelta:
    """:func:`.merge.merge` with rule ``sum``, straight from the packed deltas (one pass, no dense
    accumulator): the default rule at 1-2 workers, where the exchange's cost decides the speed."""
    deltas = [d for d in deltas if len(d.ids)]
    if not deltas:
        return TableDelta.empty(dim)
    ids = np.concatenate([d.ids for d in deltas])
    steps = np.concatenate([d.steps for d in deltas])
    scales = np.concatenate([d.scales for d in deltas])
    weights = np.concatenate([d.weights for d in deltas]).astype(np.float32)
    out_ids = np.empty(min(n_rows, len(ids)), np.int32)
    out_rows = np.empty((len(out_ids), dim), np.float32)
    out_weights = np.empty(len(out_ids), np.float32)
    n = sum_changes(n_rows, ids, steps, scales, weights, out_ids, out_rows, out_weights)
    return TableDelta(out_ids[:n], out_rows[:n], out_weights[:n])
