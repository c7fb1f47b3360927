"""KeyedVectors.embedding_matrix (weights for Keras/PyTorch embedding layers) and its example script."""
from __future__ import annotations

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


def run_example(*args):
    return subprocess.run([sys.executable, str(EXAMPLE), *map(str, args)], capture_output=True, text=True,
                          timeout=120)


def test_example_runs_and_shows_the_equivalence():
    result = run_example()
    assert result.returncode == 0, result.stderr
    assert "one_hot(ids) @ W == W[ids]: True" in result.stdout
    assert "embedding matrix (100001, 100)" in result.stdout
    assert "lookup is" in result.stdout
    assert ("torch.nn.Embedding" in result.stdout) or ("torch is not installed" in result.stdout)


def test_example_accepts_a_vectors_file(tmp_path, wv):
    path = tmp_path / "small.txt"
    wv.save_word2vec_format(path)
    result = run_example(path)
    assert result.returncode == 0, result.stderr
    assert "vectors: 50 words x 6 dims" in result.stdout
    assert "one_hot(ids) @ W == W[ids]: True" in result.stdout
