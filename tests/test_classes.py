"""Word classes: word2vec.c's k-means (reference transcription), quality on real text, the CLI flag."""
from __future__ import annotations

import numpy as np
import pytest

import w2v
from w2v.classes import kmeans, save_classes, word_classes
from w2v.cli import main
from w2v.kernels import phrases_reference as ref


class Vectors:
    def __init__(self, vectors):
        self.vectors = vectors
        self.index_to_key = [f"w{i}" for i in range(len(vectors))]


def test_kmeans_matches_word2vec_c_transcription():
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(5, 8))
    vectors = (centres[rng.integers(0, 5, 120)] + 0.3 * rng.normal(size=(120, 8))).astype(np.float32)
    for k in (1, 4, 7):
        assert kmeans(Vectors(vectors), k).tolist() == ref.kmeans_word2vec_c(vectors, k).tolist()
    assert kmeans(Vectors(vectors), 4, seed=3).tolist() == kmeans(Vectors(vectors), 4, seed=3).tolist()


def test_empty_class_stays_empty():
    vectors = np.array([[1, 0], [0.9, 0.1], [1, 0.05], [0.95, 0]], np.float32)
    labels = kmeans(Vectors(vectors), 3)
    assert labels.tolist() == ref.kmeans_word2vec_c(vectors, 3).tolist()


@pytest.mark.parametrize("k, message", [(0, ">= 1"), (-2, ">= 1"), (2.5, ">= 1"), (5, "only 4 words")])
def test_bad_k(k, message):
    with pytest.raises(ValueError, match=message):
        kmeans(Vectors(np.ones((4, 2), np.float32)), k)


@pytest.fixture(scope="module")
def sample_model():
    # one worker: seeded training is then deterministic (two Hogwild threads are not)
    return w2v.train(w2v.sample_corpus_path(), sg=0, vector_size=50, epochs=3, workers=1, seed=1, progress=False)


def test_obvious_groups_land_together(sample_model, tmp_path):
    """On the bundled sample (2M words), 20 classes: months and number words each form one class;
    the (rare: 13-73 occurrences) day names share at most 3 classes, most of them one (7 random
    words would spread over about 6). Measured: days in 2 classes, 6 of 7 in one."""
    classes = word_classes(sample_model.wv, 20)
    months = "january february march april june july august september october november december".split()
    numbers = "one two three four five six seven eight nine".split()
    days = "monday tuesday wednesday thursday friday saturday sunday".split()
    assert len({classes[w] for w in months}) == 1
    assert len({classes[w] for w in numbers}) == 1
    assert len({classes[w] for w in days}) <= 3
    assert max(np.bincount([classes[w] for w in days])) >= 4
    sizes = np.bincount(list(classes.values()))
    assert sizes[classes["january"]] < len(classes) / 8 and sizes[classes["one"]] < len(classes) / 8
    save_classes(tmp_path / "c.txt", sample_model.wv, kmeans(sample_model.wv, 20))
    lines = (tmp_path / "c.txt").read_text().splitlines()
    assert lines[0] == f"{sample_model.wv.index_to_key[0]} {classes[sample_model.wv.index_to_key[0]]}"
    assert len(lines) == len(sample_model.wv)


def test_cli_classes(tmp_path, capsys, monkeypatch):
    corpus = tmp_path / "c.txt"
    corpus.write_text(("the cat sat on the mat and the dog sat on the log " * 40 + "\n") * 5)
    out = tmp_path / "classes.txt"
    assert main(["-train", str(corpus), "-output", str(out), "-classes", "3", "-size", "8", "-iter", "1",
                 "-min-count", "1", "-threads", "1", "-q"]) == 0
    rows = [line.split() for line in out.read_text().splitlines()]
    assert {w for w, _ in rows} == {"the", "cat", "sat", "on", "mat", "and", "dog", "log"}
    classes = [int(c) for _, c in rows]
    assert set(classes) <= {0, 1, 2}
    assert len(set(classes)) >= 2, rows  # k-means, not every word in one class (seeds 1-4: all 3 classes used)
    trained = []
    monkeypatch.setattr(w2v.Word2Vec, "train", lambda self, *a, **k: trained.append(1))
    assert main(["-train", str(corpus), "-output", str(out), "-classes", "50", "-size", "8", "-iter", "1",
                 "-min-count", "1", "-threads", "1", "-q"]) == 2
    assert "-classes 50 asks for more classes than the 8 words" in capsys.readouterr().err
    assert trained == []  # refused after the vocabulary scan, before any training
    assert main(["-train", str(corpus), "-output", str(out), "-classes", "-1", "-q"]) == 2
    assert "-classes must be a number of word classes >= 1" in capsys.readouterr().err
