"""Files saved by gensim load without gensim and without running anything the pickle names."""
from __future__ import annotations

import glob
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from w2v import gensim_pickle as gp

gensim = pytest.importorskip("gensim")
from gensim.models import KeyedVectors as GensimKV  # noqa: E402
from gensim.models import Word2Vec as GensimW2V  # noqa: E402
from gensim.test.utils import common_texts, datapath  # noqa: E402

# gensim 1.0-3.8 files that gensim 4.4 itself still loads: compared value for value.
GENSIM3_FILES = ["word2vec_old", "word2vec_old_sep", "word2vec_3.3", "model-from-gensim-3.8.0.w2v",
                 "old_keyedvectors_320.dat"] + [
    "old_w2v_models/" + os.path.basename(p) for p in sorted(glob.glob(datapath("old_w2v_models/w2v_[123]*.mdl")))
] + ["old_w2v_models/w2v_0.13.4.mdl"]
# gensim 0.12-0.13 files (vectors on the model itself), which gensim 4.4 can no longer load.
PRE_KV_FILES = ["word2vec_pre_kv_py2", "word2vec_pre_kv_py3", "word2vec_pre_kv_py3_4", "word2vec_pre_kv_sep_py2",
                "word2vec_pre_kv_sep_py3", "word2vec_pre_kv_sep_py3_4"]


@pytest.fixture(scope="module")
def gensim4_files(tmp_path_factory):
    """A tiny gensim 4.4 model (hs and negative sampling), saved whole and as vectors, inline and split."""
    folder = tmp_path_factory.mktemp("gensim4")
    model = GensimW2V(common_texts, vector_size=12, min_count=1, hs=1, negative=3, seed=3, workers=1, epochs=3)
    paths = {"model": folder / "m.model", "kv": folder / "m.kv",
             "model_sep": folder / "ms.model", "kv_sep": folder / "ms.kv"}
    model.save(str(paths["model"]))
    model.wv.save(str(paths["kv"]))
    model.save(str(paths["model_sep"]), sep_limit=10)
    model.wv.save(str(paths["kv_sep"]), sep_limit=10)
    return model, paths


def test_gensim4_split_files_really_are_split(gensim4_files):
    _, paths = gensim4_files
    assert Path(str(paths["kv_sep"]) + ".vectors.npy").is_file()
    assert Path(str(paths["model_sep"]) + ".wv.vectors.npy").is_file()
    assert Path(str(paths["model_sep"]) + ".syn1neg.npy").is_file()


@pytest.mark.parametrize("which", ["model", "kv", "model_sep", "kv_sep"])
@pytest.mark.parametrize("mmap", [None, "r"])
def test_gensim4_keyed_vectors(gensim4_files, which, mmap):
    model, paths = gensim4_files
    data = gp.load_gensim_keyed_vectors(paths[which], mmap=mmap)
    assert data["words"] == model.wv.index_to_key
    np.testing.assert_array_equal(data["vectors"], model.wv.vectors)
    np.testing.assert_array_equal(data["expandos"]["count"], model.wv.expandos["count"])
    if mmap and which.endswith("sep"):
        assert isinstance(data["vectors"], np.memmap) and not data["vectors"].flags.writeable


@pytest.mark.parametrize("which", ["model", "model_sep"])
def test_gensim4_word2vec_as_plain_data(gensim4_files, which):
    model, paths = gensim4_files
    data = gp.load_gensim_word2vec(paths[which])
    params = data["params"]
    for name in ("vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent", "cbow_mean",
                 "sample", "alpha", "min_alpha", "epochs", "seed", "max_vocab_size", "max_final_vocab",
                 "shrink_windows", "compute_loss", "batch_words"):
        assert params[name] == getattr(model, name), name
    assert data["words"] == model.wv.index_to_key
    assert data["counts"].dtype == np.int64
    np.testing.assert_array_equal(data["counts"], model.wv.expandos["count"])
    assert data["vectors"].dtype == np.float32
    np.testing.assert_array_equal(data["vectors"], model.wv.vectors)
    np.testing.assert_array_equal(data["syn1neg"], model.syn1neg)
    np.testing.assert_array_equal(data["syn1"], model.syn1)
    np.testing.assert_array_equal(data["vectors_lockf"], model.wv.vectors_lockf)
    assert data["corpus_count"] == model.corpus_count == len(common_texts)
    assert data["corpus_total_words"] == model.corpus_total_words
    assert data["running_training_loss"] == model.running_training_loss


def test_word2vec_reader_refuses_a_keyed_vectors_file(gensim4_files):
    _, paths = gensim4_files
    with pytest.raises(gp.GensimFormatError, match="not a Word2Vec model"):
        gp.load_gensim_word2vec(paths["kv"])


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", GENSIM3_FILES)
def test_gensim3_files_match_what_gensim_loads(name):
    ours = gp.load_gensim_keyed_vectors(datapath(name))
    theirs = GensimKV.load(datapath(name))
    theirs = getattr(theirs, "wv", theirs)
    assert ours["words"] == list(theirs.index_to_key)
    np.testing.assert_array_equal(ours["vectors"], theirs.vectors)
    np.testing.assert_array_equal(ours["expandos"]["count"], theirs.expandos["count"])


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", ["word2vec_old", "model-from-gensim-3.8.0.w2v", "old_w2v_models/w2v_3.4.0.mdl"])
def test_gensim3_models_as_plain_data(name):
    ours = gp.load_gensim_word2vec(datapath(name))
    theirs = GensimW2V.load(datapath(name))
    for attr in ("vector_size", "window", "min_count", "sg", "hs", "negative", "cbow_mean", "sample", "alpha",
                 "min_alpha", "epochs", "seed"):
        assert ours["params"][attr] == getattr(theirs, attr), attr
    assert ours["corpus_count"] == theirs.corpus_count
    for table in ("syn1neg", "syn1"):
        if getattr(theirs, table, None) is not None and len(getattr(theirs, table)):
            np.testing.assert_array_equal(ours[table], getattr(theirs, table))


@pytest.mark.parametrize("name", PRE_KV_FILES)
def test_gensim_pre_1_0_models_load(name):
    """gensim 4.4 cannot read these any more. Each inline file was saved from the same model as its
    split twin (``word2vec_pre_kv_sep_*`` with ``.npy`` side files), so both must load to the side
    files' arrays, value for value."""
    data = gp.load_gensim_word2vec(datapath(name))
    side = datapath(name.replace("pre_kv_sep", "pre_kv").replace("pre_kv", "pre_kv_sep"))
    split = gp.load_gensim_word2vec(side)
    for loaded in (data, split):
        np.testing.assert_array_equal(loaded["vectors"], np.load(side + ".syn0.npy"))
        np.testing.assert_array_equal(loaded["syn1neg"], np.load(side + ".syn1neg.npy"))
        np.testing.assert_array_equal(loaded["vectors_lockf"], np.load(side + ".syn0_lockf.npy"))
    assert data["words"] == split["words"] == ["the", "to", "of", "in", "and", "for", "has", "have", "are"]
    np.testing.assert_array_equal(data["counts"], split["counts"])
    assert data["vectors"].shape == (9, 2)
    assert data["params"]["vector_size"] == 2 and data["params"]["epochs"] == 5 and data["corpus_count"] == 300


# ---------------------------------------------------------------------- hostile and broken files


class _RunsShell:
    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


class _CallsEval:
    def __reduce__(self):
        return (eval, ("__import__('os').getpid()",))


class _Unknown:
    pass


def _hostile_files(folder: Path, marker: Path) -> dict[str, Path]:
    command = f"{sys.executable} -c \"open({str(marker)!r}, 'w').close()\""
    payloads = {
        "os.system": _RunsShell(command),
        "builtins.eval": _CallsEval(),
        "subprocess.Popen": subprocess.Popen,
        f"{__name__}._Unknown": _Unknown(),
    }
    files = {}
    for i, (refused, payload) in enumerate(payloads.items()):
        path = folder / f"evil{i}.model"
        with open(path, "wb") as f:
            pickle.dump({"wv": payload}, f, protocol=2)
        files[refused] = path
    # Hidden inside a real gensim-shaped object, at protocol 4.
    inner = folder / "evil_inner.kv"
    inner.write_bytes(pickle.dumps(_RunsShell(command), protocol=4))
    files["os.system (p4)"] = inner
    return files


def test_malicious_pickles_are_refused_and_run_nothing(tmp_path):
    marker = tmp_path / "pwned"
    # The payload really works when loaded the unsafe way.
    os.system(f"{sys.executable} -c \"open({str(marker)!r}, 'w').close()\"")
    assert marker.exists()
    marker.unlink()
    for refused, path in _hostile_files(tmp_path, marker).items():
        with pytest.raises(gp.UnsafePickleError) as info:
            gp.load_gensim_object(path)
        name = refused.split(" ")[0]
        name = "posix.system" if name == "os.system" and os.name == "posix" else name
        assert name in str(info.value) and str(path) in str(info.value)
        assert info.value.global_name == name and info.value.path == str(path)
        assert not marker.exists()


def test_stand_ins_refuse_dunder_state(tmp_path):
    """BUILD state must not plant a __setstate__ (or any dunder) on a stand-in instance."""
    stand_in = gp._stand_in("gensim.models.keyedvectors", "KeyedVectors")
    obj = stand_in.__new__(stand_in)
    with pytest.raises(pickle.UnpicklingError, match="__setstate__"):
        obj.__setstate__({"__setstate__": print})


def test_not_a_pickle_and_missing_side_file(tmp_path, gensim4_files):
    junk = tmp_path / "junk.kv"
    junk.write_bytes(b"\x80\x04this is not a pickle")
    with pytest.raises(gp.GensimFormatError, match="junk.kv: not a readable gensim pickle"):
        gp.load_gensim_object(junk)
    with pytest.raises(FileNotFoundError, match="missing.kv"):
        gp.load_gensim_object(tmp_path / "missing.kv")
    plain = tmp_path / "list.pkl"
    plain.write_bytes(pickle.dumps([1, 2, 3]))
    with pytest.raises(gp.GensimFormatError, match="holds a list"):
        gp.load_gensim_object(plain)
    _, paths = gensim4_files
    split = tmp_path / "copy.kv"
    split.write_bytes(paths["kv_sep"].read_bytes())
    with pytest.raises(FileNotFoundError, match=r"copy\.kv\.vectors\.npy"):
        gp.load_gensim_object(split)
    with pytest.raises(ValueError, match="mmap"):
        gp.load_gensim_object(paths["kv"], mmap="w")


def test_gensim_is_not_imported(gensim4_files):
    """The reader works in a process where gensim cannot be imported at all."""
    _, paths = gensim4_files
    code = ("import sys; sys.modules['gensim'] = None\n"
            "from w2v import gensim_pickle as gp\n"
            f"d = gp.load_gensim_word2vec({str(paths['model_sep'])!r}, mmap='r')\n"
            "print(len(d['words']), d['vectors'].shape[1])")
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    model, _ = gensim4_files
    assert out.stdout.split() == [str(len(model.wv)), "12"]


def test_pickles_without_warnings(gensim4_files):
    _, paths = gensim4_files
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gp.load_gensim_keyed_vectors(paths["model"])


class _Bomb:
    def __reduce__(self):
        return (bytearray, (10**13,))


class _HugeArray:
    def __reduce__(self):
        from numpy._core.multiarray import _reconstruct

        return (_reconstruct, (np.ndarray, (10**13,), b"b"))


def test_memory_bombs_are_refused_or_inert(tmp_path):
    bomb = tmp_path / "bomb.kv"
    bomb.write_bytes(pickle.dumps({"x": _Bomb()}, protocol=4))
    with pytest.raises(gp.UnsafePickleError, match="builtins.bytearray"):
        gp.load_gensim_object(bomb)
    huge = tmp_path / "huge.kv"
    huge.write_bytes(pickle.dumps(_HugeArray(), protocol=4))
    with pytest.raises(gp.GensimFormatError, match="holds a ndarray"):  # built empty, not 10 TB
        gp.load_gensim_object(huge)


def test_side_file_names_cannot_leave_the_folder(tmp_path, gensim4_files):
    """A crafted ``__numpys`` entry must not make the loader open arbitrary paths."""
    _, paths = gensim4_files
    obj = gp.load_gensim_object(paths["kv"])
    stand_in = type(obj)
    evil = stand_in.__new__(stand_in)
    evil.__setstate__({"__numpys": ["../../../etc/secret"], "vectors": None})
    with pytest.raises(gp.GensimFormatError, match="side-file names"):
        gp._load_specials(evil, str(tmp_path / "x.kv"), str(tmp_path / "x.kv"), None, False)


def test_compressed_gensim_files(tmp_path):
    model = GensimW2V(common_texts, vector_size=6, min_count=1, seed=2, workers=1)
    model.save(str(tmp_path / "c.model.gz"), sep_limit=10)  # pickle gzipped, side arrays as .npz
    model.wv.save(str(tmp_path / "c.kv.bz2"))
    assert (tmp_path / "c.model.gz.wv.vectors.npz").is_file()
    data = gp.load_gensim_word2vec(tmp_path / "c.model.gz")
    np.testing.assert_array_equal(data["vectors"], model.wv.vectors)
    np.testing.assert_array_equal(data["syn1neg"], model.syn1neg)
    np.testing.assert_array_equal(gp.load_gensim_keyed_vectors(tmp_path / "c.kv.bz2")["vectors"], model.wv.vectors)
    with pytest.raises(ValueError, match="cannot mmap the arrays of a compressed gensim file"):
        gp.load_gensim_object(tmp_path / "c.model.gz", mmap="r")
