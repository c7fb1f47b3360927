"""Use w2v vectors as the embedding layer of a neural network.

An embedding layer is a (vocabulary x dim) weight matrix W. Feeding it a word id is, in maths,
multiplying the word's one-hot row by W, which just selects row ``id`` of W; frameworks
therefore implement it as a table lookup, ``W[ids]``. This script

1. builds W for a tokenizer's word -> index mapping with ``wv.embedding_matrix`` (row i is the
   vector of the word with index i; row 0 is the padding row, unknown words get random rows),
2. checks that ``one_hot(ids) @ W == W[ids]`` and times both for a batch of ids,
3. initialises a trainable ``torch.nn.Embedding`` from W when PyTorch is installed.

Usage::

    python examples/embedding_layer.py                  # random vectors for a 100k-word vocabulary
    python examples/embedding_layer.py vectors.bin      # word2vec binary (or .txt/.vec text, or a wv.save() dir)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from w2v import KeyedVectors

VOCAB_SIZE, DIM, BATCH = 100_000, 100, 1000


def load_vectors(argv: list[str]) -> KeyedVectors:
    """Vectors from the file named on the command line, or random ones over a made-up vocabulary."""
    if len(argv) > 1:
        path = Path(argv[1])
        if path.is_dir():
            return KeyedVectors.load(path)
        text = bool({".txt", ".vec"} & set(path.suffixes))
        return KeyedVectors.load_word2vec_format(path, binary=not text)
    rng = np.random.default_rng(0)  # word2vec.c's initial scale: uniform(-0.5, 0.5) / dim
    table = rng.uniform(-0.5, 0.5, (VOCAB_SIZE, DIM)).astype(np.float32) / DIM
    return KeyedVectors.from_vectors(table, [f"word{i}" for i in range(VOCAB_SIZE)])


def keras_style_word_index(wv: KeyedVectors) -> dict[str, int]:
    """What a Keras ``Tokenizer.word_index`` looks like: 1-based, most frequent first.

    A few words the vectors do not know are mixed in, as happens with any real corpus.
    """
    words = wv.index_to_key[: VOCAB_SIZE - 10] + [f"unseen-word-{i}" for i in range(10)]
    return {word: i + 1 for i, word in enumerate(words)}


def one_hot(ids: np.ndarray, n: int, dtype=np.float32) -> np.ndarray:
    """(len(ids), n) matrix with a single 1 per row, at column ``ids[row]``."""
    out = np.zeros((len(ids), n), dtype=dtype)
    out[np.arange(len(ids)), ids] = 1
    return out


def best_time(fn, repeat: int) -> float:
    """Fastest of ``repeat`` runs, in seconds (the least disturbed by other processes)."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def compare_one_hot_and_lookup(W: np.ndarray, ids: np.ndarray) -> None:
    """Show the two formulations agree, and how much cheaper the lookup is."""
    same = np.allclose(one_hot(ids, len(W)) @ W, W[ids])
    print(f"one_hot(ids) @ W == W[ids]: {same}")
    t_matmul = best_time(lambda: one_hot(ids, len(W)) @ W, repeat=3)
    t_lookup = best_time(lambda: W[ids], repeat=50)
    print(f"batch of {len(ids)} ids, W is {W.shape[0]} x {W.shape[1]}:")
    print(f"  one_hot(ids) @ W : {t_matmul * 1e3:9.3f} ms")
    print(f"  W[ids]           : {t_lookup * 1e3:9.3f} ms")
    print(f"  lookup is {t_matmul / t_lookup:,.0f}x faster")
    if not same:
        raise SystemExit("one-hot product and lookup disagree")


def torch_embedding(W: np.ndarray, ids: np.ndarray) -> None:
    """Initialise a trainable torch embedding layer from W (skipped when torch is missing)."""
    try:
        import torch
    except ImportError:
        print("torch is not installed: skipping the torch.nn.Embedding part (pip install torch)")
        return
    layer = torch.nn.Embedding.from_pretrained(torch.from_numpy(W), freeze=False, padding_idx=0)
    out = layer(torch.from_numpy(ids)).detach().numpy()
    print(f"torch.nn.Embedding{tuple(layer.weight.shape)} initialised; layer(ids) == W[ids]: "
          f"{np.array_equal(out, W[ids])}; trainable: {layer.weight.requires_grad}")


def main(argv: list[str]) -> None:
    wv = load_vectors(argv)
    print(f"vectors: {len(wv)} words x {wv.vector_size} dims")
    word_index = keras_style_word_index(wv)
    W, missing = wv.embedding_matrix(word_index, oov="random", padding_idx=0, return_missing=True)
    print(f"embedding matrix {W.shape} for {len(word_index)} tokenizer words; row 0 = padding; "
          f"{len(missing)} unknown words got random rows (e.g. {missing[:2]})")
    known = [w for w in list(word_index)[:3] if w in wv]
    assert all(np.array_equal(W[word_index[w]], wv[w]) for w in known)
    ids = np.random.default_rng(1).integers(1, len(W), size=BATCH)
    compare_one_hot_and_lookup(W, ids)
    torch_embedding(W, ids)


if __name__ == "__main__":
    main(sys.argv)
