"""Training on a Dask cluster, from the top: :func:`train` and :func:`resume` make or restore a
:class:`~w2v.model.Word2Vec` and run it through :func:`w2v.distributed.driver.fit`.

They sit above both the model and the driver (as :mod:`w2v.restart` does for one process), so the
driver never imports the model: it trains whatever model it is handed through the model's public
run protocol (``training_lock``, ``begin_run``, ``adopt_vocabulary``, ``end_run``, ``to_state``).
``w2v.distributed.train``/``resume`` are these functions; ``import w2v`` does not import this module.
"""
from __future__ import annotations

from .callbacks import check_callbacks
from .checkpoint import CheckpointError, Position, read_state
from .distributed.calls import CONNECT_TIMEOUT
from .distributed.driver import fit
from .distributed.shards import Shard
from .model import Word2Vec


def train(corpus, client, *, callbacks=(), cache_dir=None, checkpoint=None, round_words: int | str | None = "auto",
          merge: str = "auto", connect_timeout: float = CONNECT_TIMEOUT, task_timeout: float | None = None,
          checkpoint_errors: str = "raise", tail_every: int | str = "auto", reduce: str = "auto", **params):
    """``w2v.train`` on a Dask cluster; ``client`` is a ``distributed.Client`` or a scheduler address.

    ``corpus``: a file, a directory, a glob pattern, a list of those (or fsspec URLs), or a
    ``dask.bag`` of token lists; every file (partition) is a shard, and there must be at least one
    per worker. ``round_words``: words each worker trains between merges ("auto": :data:`~w2v.distributed.driver.ROUND_WORDS`
    for the whole cluster, split between the workers training; None: one merge per epoch, Spark's
    schedule); ``merge``: the rule (:mod:`w2v.distributed.merge`; "auto" = "sum" up to 2 workers,
    "damped" beyond: "sum" diverged with 4 and 8 workers, see benchmarks/README.md). Threads per
    worker are the Dask worker's ``nthreads`` (``params['workers']`` is ignored). ``checkpoint``
    is written at every epoch end; :func:`resume` (or ``w2v.resume(path, client=...)``) continues.
    ``task_timeout``: seconds (default :data:`~w2v.distributed.driver.TASK_TIMEOUT`, plus time for the words or bytes of
    the task) after which a worker that has not answered is dropped like a dead one.
    ``checkpoint_errors="warn"`` goes on without checkpoints when one cannot be written (the
    CLI's own checkpoint; a checkpoint asked for fails the run). ``tail_every``: rounds
    report the rows of the :data:`~w2v.distributed.driver.HOT_WORDS` most frequent words every round and the others
    every ``tail_every``-th round and at the epoch's end ("auto": :data:`~w2v.distributed.driver.TAIL_EVERY` with the
    ``sum`` rule, else 1, every row every round). ``reduce``: who merges a round's changes,
    "tree" (the workers, pairwise; the driver's link carries one merged change per round whatever
    the number of workers), "star" (the driver) or "auto" (the star up to 2 workers, the tree beyond).
    """
    params.setdefault("compute_loss", True)  # as w2v.train
    model = Word2Vec(cache_dir=cache_dir, **params)
    return fit(model, corpus, client, round_words=round_words, merge_rule=merge, checkpoint=checkpoint,
               cache_dir=cache_dir, connect_timeout=connect_timeout, callbacks=check_callbacks(callbacks),
               task_timeout=task_timeout, checkpoint_errors=checkpoint_errors, tail_every=tail_every,
               reduce=reduce)


def resume(path, client=None, *, corpus=None, callbacks=(), progress: bool | None = None):
    """Continue a distributed run from its epoch-end checkpoint ``path`` on ``client``'s cluster.

    The shards are read again by the workers (files must still be where they were; a dask.bag
    corpus must be passed again as ``corpus``); vocabulary, tables and position come from the file.
    """
    meta, arrays = read_state(path, arrays=True)
    cluster = meta.get("distributed")
    if cluster is None:
        raise CheckpointError(path, "is a single-process checkpoint: resume it without client=")
    if client is None:
        raise CheckpointError(path, "is a distributed run's checkpoint: pass client= (a Dask client or "
                                    "scheduler address) to continue it")
    model = Word2Vec.from_state(meta["model"], arrays)
    if progress is not None:
        model.params.progress = bool(progress)
    shards = [Shard(**s) for s in cluster["shards"]]
    if shards and shards[0].kind == "bag" and corpus is None:
        raise CheckpointError(path, "was trained on a dask.bag: pass the same bag again as corpus=")
    run = meta["run"]
    model.params.alpha, model.params.min_alpha = run["alpha"], run["min_alpha"]
    return fit(model, corpus, client, round_words=cluster["round_words"], merge_rule=cluster["merge"],
               checkpoint=path, epochs=run["epochs"], start=Position(**meta["position"]), shards=shards,
               tail_every=cluster.get("tail_every", "auto"),
               callbacks=check_callbacks(callbacks))
