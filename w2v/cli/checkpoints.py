"""A run that may stop before it ends: its checkpoint (the CLI's own ``OUTPUT.partial.ckpt`` unless
``-checkpoint`` names one), the outputs noted in it for ``w2v resume``, and what Ctrl-C leaves behind
(``OUTPUT.partial``, and a hint naming how to continue).
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from ..fileutil import release_stream
from .common import CliError, log


def checkpoint_path(args: argparse.Namespace, output: str, streamed: bool) -> tuple[str | None, bool]:
    """The run's checkpoint and whether it is the CLI's own (removed once training completes).

    Without ``-checkpoint`` the CLI checkpoints at each epoch end to ``OUTPUT.partial.ckpt``, so a
    Ctrl-C leaves something to resume; a streamed output (``-``, a FIFO) has no "beside".
    """
    if args.checkpoint == "0":
        if args.checkpoint_every:
            raise CliError("-checkpoint-every needs a checkpoint, but -checkpoint 0 turned it off")
        return None, False
    if args.checkpoint:
        return args.checkpoint, False
    if streamed:
        if args.checkpoint_every:
            raise CliError("-checkpoint-every needs -checkpoint FILE when the output is a stream")
        return None, False
    return f"{output}.partial.ckpt", True


def make_checkpointer(path: str | None, every: int | None, own: bool, notes: dict | None = None):
    """A Checkpointer; the CLI's own one warns and stops checkpointing if it cannot write (a full
    disk must not end a run the user never asked to checkpoint). ``notes`` (:func:`output_notes`)
    go into every checkpoint, so ``w2v resume`` can write what this run would have written."""
    if path is None:
        return None
    from ..checkpoint import Checkpointer

    class BestEffortCheckpointer(Checkpointer):
        failed = False

        def save(self, *a, **kw):
            if self.failed:
                return
            try:
                super().save(*a, **kw)
            except OSError as e:
                self.failed = True
                log(f"w2v: warning: cannot write checkpoint {path} ({e}); training goes on without it")

    return (BestEffortCheckpointer if own else Checkpointer)(path, every, notes=notes)


def output_notes(args: argparse.Namespace, output: str, own_checkpoint: bool) -> dict:
    """What a finished run writes, with absolute paths: ``w2v resume`` reads it from the checkpoint."""
    absolute = lambda p: None if p is None else os.path.abspath(p)  # noqa: E731
    return {"command": "train", "output": absolute(output), "binary": int(args.binary),
            "classes": args.classes, "save_vocab": absolute(args.save_vocab), "accuracy": absolute(args.accuracy),
            "own_checkpoint": bool(own_checkpoint)}


def remove_checkpoint(path: str) -> None:
    """Remove a checkpoint and its corpus files (``PATH.corpus-*.npz``)."""
    target = Path(path)
    for p in [target, *target.parent.glob(f"{glob_escape(target.name)}.corpus-*.npz")]:
        try:
            p.unlink()
        except OSError:
            pass


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def finish_interrupted(model, args, output: str, streamed: bool, checkpoint: str | None,
                       started_at: float, cluster: bool = False) -> int:
    """After Ctrl-C: the output is left as it was; the vectors so far go to ``OUTPUT.partial``
    (not into a stream, whose reader could not tell them from finished ones); name the
    checkpoint to resume from. Exit code 130, as for any interrupted command."""
    lines = [f"w2v: training interrupted; {args.output if not streamed else 'the output'} was not written"]
    if streamed:
        release_stream(output)  # a reader waiting on a FIFO gets end-of-file, not a hang
    else:
        partial = partial_path(output)
        model.wv.save_word2vec_format(partial, binary=bool(args.binary))
        lines.append(f"w2v: the vectors trained so far are in {partial}")
    lines.append(resume_hint(checkpoint, started_at, cluster))
    for line in lines:
        log(line)
    return 130


def partial_path(output: str) -> str:
    """``OUTPUT.partial``; ``v.txt.partial.gz`` for ``v.txt.gz``, so it is compressed like the output."""
    stem, suffix = os.path.splitext(output)
    if suffix.lower() in (".gz", ".bz2", ".xz"):
        return f"{stem}.partial{suffix}"
    return f"{output}.partial"


def resume_hint(checkpoint: str | None, started_at: float, cluster: bool = False) -> str:
    """Where to continue from. A checkpoint file older than this run is not this run's."""
    if not checkpoint:
        return "w2v: no checkpoint (-checkpoint 0 or a streamed output): the run cannot be resumed"
    if not os.path.exists(checkpoint) or os.path.getmtime(checkpoint) < started_at:
        return f"w2v: no checkpoint was written yet ({checkpoint} is written at each epoch end)"
    on = ", client=...)" if cluster else ")"  # a distributed run continues on a cluster
    if cluster:
        return f"w2v: last checkpoint: {checkpoint} (continue with w2v.resume({checkpoint!r}{on})"
    return (f"w2v: last checkpoint: {checkpoint} (finish the run with: w2v resume {checkpoint}; "
            f"or in Python w2v.resume({checkpoint!r}))")
