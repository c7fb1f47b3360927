"""A round's merge as a tree over the workers, so the driver's link carries one merged change per
round, not k uploads and k downloads (:class:`Tree`, used by :mod:`.driver` beyond 2 workers).

Who sends what to whom in a round of k workers (w0 ... w(k-1), the driver's order):

1. **Reduce.** Each replica's step result stays on its worker. Level 1 combines w0 with w1 on w0,
   w2 with w3 on w2, ...; level 2 combines those on w0, w4, ...; an odd one out goes up a level
   unchanged. A leaf travels as the step packed it (:class:`.wire.PackedDelta`); a combined pair
   as a :class:`.wire.PackedPartial` (int8 steps, per-row scale and the rule's float32 sums:
   d + 20 bytes a row). Partial merges add up in any grouping (:func:`.merge.combine`), so every
   level adds what it is sent; the root (on w0) applies each table's rule once
   (:func:`.merge.finish`, with the driver's ``tau``) and packs the merged change once (:func:`.wire.pack`): every receiver
   decodes the same values. ceil(log2 k) levels; k - 1 transfers between workers.
2. **The driver** fetches the merged change once (it applies it to its own tables: the model it
   returns and checkpoints), and each worker's small summary (cursors, words, loss, timings).
3. **Broadcast.** A binomial tree of relay tasks, submitted with the tree (each runs once its
   source exists): in each generation every worker holding the merged change passes it to one
   that does not (the root to the next, then both to two more, ...), ceil(log2 k) generations;
   each relay's result is the inbox entry of that worker's next step (the driver scatters
   nothing). ``client.replicate(futures, branching_factor=b)`` also copies in generations (in
   Dask 2026.8 each holder serves up to b new workers per generation, from holders picked at
   random), but as one blocking scheduler call whose ``gather_on_worker`` copies "never raise":
   a failed copy is not reported per worker. Relay tasks instead give each copy a known worker,
   state and deadline, and need no extra call between the reduction and the next step.

Faults: every wait is bounded and watches the workers of the tree (:meth:`.tasks.TaskRunner.settle`);
if a tree task fails, a worker leaves or the deadline passes, :meth:`Tree.reduce` returns why and
the driver merges that round by the star (fetching the survivors' step results); a relay that
fails leaves its worker to the driver's scatter of the merged change.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import wire
from .merge import combine, finish, partial
from .replica import names_worker
from .tasks import Box


# ---- on the workers ---------------------------------------------------------------------------

@names_worker
def node(inputs: list, rules: dict, depth: int, number: int | None = None) -> dict:
    """Combine ``inputs`` (replicas' step results or nodes' results; the first is on this worker,
    the others were sent here) at tree level ``depth``; ``rules``: {table: (rule, tau, dim)}.
    The root (``number``: the round) returns the merged change, packed; another node the packed
    partial merge. Both carry the bytes sent into each level and each level's longest combine."""
    started = time.perf_counter()
    parts = {name: [] for name in rules}
    moved, seconds = [0] * depth, [0.0] * depth
    for position, x in enumerate(inputs):
        if "deltas" in x:  # a replica's step result: its packed change, decoded as the driver decodes it
            size = x["delta_bytes"]
            for name, (rule, tau, _) in rules.items():
                parts[name].append(partial(x["deltas"][name].unpack(), rule, tau))
        else:
            size = sum(p.nbytes for p in x["parts"].values())
            for name in rules:
                parts[name].append(x["parts"][name].unpack())
            for level, (b, s) in enumerate(zip(x["moved"], x["seconds"])):
                moved[level] += b
                seconds[level] = max(seconds[level], s)
        if position:
            moved[depth - 1] += size
    combined = {name: combine(parts[name], dim) for name, (_, _, dim) in rules.items()}
    if number is None:
        out = {"parts": {name: wire.pack_partial(c) for name, c in combined.items()}}
    else:
        out = {"merged": {name: wire.pack(finish(c, rules[name][0], rules[name][1])) for name, c in combined.items()},
               "number": number}
    seconds[depth - 1] = max(seconds[depth - 1], time.perf_counter() - started)
    return {**out, "moved": moved, "seconds": seconds}


@names_worker
def relay(source) -> Box:
    """The merged change as a step's inbox entry (``("delta", round, change)``), from the root's
    result or from another relay: as a task on this worker, it makes Dask copy it here."""
    if isinstance(source, dict):
        return Box(("delta", source["number"], source["merged"]))
    return source


# ---- on the driver ----------------------------------------------------------------------------

@dataclass
class Reduced:
    """A round's merge by the tree, as the driver fetched it."""

    merged: dict            # table -> PackedDelta, the root's result
    root: object            # the root's future (on ``root_worker``): the relays copy it
    root_worker: str
    moved: list             # bytes sent between workers into each level
    level_seconds: list     # each level's longest combine
    seconds: float          # from the first submit to the root's result on the driver
    fetch_bytes: int        # the merged change's bytes, fetched by the driver
    relays: dict = field(default_factory=dict)  # worker -> future of its relay of the merged change


class Tree:
    """The tree reduction and the broadcast of a round, as tasks pinned through ``tasks``
    (a :class:`.tasks.TaskRunner`)."""

    def __init__(self, tasks):
        self.tasks = tasks

    def reduce(self, steps: dict, rules: dict, number: int, targets: list,
               timeout: float) -> tuple[Reduced | None, str, set]:
        """Merge the step results ``{worker: future}`` (in the driver's order of the workers), and
        start relaying the merged change to ``targets`` (they start as soon as the root is done;
        :meth:`delivered` waits for them): (the merge, "", set()) or (None, why it failed, the
        workers gone)."""
        started = time.perf_counter()
        level = [(w, f, False) for w, f in steps.items()]  # (worker, future, a node's result)
        futures, depth = {}, 0
        while not (len(level) == 1 and level[0][2]):
            depth += 1
            last = len(level) <= 2
            nxt = []
            for i in range(0, len(level), 2):
                group = level[i:i + 2]
                if len(group) == 1 and not last:  # the odd one out goes up unchanged
                    nxt.append(group[0])
                    continue
                keeper = group[0][0]
                future = self.tasks.submit(node, keeper, [f for _, f, _ in group], rules, depth,
                                           number if last else None)
                futures[f"{depth}:{keeper}"] = (keeper, future)
                nxt.append((keeper, future, True))
            level = nxt
        root_worker, root, _ = level[0]
        relays = self._relays(root_worker, root, targets)
        why, gone = self.tasks.settle(futures, "merging the round in a tree", timeout)
        if why is None:
            results, lost, missed = self.tasks.wait({"root": (root_worker, root)}, "fetching the merged change",
                                                    timeout=timeout)
            if "root" in results:
                r = results["root"]
                return Reduced(r["merged"], root, root_worker, r["moved"], r["seconds"],
                               time.perf_counter() - started, sum(d.nbytes for d in r["merged"].values()),
                               relays), "", set()
            why = "; ".join(f"worker {w} {reason}" for w, reason in {**lost, **missed}.items())
            gone = set(lost)
        self.tasks.cancel([f for _, f in futures.values()] + list(relays.values()))
        return None, why, gone

    def _relays(self, root_worker: str, root, targets: list) -> dict:
        """Relay tasks that copy the root's result to ``targets``: generation g, the first 2^g
        workers of the order (the root first) hold it, each passes it to the one 2^g places after it."""
        order = [root_worker] + [w for w in targets if w != root_worker]
        relays = {}
        for i, w in enumerate(order):
            source = root if i == 0 else relays[order[i - (1 << (i.bit_length() - 1))]]
            relays[w] = self.tasks.submit(relay, w, source)
        return relays

    def delivered(self, reduced: Reduced, targets: list, timeout: float) -> tuple[dict, str, set]:
        """Wait for the relays of ``targets`` (a subset of those :meth:`reduce` started): ({worker:
        its relay's future}, why the others' failed, the workers gone)."""
        relays = reduced.relays
        why, gone = self.tasks.settle({w: (w, f) for w, f in relays.items()}, "passing on the merged change", timeout)
        done = {w: f for w, f in relays.items() if w in targets and f.status == "finished"}
        if len(done) < len(relays):
            self.tasks.cancel([f for w, f in relays.items() if w not in done])
        return done, why or "", gone


def generations(k: int) -> int:
    """Levels of the reduction and generations of the broadcast over ``k`` workers."""
    return max(0, (k - 1).bit_length())
