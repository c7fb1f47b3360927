"""Read files saved by gensim (``model.save`` / ``wv.save``) without importing gensim and without
running anything the pickle asks for.

gensim stores models and KeyedVectors as Python pickles, and ``pickle.load`` executes whatever a
pickle names: a file from the internet can call ``os.system``. This module reads them with
:class:`SafeUnpickler`, whose ``find_class`` hands out only

* inert stand-ins for the gensim classes that appear in gensim 0.12-4.x word2vec files
  (:class:`GensimObject`: they only collect their pickled attributes),
* numpy's array, dtype and scalar reconstructors (checked wrappers),
* a few harmless builtins and containers (``int``, ``defaultdict``, ``OrderedDict``, ...),
* placeholders for objects gensim pickles but w2v never uses (its random generators, ``hash``).

Any other global (``os.system``, ``builtins.eval``, ``subprocess.Popen``, an unknown class) raises
:class:`UnsafePickleError` naming the file and the global, before anything is called.

Large arrays that gensim stored beside the pickle (``fname.<attr>.npy``, or ``.npz`` for a
``.gz``/``.bz2`` pickle; recursively ``fname.wv.vectors.npy``) are read with
``numpy.load(allow_pickle=False)``, memory-mapped when ``mmap`` is given.

The result is plain data: :func:`load_gensim_keyed_vectors` returns the pieces of a KeyedVectors,
:func:`load_gensim_word2vec` those of a Word2Vec model, for both gensim 4 (``key_to_index``,
``expandos``) and gensim 3.x (``vocab`` dict of ``Vocab(count, index)``, ``syn0``, ``trainables``,
``vocabulary``) layouts.
"""
from __future__ import annotations

import _compat_pickle
import codecs
import collections
import os
import pickle

import numpy as np

from .fileutil import open_binary

__all__ = ["GensimObject", "SafeUnpickler", "UnsafePickleError", "GensimFormatError", "is_pickle_file",
           "load_gensim_object", "load_gensim_keyed_vectors", "load_gensim_word2vec"]


class UnsafePickleError(pickle.UnpicklingError):
    """A pickle asked for a global that is not on the allow-list; nothing in it was run."""

    def __init__(self, path, global_name: str):
        super().__init__(
            f"{os.fspath(path)}: refusing to load: the pickle asks for {global_name!r}, which is not a known "
            "gensim, numpy or harmless builtin type (w2v never runs code from a pickle)")
        self.path = os.fspath(path)
        self.global_name = global_name


class GensimFormatError(ValueError):
    """A gensim file that unpickled safely but does not hold what was expected."""

    def __init__(self, path, problem: str):
        super().__init__(f"{os.fspath(path)}: {problem}")
        self.path = os.fspath(path)
        self.problem = problem


# ---------------------------------------------------------------------- inert stand-ins


class GensimObject:
    """Inert record of one pickled gensim object: its gensim class name and its attributes.

    The attributes land in ``__dict__`` exactly as pickled (including gensim's bookkeeping keys
    such as ``'__numpys'``). Dunder-named keys are refused, so a pickle cannot plant a
    ``__setstate__`` or similar hook on the instance.
    """

    gensim_class = "?"

    def __init__(self, *args, **kwargs):
        self.__dict__["_init_args"] = (args, kwargs)

    def __setstate__(self, state):
        slots = None
        if isinstance(state, tuple) and len(state) == 2 and (state[0] is None or isinstance(state[0], dict)):
            state, slots = state
        for part in (state, slots):
            if part is None:
                continue
            if not isinstance(part, dict):
                self.__dict__["_state"] = part
                continue
            for key, value in part.items():
                if isinstance(key, str) and key.startswith("__") and key.endswith("__"):
                    raise pickle.UnpicklingError(f"{self.gensim_class}: refusing dunder attribute {key!r}")
                self.__dict__[key] = value

    def __repr__(self):
        return f"<inert {self.gensim_class}: {sorted(k for k in self.__dict__ if not k.startswith('_'))}>"


class _Placeholder:
    """Stands for a global w2v does not need (gensim's hash function, its numpy random generators).

    Calling it (as a pickle's REDUCE does for constructors) returns another inert placeholder, so
    the pickled state is collected and ignored; nothing real is built or run.
    """

    def __init__(self, name: str):
        self.name = name

    def __call__(self, *args, **kwargs):
        return _InertValue(self.name)

    def __repr__(self):
        return f"<placeholder {self.name}>"


class _InertValue:
    """What a placeholder "constructs": accepts any pickled state and keeps it."""

    def __init__(self, name: str):
        self.name = name

    def __setstate__(self, state):
        self.state = state

    def __repr__(self):
        return f"<inert {self.name}>"


_GENSIM_CLASSES = {
    "gensim.models.word2vec": ("Word2Vec", "Vocab", "Word2VecVocab", "Word2VecTrainables"),
    "gensim.models.keyedvectors": ("KeyedVectors", "Word2VecKeyedVectors", "EuclideanKeyedVectors", "Vocab",
                                   "CompatVocab", "BaseKeyedVectors", "WordEmbeddingsKeyedVectors"),
    "gensim.models.base_any2vec": ("BaseWordEmbeddingsModel", "BaseAny2VecModel"),
    "gensim.models.word2vec_inner": (),
}
_STAND_INS: dict[str, type] = {}


def _stand_in(module: str, name: str) -> type:
    full = f"{module}.{name}"
    if full not in _STAND_INS:
        _STAND_INS[full] = type(name, (GensimObject,), {"gensim_class": full, "__module__": __name__})
    return _STAND_INS[full]


# ---------------------------------------------------------------------- checked constructors


def _reconstruct_array(subtype, shape, dtype):
    """numpy's ``_reconstruct``, for plain ndarrays only.

    numpy always pickles an empty placeholder here and sends the real shape and data through
    BUILD (``ndarray.__setstate__``), so the placeholder is always empty: a hostile shape cannot
    make this allocate memory.
    """
    if subtype is not np.ndarray:
        raise pickle.UnpicklingError(f"array subtype {subtype!r} is not allowed")
    return np.ndarray.__new__(np.ndarray, (0,), dtype)


def _numpy_dtype(*args, **kwargs):
    return np.dtype(*args, **kwargs)


def _numpy_scalar(dtype, *args):
    """numpy scalar from its raw bytes; object dtypes are refused (they would read a pointer)."""
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError(f"numpy scalar of dtype {dtype!r} is not allowed")
    from numpy._core.multiarray import scalar  # noqa: PLC0415 (numpy 2 location)

    return scalar(dtype, *args)


def _frombuffer(buf, dtype, shape, order):
    if not isinstance(dtype, np.dtype) or dtype.hasobject:
        raise pickle.UnpicklingError(f"array buffer of dtype {dtype!r} is not allowed")
    return np.frombuffer(buf, dtype=dtype).reshape(shape, order=order).copy()


def _codecs_encode(obj, encoding="utf-8", errors="strict"):
    """How Python 3 pickles bytes at protocol 2: ``_codecs.encode(text, 'latin1')``; text codecs only."""
    if not isinstance(obj, str) or not codecs.lookup(encoding)._is_text_encoding:
        raise pickle.UnpicklingError(f"_codecs.encode with {encoding!r} is not allowed")
    return codecs.encode(obj, encoding, errors)


def _reconstructor(cls, base, state):
    """``copyreg._reconstructor`` (protocol 0/1 objects), for the stand-in classes only."""
    if not (isinstance(cls, type) and issubclass(cls, GensimObject)) or base is not object or state is not None:
        raise pickle.UnpicklingError(f"copyreg._reconstructor({cls!r}, {base!r}) is not allowed")
    return object.__new__(cls)


_NUMPY_RANDOM = ("__RandomState_ctor", "__randomstate_ctor", "__bit_generator_ctor", "__generator_ctor",
                 "RandomState", "Generator", "MT19937", "PCG64", "PCG64DXSM", "Philox", "SFC64")

# Builtins that only build small values from data already in the pickle (no size arguments:
# ``bytes(10**12)`` would be a memory bomb, so bytes/bytearray/range are not here).
_ALLOWED = {
    ("builtins", "int"): int, ("builtins", "float"): float, ("builtins", "bool"): bool,
    ("builtins", "list"): list, ("builtins", "tuple"): tuple, ("builtins", "dict"): dict,
    ("builtins", "set"): set, ("builtins", "frozenset"): frozenset, ("builtins", "object"): object,
    ("builtins", "hash"): _Placeholder("builtins.hash"),
    ("collections", "defaultdict"): collections.defaultdict,
    ("collections", "OrderedDict"): collections.OrderedDict,
    ("collections", "Counter"): collections.Counter,
    ("collections", "deque"): collections.deque,
    ("_codecs", "encode"): _codecs_encode,
    ("copyreg", "_reconstructor"): _reconstructor,
    ("gensim.utils", "call_on_class_only"): _Placeholder("gensim.utils.call_on_class_only"),
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): _numpy_dtype,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[(_module, "_reconstruct")] = _reconstruct_array
    _ALLOWED[(_module, "scalar")] = _numpy_scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[(_module, "_frombuffer")] = _frombuffer
for _module in ("numpy.random", "numpy.random._pickle", "numpy.random.mtrand", "numpy.random._mt19937",
                "numpy.random._pcg64", "numpy.random._philox", "numpy.random._sfc64", "numpy.random._generator"):
    for _name in _NUMPY_RANDOM:
        _ALLOWED[(_module, _name)] = _Placeholder(f"{_module}.{_name}")


def _py2_names(module: str, name: str) -> tuple[str, str]:
    """Python 2 module/name -> Python 3 (what ``fix_imports`` does, which find_class overrides bypass)."""
    if (module, name) in _compat_pickle.NAME_MAPPING:
        return _compat_pickle.NAME_MAPPING[(module, name)]
    return _compat_pickle.IMPORT_MAPPING.get(module, module), name


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only allow-listed globals (see the module docstring)."""

    def __init__(self, file, path, **kwargs):
        super().__init__(file, encoding="latin1", **kwargs)
        self._path = path

    def find_class(self, module, name):
        module, name = _py2_names(module, name)
        found = _ALLOWED.get((module, name))
        if found is not None:
            return found
        if name in _GENSIM_CLASSES.get(module, ()):
            return _stand_in(module, name)
        if (module, name) == ("UserString", "defaultdict"):  # how some Python 3.4 pickles spell it
            return collections.defaultdict
        raise UnsafePickleError(self._path, f"{module}.{name}")

    def persistent_load(self, pid):
        raise UnsafePickleError(self._path, f"persistent id {pid!r}")


# ---------------------------------------------------------------------- files


def is_pickle_file(path) -> bool:
    """Whether ``path`` (possibly ``.gz``/``.bz2``) starts like a pickle (protocol 2+, or 0/1 opcodes)."""
    try:
        with open_binary(path) as f:
            head = f.read(2)
    except OSError:
        return False
    return len(head) == 2 and (head[0] == 0x80 and 2 <= head[1] <= 5 or head[:1] in (b"(", b"}", b"]", b"c"))


def load_gensim_object(path, mmap=None):
    """Unpickle a gensim ``save()`` file safely and attach its side arrays; returns the stand-in object.

    ``mmap`` (``None``, ``'r'``, ``'r+'``, ``'c'``) applies to arrays stored in separate ``.npy`` files,
    exactly as in gensim.
    """
    if mmap not in (None, "r", "r+", "c"):
        raise ValueError(f"mmap must be None, 'r', 'r+' or 'c', got {mmap!r}")
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path!r} does not exist or is not a file")
    try:
        with open_binary(path) as f:
            obj = SafeUnpickler(f, path).load()
    except (UnsafePickleError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - any parse failure becomes a message naming the file
        raise GensimFormatError(path, f"not a readable gensim pickle ({type(exc).__name__}: {exc})") from None
    if not isinstance(obj, GensimObject):
        raise GensimFormatError(path, f"holds a {type(obj).__name__}, not a gensim model or KeyedVectors")
    compressed = path.endswith((".gz", ".bz2"))
    _load_specials(obj, path, path, mmap, compressed)
    return obj


def _load_specials(obj: GensimObject, path: str, prefix: str, mmap, compressed: bool) -> None:
    """gensim's ``SaveLoad._load_specials``: side arrays ``<prefix>.<attr>.npy``, recursively."""
    state = obj.__dict__
    for key in ("__recursive_saveloads", "__numpys", "__ignoreds"):
        names = state.get(key) or []
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n.isidentifier() for n in names):
            raise GensimFormatError(path, f"bad {key} entry {names!r}: side-file names must be attribute names")
    for attr in state.get("__recursive_saveloads", []) or []:
        child = state.get(attr)
        if isinstance(child, GensimObject):
            _load_specials(child, path, f"{prefix}.{attr}", mmap, compressed)
    for attr in state.get("__numpys", []) or []:
        side = f"{prefix}.{attr}.{'npz' if compressed else 'npy'}"
        state[attr] = _load_side_array(path, side, mmap, compressed)
    if state.get("__scipys"):
        raise GensimFormatError(path, f"stores scipy sparse matrices {state['__scipys']}: not a word2vec file")
    for attr in state.get("__ignoreds", []) or []:
        state[attr] = None


def _load_side_array(path: str, side: str, mmap, compressed: bool) -> np.ndarray:
    if not os.path.isfile(side):
        raise FileNotFoundError(f"{path}: the array file {side!r} that gensim saved beside it is missing")
    if compressed and mmap:
        raise ValueError(f"{path}: cannot mmap the arrays of a compressed gensim file ({side}); use mmap=None")
    try:
        if compressed:
            with np.load(side, allow_pickle=False) as archive:
                return archive["val"]
        return np.load(side, mmap_mode=mmap, allow_pickle=False)
    except ValueError as exc:
        raise GensimFormatError(side, f"not a plain numpy array file ({exc})") from None


# ---------------------------------------------------------------------- plain data


def _find_keyed_vectors(obj: GensimObject, path) -> GensimObject:
    """The KeyedVectors part of a file: the object itself, its ``wv``, or (old models) the model itself."""
    state = obj.__dict__
    if "KeyedVectors" in obj.gensim_class:
        return obj
    if isinstance(state.get("wv"), GensimObject):
        return state["wv"]
    if "syn0" in state or "vectors" in state:  # gensim < 1.0: vectors live on the model
        return obj
    raise GensimFormatError(path, f"a gensim {obj.gensim_class} without word vectors")


def _keyed_vectors_data(kv: GensimObject, path) -> dict:
    """Words, vectors and per-word attributes of a gensim 4 or 3.x KeyedVectors (or old model)."""
    state = kv.__dict__
    vectors = state.get("vectors", state.get("syn0"))
    if vectors is None:
        raise GensimFormatError(path, "no vectors stored (saved with ignore=['vectors']?)")
    vectors = np.asarray(vectors) if not isinstance(vectors, np.ndarray) else vectors
    if vectors.ndim != 2:
        raise GensimFormatError(path, f"vectors have shape {vectors.shape}, expected 2-D")
    expandos = {}
    if "key_to_index" in state:  # gensim 4
        words = list(state.get("index_to_key") or [])
        for attr, values in (state.get("expandos") or {}).items():
            expandos[attr] = np.asarray(values)
    else:  # gensim < 4: vocab dict of Vocab(count, index, ...)
        vocab = state.get("vocab") or {}
        words = state.get("index2word", state.get("index2entity"))
        if words is None:
            words = [None] * len(vocab)
            for word, entry in vocab.items():
                words[entry.__dict__["index"]] = word
        words = list(words)
        index = {w: i for i, w in enumerate(words)}
        for word, entry in vocab.items():
            for attr, value in entry.__dict__.items():
                if attr in ("index", "_init_args") or not isinstance(value, (int, float, np.integer, np.floating)):
                    continue
                if attr not in expandos:
                    expandos[attr] = np.zeros(len(words), dtype=np.int64 if isinstance(value, (int, np.integer))
                                              else np.float64)
                expandos[attr][index[word]] = value
        if "sample_int" in expandos:
            expandos["sample_int"] = expandos["sample_int"].astype(np.uint32)
    if len(words) != vectors.shape[0]:
        raise GensimFormatError(path, f"{len(words)} words but {vectors.shape[0]} vectors")
    lockf = state.get("vectors_lockf", state.get("syn0_lockf"))
    return {"words": words, "vectors": vectors, "expandos": expandos,
            "vectors_lockf": None if lockf is None else np.asarray(lockf)}


def load_gensim_keyed_vectors(path, mmap=None) -> dict:
    """The word vectors of a gensim ``wv.save()`` or ``model.save()`` file, as plain data.

    Returns ``{"words": list, "vectors": (V, d) array (a memmap when mmap was given and gensim stored
    it separately), "expandos": {attr: (V,) array, e.g. "count"}, "vectors_lockf": array or None,
    "gensim_class": str}``.
    """
    obj = load_gensim_object(path, mmap)
    data = _keyed_vectors_data(_find_keyed_vectors(obj, path), path)
    data["gensim_class"] = obj.gensim_class
    return data


# gensim 4 attribute name -> where older gensim versions kept it (object path, attribute).
_PARAM_NAMES = ("vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
                "sample", "alpha", "min_alpha", "epochs", "workers", "seed", "max_vocab_size", "max_final_vocab",
                "shrink_windows", "compute_loss", "batch_words", "null_word", "sorted_vocab", "hashfxn",
                "min_alpha_yet_reached", "train_count", "total_train_time", "comment", "layer1_size")
_OLD_NAMES = {"epochs": "iter", "vector_size": "layer1_size"}


_MISSING = object()


def _param(model: dict, parts: list[dict], name: str, default=None):
    """An attribute from the model, else its trainables/vocabulary parts (gensim 3.x), else its old name."""
    for key in (name, _OLD_NAMES.get(name)):
        for source in [model] + parts:
            if key is not None and key in source:
                return source[key]
    return default


def _plain(value):
    """numpy scalars -> Python numbers (so params compare and serialise simply)."""
    if isinstance(value, np.generic):
        return value.item()
    return value


def load_gensim_word2vec(path, mmap=None) -> dict:
    """A gensim ``Word2Vec.save()`` file (gensim 0.12 to 4.x) as plain data, without importing gensim.

    Returns a dict with ``"params"`` (gensim 4 attribute names: vector_size, window, min_count, sg, hs,
    negative, ns_exponent, cbow_mean, sample, alpha, min_alpha, epochs, workers, seed, max_vocab_size,
    max_final_vocab, ... whichever the file has; older names such as ``iter`` are mapped),
    ``"words"`` (list), ``"counts"`` (int64 array), ``"vectors"`` (float32 V x d), ``"syn1neg"`` and
    ``"syn1"`` (arrays as stored, or None), ``"vectors_lockf"`` (array or None), ``"corpus_count"``,
    ``"corpus_total_words"`` (ints; the latter None when the file has none, as gensim gives) and
    ``"running_training_loss"`` (float), plus ``"expandos"`` (all per-word attributes) and
    ``"gensim_class"``.
    """
    obj = load_gensim_object(path, mmap)
    if not obj.gensim_class.endswith(".Word2Vec"):
        raise GensimFormatError(path, f"holds a gensim {obj.gensim_class}, not a Word2Vec model "
                                      "(use KeyedVectors.load for vectors)")
    model = obj.__dict__
    parts = [p.__dict__ for p in (model.get("trainables"), model.get("vocabulary")) if isinstance(p, GensimObject)]
    kv = _keyed_vectors_data(_find_keyed_vectors(obj, path), path)
    params = {}
    for name in _PARAM_NAMES:
        value = _param(model, parts, name, _MISSING)
        if value is not _MISSING and not isinstance(value, (_Placeholder, _InertValue, GensimObject)):
            params[name] = _plain(value)
    if "vector_size" not in params:
        params["vector_size"] = int(kv["vectors"].shape[1])
    counts = kv["expandos"].get("count")
    counts = np.zeros(len(kv["words"]), dtype=np.int64) if counts is None else np.asarray(counts, dtype=np.int64)
    lockf = kv["vectors_lockf"]
    if lockf is None:
        lockf = _param(model, parts, "vectors_lockf")
        lockf = _param(model, parts, "syn0_lockf") if lockf is None else lockf
    corpus_total_words = _plain(_param(model, parts, "corpus_total_words"))
    return {
        "params": params,
        "words": kv["words"],
        "counts": counts,
        "vectors": kv["vectors"],
        "syn1neg": _param(model, parts, "syn1neg"),
        "syn1": _param(model, parts, "syn1"),
        "vectors_lockf": None if lockf is None else np.asarray(lockf),
        "corpus_count": int(_plain(_param(model, parts, "corpus_count")) or 0),
        # None where the file has none (gensim 1.x-3.x models), as gensim's loader gives
        "corpus_total_words": None if corpus_total_words is None else int(corpus_total_words),
        "running_training_loss": float(_plain(_param(model, parts, "running_training_loss")) or 0.0),
        "expandos": kv["expandos"],
        "gensim_class": obj.gensim_class,
    }


