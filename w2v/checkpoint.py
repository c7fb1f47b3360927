"""Checkpoints: the complete state of a training run, saved atomically so a killed run can go on.

``w2v.train(corpus, checkpoint="run.ckpt", checkpoint_every=N)`` saves the run every ``N`` corpus
words (counted as the learning rate counts them: in-vocabulary words, before subsampling) and at
the end of every epoch; :func:`resume` continues it from the last one. A checkpoint is taken
between chunks while the worker threads wait, so the tables it holds are a consistent snapshot,
and it holds everything the rest of the run depends on: the tables, the vocabulary, each thread's
RNG state, the run's epochs and learning-rate range, how far it got (epoch, sentence, words
trained, the epoch's loss so far) and the loss history. Resuming (:func:`w2v.resume`, in
:mod:`w2v.restart`) therefore continues the learning-rate decay where it stopped; with
``workers=1`` the result is bit-identical to the run that was never interrupted.

Files
    ``PATH`` (an uncompressed .npz whatever its name) is the state, rewritten at every checkpoint.
    ``PATH.corpus-<digest>.npz`` is the encoded corpus (int32 word ids and sentence offsets),
    written once per run: 4 bytes per word is too much to rewrite every few million words, and
    keeping it means resuming never needs the corpus again (not even an in-memory one, nor a file
    that has since changed). The state names the corpus file by a digest of its content, which is
    checked when resuming. Both files are written with :func:`w2v.fileutil.atomic_write`, the
    corpus file first, so at any moment ``PATH`` is a complete checkpoint whose corpus file exists.
"""
from __future__ import annotations

import hashlib
import json
import numbers
import os
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from numpy.lib import format as npy_format

from .fileutil import atomic_write, interrupts_held
from .encode import EncodedCorpus
from .idstore import READ_BLOCK, IdStream, StreamWriter, dropped_on_error

KIND = "w2v-checkpoint"
FORMAT = 1
_MODEL_ARRAYS = ("counts", "syn0", "syn1neg", "syn1", "rng_states")
_OPTIONAL_ARRAYS = ("vectors_lockf",)
#: what reading a damaged .npz can raise (zip structure, CRC, zlib, JSON, missing members)
_READ_ERRORS = (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile, zlib.error)


class CheckpointError(ValueError):
    """A checkpoint cannot be used (truncated, corrupt, foreign file, or its corpus file is missing)."""

    def __init__(self, path, problem: str):
        super().__init__(f"checkpoint {os.fspath(path)!r}: {problem}")
        self.path = os.fspath(path)


@dataclass
class Position:
    """Where a run stands at a chunk boundary: exactly what is needed to continue it.

    ``run_words`` drives the learning rate (it is the shared progress counter of the kernels);
    ``epoch_words`` and ``epoch_loss`` let the resumed epoch log and record its whole loss.
    """

    epoch: int = 0          # epoch of the run being trained (0-based); == epochs when finished
    sentence: int = 0       # first sentence of that epoch not yet trained
    run_words: int = 0      # words trained by the run so far
    epoch_words: int = 0    # of which in the current epoch
    epoch_loss: float = 0.0  # loss summed over the current epoch so far


@dataclass
class RunSpec:
    """The settings of one ``train()`` call that the rest of the run needs."""

    epochs: int
    alpha: float
    min_alpha: float
    every: int | None


class Checkpointer:
    """Writes the checkpoints of one run to ``path``; the training driver calls :meth:`save`."""

    def __init__(self, path: str | os.PathLike, every: int | None = None, notes: dict | None = None):
        self.path = Path(path)
        self.every = _check_every(every)
        # what the program that started the run needs to finish it (``w2v train``: its outputs),
        # JSON; kept in every checkpoint and carried over by w2v.resume
        self.notes = notes
        directory = self.path.parent if str(self.path.parent) else Path(".")
        if not directory.is_dir():  # fail now, not after the first epoch
            raise FileNotFoundError(f"checkpoint {str(self.path)!r}: directory {str(directory)!r} does not exist")
        if self.path.is_dir():
            raise IsADirectoryError(f"checkpoint {str(self.path)!r} is a directory")
        if self.path.suffix.lower() in (".gz", ".bz2", ".xz"):  # atomic_write would compress it
            raise ValueError(f"checkpoint {str(self.path)!r}: checkpoints are uncompressed .npz files "
                             "(their tables do not compress); drop the compression suffix")
        self._corpus: tuple | None = None  # (encoded object, file name, digest) once written

    @classmethod
    def create(cls, path, every) -> Checkpointer | None:
        """A Checkpointer, or None without a path (``every`` alone is an error: where would it go?)."""
        if path is None:
            if every is not None:
                raise ValueError("checkpoint_every needs a checkpoint path (checkpoint=...)")
            return None
        return cls(path, every)

    def save(self, model, encoded: EncodedCorpus, run: RunSpec, position: Position) -> None:
        """Write one checkpoint (corpus file first if this run has not written it yet).

        A Ctrl-C during the write is held until the checkpoint is complete (see
        :func:`~w2v.fileutil.interrupts_held`), so an interrupted run always has its last one.
        """
        with interrupts_held():
            self._save(model, encoded, run, position)

    def _save(self, model, encoded: EncodedCorpus, run: RunSpec, position: Position) -> None:
        corpus_name, digest = self._write_corpus(encoded)
        meta = {"kind": KIND, "format": FORMAT, "model": None, "run": asdict(run),
                "position": asdict(position),
                "corpus": {"file": corpus_name, "digest": digest, "n_words": encoded.n_words,
                           "n_sentences": encoded.n_sentences, "raw_words": encoded.raw_words}}
        if self.notes:
            meta["notes"] = self.notes
        model_meta, arrays = model.to_state()
        meta["model"] = model_meta
        write_state(self.path, meta, arrays)
        self._remove_stale_corpus_files(corpus_name)

    def adopt_corpus(self, encoded: EncodedCorpus, name: str, digest: str) -> None:
        """Use the corpus file a resumed checkpoint already has (verified when it was read)."""
        self._corpus = (encoded, name, digest)

    def _write_corpus(self, encoded: EncodedCorpus) -> tuple[str, str]:
        """The encoded corpus file of this run, written on the first checkpoint only."""
        if self._corpus is None or self._corpus[0] is not encoded:
            digest = corpus_digest(encoded)
            name = f"{self.path.name}.corpus-{digest[:16]}.npz"
            target = self.path.with_name(name)
            if not _corpus_file_matches(target, digest):
                with atomic_write(target) as f:
                    _write_streams_npz(f, {"ids": encoded.id_stream, "offsets": encoded.offset_stream,
                                           "raw_words": IdStream.of([encoded.raw_words], np.int64)})
            self._corpus = (encoded, name, digest)
        return self._corpus[1], self._corpus[2]

    def _remove_stale_corpus_files(self, keep: str) -> None:
        """Corpus files of earlier runs to this path: no checkpoint refers to them any more."""
        for old in self.path.parent.glob(f"{_glob_escape(self.path.name)}.corpus-*.npz"):
            if old.name != keep:
                try:
                    old.unlink()
                except OSError:
                    pass


@dataclass
class Checkpoint:
    """A checkpoint read back: the model's state, its encoded corpus, and how to continue the run.

    ``model_meta``/``model_arrays`` are what ``Word2Vec.to_state`` wrote; :mod:`w2v.restart` turns
    them into a model (this module knows the file, not the model class).
    """

    model_meta: dict
    model_arrays: dict
    encoded: EncodedCorpus
    run: RunSpec
    position: Position
    corpus_file: str    # name of the corpus file beside the checkpoint
    corpus_digest: str


def read_info(path: str | os.PathLike) -> dict:
    """The checkpoint's metadata (run, position, params, loss history) without loading tables or corpus.

    Cheap enough to poll: e.g. ``read_info(p)["position"]["epoch"]``.
    """
    meta, _ = read_state(path, arrays=False)
    return meta


def read(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint and its corpus file; raises CheckpointError naming the file if unusable."""
    meta, arrays = read_state(path, arrays=True)
    if meta.get("distributed") is not None:
        raise CheckpointError(path, "is a distributed run's checkpoint (its corpus stays on the workers): "
                                    "continue it with w2v.resume(path, client=...)")
    try:
        model_meta = meta["model"]
        if not isinstance(model_meta, dict) or "params" not in model_meta:
            raise KeyError("model")
        run = RunSpec(**meta["run"])
        position = Position(**meta["position"])
    except (KeyError, TypeError, ValueError) as e:
        raise CheckpointError(path, f"inconsistent content ({e})") from None
    encoded = _read_corpus(Path(path), meta["corpus"])
    return Checkpoint(model_meta, arrays, encoded, run, position, meta["corpus"]["file"], meta["corpus"]["digest"])


def corpus_digest(encoded: EncodedCorpus) -> str:
    """Content digest of an encoded corpus (its int32 ids, then its int64 offsets), read block by
    block: identifies the corpus file a checkpoint belongs to."""
    h = hashlib.blake2b(digest_size=20)
    for block in encoded.digest_blocks():
        h.update(memoryview(block).cast("B"))
    return h.hexdigest()


def _write_streams_npz(f, members: dict) -> None:
    """An uncompressed .npz (what ``np.load`` reads) of 1-D streams, each copied block by block
    so a corpus on disk is never held in memory to be saved."""
    with zipfile.ZipFile(f, "w", zipfile.ZIP_STORED, allowZip64=True) as z:
        for name, stream in members.items():
            with z.open(f"{name}.npy", "w", force_zip64=True) as member:
                npy_format.write_array_header_2_0(
                    member, {"descr": npy_format.dtype_to_descr(stream.dtype), "fortran_order": False,
                             "shape": (len(stream),)})
                for block in stream.blocks():
                    member.write(memoryview(block).cast("B"))


def _read_npz_stream(z: zipfile.ZipFile, name: str, dtype, spill_dir=None) -> IdStream:
    """A 1-D member of an .npz as a stream (spilled to disk when large), read block by block."""
    with z.open(f"{name}.npy") as member:
        version = npy_format.read_magic(member)
        read_header = npy_format.read_array_header_1_0 if version == (1, 0) else npy_format.read_array_header_2_0
        shape, fortran_order, stored = read_header(member)
        if len(shape) != 1 or stored != np.dtype(dtype) or fortran_order:
            raise ValueError(f"{name}: expected a 1-D {np.dtype(dtype)} array, found {stored} {shape}")
        out = StreamWriter(dtype, spill_dir)
        with dropped_on_error(out):
            left, item = shape[0] * stored.itemsize, stored.itemsize
            while left:
                data = member.read(min(left, READ_BLOCK * item))
                if not data or len(data) % item:
                    raise ValueError(f"{name}: truncated")
                out.append(np.frombuffer(data, dtype))
                left -= len(data)
            if member.read(1):
                raise ValueError(f"{name}: longer than its header says")
            return out.finish()


def write_state(path, meta: dict, arrays: dict) -> None:
    """Write a checkpoint file atomically: ``meta`` (JSON, with KIND and FORMAT) beside the model's arrays.

    Both checkpoint writers use it: :class:`Checkpointer` (one process, with a corpus file) and the
    Dask driver (with the shard list instead)."""
    with atomic_write(path) as f:
        np.savez(f, meta=_json_bytes(meta), **arrays)


# ---- reading ----------------------------------------------------------------------------------

def read_state(path, arrays: bool) -> tuple[dict, dict]:
    """Meta (and the model arrays) of a checkpoint, every read failure turned into CheckpointError."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if not hasattr(z, "files") or "meta" not in z.files:
                raise CheckpointError(path, "not a w2v checkpoint (no metadata)")
            meta = json.loads(z["meta"].tobytes().decode("utf-8"))
            data = {k: z[k] for k in _MODEL_ARRAYS + tuple(a for a in _OPTIONAL_ARRAYS if a in z.files)} \
                if arrays else {}
    except FileNotFoundError:
        raise
    except CheckpointError:
        raise
    except _READ_ERRORS as e:
        raise CheckpointError(path, f"unreadable, truncated or corrupt ({type(e).__name__}: {e})") from None
    if not isinstance(meta, dict) or meta.get("kind") != KIND:
        raise CheckpointError(path, "not a w2v checkpoint")
    if meta.get("format") != FORMAT:
        raise CheckpointError(path, f"unsupported checkpoint format {meta.get('format')!r}")
    return meta, data


def _read_corpus(path: Path, info: dict) -> EncodedCorpus:
    """The checkpoint's encoded corpus, checked against the digest the checkpoint recorded."""
    corpus_path = path.with_name(info["file"])
    try:
        encoded = _read_corpus_file(corpus_path)
    except FileNotFoundError:
        raise CheckpointError(path, f"its corpus file {str(corpus_path)!r} is missing") from None
    except _READ_ERRORS as e:
        raise CheckpointError(corpus_path, f"corpus file unreadable, truncated or corrupt ({e})") from None
    if corpus_digest(encoded) != info["digest"]:
        encoded.close()
        raise CheckpointError(corpus_path, "corpus file does not match the checkpoint (digest differs)")
    return encoded


def _read_corpus_file(corpus_path: Path) -> EncodedCorpus:
    """A checkpoint's corpus file as an encoded corpus, read block by block (into a spill file
    when large, so resuming holds no more of it in memory than the run did)."""
    with zipfile.ZipFile(corpus_path) as z:
        ids = _read_npz_stream(z, "ids", np.int32)
        with dropped_on_error(ids):
            offsets = _read_npz_stream(z, "offsets", np.int64)
            raw_words = int(_read_npz_stream(z, "raw_words", np.int64).item(0))
    return EncodedCorpus(ids, offsets, raw_words)


def _corpus_file_matches(target: Path, digest: str) -> bool:
    """True if ``target`` already holds this corpus (a resumed run checkpointing to the same path)."""
    if not target.is_file():
        return False
    try:
        encoded = _read_corpus_file(target)
    except _READ_ERRORS:
        return False
    try:
        return corpus_digest(encoded) == digest
    finally:
        encoded.close()


# ---- small helpers ----------------------------------------------------------------------------

def _check_every(every):
    if every is None:
        return None
    if isinstance(every, bool) or not isinstance(every, numbers.Integral) or every < 1:
        raise ValueError(f"checkpoint_every must be a positive number of words or None, got {every!r}")
    return int(every)


def _json_bytes(obj) -> np.ndarray:
    return np.frombuffer(json.dumps(obj).encode("utf-8"), np.uint8)


def _glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
