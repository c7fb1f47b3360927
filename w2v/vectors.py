"""KeyedVectors: a word -> vector table with gensim's query API (stub; being fleshed out)."""
from __future__ import annotations

import numpy as np


class KeyedVectors:
    """Vectors keyed by word. ``vectors`` is held by reference: the trainer updates it in place."""

    def __init__(self, vectors: np.ndarray, index_to_key: list[str], counts: np.ndarray | None = None):
        self.vectors = vectors
        self.index_to_key = list(index_to_key)
        self.key_to_index = {w: i for i, w in enumerate(self.index_to_key)}
        self.counts = None if counts is None else np.asarray(counts, dtype=np.int64)

    @property
    def vector_size(self) -> int:
        return int(self.vectors.shape[1])

    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, word) -> bool:
        return word in self.key_to_index

    def __getitem__(self, word):
        if isinstance(word, str):
            return self.vectors[self.key_to_index[word]]
        return self.vectors[[self.key_to_index[w] for w in word]]

    def reset_norms(self) -> None:
        """Forget cached unit norms; the trainer calls this after it changes ``vectors``."""
