"""KeyedVectors.embedding_matrix (weights for Keras/PyTorch embedding layers) and its example script."""
from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2v.vectors import KeyedVectors

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "embedding_layer.py"


@pytest.fixture
def wv():
    table = np.random.default_rng(2).normal(0.3, 2.0, (50, 6)).astype(np.float32)
    return KeyedVectors.from_vectors(table, [f"w{i}" for i in range(50)])


def test_keras_word_index_rows_are_the_vectors(wv):
    word_index = {"w3": 1, "w0": 2, "w49": 3, "unknown": 4, "w7": 5}  # Keras: 1-based, 0 = padding
    matrix = wv.embedding_matrix(word_index)
    assert matrix.shape == (6, wv.vector_size) and matrix.dtype == np.float32
    np.testing.assert_array_equal(matrix[0], 0)
    ids = np.array([1, 2, 3, 5, 1])
    np.testing.assert_array_equal(matrix[ids], wv[["w3", "w0", "w49", "w7", "w3"]])
    np.testing.assert_array_equal(matrix[4], 0)  # oov="zeros"


def test_pytorch_stoi_with_padding_elsewhere_and_return_missing(wv):
    stoi = {"<unk>": 0, "<pad>": 1, "w5": 2, "zzz": 3, "w6": 4}
    matrix, missing = wv.embedding_matrix(stoi, oov="mean", padding_idx=1, return_missing=True)
    assert missing == ["<unk>", "zzz"]  # index order; the padding token is not "missing"
    np.testing.assert_array_equal(matrix[1], 0)
    np.testing.assert_allclose(matrix[[0, 3]], np.tile(wv.vectors.mean(axis=0), (2, 1)), rtol=1e-6)
    np.testing.assert_array_equal(matrix[[2, 4]], wv[["w5", "w6"]])


def test_padding_options_and_gaps(wv):
    stoi = {"w1": 0, "w2": 1}
    no_padding = wv.embedding_matrix(stoi, padding_idx=None)
    np.testing.assert_array_equal(no_padding, wv[["w1", "w2"]])
    grown = wv.embedding_matrix({"w1": 1, "w2": 4}, padding_idx=7)  # nn.Embedding needs padding_idx < rows
    assert grown.shape == (8, wv.vector_size)
    np.testing.assert_array_equal(grown[[0, 2, 3, 5, 6, 7]], 0)  # unused rows and padding are zeros
    np.testing.assert_array_equal(grown[[1, 4]], wv[["w1", "w2"]])
    assert wv.embedding_matrix(stoi, dtype=np.float64).dtype == np.float64


def test_random_oov_rows_are_scaled_like_the_vectors_and_seeded(wv):
    word_index = {f"unknown{i}": i + 1 for i in range(4000)}
    word_index["w1"] = 4001
    matrix = wv.embedding_matrix(word_index, oov="random", seed=5)
    oov_rows = matrix[1:4001]
    assert oov_rows.std() == pytest.approx(wv.vectors.std(), rel=0.05)
    assert abs(oov_rows.mean()) < 0.05  # uniform around 0
    assert np.abs(oov_rows).max() <= np.sqrt(3) * wv.vectors.std() + 1e-6
    np.testing.assert_array_equal(matrix[4001], wv["w1"])
    np.testing.assert_array_equal(matrix, wv.embedding_matrix(word_index, oov="random", seed=5))
    assert not np.array_equal(matrix, wv.embedding_matrix(word_index, oov="random", seed=6))


@pytest.mark.parametrize("word_index, kwargs, error, message", [
    ({}, {}, ValueError, "empty"),
    ({"w1": -1}, {}, ValueError, "'w1' is negative"),
    ({"w1": 1.5}, {}, TypeError, "index of 'w1' must be an int"),
    ({"w1": "3"}, {}, TypeError, "must be an int"),
    ({"w1": True}, {}, TypeError, "must be an int"),
    ({"w1": 1, "w2": 1}, {}, ValueError, "share index 1"),
    ({"w1": 1}, {"oov": "gaussian"}, ValueError, "oov must be one of"),
    ({"w1": 1}, {"padding_idx": -1}, ValueError, "padding_idx"),
    ([("w1", 1)], {}, TypeError, "mapping"),
])
def test_invalid_inputs(wv, word_index, kwargs, error, message):
    with pytest.raises(error, match=message):
        wv.embedding_matrix(word_index, **kwargs)


def test_numpy_int_indices_are_accepted(wv):
    matrix = wv.embedding_matrix({"w1": np.int64(1), "w2": np.int32(2)})
    np.testing.assert_array_equal(matrix[1:], wv[["w1", "w2"]])


def run_example(*args, block_torch=False):
    """Run the example in a fresh interpreter; ``block_torch`` makes ``import torch`` fail there."""
    code = ("import runpy, sys\n"
            f"if {block_torch!r}:\n    sys.modules['torch'] = None\n"
            f"sys.argv = {[str(EXAMPLE), *map(str, args)]!r}\n"
            f"runpy.run_path({str(EXAMPLE)!r}, run_name='__main__')\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


def load_example():
    spec = importlib.util.spec_from_file_location("embedding_layer_example", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_example_one_hot_product_is_the_row_lookup(wv):
    """The numpy half of the example: one_hot(ids) @ W selects rows of W, exactly."""
    example = load_example()
    ids = np.array([3, 0, 49, 3, 7])
    hot = example.one_hot(ids, len(wv))
    assert hot.shape == (5, 50) and hot.dtype == np.float32
    np.testing.assert_array_equal(hot.sum(axis=1), 1)
    np.testing.assert_array_equal(hot.argmax(axis=1), ids)
    np.testing.assert_array_equal(hot @ wv.vectors, wv.vectors[ids])


def test_example_check_fails_when_the_two_formulations_disagree(wv, monkeypatch, capsys):
    example = load_example()
    ids = np.array([1, 2, 3])
    example.compare_one_hot_and_lookup(wv.vectors, ids)
    assert "one_hot(ids) @ W == W[ids]: True" in capsys.readouterr().out
    monkeypatch.setattr(example, "one_hot", lambda ids, n, dtype=np.float32: np.ones((len(ids), n), dtype))
    with pytest.raises(SystemExit, match="disagree"):
        example.compare_one_hot_and_lookup(wv.vectors, ids)
    assert "one_hot(ids) @ W == W[ids]: False" in capsys.readouterr().out


def test_example_word_index_rows_are_the_vectors(wv):
    """keras_style_word_index: 1-based, the vectors' words in order, then 10 unknown words."""
    example = load_example()
    word_index = example.keras_style_word_index(wv)
    assert list(word_index) == wv.index_to_key + [f"unseen-word-{i}" for i in range(10)]
    assert list(word_index.values()) == list(range(1, 61))
    W, missing = wv.embedding_matrix(word_index, oov="random", padding_idx=0, return_missing=True)
    assert missing == [f"unseen-word-{i}" for i in range(10)]
    np.testing.assert_array_equal(W[0], 0)
    np.testing.assert_array_equal(W[1:51], wv.vectors)


def test_example_runs_and_shows_the_equivalence():
    result = run_example(block_torch=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "vectors: 100000 words x 100 dims"
    assert lines[1].startswith("embedding matrix (100001, 100) for 100000 tokenizer words; row 0 = padding; "
                               "10 unknown words got random rows (e.g. ['unseen-word-0', 'unseen-word-1'])")
    assert "one_hot(ids) @ W == W[ids]: True" in lines
    assert re.search(r"^  lookup is [\d,]+x faster$", result.stdout, re.M)
    assert lines[-1] == "torch is not installed: skipping the torch.nn.Embedding part (pip install torch)"


def test_example_initialises_a_torch_embedding_from_the_matrix():
    pytest.importorskip("torch", reason="torch is not installed: the example's torch.nn.Embedding part is "
                                        "untested here (the numpy part is tested above)")
    result = run_example()
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == ("torch.nn.Embedding(100001, 100) initialised; layer(ids) == W[ids]: "
                                              "True; trainable: True")


def test_example_accepts_a_vectors_file(tmp_path, wv):
    path = tmp_path / "small.txt"
    wv.save_word2vec_format(path)
    result = run_example(path, block_torch=True)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "vectors: 50 words x 6 dims"
    assert lines[1].startswith("embedding matrix (61, 6) for 60 tokenizer words; row 0 = padding; "
                               "10 unknown words got random rows")
    assert "one_hot(ids) @ W == W[ids]: True" in lines
