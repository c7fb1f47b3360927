"""Block momentum (BMUF, Chen & Huo 2016): the merge rule ``bmuf``, whose state outlives a round.

The rules of :mod:`.merge` turn one round's changes into one change. BMUF also remembers: per
table, the driver keeps a momentum D (a dense array of the table's shape) and after round t

    G(t) = (sum of the k replicas' changes of a row) / k      (the mean over ALL k training replicas,
                                                               a replica that did not touch the row
                                                               counts as a zero change)
    D(t) = eta * D(t-1) + zeta * G(t)
    global model += D(t)

and the replicas start round t+1 from the global model (classic BMUF) or, with ``nesterov``, from
the global model + eta * D(t) (the driver's tables then hold that look-ahead point, so that a
replica resynchronised with the driver's full tables starts where the others do; the model returned
and checkpointed is then that look-ahead point, not the global model). The usual
setting is eta = 1 - 1/k, zeta = 1: a change that recurs every round adds up to zeta / (1 - eta) = k
times the mean, the sum, while a change that does not recur (the replicas' noise, a row a replica
overshot once) is filtered.

A row whose D is nonzero moves even in a round no replica touched it, so the change sent down
holds those rows too. To keep the bytes honest a row no replica touched this round is dropped
(its D set to zero, nothing sent) once its momentum is negligible: |D| < :data:`DROP` x |row| of
the driver's table (or |D| < :data:`FLOOR`, for rows still at zero). A row touched this round
is always sent. The momentum is not checkpointed: :func:`w2v.distributed.resume` restarts it at zero.

Measured (benchmarks/README.md, "Block momentum"): at 8 workers worse than ``damped`` with every
setting tried; at 4, classic BMUF worse and Nesterov's level with it (one seed); so it is not the
default. One multiplier for every row cannot give the sum to rows each replica updates a few
times and the mean to the hot rows whose changes saturate within a round, which is what
``damped`` does row by row.
"""
from __future__ import annotations

import numpy as np

from .merge import TableDelta, merge

RULE = "bmuf"
#: eta (block momentum): None = 1 - 1/k for k workers at the start of the run
ETA: float | None = None
#: zeta (block learning rate)
ZETA = 1.0
#: start the replicas from global + eta * D (Nesterov) instead of the global model
NESTEROV = False
#: an untouched row whose |D| falls below DROP x |row| (or below FLOOR) stops moving and is not sent
DROP = 1e-3
FLOOR = 1e-8


class BlockMomentum:
    """The driver's BMUF state for one run: D per table and the rows where it is nonzero."""

    def __init__(self, tables: dict, k: int, eta: float | None = None, zeta: float | None = None,
                 nesterov: bool | None = None, drop: float | None = None):
        eta = ETA if eta is None else eta
        self.eta = float(1.0 - 1.0 / max(1, k) if eta is None else eta)
        self.zeta = float(ZETA if zeta is None else zeta)
        self.nesterov = bool(NESTEROV if nesterov is None else nesterov)
        self.drop = float(DROP if drop is None else drop)
        if not 0.0 <= self.eta < 1.0 or not self.zeta > 0.0:
            raise ValueError(f"bmuf needs 0 <= eta < 1 and zeta > 0, got eta={self.eta}, zeta={self.zeta}")
        self.momentum = {name: np.zeros(t.shape, np.float32) for name, t in tables.items() if t.size}
        self.active = {name: np.zeros(0, np.int64) for name in self.momentum}  # rows with D != 0

    def step(self, name: str, table: np.ndarray, deltas: list, k: int, dim: int) -> TableDelta:
        """One round of table ``name``: update D from the replicas' ``deltas`` (k replicas trained) and
        return the change of ``table`` (the driver's copy, as it was at the start of the round), which
        the driver applies to it as the replicas do."""
        touched = merge(deltas, len(table), dim, "sum")  # the replicas' changes summed, touched rows only
        if name not in self.momentum:
            return touched
        d = self.momentum[name]
        old = self.active[name]
        ids = np.union1d(old, touched.ids.astype(np.int64))
        previous = d[ids].copy() if self.nesterov else None
        d[old] *= np.float32(self.eta)
        d[touched.ids] += touched.rows * np.float32(self.zeta / max(1, k))
        new = np.zeros(len(table), bool)
        new[touched.ids] = True
        fresh = new[ids]
        size = np.linalg.norm(d[ids], axis=1)
        keep = fresh | ((size >= self.drop * np.linalg.norm(table[ids], axis=1)) & (size >= FLOOR))
        d[ids[~keep]] = 0.0  # negligible momentum of untouched rows: dropped, nothing sent
        ids = ids[keep]
        change = d[ids] * np.float32(1.0 + self.eta) - np.float32(self.eta) * previous[keep] if self.nesterov \
            else d[ids].copy()
        self.active[name] = ids
        weights = np.zeros(len(table), np.float32)
        weights[touched.ids] = touched.weights
        return TableDelta(ids.astype(np.int32), change.astype(np.float32, copy=False), weights[ids])
