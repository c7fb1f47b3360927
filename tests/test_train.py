"""w2v.train end to end: parameter validation, determinism, loss, callbacks, continued and online
training, save/load, and quality on real text (the bundled Wikipedia sample)."""
import json
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v.corpus import CorpusError

FAST = dict(vector_size=24, epochs=1, workers=1, progress=False, min_count=3)


@pytest.mark.parametrize("param,value,error,text", [
    ("vector_size", 0, ValueError, "vector_size must be >= 1, got 0"),
    ("vector_size", 10.5, TypeError, "vector_size must be an int"),
    ("window", 0, ValueError, "window must be >= 1"),
    ("workers", 0, ValueError, "workers must be >= 1"),
    ("min_count", -1, ValueError, "min_count"),
    ("negative", -2, ValueError, "negative"),
    ("sg", 2, ValueError, "sg must be 0 or 1"),
    ("hs", True, TypeError, "hs must be an int"),
    ("alpha", 0.0, ValueError, "alpha must be > 0"),
    ("alpha", float("nan"), ValueError, "alpha must be finite"),
    ("sample", -1e-3, ValueError, "sample must be >= 0"),
    ("epochs", 0, ValueError, "epochs must be >= 1"),
    ("kernel", "fast", ValueError, "kernel='fast'"),
    ("seed", "1", TypeError, "seed must be an int"),
    ("max_final_vocab", 0, ValueError, "max_final_vocab"),
])
def test_bad_parameters_are_named(param, value, error, text):
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        w2v.train([["a", "b"]], **{param: value})


def test_parameter_combinations_and_unknown_names():
    with pytest.raises(ValueError, match="negative=0 with hs=0"):
        w2v.Word2Vec(negative=0, hs=0)
    with pytest.raises(ValueError, match="min_alpha"):
        w2v.Word2Vec(alpha=0.01, min_alpha=0.1)
    with pytest.raises(TypeError, match="size"):
        w2v.Word2Vec(size=100)  # gensim 3's name
    with pytest.raises(TypeError, match="has none of the methods"):
        w2v.Word2Vec(callbacks=[object()])


def test_bad_corpora_fail_before_training(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.txt"):
        w2v.train(tmp_path / "missing.txt")
    with pytest.raises(TypeError, match="sentence 0 is a str"):
        w2v.train(["a plain", "list of strings"])
    with pytest.raises(ValueError, match="no word of the corpus reaches min_count=5"):
        w2v.train([["a", "b", "c"]], progress=False)
    with pytest.raises(CorpusError, match="no tokens"):
        w2v.train([[], []])


def test_one_shot_generator_trains_in_one_pass(sentences_200k):
    model = w2v.train((s for s in sentences_200k[:2000]), **FAST)
    assert len(model.wv) > 100
    assert model.corpus_total_words == sum(map(len, sentences_200k[:2000]))


def test_consumed_generator_is_reported_when_trained_again(sentences_200k):
    gen = (s for s in sentences_200k[:2000])
    model = w2v.train(gen, **FAST)
    with pytest.raises(CorpusError, match="one-shot"):
        model.train(gen, total_examples=2000, epochs=1)


DETERMINISM = """
import sys, json, w2v
sys.path.insert(0, {tests!r})
from conftest import sample_words
words = sample_words(60000)
corpus = [words[i:i + 50] for i in range(0, len(words), 50)]
m = w2v.train(corpus, vector_size=16, epochs=2, workers=1, seed={seed}, sg={sg}, hs={hs}, progress=False, min_count=2)
print(json.dumps([m.wv.vectors.sum().item(), m.wv.vectors[:50].tobytes().hex()[:4000], m.loss_history]))
"""


def _train_in_subprocess(seed, sg=1, hs=0):
    code = DETERMINISM.format(tests=str(__import__("pathlib").Path(__file__).parent), seed=seed, sg=sg, hs=hs)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**__import__("os").environ, "PYTHONHASHSEED": "random"})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("sg,hs", [(1, 0), (0, 1)])
def test_one_worker_is_bit_identical_across_processes(sg, hs):
    a, b = _train_in_subprocess(7, sg, hs), _train_in_subprocess(7, sg, hs)
    assert a == b
    assert _train_in_subprocess(8, sg, hs)[1] != a[1]


def test_loss_history_and_callbacks(sentences_200k):
    events = []

    class Recorder:
        def on_train_begin(self, model):
            events.append("begin")

        def on_epoch_end(self, model):
            events.append(("epoch", model.epochs_trained, len(model.loss_history)))

        def on_train_end(self, model):
            events.append("end")

    model = w2v.train(sentences_200k, **{**FAST, "epochs": 3}, callbacks=[Recorder()])
    assert events == ["begin", ("epoch", 1, 1), ("epoch", 2, 2), ("epoch", 3, 3), "end"]
    loss = model.loss_history
    assert len(loss) == 3 and all(isinstance(x, float) and x > 0 for x in loss)
    assert loss[2] < loss[0]  # it learns


def test_loss_does_not_depend_on_worker_count(sentences_200k):
    one = w2v.train(sentences_200k, **{**FAST, "workers": 1}).loss_history[0]
    two = w2v.train(sentences_200k, **{**FAST, "workers": 2}).loss_history[0]
    assert abs(one - two) / one < 0.05


def test_continue_training_and_save_load(tmp_path, sentences_200k):
    model = w2v.train(sentences_200k, **FAST)
    path = tmp_path / "model.npz"
    model.save(path)
    loaded = w2v.load(path)
    assert loaded.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(loaded.wv.vectors, model.wv.vectors)
    np.testing.assert_array_equal(loaded.syn1neg, model.syn1neg)
    before = loaded.wv.vectors.copy()
    loaded.train(sentences_200k, total_examples=len(sentences_200k), epochs=1)
    assert loaded.epochs_trained == 2 and len(loaded.loss_history) == 2
    assert not np.array_equal(before, loaded.wv.vectors)
    with pytest.raises(ValueError, match="not a w2v model"):
        (tmp_path / "junk.npz").write_bytes(b"not a zip")
        w2v.load(tmp_path / "junk.npz")


def test_online_vocabulary_update_keeps_old_vectors(sentences_200k):
    model = w2v.train(sentences_200k[:3000], **FAST)
    old_words = list(model.wv.index_to_key)
    old_vectors = model.wv.vectors.copy()
    model.build_vocab([["zyzzyva", "quokka"] * 3] * 2, update=True)
    assert model.wv.index_to_key[:len(old_words)] == old_words
    assert model.wv.index_to_key[-2:] == ["zyzzyva", "quokka"]
    np.testing.assert_array_equal(model.wv.vectors[:len(old_words)], old_vectors)
    model.train(total_examples=model.corpus_count, epochs=model.epochs)  # the corpus just scanned
    assert model.syn1neg.shape == model.wv.vectors.shape


def test_training_only_touches_the_vocabulary_rows_it_sees():
    corpus = [["a", "b", "c", "d"] * 5] * 20
    model = w2v.Word2Vec(**{**FAST, "min_count": 1}, sample=0)
    model.build_vocab(corpus + [["lonely"]])
    lonely = model.wv.key_to_index["lonely"]
    before = model.wv.vectors[lonely].copy()
    model.train(corpus, total_examples=len(corpus), epochs=model.epochs)
    np.testing.assert_array_equal(model.wv.vectors[lonely], before)


def test_initial_vectors_are_uniform_like_gensim():
    """Input rows start uniform in [-1, 1)/vector_size (gensim 4), output rows at zero."""
    model = w2v.Word2Vec(vector_size=40, min_count=1, progress=False)
    model.build_vocab([[f"w{i}" for i in range(3000)]])
    v = model.wv.vectors
    assert v.min() >= -1 / 40 and v.max() < 1 / 40
    assert abs(v.std() - (2 / 40) / np.sqrt(12)) < 1e-4
    assert not model.syn1neg.any()




def test_thread_scratch_buffers_never_share_a_cache_line():
    from w2v.training import CACHE_LINE, ThreadScratch
    scratch = [ThreadScratch(w2v.TrainParams(negative=3, window=2, vector_size=5), 7, 3) for _ in range(2)]
    lines = [set(range(a.ctypes.data // CACHE_LINE, (a.ctypes.data + a.nbytes - 1) // CACHE_LINE + 1))
             for s in scratch for a in vars(s).values() if isinstance(a, np.ndarray)]
    assert all(a.ctypes.data % CACHE_LINE == 0 for s in scratch for a in vars(s).values() if isinstance(a, np.ndarray))
    assert sum(map(len, lines)) == len(set().union(*lines))  # no line belongs to two buffers
