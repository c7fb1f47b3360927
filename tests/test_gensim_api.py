"""Word2Vec as a drop-in for gensim's: signatures, attributes, vocabulary rules, training calls,
persistence and the graph-embedding flow. gensim (the reference) is used where installed."""
import ast
import copy
import inspect
import pickle
import warnings
from pathlib import Path

import numpy as np
import pytest

import w2v
from w2v import gensim_compat

gensim = pytest.importorskip("gensim")
from gensim.models import Word2Vec as GensimWord2Vec  # noqa: E402
from gensim.test.utils import common_texts  # noqa: E402

TINY = dict(vector_size=8, min_count=1, workers=1, epochs=2, progress=False, sample=0)  # 29 words: keep all
MORE = [["computer", "artificial", "intelligence"], ["artificial", "trees"], ["human", "intelligence"],
        ["artificial", "graph"], ["intelligence"], ["artificial", "intelligence", "system"]]


def _gensim_params(func):
    return [(p.name, p.default) for p in inspect.signature(func).parameters.values()
            if p.kind is p.POSITIONAL_OR_KEYWORD and p.name != "self"]


@pytest.mark.parametrize("method", ["__init__", "build_vocab", "build_vocab_from_freq", "scan_vocab", "prepare_vocab",
                                    "train", "score", "predict_output_word", "estimate_memory", "reset_from",
                                    "get_latest_training_loss", "save"])
def test_signatures_match_gensim_positionally(method):
    ours = _gensim_params(getattr(w2v.Word2Vec, method))
    theirs = _gensim_params(getattr(GensimWord2Vec, method))
    if method == "save":  # gensim's is save(*args, **kwargs) over SaveLoad.save
        theirs = _gensim_params(gensim.utils.SaveLoad.save)
        ours, theirs = ours[:4], theirs[:4]  # pickle_protocol's default is gensim's module constant
    assert ours == theirs


def test_load_signature_and_class_only():
    assert list(inspect.signature(w2v.Word2Vec.load).parameters)[:2] == ["fname", "mmap"]
    with pytest.raises(AttributeError, match="class method"):
        w2v.Word2Vec().load("x")  # gensim: loading "into" an instance is an error


def test_unknown_parameter_names_the_nearest_gensim_name():
    with pytest.raises(TypeError, match="'windw'.*'window'"):
        w2v.Word2Vec(windw=3)
    with pytest.raises(TypeError, match="'total_example'.*'total_examples'"):
        w2v.Word2Vec(common_texts, **TINY).train(common_texts, total_example=9, epochs=1)
    with pytest.raises(TypeError, match="'size'.*'vector_size'"):
        w2v.Word2Vec(size=10)  # gensim 3's name
    with pytest.raises(TypeError, match="'vector_sise'.*'vector_size'"):
        w2v.train(common_texts, vector_sise=5)


def test_gensim_only_parameters_change_nothing():
    a = w2v.Word2Vec(common_texts, **TINY, seed=3)
    b = w2v.Word2Vec(common_texts, **TINY, seed=3, hashfxn=lambda s: 0, comment="x", sorted_vocab=1)
    b2 = w2v.Word2Vec(**TINY, seed=3)
    b2.build_vocab(common_texts, progress_per=1)
    b2.train(common_texts, total_examples=len(common_texts), epochs=2, word_count=5, queue_factor=9,
             report_delay=0.0)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    np.testing.assert_array_equal(a.wv.vectors, b2.wv.vectors)


def test_attributes_read_and_write_the_one_parameter_set():
    m = w2v.Word2Vec(**TINY)
    assert (m.vector_size, m.window, m.alpha, m.min_alpha, m.sg, m.hs, m.negative, m.ns_exponent, m.cbow_mean,
            m.sample, m.epochs, m.workers, m.seed, m.min_count, m.batch_words, m.compute_loss,
            m.shrink_windows) == (8, 5, 0.025, 0.0001, 0, 0, 5, 0.75, 1, 0, 2, 1, 1, 1, 10000, False, True)
    m.window, m.alpha = 3, 0.05
    assert m.params.window == 3 and m.params.alpha == 0.05
    with pytest.raises(ValueError, match="window"):
        m.window = 0
    assert m.window == 3  # a refused value leaves the old one
    assert m.layer1_size == 8 and m.corpus_count == 0 and m.running_training_loss == 0.0
    assert w2v.Word2Vec().workers == 3 and w2v.Word2Vec().compute_loss is False  # gensim's defaults
    assert w2v.Word2Vec(sorted_vocab=True, null_word=False).sorted_vocab  # gensim 3.x files hold bools
    assert w2v.train(common_texts, min_count=1, epochs=1, progress=False).workers == w2v.params.available_cores()


def test_train_requires_gensims_arguments_and_reports_wrong_totals():
    m = w2v.Word2Vec(**TINY, seed=7)
    m.build_vocab(common_texts)
    with pytest.raises(ValueError, match="total_examples or total_words"):
        m.train(common_texts, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        m.train(common_texts, total_examples=9)
    start = m.wv.vectors.copy()
    m.train(common_texts, total_examples=9, epochs=1)
    m2 = w2v.Word2Vec(**TINY, seed=7)
    m2.build_vocab(common_texts)
    np.testing.assert_array_equal(start, m2.wv.vectors)
    with pytest.warns(UserWarning, match=r"total_examples=900\) but the corpus has 9 sentences"):
        m2.train(common_texts, total_examples=900, epochs=1)
    np.testing.assert_array_equal(m.wv.vectors, m2.wv.vectors)  # the wrong number changed no rate
    with pytest.warns(UserWarning, match=r"total_words=5\) but the corpus has 29 words"):
        m2.train(common_texts, total_words=5, epochs=1)


def test_corpus_file_and_its_errors(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("\n".join(" ".join(s) for s in common_texts) + "\n")
    a = w2v.Word2Vec(corpus_file=str(path), **TINY)
    b = w2v.Word2Vec(sentences=common_texts, **TINY)
    assert a.corpus_count == b.corpus_count == 9 and a.corpus_total_words == 29
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    with pytest.raises(TypeError, match="missing.txt"):
        w2v.Word2Vec(corpus_file=str(tmp_path / "missing.txt"))
    with pytest.raises(TypeError, match="not both"):
        w2v.Word2Vec(common_texts, corpus_file=str(path))


def test_vocabulary_rules_match_gensim():
    def rule(word, count, min_count):
        return {"human": w2v.RULE_DISCARD, "once": w2v.RULE_KEEP}.get(word, w2v.RULE_DEFAULT)

    assert (w2v.RULE_DEFAULT, w2v.RULE_DISCARD, w2v.RULE_KEEP) == (
        gensim.utils.RULE_DEFAULT, gensim.utils.RULE_DISCARD, gensim.utils.RULE_KEEP)
    corpus = common_texts + [["eps"], ["once"]]
    for kw in (dict(min_count=2, trim_rule=rule), dict(min_count=0), dict(min_count=1, null_word=1),
               dict(min_count=2, max_final_vocab=4), dict(min_count=1, sorted_vocab=0)):
        ours = w2v.Word2Vec(vector_size=4, workers=1, progress=False, **kw)
        ours.build_vocab(corpus, trim_rule=kw.get("trim_rule"))
        theirs = GensimWord2Vec(vector_size=4, workers=1, **{k: v for k, v in kw.items() if k != "trim_rule"})
        theirs.build_vocab(corpus, trim_rule=kw.get("trim_rule"))
        counts = {w: theirs.wv.get_vecattr(w, "count") for w in theirs.wv.index_to_key}
        assert dict(zip(ours.vocab.words, ours.vocab.counts.tolist())) == counts, kw
        if "trim_rule" in kw:
            assert "once" in counts and "human" not in counts  # the rule overrode min_count both ways
        if kw.get("sorted_vocab") == 0:
            assert ours.wv.index_to_key == theirs.wv.index_to_key  # first-seen order
    assert "\0" in ours.wv or w2v.Word2Vec(corpus, null_word=1, **TINY).wv.index_to_key[-1] == "\0"


def test_prepare_vocab_reports_like_gensim():
    for kw in (dict(max_final_vocab=4, min_count=4), dict(max_final_vocab=4, min_count=2)):
        ours, theirs = w2v.Word2Vec(vector_size=10, sample=0, **kw), GensimWord2Vec(vector_size=10, sample=0, **kw)
        assert ours.scan_vocab(common_texts) == theirs.scan_vocab(common_texts) == (29, 9)
        a, b = ours.prepare_vocab(), theirs.prepare_vocab()
        assert {k: a[k] for k in b} == b and ours.effective_min_count == theirs.effective_min_count


def test_build_vocab_from_freq_and_update():
    freq = {"minors": 2, "graph": 3, "system": 4, "trees": 3, "eps": 0}
    m = w2v.Word2Vec(vector_size=10, min_count=0, hs=1, negative=0, progress=False)
    m.build_vocab_from_freq(freq)
    assert len(m.wv) == 5 and m.wv.get_vecattr("system", "count") == 4
    m.build_vocab_from_freq({"graph": 1, "new": 2}, update=True)
    assert len(m.wv) == 6 and m.wv.get_vecattr("graph", "count") == 4
    m.train(common_texts, total_examples=9, epochs=1)  # count-0 words and a grown tree train fine


def test_online_update_with_hierarchical_softmax_only():
    """The crash of issue 13: hs=1, negative=0, then build_vocab(update=True)."""
    m = w2v.Word2Vec(common_texts, min_count=1, hs=1, negative=0, workers=1, progress=False)
    m.build_vocab(MORE, update=True)
    assert len(m.wv) == 14 and m.syn1.shape == (14, 100) and m.syn1neg.shape == (0, 100)
    m.train(MORE, total_examples=len(MORE), epochs=m.epochs)
    assert np.isfinite(m.wv.vectors).all()


def test_seed_none_draws_and_stores_a_seed():
    a = w2v.Word2Vec(common_texts, seed=None, **TINY)
    b = w2v.Word2Vec(common_texts, seed=None, **TINY)
    assert isinstance(a.seed, int) and a.seed != b.seed
    again = w2v.Word2Vec(common_texts, seed=a.seed, **TINY)
    np.testing.assert_array_equal(a.wv.vectors, again.wv.vectors)


def test_save_replaces_an_existing_file_and_a_failed_save_keeps_it(tmp_path, monkeypatch):
    path = tmp_path / "m.model"
    path.write_bytes(b"old content")
    m = w2v.Word2Vec(common_texts, **TINY)
    m.save(str(path))
    np.testing.assert_array_equal(w2v.Word2Vec.load(str(path)).wv.vectors, m.wv.vectors)
    before = path.read_bytes()
    monkeypatch.setattr(np, "savez", lambda *a, **k: (_ for _ in ()).throw(OSError("disk full")))
    with pytest.raises(OSError, match="disk full"):
        m.save(str(path))
    assert path.read_bytes() == before and [p.name for p in tmp_path.iterdir()] == ["m.model"]


def test_pickle_and_deepcopy_train_on():
    m = w2v.Word2Vec(common_texts, **TINY)
    for clone in (pickle.loads(pickle.dumps(m)), copy.deepcopy(m)):
        np.testing.assert_array_equal(clone.wv.vectors, m.wv.vectors)
        clone.train(common_texts, total_examples=9, epochs=1)
        assert clone.epochs_trained == 3 and not np.array_equal(clone.wv.vectors, m.wv.vectors)


def test_int_and_str_keys_survive_save_and_load(tmp_path):
    m = w2v.Word2Vec([[1, 2, "a"], [2, 3]] * 3, **TINY)
    m.save(tmp_path / "m")
    back = w2v.Word2Vec.load(tmp_path / "m")
    assert back.wv.index_to_key == m.wv.index_to_key and 2 in back.vocab.word_to_id
    with pytest.raises(TypeError, match="pickle the model"):
        w2v.Word2Vec([[(1, 2), "a"]] * 2, **TINY).save(tmp_path / "t")


def test_loss_and_callbacks_as_gensim_reports_them():
    seen = []

    class Log(w2v.CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append(model.get_latest_training_loss())

    m = w2v.Word2Vec(common_texts, **TINY, compute_loss=True, callbacks=[Log()])
    assert len(seen) == 2 and 0 < seen[0] < seen[1] == m.get_latest_training_loss()
    m.train(common_texts, total_examples=9, epochs=1)  # compute_loss=False: gensim's train default
    assert m.get_latest_training_loss() == 0.0 and len(seen) == 2  # callbacks are not kept


def test_predict_output_word_and_score_match_gensim():
    corpus = [["a"] * 1 + ["b"] * 2 + ["c"] * 3 + ["d"] * 4 + ["e"] * 5 + ["f"] * 6]  # distinct counts: one tree
    theirs = GensimWord2Vec(corpus, vector_size=6, min_count=1, hs=1, negative=3, workers=1, epochs=3, seed=2)
    ours = w2v.Word2Vec(**TINY)
    ours = ours.from_gensim_state(_state_of(theirs))
    _same_ranking(ours.predict_output_word(["b", "c"], topn=3), theirs.predict_output_word(["b", "c"], topn=3))
    assert ours.predict_output_word(["zz"]) is None
    for sg in (0, 1):
        theirs.sg = ours.sg = sg
        # gensim reads log(sigmoid) from a 1000-step table, rounding down (~2% lower); w2v computes it
        np.testing.assert_allclose(ours.score(corpus + [["a", "f", "b"]]), theirs.score(corpus + [["a", "f", "b"]]),
                                   rtol=0.04)
    assert ours.estimate_memory() == theirs.estimate_memory()
    with pytest.raises(RuntimeError, match="hierarchical softmax"):
        w2v.Word2Vec(common_texts, **TINY).score(common_texts)


def _same_ranking(ours, theirs):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([p for _, p in ours], [p for _, p in theirs], rtol=1e-5)


def _state_of(g):
    """What w2v.gensim_pickle.load_gensim_word2vec returns, taken from a live gensim model."""
    names = ("vector_size", "window", "min_count", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "sample",
             "alpha", "min_alpha", "epochs", "workers", "seed", "max_vocab_size", "max_final_vocab")
    return {"params": {n: getattr(g, n) for n in names}, "words": list(g.wv.index_to_key),
            "counts": g.wv.expandos["count"].astype(np.int64), "vectors": g.wv.vectors,
            "syn1neg": getattr(g, "syn1neg", None), "syn1": getattr(g, "syn1", None),
            "vectors_lockf": g.wv.vectors_lockf, "corpus_count": g.corpus_count,
            "corpus_total_words": g.corpus_total_words, "running_training_loss": g.running_training_loss}


def test_a_gensim_model_converts_and_trains_on():
    g = GensimWord2Vec(common_texts * 20, vector_size=12, min_count=1, workers=1, seed=4)
    m = w2v.Word2Vec.from_gensim_state(_state_of(g))
    np.testing.assert_array_equal(m.wv.vectors, g.wv.vectors)
    np.testing.assert_array_equal(m.syn1neg, g.syn1neg)
    _same_ranking(m.wv.most_similar("graph", topn=3), g.wv.most_similar("graph", topn=3))
    assert (m.window, m.corpus_count, m.negative) == (g.window, 180, 5)
    m.build_vocab(MORE, update=True)
    m.train(MORE, total_examples=len(MORE), epochs=1)
    assert len(m.wv) == 14


def test_graph_embedding_flow_runs_unchanged():
    """What node2vec-style clients do: int walks, min_count=0, seed=None, batch_words, hs=1, sg=1.

    The walks go round a ring of 30 nodes, so a node's nearest neighbours must be the nodes next to
    it on the ring: in 20 runs (seed=None) every node's 4 nearest were within 3 steps."""
    rng = np.random.default_rng(0)
    ring = 30
    walks = [[int((start + k) % ring) for k in range(12)] for start in rng.integers(0, ring, 1000)]
    model = w2v.Word2Vec(walks, vector_size=16, window=3, min_count=0, sg=1, hs=1, negative=0, workers=1,
                         epochs=5, seed=None, batch_words=4, progress=False)
    wv = model.wv
    assert sorted(wv.key_to_index) == list(range(ring))
    assert all(type(key) is int and wv.index_to_key[wv.key_to_index[key]] == key for key in range(ring))
    for key in range(ring):  # keys, not row numbers: wv[key] is the key's row wherever it was sorted
        np.testing.assert_array_equal(wv[key], wv.vectors[wv.key_to_index[key]])

    def ring_steps(a, b):
        return min(abs(a - b), ring - abs(a - b))

    for node in range(ring):
        neighbours = [key for key, _ in wv.most_similar(node, topn=4)]
        assert all(type(key) is int for key in neighbours), neighbours
        assert sum(ring_steps(node, key) <= 3 for key in neighbours) >= 3, (node, neighbours)
    mixed = w2v.Word2Vec([["a", 1, "b", 2]] * 5, min_count=0, **{k: v for k, v in TINY.items() if k != "min_count"})
    assert set(mixed.wv.key_to_index) == {"a", 1, "b", 2}


def test_no_import_circle_between_model_training_and_checkpoint():
    root = Path(w2v.__file__).parent

    def imports(name):
        tree = ast.parse((root / f"{name}.py").read_text())
        return {n.module.lstrip(".") for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module} | \
               {a.name for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level and not n.module
                for a in n.names}

    assert "model" not in imports("checkpoint") | imports("training") | imports("gensim_compat")
    assert "restart" not in imports("checkpoint") | imports("model")


def test_empty_input_raises_what_gensim_raises():
    with pytest.raises(RuntimeError):
        w2v.Word2Vec([])
    with pytest.raises(RuntimeError, match="min_count"):
        w2v.Word2Vec(common_texts, min_count=100)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert gensim_compat.unknown_parameter("sentencs", gensim_compat.GENSIM_NAMES).args[0].endswith("'sentences'?")


def test_models_from_gensim_keep_gensims_huffman_tree(tmp_path):
    """gensim builds its tree with a heap: among equal counts it differs from word2vec.c's, so a
    gensim model's syn1 rows only fit gensim's tree; w2v rebuilds that tree for such models."""
    from gensim.models.word2vec import _assign_binary_codes
    from w2v.vocab import build_huffman_gensim

    g = GensimWord2Vec(common_texts * 5, vector_size=6, min_count=1, hs=1, negative=0, workers=1, seed=1)
    _assign_binary_codes(g.wv)
    m = w2v.Word2Vec.from_gensim_state(_state_of(g))
    codes, points, lengths = m.vocab.huffman()  # the tree w2v trains and scores this model with
    ours = w2v.vocab.build_huffman(m.vocab.counts)  # word2vec.c's tree: differs here (equal counts)
    assert not all(np.array_equal(x, y) for x, y in zip(ours, (codes, points, lengths)))
    for i in range(len(g.wv)):
        assert codes[i, :lengths[i]].tolist() == g.wv.get_vecattr(i, "code").tolist()
        assert points[i, :lengths[i]].tolist() == g.wv.get_vecattr(i, "point").tolist()
    np.testing.assert_array_equal(build_huffman_gensim(m.vocab.counts)[1], points)
    np.testing.assert_allclose(m.score(common_texts), g.score(common_texts), rtol=0.04)
    m.build_vocab(MORE, update=True)
    m.save(tmp_path / "m")
    assert w2v.Word2Vec.load(tmp_path / "m").vocab.huffman_kind == "gensim"


def test_word2vec_load_reads_gensim_files(tmp_path):
    """Word2Vec.load tells gensim's pickles from w2v's .npz and reads them without running them."""
    pytest.importorskip("w2v.gensim_pickle")  # the restricted unpickler (helper gensim-kv's module)
    g = GensimWord2Vec(common_texts * 20, vector_size=12, min_count=1, hs=1, negative=3, workers=1, seed=4)
    path = str(tmp_path / "g.model")
    g.save(path, sep_limit=0)  # arrays in separate .npy files, as gensim does for large models
    for mmap in (None, "r"):
        m = w2v.Word2Vec.load(path, mmap=mmap)
        np.testing.assert_array_equal(m.wv.vectors, g.wv.vectors)
        np.testing.assert_array_equal(m.syn1, g.syn1)
        _same_ranking(m.wv.most_similar("graph", topn=3), g.wv.most_similar("graph", topn=3))
        m.train(common_texts, total_examples=9, epochs=1)  # a read-only memory map trains a copy
    assert w2v.load(path).window == g.window
    g.wv.save(str(tmp_path / "g.kv"))
    with pytest.raises(AttributeError, match="KeyedVectors"):
        w2v.Word2Vec.load(str(tmp_path / "g.kv"))
