"""w2v.fasttext.FastText: gensim's API, vectors for unseen words, persistence, Facebook's files, quality."""
import lzma
import struct

import numpy as np
import pytest

import w2v
from w2v.callbacks import CallbackAny2Vec
from w2v.fasttext import (FacebookFormatError, FastText, FastTextKeyedVectors, ft_ngram_hashes, load_facebook_model,
                          load_facebook_vectors, save_facebook_model)

TEXTS = [["human", "interface", "computer"], ["survey", "user", "computer", "system", "response", "time"],
         ["eps", "user", "interface", "system"], ["system", "human", "system", "eps"],
         ["user", "response", "time"], ["trees"], ["graph", "trees"], ["graph", "minors", "trees"],
         ["graph", "minors", "survey"]] * 20


def small(**kw):
    params = dict(vector_size=12, min_count=1, bucket=500, epochs=3, workers=1, seed=3, progress=False)
    params.update(kw)
    return FastText(TEXTS, **params)


@pytest.fixture(scope="module")
def sample_sentences():
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        words = f.read(4_000_000).split()[:400_000]
    return [words[i:i + 1000] for i in range(0, len(words), 1000)]


def test_signature_is_gensims():
    import inspect
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    ours = list(inspect.signature(FastText.__init__).parameters.items())
    theirs = list(inspect.signature(gensim_ft.FastText.__init__).parameters.items())
    assert [(n, p.default) for n, p in ours[:len(theirs)]] == [(n, p.default) for n, p in theirs]


@pytest.mark.slow  # five small trainings on the sample
@pytest.mark.parametrize("sg,hs,negative", [(0, 0, 5), (1, 0, 5), (0, 1, 0), (1, 1, 0), (1, 1, 3)])
def test_every_mode_trains_and_composes_vectors(sg, hs, negative):
    model = small(sg=sg, hs=hs, negative=negative)
    wv = model.wv
    assert isinstance(wv, FastTextKeyedVectors) and len(wv) == 12
    assert wv.vectors_vocab.shape == (12, 12) and wv.vectors_ngrams.shape == (500, 12)
    w = wv.key_to_index["computer"]
    rows = [wv.vectors_vocab[w]] + [wv.vectors_ngrams[h] for h in ft_ngram_hashes("computer", 3, 6, 500)]
    np.testing.assert_allclose(wv["computer"], np.mean(rows, axis=0), rtol=1e-5, atol=1e-6)
    assert model.epochs_trained == 3 and np.isfinite(wv.vectors).all()


def test_training_moves_both_tables_and_the_composite():
    model = FastText(vector_size=12, min_count=1, bucket=500, workers=1, progress=False)
    model.build_vocab(TEXTS)
    vocab0, ngrams0, vec0 = (model.wv.vectors_vocab.copy(), model.wv.vectors_ngrams.copy(),
                             model.wv.vectors.copy())
    model.train(TEXTS, total_examples=model.corpus_count, epochs=2)
    assert not np.allclose(model.wv.vectors_vocab, vocab0)
    assert not np.allclose(model.wv.vectors_ngrams, ngrams0)
    assert not np.allclose(model.wv.vectors, vec0)


def test_unseen_word_is_the_mean_of_its_ngram_rows_and_contains_is_true():
    wv = small().wv
    hashes = ft_ngram_hashes("computers", 3, 6, 500)
    np.testing.assert_allclose(wv["computers"], wv.vectors_ngrams[hashes].mean(axis=0), rtol=1e-5)
    assert "computers" in wv and "computers" not in wv.key_to_index
    assert wv[["computers", "human"]].shape == (2, 12)
    assert wv.similarity("computers", "computer") > 0.5


def test_no_buckets_means_unknown_words_are_key_errors():
    model = small(bucket=0)
    assert "computers" not in model.wv
    with pytest.raises(KeyError):
        model.wv["computers"]
    np.testing.assert_array_equal(model.wv["computer"], model.wv.vectors_vocab[model.wv.key_to_index["computer"]])


def test_max_n_below_min_n_turns_ngrams_off_like_gensim():
    assert small(min_n=5, max_n=4).wv.bucket == 0


def test_queries_accept_unseen_words_and_answer_vocabulary_words():
    wv = small(epochs=10).wv
    sims = wv.most_similar("computerz", topn=3)
    assert len(sims) == 3 and all(w in wv.key_to_index for w, _ in sims)
    assert wv.most_similar(positive=["human", "computerz"], negative=["trees"], topn=2)
    assert 0.0 <= wv.distance("graphs", "graph") <= 2.0
    assert wv.n_similarity(["graphs", "trees"], ["graph"]) > 0
    assert wv.vectors_for_all(["graph", "graphz"]).vectors.shape == (2, 12)
    assert len(wv.vectors_for_all(["graph", "graphz"], allow_inference=False)) == 1


def test_bad_settings_are_refused_by_name():
    with pytest.raises(NotImplementedError):
        FastText(word_ngrams=2)
    with pytest.raises(ValueError, match="min_n"):
        FastText(min_n=-1)
    with pytest.raises(TypeError, match="bucket"):
        FastText(bucket=1.5)
    with pytest.raises(RuntimeError, match="build vocabulary"):
        FastText(progress=False).train(TEXTS, total_examples=1, epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        small().train(TEXTS, total_examples=1)


def test_continued_training_with_new_words_keeps_old_rows():
    model = small()
    old_rows = model.wv.vectors_vocab.copy()
    ngrams = model.wv.vectors_ngrams
    model.build_vocab([["quantum", "computer", "quantum", "qubit"]] * 3, update=True)
    assert {"quantum", "qubit"} <= set(model.wv.key_to_index) and len(model.wv) == 14
    np.testing.assert_array_equal(model.wv.vectors_vocab[:12], old_rows)
    np.testing.assert_array_equal(model.wv.vectors_ngrams, ngrams)
    model.train([["quantum", "computer", "qubit"]] * 3, total_examples=3, epochs=2)
    assert model.epochs_trained == 5 and np.isfinite(model.wv.vectors).all()


def test_callbacks_and_loss():
    seen = []

    class Recorder(CallbackAny2Vec):
        def on_epoch_end(self, model):
            seen.append(model.epochs_trained)

    model = small(compute_loss=True, callbacks=[Recorder()], epochs=2)
    assert seen == [1, 2]
    assert model.get_latest_training_loss() > 0 and len(model.loss_history) == 2


def test_single_worker_runs_repeat_exactly():
    a, b = small(seed=5), small(seed=5)
    np.testing.assert_array_equal(a.wv.vectors, b.wv.vectors)
    assert not np.array_equal(a.wv.vectors, small(seed=6).wv.vectors)


def test_model_save_load_round_trip_and_continue(tmp_path):
    model = small(sg=1)
    path = tmp_path / "m.npz"
    model.save(str(path))
    loaded = FastText.load(str(path))
    for name in ("vectors", "vectors_vocab", "vectors_ngrams"):
        np.testing.assert_array_equal(getattr(loaded.wv, name), getattr(model.wv, name))
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    np.testing.assert_array_equal(loaded.wv["unseenword"], model.wv["unseenword"])
    assert (loaded.sg, loaded.wv.bucket, loaded.epochs_trained) == (1, 500, 3)
    loaded.train(TEXTS, total_examples=len(TEXTS), epochs=1)
    assert loaded.epochs_trained == 4
    with pytest.raises(AttributeError):
        model.load(str(path))


def test_vectors_save_load_and_word2vec_format(tmp_path):
    wv = small().wv
    wv.save(str(tmp_path / "v.npz"))
    back = FastTextKeyedVectors.load(str(tmp_path / "v.npz"))
    np.testing.assert_array_equal(back["unseenword"], wv["unseenword"])
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    wv.save_word2vec_format(str(tmp_path / "v.txt"))
    plain = w2v.KeyedVectors.load_word2vec_format(str(tmp_path / "v.txt"))
    np.testing.assert_allclose(plain["graph"], wv["graph"], atol=1e-6)


def test_damaged_model_file_is_an_error_naming_it(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="bad.npz"):
        FastText.load(str(bad))


# ---- Facebook's format ------------------------------------------------------------------------------

def test_facebook_round_trip_in_w2v(tmp_path):
    model = small(sg=1)
    path = tmp_path / "m.bin"
    save_facebook_model(model, str(path))
    back = load_facebook_model(str(path))
    for word in ("graph", "unseenword", "интерфейс"):
        np.testing.assert_array_equal(back.wv[word], model.wv[word])
    np.testing.assert_array_equal(back.syn1neg, model.syn1neg)
    assert (back.sg, back.window, back.wv.min_n, back.wv.max_n, back.wv.bucket) == (1, 5, 3, 6, 500)
    kv = load_facebook_vectors(str(path))
    np.testing.assert_array_equal(kv["unseenword"], model.wv["unseenword"])


def test_truncated_and_damaged_facebook_files_name_the_file(tmp_path):
    path = tmp_path / "m.bin"
    save_facebook_model(small(), str(path))
    data = path.read_bytes()
    for cut in (3, 30, 70, len(data) // 2, len(data) - 1):
        (tmp_path / "cut.bin").write_bytes(data[:cut])
        with pytest.raises(FacebookFormatError, match="cut.bin"):
            load_facebook_model(str(tmp_path / "cut.bin"))
    (tmp_path / "extra.bin").write_bytes(data + b"x")
    with pytest.raises(FacebookFormatError, match="after the output matrix"):
        load_facebook_model(str(tmp_path / "extra.bin"))
    (tmp_path / "text.bin").write_bytes(b"this is a text file, not a model\n" * 10)
    with pytest.raises(FacebookFormatError, match="text.bin"):
        load_facebook_model(str(tmp_path / "text.bin"))
    damaged = bytearray(data)
    damaged[8:12] = struct.pack("<i", -7)  # dim
    (tmp_path / "dim.bin").write_bytes(bytes(damaged))
    with pytest.raises(FacebookFormatError, match="dim"):
        load_facebook_model(str(tmp_path / "dim.bin"))


def _unseen(words):
    return [w + "zq" for w in words] + [w[:-1] for w in words if len(w) > 4]


@pytest.mark.parametrize("sg", [0, 1])
def test_gensim_saved_model_loads_with_the_same_vectors(tmp_path, sg):
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    g = gensim_ft.FastText(TEXTS, vector_size=12, min_count=1, bucket=500, epochs=2, sg=sg, workers=1)
    path = str(tmp_path / "g.bin")
    gensim_ft.save_facebook_model(g, path)
    ours = load_facebook_model(path)
    words = list(g.wv.index_to_key)
    for word in words + _unseen(words):
        np.testing.assert_allclose(ours.wv[word], g.wv[word], atol=1e-5, err_msg=word)
    np.testing.assert_allclose(ours.syn1neg, g.syn1neg, atol=1e-6)


@pytest.mark.parametrize("hs", [0, 1])
def test_w2v_saved_model_loads_in_gensim_with_the_same_vectors(tmp_path, hs):
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    model = small(hs=hs, negative=0 if hs else 5)
    path = str(tmp_path / "w.bin")
    save_facebook_model(model, path)
    g = gensim_ft.load_facebook_model(path)
    words = list(model.wv.index_to_key)
    for word in words + _unseen(words):
        np.testing.assert_allclose(g.wv[word], model.wv[word], atol=1e-5, err_msg=word)
    assert (g.hs, g.sg, g.wv.bucket) == (hs, 0, 500)
    g.train(TEXTS, total_examples=len(TEXTS), epochs=1)  # gensim can continue training it


@pytest.mark.parametrize("name", ["lee_fasttext.bin", "crime-and-punishment.bin", "lee_fasttext_new.bin",
                                  "non_ascii_fasttext.bin"])
def test_files_written_by_fasttext_load_like_gensim(name):
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    from gensim.test.utils import datapath
    g = gensim_ft.load_facebook_model(datapath(name))
    ours = load_facebook_model(datapath(name))
    assert ours.wv.index_to_key == g.wv.index_to_key
    words = g.wv.index_to_key[:100]
    for word in words + _unseen(words) + ["landlord", "steamtrain"]:
        np.testing.assert_allclose(ours.wv[word], g.wv[word], atol=1e-5, err_msg=word)


# ---- quality on real text -------------------------------------------------------------------------

NUMBERS = {"one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "zero"}


@pytest.mark.parametrize("sg,kernel", [(0, "auto"), (1, "auto"), (1, "exact")])
def test_quality_against_gensim_on_real_text(sample_sentences, sg, kernel):
    """Same settings, same text: numbers neighbour numbers, unseen endings stay near their word,
    and w2v's analogy-free score (mean cosine of each number to the others) is close to gensim's."""
    gensim_ft = pytest.importorskip("gensim.models.fasttext")
    settings = dict(vector_size=50, min_count=5, epochs=2, sg=sg, bucket=200_000, workers=2)
    ours = FastText(sample_sentences, progress=False, kernel=kernel, **settings)
    theirs = gensim_ft.FastText(sample_sentences, **settings)
    near = [w for w, _ in ours.wv.most_similar("three", topn=10)]
    assert len(NUMBERS & set(near)) >= 4, near

    def number_cohesion(wv):
        nums = sorted(NUMBERS)
        return np.mean([wv.similarity(a, b) for a in nums for b in nums if a < b])

    def unseen_cosine(wv):
        words = [w for w in wv.index_to_key[200:1200] if len(w) > 5 and w.isalpha()]
        return np.mean([wv.similarity(w, w[:-2] + "qx") for w in words])

    assert number_cohesion(ours.wv) > 0.8 * number_cohesion(theirs.wv)
    assert unseen_cosine(ours.wv) > unseen_cosine(theirs.wv) - 0.05


def test_ngram_table_values_do_not_depend_on_the_thread_count():
    from w2v.fasttext.model import random_rows
    one = random_rows(5000, 10, seed=7, stream=1, threads=1)
    three = random_rows(5000, 10, seed=7, stream=1, threads=3)
    np.testing.assert_array_equal(one, three)
    assert one.dtype == np.float32 and one.min() >= -0.1 and one.max() < 0.1
    assert abs(float(one.mean())) < 0.005 and one.std() > 0.05  # uniform on [-1/d, 1/d), not constant
    assert not np.array_equal(one, random_rows(5000, 10, seed=8, stream=1, threads=1))


@pytest.mark.parametrize("sg", [0, 1])
@pytest.mark.parametrize("kernel", ["exact", "shared", "batched"])
def test_every_kernel_trains(sg, kernel):
    untrained = FastText(vector_size=12, min_count=1, bucket=500, seed=3, sg=sg, kernel=kernel, progress=False)
    untrained.build_vocab(TEXTS)
    model = small(sg=sg, kernel=kernel, epochs=8, compute_loss=True)
    assert model.params.sg_kernel == kernel
    assert np.isfinite(model.wv.vectors).all()
    assert not np.allclose(model.wv.vectors_ngrams, untrained.wv.vectors_ngrams)
    assert not np.allclose(model.wv.vectors_vocab, untrained.wv.vectors_vocab)
    assert model.loss_history[-1] < 0.9 * model.loss_history[0]  # it learns
