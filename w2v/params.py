"""Training parameters: gensim's names and defaults, validated before any work starts.

A kernel never raises, so everything that could go wrong inside one is refused here with a
ValueError or TypeError that names the parameter and the value (gensim hangs on ``window=0`` and
trains silently with ``vector_size=0`` or ``workers=0``; w2v does neither).
"""
from __future__ import annotations

import math
import numbers
import os
import secrets
from dataclasses import asdict, dataclass, fields

KERNELS = ("auto", "shared", "batched", "exact")


def available_cores() -> int:
    """Cores this process may run on (affinity-aware where the OS tells)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class TrainParams:
    """Every setting of a training run. Names, meanings and defaults follow gensim's ``Word2Vec``.

    ``kernel`` picks the skip-gram update (CBOW trains one block per centre word in every setting):

    * ``"exact"``: word2vec.c's and gensim's loop, one (context, centre) pair after another, each
      pair with its own draw of negatives;
    * ``"shared"``: the same loop and update order, but the centre word's negatives are drawn once
      and shared by all pairs of its window (pWord2Vec's sharing), drawn a few words ahead so their
      rows can be prefetched: ~3x faster than ``"exact"``, and its vectors agree with gensim's as
      closely as two gensim runs with different seeds do (``benchmarks/nn_overlap.py``);
    * ``"batched"``: HogBatch, all context rows of a centre trained as one block against the shared
      negatives: the fastest, at gensim's analogy accuracy, but its neighbour lists drift further
      from gensim's (overlap 0.93x of gensim's seed-to-seed overlap) and it lost ~3 analogy points
      with hierarchical softmax;
    * ``"auto"`` (the default) is ``"shared"``.

    Where gensim and w2v differ: ``workers=None`` (the default here, and ``w2v.train``'s) is every
    core this process may use; ``Word2Vec(...)`` passes gensim's default ``workers=3``.
    ``seed=None`` draws a seed from the OS once, at construction, and stores it here, so
    ``model.seed`` tells which seed a run used (``workers=1`` runs then repeat bit for bit).
    ``batch_words`` is gensim's job size in words: the learning rate steps once per that many
    words. ``null_word=1`` adds gensim's ``'\\0'`` pseudo-word; ``sorted_vocab=0`` keeps the
    vocabulary in first-seen order.

    ``progress`` is what is shown while training (:mod:`w2v.progress`): ``None`` (the default)
    draws a bar only when stderr is a terminal and nothing otherwise (gensim draws nothing; w2v
    logs epoch summaries to the ``"w2v"`` logger, as gensim logs); ``True`` asks for it, as a bar
    on a terminal and as a few plain lines when stderr is redirected; ``False`` shows nothing.
    """

    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    sg: int = 0
    hs: int = 0
    negative: int = 5
    ns_exponent: float = 0.75
    cbow_mean: int = 1
    sample: float = 1e-3
    alpha: float = 0.025
    min_alpha: float = 1e-4
    epochs: int = 5
    workers: int | None = None
    seed: int | None = 1
    max_vocab_size: int | None = None
    max_final_vocab: int | None = None
    shrink_windows: bool = True
    compute_loss: bool = True
    batch_words: int = 10_000
    null_word: int = 0
    sorted_vocab: int = 1
    progress: bool | None = None
    kernel: str = "auto"
    max_sentence_length: int = 10_000
    errors: str = "strict"

    def __post_init__(self):
        if self.workers is None:
            self.workers = available_cores()
        if self.seed is None:
            self.seed = draw_seed()
        self.validate()
        for f in fields(self):  # numpy scalars in, plain Python values out (JSON-safe)
            v = getattr(self, f.name)
            if isinstance(v, numbers.Integral) and not isinstance(v, bool):
                setattr(self, f.name, int(v))
            elif isinstance(v, numbers.Real) and not isinstance(v, bool):
                setattr(self, f.name, float(v))

    @property
    def sg_kernel(self) -> str:
        """The skip-gram update that runs: ``kernel`` with ``"auto"`` resolved."""
        return "shared" if self.kernel == "auto" else self.kernel

    def validate(self) -> None:
        """Raise on the first bad value, naming it: each field alone, then the combinations."""
        for f in fields(self):
            self.validate_field(f.name)
        self.validate_combination()

    def validate_field(self, name: str) -> None:
        """Check one field on its own (``model.alpha = x`` checks only ``alpha``, as gensim users
        change related settings one after the other; :meth:`validate_combination` runs at train)."""
        value = getattr(self, name)
        check = _FIELD_CHECKS.get(name)
        if check is not None:
            check(name, value)
        elif name == "kernel" and value not in KERNELS:
            raise ValueError(f"kernel={value!r} is not one of {KERNELS}")
        elif name == "errors" and value not in ("strict", "replace", "ignore"):
            raise ValueError(f"errors={value!r} is not one of 'strict', 'replace', 'ignore'")

    def validate_combination(self) -> None:
        """The checks that involve two settings."""
        if self.min_alpha > self.alpha:
            raise ValueError(f"min_alpha={self.min_alpha!r} is larger than alpha={self.alpha!r}")
        if self.hs == 0 and self.negative == 0:
            raise ValueError("negative=0 with hs=0 trains nothing: set negative > 0 or hs=1")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> TrainParams:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in known})


def draw_seed() -> int:
    """A fresh seed from the OS for ``seed=None`` (63 bits: fits every integer type downstream)."""
    return secrets.randbits(63)


def _int(name, value, minimum):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int, got {type(value).__name__} {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")


def _optional_int(name, value, minimum):
    if value is not None:
        _int(name, value, minimum)


def _flag(name, value):
    _int(name, value, 0)
    if value not in (0, 1):
        raise ValueError(f"{name} must be 0 or 1, got {value!r}")


def _bool(name, value):
    if not isinstance(value, (bool, int)) or value not in (0, 1):
        raise TypeError(f"{name} must be True or False, got {value!r}")


def _optional_bool(name, value):
    if value is not None:
        _bool(name, value)


def _number(name, value, minimum=None, exclusive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if minimum is not None and (value < minimum or (exclusive and value == minimum)):
        op = ">" if exclusive else ">="
        raise ValueError(f"{name} must be {op} {minimum}, got {value!r}")


def _at_least(minimum):
    return lambda name, value: _int(name, value, minimum)


def _optional_at_least(minimum):
    return lambda name, value: _optional_int(name, value, minimum)


def _number_check(**limits):
    return lambda name, value: _number(name, value, **limits)


_FIELD_CHECKS = {
    "vector_size": _at_least(1), "window": _at_least(1), "min_count": _at_least(0),
    "sg": _flag, "hs": _flag, "negative": _at_least(0), "cbow_mean": _flag, "epochs": _at_least(1),
    "workers": _at_least(1), "seed": _at_least(None), "max_sentence_length": _at_least(1),
    "batch_words": _at_least(1), "null_word": _bool, "sorted_vocab": _bool,  # gensim passes True too
    "max_vocab_size": _optional_at_least(1), "max_final_vocab": _optional_at_least(1),
    "ns_exponent": _number_check(), "sample": _number_check(minimum=0.0),
    "alpha": _number_check(minimum=0.0, exclusive=True), "min_alpha": _number_check(minimum=0.0),
    "shrink_windows": _bool, "compute_loss": _bool, "progress": _optional_bool,
}
