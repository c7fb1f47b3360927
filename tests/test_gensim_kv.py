"""KeyedVectors as a drop-in for gensim 4.4's: same signatures, same answers on the same vectors,
gensim's files (word2vec formats with vocab files, ``wv.save``/``model.save`` pickles) read safely."""
from __future__ import annotations

import copy
import inspect
import pickle
import sys
import warnings

import numpy as np
import pytest

from w2v import KeyedVectors
from w2v.formats import TruncatedFileError, WordDecodeError
from w2v.gensim_pickle import UnsafePickleError

gensim_models = pytest.importorskip("gensim.models")
from gensim.test.utils import common_texts, datapath  # noqa: E402

GensimKV = gensim_models.KeyedVectors


@pytest.fixture(scope="module")
def euclidean():
    """gensim's own test vectors, loaded by both libraries."""
    path = datapath("euclidean_vectors.bin")
    return KeyedVectors.load_word2vec_format(path, binary=True), GensimKV.load_word2vec_format(path, binary=True)


def same_pairs(ours, theirs, atol=1e-5):
    assert [k for k, _ in ours] == [k for k, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


# ---------------------------------------------------------------------- signatures


def _public_methods():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        names = [n for n in dir(GensimKV) if not n.startswith("_")]
        return [n for n in names if callable(getattr(GensimKV, n))
                and not isinstance(inspect.getattr_static(GensimKV, n), property)]


@pytest.mark.parametrize("name", ["__init__"] + _public_methods())
def test_every_gensim_method_exists_with_gensim_signature(name):
    """Names, positional order, kinds and defaults of every public gensim 4.4 KeyedVectors method."""
    ours = getattr(KeyedVectors, name, None)
    assert ours is not None, f"KeyedVectors.{name} is missing"
    theirs = getattr(GensimKV, name)
    if name == "save":  # gensim's is (*args, **kwargs), forwarded to SaveLoad.save
        theirs = gensim_models.keyedvectors.utils.SaveLoad.save
    described = [(p.name, p.kind, p.default) for p in inspect.signature(theirs).parameters.values()]
    described += TRAILING_EXTRAS.get(name, [])
    assert [(p.name, p.kind, p.default) for p in inspect.signature(ours).parameters.values()] == described


#: keywords w2v accepts after all of gensim's: gensim's module-level ``_load_word2vec_format``
#: (which gensim's own LoadWord2VecFormatTest calls) takes ``binary_chunk_size`` after the method's.
TRAILING_EXTRAS = {
    "load_word2vec_format": [("binary_chunk_size", inspect.Parameter.POSITIONAL_OR_KEYWORD, 100 * 1024)],
}


# ---------------------------------------------------------------------- construction and adding


def test_constructor_is_gensims_and_from_vectors_wraps_tables():
    kv = KeyedVectors(4)
    assert len(kv) == 0 and kv.vector_size == 4 and kv.vectors.shape == (0, 4) and kv.vectors.dtype == np.float32
    assert str(kv) == str(GensimKV(4)).replace("KeyedVectors", "KeyedVectors")
    pre = KeyedVectors(3, 2, dtype=np.float64)
    assert pre.vectors.shape == (2, 3) and pre.vectors.dtype == np.float64 and pre.index_to_key == [None, None]
    table = np.eye(2, dtype=np.float32)
    wrapped = KeyedVectors.from_vectors(table, ["a", "b"], [5, 3])
    assert wrapped.vectors is table and wrapped.get_vecattr("b", "count") == 3
    with pytest.raises(TypeError, match="from_vectors"):
        KeyedVectors(table, ["a", "b"])
    with pytest.raises(ValueError, match="vector_size"):
        KeyedVectors(-1)


def test_adding_matches_gensim():
    rng = np.random.default_rng(0)
    ours, theirs = KeyedVectors(5, 3), GensimKV(5, 3)
    rows = rng.standard_normal((8, 5)).astype(np.float32)
    for kv in (ours, theirs):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # gensim's "grows by one" warning for the 4th add_vector
            assert [kv.add_vector(k, r) for k, r in zip("abcd", rows[:4])] == [0, 1, 2, 3]
        kv.add_vectors(["e", "a", "f"], rows[4:7])  # "a" exists: kept
        kv["b"] = rows[7]  # replaced
        kv[["g", "c"]] = rows[:2]
    assert ours.index_to_key == theirs.index_to_key == list("abcdefg")
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert ours.key_to_index == theirs.key_to_index
    same_pairs(ours.most_similar("a", topn=3), theirs.most_similar("a", topn=3))
    float64 = KeyedVectors(2)
    float64.add_vectors(["x"], np.ones((1, 2), dtype=np.float64))
    assert float64.vectors.dtype == np.float32


def test_integer_and_other_hashable_keys():
    kv = KeyedVectors(2)
    kv.add_vectors([10, 20, ("a", 1)], np.array([[1, 0], [0.75, 0.25], [0, 1]], dtype=np.float32))
    np.testing.assert_array_equal(kv[20], [0.75, 0.25])
    np.testing.assert_array_equal(kv[("a", 1)], [0, 1])
    np.testing.assert_array_equal(kv[[10, ("a", 1)]], [[1, 0], [0, 1]])
    assert kv.most_similar(10, topn=1)[0][0] == 20 and 10 in kv and 1 in kv  # 1: an in-range row, as gensim
    assert kv.get_index(1) == 1 and kv.get_index(20) == 1
    with pytest.raises(KeyError, match="Key '30' not present"):
        kv[30]


def test_bad_input_names_the_shape():
    kv = KeyedVectors.from_vectors(np.zeros((3, 4), np.float32), ["a", "b", "c"])
    with pytest.raises(ValueError, match=r"size 4.*got shape \(3,\)"):
        kv.add_vector("d", np.zeros(3))
    with pytest.raises(ValueError, match=r"shape \(2, 4\).*got shape \(2, 5\)"):
        kv.add_vectors(["d", "e"], np.zeros((2, 5)))
    with pytest.raises(TypeError, match="dtype <U1"):
        kv.add_vectors(["d"], np.array([["a", "b", "c", "d"]]))
    with pytest.raises(ValueError, match=r"vectors_lockf has shape \(2,\), expected \(1,\) or \(3,\)"):
        kv.vectors_lockf = np.ones(2, dtype=np.float32)
    with pytest.raises(TypeError, match=r"float32.*dtype float64 and shape \(3,\)"):
        kv.vectors_lockf = np.ones(3)
    with pytest.raises(KeyError, match="Key 'zz' not present"):
        kv.get_vector("zz")
    with pytest.raises(KeyError, match="Key 'zz' not present"):
        kv.most_similar(["a", "zz"])
    np.testing.assert_array_equal(kv.vectors_lockf, [1.0])  # gensim's default: no locking
    kv.vectors_lockf = np.array([0, 1, 0.5], dtype=np.float32)
    kv.add_vectors(["d"], np.ones((1, 4)))  # a per-row lock array grows with the table
    np.testing.assert_array_equal(kv.vectors_lockf, [0, 1, 0.5, 1])


# ---------------------------------------------------------------------- queries against gensim


def test_gensim_queries_match(euclidean):
    ours, theirs = euclidean
    keys = ["conflict", "administration", "terrorism", "call", "an out-of-vocabulary word"]
    for kwargs in ({}, {"weights": [1, 2, 3, 1, 2]}, {"pre_normalize": False}, {"post_normalize": True}):
        np.testing.assert_allclose(ours.get_mean_vector(keys, **kwargs), theirs.get_mean_vector(keys, **kwargs),
                                   atol=1e-6)
    with pytest.raises(KeyError):
        ours.get_mean_vector(keys, ignore_missing=False)
    assert ours.most_similar_to_given("war", ["terrorism", "call", "waging"]) == "terrorism"
    assert ours.relative_cosine_similarity("good", "nice", 10) == pytest.approx(
        theirs.relative_cosine_similarity("good", "nice", 10), abs=1e-6)
    with pytest.warns(DeprecationWarning):
        assert sorted(ours.words_closer_than("war", "terrorism")) == sorted(theirs.closer_than("war", "terrorism"))
    same_pairs(ours.most_similar("war", topn=5, clip_start=10, clip_end=200),
               theirs.most_similar("war", topn=5, clip_start=10, clip_end=200))
    np.testing.assert_allclose(ours.most_similar("war", topn=None, clip_start=3, clip_end=50),
                               theirs.most_similar("war", topn=None, clip_start=3, clip_end=50), atol=1e-6)
    same_pairs(ours.most_similar(positive=ours.vectors[:5], topn=4), theirs.most_similar(positive=theirs.vectors[:5],
                                                                                           topn=4))
    with pytest.raises(ZeroDivisionError):
        ours.n_similarity(["war"], [])


def test_most_similar_hands_the_query_to_an_indexer(euclidean):
    ours, _ = euclidean

    class Indexer:
        def most_similar(self, vector, topn):
            self.seen = (vector.copy(), topn)
            return [("from-indexer", 1.0)]

    indexer = Indexer()
    assert ours.most_similar("war", topn=3, indexer=indexer) == [("from-indexer", 1.0)]
    np.testing.assert_allclose(indexer.seen[0], ours.get_vector("war", norm=True), atol=1e-6)
    assert indexer.seen[1] == 3


def test_norms_and_normalising_match_gensim(euclidean):
    ours = copy.deepcopy(euclidean[0])
    theirs = copy.deepcopy(euclidean[1])
    assert ours.norms is None
    ours.fill_norms()
    theirs.fill_norms()
    np.testing.assert_allclose(ours.norms, theirs.norms, rtol=1e-6)
    ours.vectors[0] *= 3  # gensim's contract: in-place edits, then fill_norms(force=True)
    ours.fill_norms(force=True)
    assert ours.norms[0] == pytest.approx(3 * theirs.norms[0], rel=1e-6)
    assert ours.get_normed_vectors()[0] == pytest.approx(theirs.get_normed_vectors()[0], abs=1e-6)
    ours.unit_normalize_all()
    theirs.unit_normalize_all()
    np.testing.assert_allclose(ours.vectors, theirs.vectors, atol=1e-6)
    np.testing.assert_allclose(ours.norms, 1.0, atol=1e-6)


def test_sort_and_vectors_for_all_match_gensim():
    rng = np.random.default_rng(4)
    table = rng.standard_normal((6, 3)).astype(np.float32)
    counts = np.array([3, 9, 3, 1, 9, 2])
    ours = KeyedVectors.from_vectors(table.copy(), list("abcdef"), counts)
    theirs = GensimKV(3)
    theirs.add_vectors(list("abcdef"), table.copy())
    for key, count in zip("abcdef", counts):
        theirs.set_vecattr(key, "count", int(count))
    ours.vectors_lockf = np.arange(6, dtype=np.float32)
    ours.sort_by_descending_frequency()
    theirs.sort_by_descending_frequency()
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.expandos["count"], theirs.expandos["count"])
    np.testing.assert_array_equal(ours.vectors_lockf, [ord(k) - ord("a") for k in ours.index_to_key])
    for copy_vecattrs in (False, True):
        mine = ours.vectors_for_all(["f", "zz", "a", "f"], copy_vecattrs=copy_vecattrs)
        gens = theirs.vectors_for_all(["f", "zz", "a", "f"], copy_vecattrs=copy_vecattrs)
        assert mine.index_to_key == gens.index_to_key == ["f", "a"]
        np.testing.assert_array_equal(mine.vectors, gens.vectors)
        np.testing.assert_array_equal(mine.expandos["count"], gens.expandos["count"])
    with pytest.raises(KeyError, match="counts"):
        KeyedVectors.from_vectors(table, list("abcdef")).sort_by_descending_frequency()


def test_wmdistance_matches_gensim(euclidean):
    pytest.importorskip("ot")
    ours, theirs = euclidean
    doc1 = "war conflict call israel unknownword".split()
    doc2 = "peace administration terrorism war".split()
    assert ours.wmdistance(doc1, doc2) == pytest.approx(theirs.wmdistance(doc1, doc2), rel=1e-6)
    assert ours.wmdistance(doc1, doc2, norm=False) == pytest.approx(theirs.wmdistance(doc1, doc2, norm=False),
                                                                     rel=1e-6)
    assert ours.wmdistance(doc1, ["zzz"]) == float("inf")
    assert ours.wmdistance(["war"], ["war", "war"]) == 0.0


def test_wmdistance_without_pot_says_what_to_install(euclidean, monkeypatch):
    monkeypatch.setitem(sys.modules, "ot", None)
    with pytest.raises(ImportError, match=r"POT.*pip install"):
        euclidean[0].wmdistance(["war"], ["peace"])


def test_evaluate_word_pairs_takes_gensims_positional_order(euclidean):
    ours, theirs = euclidean
    path = datapath("wordsim353.tsv")
    mine = ours.evaluate_word_pairs(path, "\t", "utf8", 300000, True, False)
    gens = theirs.evaluate_word_pairs(path, "\t", "utf8", 300000, True, False)
    assert mine[0][0] == pytest.approx(gens[0][0], abs=1e-6) and mine[2] == pytest.approx(gens[2])


# ---------------------------------------------------------------------- word2vec.c files


def test_save_word2vec_format_second_argument_is_fvocab(tmp_path):
    """``wv.save_word2vec_format("vec.txt", "vocab.txt")``: text vectors plus a vocab file, as in gensim."""
    table = np.random.default_rng(1).standard_normal((4, 3)).astype(np.float32)
    kv = KeyedVectors.from_vectors(table, ["the", "of", "naïve", "x"], [10, 7, 7, 2])
    vec, vocab = tmp_path / "vec.txt", tmp_path / "vocab.txt"
    kv.save_word2vec_format(str(vec), str(vocab))
    assert vec.read_bytes().startswith(b"4 3\nthe ")  # text, not binary
    assert vocab.read_text(encoding="utf8") == "the 10\nof 7\nnaïve 7\nx 2\n"
    theirs = GensimKV.load_word2vec_format(str(vec), str(vocab))
    assert [theirs.get_vecattr(k, "count") for k in theirs.index_to_key] == [10, 7, 7, 2]
    back = KeyedVectors.load_word2vec_format(vec, vocab)
    np.testing.assert_array_equal(back.vectors, table)
    assert [back.get_vecattr(k, "count") for k in back.index_to_key] == [10, 7, 7, 2]


def test_word2vec_format_options_match_gensim(tmp_path):
    model = gensim_models.Word2Vec(common_texts, vector_size=8, min_count=1, seed=1, workers=1)
    theirs = model.wv
    ours = KeyedVectors.from_vectors(theirs.vectors.copy(), list(theirs.index_to_key), theirs.expandos["count"])
    ours.add_vectors(["rare"], np.ones((1, 8)))  # not in count order: must be written by descending count
    theirs = copy.deepcopy(theirs)
    theirs.add_vectors(["rare"], np.ones((1, 8)))
    theirs.set_vecattr("rare", "count", 0)
    ours.set_vecattr("rare", "count", 0)
    for kv, name in ((ours, "ours"), (theirs, "theirs")):
        kv.save_word2vec_format(str(tmp_path / f"{name}.bin"), str(tmp_path / f"{name}.vocab"), True,
                                prefix="p_")
        kv.save_word2vec_format(str(tmp_path / f"{name}.txt"), binary=False, total_vec=100, write_header=True)
        kv.save_word2vec_format(str(tmp_path / f"{name}.txt"), append=True, write_header=False)
    assert (tmp_path / "ours.vocab").read_bytes() == (tmp_path / "theirs.vocab").read_bytes()
    a = KeyedVectors.load_word2vec_format(tmp_path / "ours.bin", tmp_path / "ours.vocab", binary=True)
    b = GensimKV.load_word2vec_format(str(tmp_path / "theirs.bin"), str(tmp_path / "theirs.vocab"), binary=True)
    assert a.index_to_key == b.index_to_key and a.index_to_key[0].startswith("p_")
    np.testing.assert_array_equal(a.vectors, b.vectors)
    np.testing.assert_array_equal(a.expandos["count"], b.expandos["count"])
    lines = (tmp_path / "ours.txt").read_text(encoding="utf8").splitlines()
    assert lines[0] == "100 8" and len(lines) == 1 + 2 * len(ours)
    half = KeyedVectors.load_word2vec_format(tmp_path / "ours.bin", binary=True, datatype=np.float16)
    assert half.vectors.dtype == np.float16


def test_word2vec_format_errors_are_gensims_exception_types(tmp_path):
    kv = KeyedVectors.from_vectors(np.ones((3, 2), np.float32), ["a", "b", "c"])
    path = tmp_path / "v.bin"
    kv.save_word2vec_format(path, binary=True)
    data = bytearray(path.read_bytes())
    data[0:1] = b"9"
    path.write_bytes(bytes(data))
    with pytest.raises(EOFError, match="truncated"):  # gensim raises EOFError here
        KeyedVectors.load_word2vec_format(path, binary=True)
    with pytest.raises(TruncatedFileError):
        KeyedVectors.load_word2vec_format(path, binary=True)
    with pytest.raises(ValueError, match="count"):  # no counts to write a vocab file with
        kv.save_word2vec_format(tmp_path / "x", tmp_path / "x.vocab")
    with pytest.raises(UnicodeDecodeError):  # gensim's strict decoding error, with w2v's message
        KeyedVectors.load_word2vec_format(datapath("w2v_keyedvectors_load_test.modeldata"),
                                          datapath("w2v_keyedvectors_load_test.vocab"))
    with pytest.raises(WordDecodeError, match=r"w2v_keyedvectors_load_test\.vocab: line 1"):
        KeyedVectors.load_word2vec_format(datapath("w2v_keyedvectors_load_test.modeldata"),
                                          datapath("w2v_keyedvectors_load_test.vocab"))
    with pytest.raises(NotImplementedError):
        KeyedVectors.load_word2vec_format(path, binary=True, no_header=True)


def test_intersect_word2vec_format_matches_gensim_and_locks_rows(tmp_path):
    rng = np.random.default_rng(2)
    pretrained = KeyedVectors.from_vectors(rng.standard_normal((4, 3)).astype(np.float32), ["a", "b", "zz", "c"])
    path = tmp_path / "pre.txt"
    pretrained.save_word2vec_format(path)
    table = rng.standard_normal((3, 3)).astype(np.float32)
    ours = KeyedVectors.from_vectors(table.copy(), ["c", "q", "a"])
    theirs = GensimKV(3)
    theirs.add_vectors(["c", "q", "a"], table.copy())
    theirs.vectors_lockf = np.ones(3, dtype=np.float32)  # gensim needs a full-size array first
    ours.intersect_word2vec_format(path, lockf=0.0)
    theirs.intersect_word2vec_format(str(path), lockf=0.0)
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    np.testing.assert_array_equal(ours.vectors_lockf, theirs.vectors_lockf)
    np.testing.assert_array_equal(ours.vectors_lockf, [0, 1, 0])
    np.testing.assert_array_equal(ours["a"], pretrained["a"])
    with pytest.raises(ValueError, match="incompatible vector size 3"):
        KeyedVectors(5).intersect_word2vec_format(path)


# ---------------------------------------------------------------------- gensim's own save() files


@pytest.fixture(scope="module")
def gensim_saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("gsave")
    model = gensim_models.Word2Vec(common_texts * 20, vector_size=16, min_count=1, seed=5, workers=1)
    model.save(str(folder / "w.model"))
    model.wv.save(str(folder / "w.kv"))
    model.wv.save(str(folder / "split.kv"), sep_limit=10)
    return model, folder


@pytest.mark.parametrize("name", ["w.kv", "split.kv", "w.model"])
@pytest.mark.parametrize("mmap", [None, "r"])
def test_load_files_saved_by_gensim4(gensim_saved, name, mmap):
    model, folder = gensim_saved
    ours = KeyedVectors.load(str(folder / name), mmap=mmap)
    theirs = GensimKV.load(str(folder / name), mmap=mmap)
    theirs = getattr(theirs, "wv", theirs)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    assert ours.get_vecattr("graph", "count") == theirs.get_vecattr("graph", "count")
    for word in ("graph", "human", "trees"):
        same_pairs(ours.most_similar(word, topn=5), theirs.most_similar(word, topn=5))
    if mmap and name == "split.kv":
        assert isinstance(ours.vectors, np.memmap) and not ours.vectors.flags.writeable


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("name", ["old_keyedvectors_320.dat", "word2vec_old", "model-from-gensim-3.8.0.w2v",
                                  "old_w2v_models/w2v_1.0.0.mdl", "old_w2v_models/w2v_3.4.0.mdl"])
def test_load_files_saved_by_gensim3(name):
    ours = KeyedVectors.load(datapath(name))
    theirs = GensimKV.load(datapath(name))
    theirs = getattr(theirs, "wv", theirs)
    assert ours.index_to_key == theirs.index_to_key
    np.testing.assert_array_equal(ours.vectors, theirs.vectors)
    word = ours.index_to_key[0]
    same_pairs(ours.most_similar(word, topn=3), theirs.most_similar(word, topn=3))


def test_load_refuses_a_malicious_pickle(tmp_path):
    import os

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {tmp_path / 'pwned'}",))

    path = tmp_path / "evil.kv"
    path.write_bytes(pickle.dumps(Payload(), protocol=4))
    with pytest.raises(UnsafePickleError, match=r"evil\.kv.*(posix|os)\.system"):
        KeyedVectors.load(path)
    assert not (tmp_path / "pwned").exists()


def test_pickle_and_deepcopy_keep_gensim_state():
    kv = KeyedVectors.from_vectors(np.eye(3, dtype=np.float32), [1, "b", "c"], [3, 2, 1])
    kv.vectors_lockf = np.array([0, 1, 1], dtype=np.float32)
    kv.fill_norms()
    for clone in (pickle.loads(pickle.dumps(kv)), copy.deepcopy(kv)):
        assert clone.index_to_key == [1, "b", "c"] and clone.get_vecattr(1, "count") == 3
        np.testing.assert_array_equal(clone.vectors_lockf, [0, 1, 1])
        assert clone.most_similar("b", topn=1)[0][0] in (1, "c")


@pytest.mark.parametrize("binary", [False, True])
def test_intersect_streams_and_keeps_only_the_matching_rows(tmp_path, binary, monkeypatch):
    """A big pretrained file is not loaded whole: only rows for known keys are ever stored."""
    from w2v import formats

    words = [f"w{i}" for i in range(5000)] + ["w7"]  # a repeated word: its first vector counts
    table = np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 2)
    path = tmp_path / ("big.bin" if binary else "big.txt")
    with open(path, "wb") as f:  # by hand: KeyedVectors cannot hold the repeated word
        f.write(f"{len(words)} 2\n".encode())
        for w, row in zip(words, table):
            f.write(w.encode() + b" " + (row.tobytes() + b"\n" if binary else " ".join(map(str, row)).encode() + b"\n"))
    allocated = []
    original = formats._new_table
    monkeypatch.setattr(formats, "_new_table", lambda *a, **k: allocated.append(a[1]) or original(*a, **k))
    found, rows, dim = formats.read_word2vec_rows(path, {"w7": 0, "w4999": 1, "nope": 2}, binary=binary)
    assert allocated == [3] and dim == 2
    assert found == ["w7", "w4999"]
    np.testing.assert_array_equal(rows, table[[7, 4999]])
    kv = KeyedVectors.from_vectors(np.zeros((3, 2), np.float32), ["nope", "w4999", "w7"])
    kv.intersect_word2vec_format(path, lockf=0.25, binary=binary)
    np.testing.assert_array_equal(kv.vectors, [[0, 0], table[4999], table[7]])
    np.testing.assert_array_equal(kv.vectors_lockf, [1, 0.25, 0.25])
