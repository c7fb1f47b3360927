"""How the replicas' changes of one round become the change every replica applies.

After a round each replica reports, per table, the rows it changed: their ids, the change
(``trained - start of round``) and a weight (how many updates the row got, estimated from the
words the replica trained: see :func:`update_weights`). The driver combines them by one rule:

``sum``
    the changes add up, as the threads of one machine add their updates to shared rows (Hogwild).
    Replicas that started the round from the same tables stay close to one machine's run as long
    as a round is short and the replicas few: with 2 workers it is the best rule measured (the
    default, "auto", up to 2 workers); with 8, summing 8 changes of the hottest rows diverged
    (wiki17m analogy 0.007), so "auto" uses ``mean`` beyond 2 workers.
``mean``
    each row is the mean change of the replicas that touched it: Spark MLlib's rule (SPARK-24666).
    A row every replica touches learns at 1/k of the rate, which is why Spark loses accuracy as
    partitions grow (with its once-per-epoch merge, ``round_words=None`` here).
``weighted``
    a mean weighted by each replica's update count of the row.
``sqrt``
    the sum divided by the square root of the number of replicas that touched the row: between
    the two (a row all k replicas touched moves sqrt(k) times one replica's mean change).

Only touched rows travel, so a merged change is sparse too: :class:`TableDelta`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("sum", "mean", "weighted", "sqrt")
TABLES = ("syn0", "syn1neg", "syn1")


@dataclass
class TableDelta:
    """Changed rows of one table: ``table[ids] += rows`` (ids ascending, unique)."""

    ids: np.ndarray      # int32
    rows: np.ndarray     # float32, len(ids) x dim
    weights: np.ndarray  # float32, update count of each row (1 where unknown)

    @classmethod
    def empty(cls, dim: int) -> TableDelta:
        return cls(np.zeros(0, np.int32), np.zeros((0, dim), np.float32), np.zeros(0, np.float32))

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.rows.nbytes + self.weights.nbytes)


def changed_rows(table: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Ids of the rows where ``table`` differs from ``base`` (the rows a round touched)."""
    if table.size == 0:
        return np.zeros(0, np.int32)
    return np.flatnonzero((table != base).any(axis=1)).astype(np.int32)


def merge(deltas: list[TableDelta], n_rows: int, dim: int, rule: str) -> TableDelta:
    """Combine the replicas' deltas of one table by ``rule`` (see the module docstring)."""
    if rule not in RULES:
        raise ValueError(f"merge rule {rule!r} is not one of {RULES}")
    deltas = [d for d in deltas if len(d.ids)]
    if not deltas:
        return TableDelta.empty(dim)
    # float32 for sums (as the kernels accumulate); float64 where means divide sums of many replicas
    acc = np.zeros((n_rows, dim), np.float32 if rule == "sum" or len(deltas) == 1 else np.float64)
    norm = np.zeros(n_rows, np.float64)
    touched = np.zeros(n_rows, bool)
    for d in deltas:  # ids are unique within one delta, so fancy-index += is exact
        if rule == "weighted":
            acc[d.ids] += d.rows * d.weights[:, None]
            norm[d.ids] += d.weights
        else:
            acc[d.ids] += d.rows
            norm[d.ids] += 1.0
        touched[d.ids] = True
    ids = np.flatnonzero(touched).astype(np.int32)
    rows = acc[ids]
    if rule in ("mean", "weighted"):
        rows = rows / np.maximum(norm[ids], 1e-30)[:, None]
    elif rule == "sqrt":  # between sum and mean: a row c replicas touched moves sqrt(c) times one's
        rows = rows / np.sqrt(np.maximum(norm[ids], 1.0))[:, None]
    weights = np.zeros(n_rows, np.float64)
    for d in deltas:
        weights[d.ids] += d.weights
    return TableDelta(ids, rows.astype(np.float32), weights[ids].astype(np.float32))


def update_weights(occurrences: np.ndarray, table: str, negative: int, noise: np.ndarray | None,
                   points: np.ndarray | None, codelens: np.ndarray | None) -> np.ndarray:
    """Expected update count of each row of ``table`` after training words with ``occurrences``.

    syn0: a word's row is updated about once per occurrence (times the window, the same factor
    for every row); syn1neg: once per occurrence as the positive target plus ``negative`` noise
    draws per trained word; syn1: once per occurrence of every word whose Huffman path holds the
    inner node. Estimates, for the ``weighted`` rule only: the kernels keep no per-row counters.
    """
    occ = occurrences.astype(np.float64)
    if table == "syn0":
        return occ
    if table == "syn1neg":
        return occ + negative * occ.sum() * noise
    counts = np.zeros(len(occ) - 1 if len(occ) else 0, np.float64)
    mask = np.arange(points.shape[1])[None, :] < codelens[:, None]
    np.add.at(counts, points[mask], np.repeat(occ, codelens))
    return counts
