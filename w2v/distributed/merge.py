"""How the replicas' changes of one round become the change every replica applies.

After a round each replica reports, per table, the rows it changed: their ids, the change
(``trained - start of round``) and a weight (how many updates the row got, estimated from the
words the replica trained: see :func:`update_weights`). The driver combines them by one rule:

``sum``
    the changes add up, as the threads of one machine add their updates to shared rows (Hogwild).
    Threads see each other's updates after a few words; replicas only after a round, so the
    hottest rows (whose change saturates within a round) move k times too far: with 8 workers it
    diverged at every round length measured (down to 15.6k words per worker), with 4 on the
    test corpus too. The best rule measured at 2 workers (the default there, "auto").
``mean``
    each row is the mean change of the replicas that touched it: Spark MLlib's rule (SPARK-24666).
    A row every replica touches learns at 1/k of the rate, which is why Spark loses accuracy as
    partitions grow (with its once-per-epoch merge, ``round_words=None`` here).
``weighted``
    a mean weighted by each replica's update count of the row.
``sqrt``
    the sum divided by the square root of the number of replicas that touched the row: between
    the two (a row all k replicas touched moves sqrt(k) times one replica's mean change).
``damped`` (the default, ``"auto"``, beyond 2 workers)
    the sum, damped by how saturated the replicas' changes are: of c replicas touching a row,
    each having updated it u_j times, the summed change is scaled by 1 / (1 + (c - 1) h),
    h the mean of u_j / (u_j + tau). A row updated a few times per replica (its changes still add up as on one
    machine) gets the sum; a hot row (each replica already moved it most of the way to where the
    round's data pulls it) gets the mean. tau = :data:`DAMP_STEP` / alpha (alpha: the round's
    learning rate; 40 updates at alpha 0.025), since how far u updates move a row grows with
    u x alpha. Never diverged where ``sum`` did, and ended at a lower loss than ``mean`` (4 and 8
    workers); but at 2 workers it lost more analogy points than ``sum`` (benchmarks/README.md).
    An output row's draws as a noise word count little in u (:data:`NEGATIVE_DRAW_WEIGHT`): they
    move it little, and counted in full they damped the rows of mid-frequency and rare words,
    which every replica draws often, towards the mean (4 workers, wiki17m: 2.4 analogy points
    below one process with full counts, 0.6 with 0.05). The output rows of negative sampling
    (syn1neg) are merged by ``saturating`` instead (:func:`table_rule`).
``saturating``
    the replicas' changes of a row added, then scaled as if the row approached a fixed point:
    u updates move it f(u) = 1 - exp(-alpha u / DAMP_STEP) of the way, so the c replicas'
    changes, together sum_j f(u_j) of the way, should have moved it f(sum_j u_j): each change
    is scaled by f(U) / sum_j f(u_j), U = sum_j u_j. The sum for rows barely updated, the mean
    for saturated ones, like ``damped``, but more of the sum for rows updated a few dozen times
    per replica and less for the hottest. As the rule of every table it was worse than
    ``damped`` (wiki17m, seed 1: 4 workers 0.347 vs 0.358 analogy); for syn1neg alone, under
    ``damped``'s name, it took 8 workers from 1.42 analogy points below one process to 0.33
    (medians of 3 seeds; benchmarks/results/2026-12-03-56591ca-distributed-outputs.jsonl).

Every rule is a factor of each row's sums (:class:`PartialMerge`), so replicas can merge their
changes pairwise in any order (a tree between workers) and the rule is applied once at the end.
Only touched rows travel, so a merged change is sparse too: :class:`TableDelta`.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

RULES = ("sum", "mean", "weighted", "sqrt", "damped", "saturating")
#: ``damped``: a replica's change of a row counts as half saturated after DAMP_STEP / alpha updates
#: (update_weights' units; alpha = the round's learning rate), or DAMP_UPDATES where alpha is unknown;
#: ``saturating``: u updates move a row 1 - exp(-u alpha / DAMP_STEP) of the way (1 - exp(-u / DAMP_UPDATES)
#: where alpha is unknown)
DAMP_STEP = 1.0
DAMP_UPDATES = 40.0
#: an output row's draw as a noise word counts as this fraction of an update (update_weights):
#: its gradient, sigma(x . y), is small once training is under way, where a positive pair's
#: 1 - sigma(x . y) is not, so a row drawn often but seldom a target moves little and is far
#: from saturated. Counted in full (1.0), those rows were damped towards the mean and the input
#: rows of frequent words grew to make up for it (norms +20% at 4 workers); measured on wiki17m,
#: 5 epochs, seed 1: 4 workers 1.0 / 0.2 / 0.05 -> analogy 0.344 / 0.355 / 0.358, 8 workers
#: 0.1 / 0.05 / 0.02 -> 0.342 / 0.349 / 0.344 (benchmarks/results/2026-12-03-63f0bc5-distributed-draws.jsonl)
NEGATIVE_DRAW_WEIGHT = 0.05
TABLES = ("syn0", "syn1neg", "syn1")
#: tables a rule merges by another rule: under ``damped`` the output rows of negative sampling
#: take ``saturating``, which moves mid-frequency rows further and the hottest less (wiki17m, 8
#: workers, seed 1: analogy 0.364 against 0.349 with ``damped`` there, 0.338 with ``saturating``
#: for syn0 instead, 0.353 for both); syn1 (hierarchical softmax) keeps ``damped``: not measured
TABLE_RULES = {"damped": {"syn1neg": "saturating"}}


def table_rule(rule: str, table: str) -> str:
    """The rule that merges ``table``'s deltas in a run merged by ``rule``."""
    return TABLE_RULES.get(rule, {}).get(table, rule)


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


@dataclass
class PartialMerge:
    """Some replicas' changes of one table, summed per row, so that partial merges add up in any
    order: the replicas can merge in a tree (each pair's partial merge travels on, not every
    replica's change to one place), and :func:`finish` applies the rule once, at the root.

    Every rule is the row's summed change times a factor of the row alone (its replica count c,
    its summed update count U, and the summed saturation of its replicas' changes): that factor
    is what makes the sums enough. ``damped`` scales by the replicas' mean saturation,
    1 / (1 + (c - 1) mean_j h_j), where it once scaled each replica's change by its own h_j:
    equal where the replicas updated the row alike (a hot row), and within a few percent of the
    sum where they did not (a row few replicas touch moves nearly its whole sum either way).
    """

    ids: np.ndarray      # int32, ascending, unique
    rows: np.ndarray     # float32, len(ids) x dim: summed changes (``weighted``: weighted by update counts)
    weights: np.ndarray  # float32, summed update counts U
    touches: np.ndarray  # float32, replicas that changed the row (c)
    reach: np.ndarray    # float32, summed saturation: h(u) for ``damped``, f(u) for ``saturating``

    @property
    def nbytes(self) -> int:
        return int(self.ids.nbytes + self.rows.nbytes + self.weights.nbytes + self.touches.nbytes
                   + self.reach.nbytes)


def saturation_updates(alpha: float | None) -> float:
    """Updates after which a row's change counts as half saturated (``damped``: h = u / (u + tau))
    or 1 - 1/e saturated (``saturating``: f = 1 - exp(-u / tau)) in a round at learning rate ``alpha``."""
    return DAMP_STEP / alpha if alpha and DAMP_STEP else DAMP_UPDATES


def partial(delta: TableDelta, rule: str, tau: float) -> PartialMerge:
    """One replica's change as a partial merge under ``rule``; ``tau``: :func:`saturation_updates`."""
    _check_rule(rule)
    u = delta.weights.astype(np.float64)
    rows = delta.rows * delta.weights[:, None] if rule == "weighted" else delta.rows
    if rule == "damped":
        reach = u / (u + tau)
    elif rule == "saturating":
        reach = -np.expm1(-u / tau)
    else:
        reach = np.zeros(len(u))
    return PartialMerge(delta.ids, np.asarray(rows, np.float32), delta.weights.astype(np.float32),
                        np.ones(len(u), np.float32), reach.astype(np.float32))


def combine(parts: list[PartialMerge], dim: int) -> PartialMerge:
    """The partial merge of every replica in ``parts``: the union of their ids, then one indexed
    add per part, in float32 (each part's ids ascend without repeats, so the adds are exact
    float32 sums). Associative and commutative up to float32 rounding; a tree node combines two
    parts, the driver's star all of a round's."""
    parts = [p for p in parts if len(p.ids)]
    if not parts:
        empty = np.zeros(0, np.float32)
        return PartialMerge(np.zeros(0, np.int32), np.zeros((0, dim), np.float32), empty, empty, empty)
    if len(parts) == 1:
        return parts[0]
    ids = np.unique(np.concatenate([p.ids for p in parts])).astype(np.int32)
    sums = {column: np.zeros((len(ids),) + getattr(parts[0], column).shape[1:], np.float32)
            for column in ("rows", "weights", "touches", "reach")}
    for p in parts:
        at = np.searchsorted(ids, p.ids)
        for column, total in sums.items():
            total[at] += getattr(p, column)
    return PartialMerge(ids, sums["rows"], sums["weights"], sums["touches"], sums["reach"])


def finish(part: PartialMerge, rule: str, tau: float) -> TableDelta:
    """The merged change: each row's summed change times the factor of ``rule`` (module docstring)."""
    _check_rule(rule)
    c = part.touches.astype(np.float64)
    if rule == "sum":
        factor = None
    elif rule == "mean":
        factor = 1.0 / np.maximum(c, 1.0)
    elif rule == "weighted":
        factor = 1.0 / np.maximum(part.weights.astype(np.float64), 1e-30)
    elif rule == "sqrt":  # between sum and mean: a row c replicas touched moves sqrt(c) times one's
        factor = 1.0 / np.sqrt(np.maximum(c, 1.0))
    elif rule == "damped":
        factor = 1.0 / (1.0 + (c - 1.0) * part.reach / np.maximum(c, 1.0))
    else:  # saturating: f(U) / sum_j f(u_j); rows no replica counted an update of keep the sum
        reach = part.reach.astype(np.float64)
        factor = np.where(reach > 0, -np.expm1(-part.weights / tau) / np.maximum(reach, 1e-300), 1.0)
    rows = part.rows if factor is None else (part.rows * factor[:, None]).astype(np.float32)
    return TableDelta(part.ids, rows, part.weights)


def merge(deltas: list[TableDelta], n_rows: int, dim: int, rule: str, alpha: float | None = None) -> TableDelta:
    """Combine the replicas' deltas of one table by ``rule`` (see the module docstring); ``alpha`` is
    the round's learning rate (``damped`` and ``saturating``); ``n_rows``: the table's rows."""
    _check_rule(rule)
    tau = saturation_updates(alpha)
    merged = finish(combine([partial(d, rule, tau) for d in deltas], dim), rule, tau)
    if len(merged.ids) and merged.ids[-1] >= n_rows:
        raise ValueError(f"a change of row {int(merged.ids[-1])} of a table of {n_rows} rows")
    return merged


def _check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"merge rule {rule!r} is not one of {RULES}")


def update_weights(occurrences: np.ndarray, table: str, negative: int, noise: np.ndarray | None,
                   points: np.ndarray | None, codelens: np.ndarray | None) -> np.ndarray:
    """Expected update count of each row of ``table`` after training words with ``occurrences``.

    syn0: a word's row is updated about once per occurrence (times the window, the same factor
    for every row); syn1neg: once per occurrence as the positive target plus ``negative`` noise
    draws per trained word, each draw counted as :data:`NEGATIVE_DRAW_WEIGHT` of an update; syn1:
    once per occurrence of every word whose Huffman path holds the inner node. Estimates, for
    the ``weighted`` and ``damped`` rules: the kernels keep no per-row counters.
    """
    occ = occurrences.astype(np.float64)
    if table == "syn0":
        return occ
    if table == "syn1neg":
        return occ + NEGATIVE_DRAW_WEIGHT * negative * occ.sum() * noise
    counts = np.zeros(len(occ) - 1 if len(occ) else 0, np.float64)
    mask = np.arange(points.shape[1])[None, :] < codelens[:, None]
    np.add.at(counts, points[mask], np.repeat(occ, codelens))
    return counts
