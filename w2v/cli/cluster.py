"""The Dask client that ``-scheduler`` or ``-dask-workers`` asks for (``w2v train``, ``w2v resume``)."""
from __future__ import annotations

import argparse
import contextlib

from .common import CliError


@contextlib.contextmanager
def dask_client(args: argparse.Namespace):
    """The Dask client -scheduler or -dask-workers asks for (None without them), closed afterwards."""
    if args.scheduler is None and args.dask_workers is None:
        yield None
        return
    if args.scheduler is not None and args.dask_workers is not None:
        raise CliError("-scheduler and -dask-workers exclude each other")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CliError("-scheduler/-dask-workers need dask: pip install 'w2v[dask]'") from None
    if args.scheduler is not None:
        from ..distributed.calls import connect

        try:  # a refused address fails at once; one that never answers after 15s
            client, _ = connect(args.scheduler)
        except ConnectionError as e:
            raise CliError(str(e)) from None
        with client:
            yield client
        return
    if args.dask_workers < 1:
        raise CliError(f"-dask-workers must be >= 1, got {args.dask_workers}")
    with LocalCluster(n_workers=args.dask_workers, threads_per_worker=args.threads or 1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster, set_as_default=False) as client:
        yield client
