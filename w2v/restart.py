"""Resuming a checkpointed run: :func:`resume` (``w2v.resume``) and :func:`load`.

:mod:`w2v.checkpoint` writes and reads the files; this module turns what it reads back into a
:class:`~w2v.model.Word2Vec` and continues the run (it sits above both, so neither imports the
other's side).
"""
from __future__ import annotations

import os
from dataclasses import dataclass

from . import checkpoint as ckpt
from .callbacks import check_callbacks
from .encode import EncodedCorpus
from .model import Word2Vec


@dataclass
class LoadedCheckpoint:
    """A checkpoint as a model, its encoded corpus, and how to continue the run."""

    model: Word2Vec
    encoded: EncodedCorpus
    run: ckpt.RunSpec
    position: ckpt.Position
    corpus_file: str
    corpus_digest: str


def load(path: str | os.PathLike) -> LoadedCheckpoint:
    """Read checkpoint ``path`` into a model; CheckpointError naming the file if it is unusable."""
    state = ckpt.read(path)
    try:
        model = Word2Vec.from_state(state.model_meta, state.model_arrays)
    except (KeyError, TypeError, ValueError) as e:
        raise ckpt.CheckpointError(path, f"inconsistent content ({e})") from None
    return LoadedCheckpoint(model, state.encoded, state.run, state.position, state.corpus_file, state.corpus_digest)


def resume(path: str | os.PathLike, *, callbacks=(), progress: bool | None = None, client=None,
           corpus=None) -> Word2Vec:
    """Continue the training run saved in checkpoint ``path``; return the trained model.

    The run goes on exactly where the checkpoint left it (same epoch, sentence and learning rate)
    and keeps writing checkpoints to ``path`` as it did before. ``callbacks`` are not stored in
    checkpoints, so pass them again; a run resumed mid-epoch does not call ``on_epoch_begin`` for
    that epoch. ``progress`` overrides the saved progress-bar setting. A distributed run's
    checkpoint continues on ``client``'s Dask cluster (``corpus``: the dask.bag, if it was one).
    """
    callbacks = check_callbacks(callbacks)
    if client is not None or ckpt.read_info(path).get("distributed") is not None:
        from .cluster import resume as resume_distributed
        return resume_distributed(path, client, corpus=corpus, callbacks=callbacks, progress=progress)
    state = load(path)
    model = state.model
    if progress is not None:
        model.params.progress = bool(progress)
    run = state.run
    checkpointer = ckpt.Checkpointer(path, run.every, notes=ckpt.read_info(path).get("notes"))
    checkpointer.adopt_corpus(state.encoded, state.corpus_file, state.corpus_digest)
    model.run_training(state.encoded, run.epochs, run.alpha, run.min_alpha, checkpointer, state.position,
                     callbacks=callbacks)
    return model
