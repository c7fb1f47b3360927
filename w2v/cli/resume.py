"""``w2v resume CHECKPOINT``: finish an interrupted ``w2v train`` and write what it was asked for."""
from __future__ import annotations

import argparse
import contextlib
import os
import time

from ..fileutil import check_writable
from .checkpoints import finish_interrupted, partial_path, remove_checkpoint
from .cluster import dask_client
from .common import CliError, check_readable, log
from .outputs import write_outputs


def add_resume_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("resume", help="finish an interrupted `w2v train` from its checkpoint", allow_abbrev=False,
                       description="Continue the run saved in CHECKPOINT (w2v train writes OUTPUT.partial.ckpt "
                                   "at each epoch end) and write the outputs that run was asked for.")
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument("-output", "--output", metavar="FILE",
                   help="write the vectors here instead of the run's own -output (the checkpoint is then kept)")
    p.add_argument("-binary", "--binary", type=int, choices=(0, 1), default=None,
                   help="with -output: 1 = word2vec.c's binary format (default: the run's own setting)")
    p.add_argument("-scheduler", "--scheduler", metavar="ADDRESS",
                   help="a distributed run's checkpoint continues on this Dask scheduler")
    p.add_argument("-dask-workers", "--dask-workers", type=int, metavar="N",
                   help="... or on a local Dask cluster of N worker processes")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_resume, threads=None)
    return p


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish an interrupted ``w2v train``: continue its checkpoint, then write what the run would
    have written (its -output, -binary, -classes, -save-vocab, -accuracy, stored in the checkpoint),
    and remove the files the interruption left (the checkpoint and its corpus file, when they were
    the CLI's own, and ``OUTPUT.partial``). Interrupted again, it leaves them as ``train`` does."""
    check_readable(args.checkpoint, "checkpoint")
    from ..checkpoint import read_info

    notes = read_info(args.checkpoint).get("notes") or {}
    output = args.output or notes.get("output")
    if output is None:
        raise CliError(f"checkpoint {args.checkpoint} was not written by `w2v train` (it names no output): "
                       "give -output FILE")
    outputs = argparse.Namespace(output=output, binary=notes.get("binary", 0) if args.binary is None else args.binary,
                                 classes=notes.get("classes"), save_vocab=notes.get("save_vocab"),
                                 accuracy=notes.get("accuracy"))
    check_writable(output, "vectors")
    own = bool(notes.get("own_checkpoint")) and not args.output
    started_at = time.time()
    with dask_client(args) as client:
        import w2v

        log(f"w2v: resuming {args.checkpoint}")
        model = w2v.resume(args.checkpoint, client=client, progress=False if args.quiet else None)
    if model.interrupted:
        return finish_interrupted(model, outputs, output, False, args.checkpoint, started_at, client is not None)
    log(f"w2v: training finished ({model.epochs_trained} epochs complete)")
    write_outputs(model, outputs, output)
    if own:
        remove_checkpoint(args.checkpoint)
        with contextlib.suppress(OSError):
            os.unlink(partial_path(output))
    return 0
