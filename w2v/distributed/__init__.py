"""Training on a Dask cluster (``pip install "w2v[dask]"``), with w2v's own kernels, at one machine's quality.

    from dask.distributed import Client
    model = w2v.train("shards/*.txt", client=Client("tcp://scheduler:8786"), sg=1)

Modules, one concern each: :mod:`.shards` (the corpus as files/partitions and who reads which),
:mod:`.replica` (what a worker keeps and does), :mod:`.merge` (how replicas' changes combine),
:mod:`.wire` (changed rows as they travel: packed, found and applied by numba kernels),
:mod:`.calls` (connecting, checking the workers, deadlines on every blocking Dask call),
:mod:`.driver` (vocabulary reduction, the synchronous rounds, faults, checkpoints).
``import w2v`` never imports this package: only ``client=`` does.
"""
from ..cluster import resume, train
from .driver import ROUND_WORDS, fit
from .merge import RULES

__all__ = ["ROUND_WORDS", "RULES", "fit", "resume", "train"]
