"""Numba kernels: the only code that touches the embedding tables during training.

* :mod:`.common` — RNG, clipped sigmoid tables, the shared gather/update/scatter block;
* :mod:`.skipgram`, :mod:`.cbow` — one centre word's update for each architecture;
* :mod:`.sentences` — the nogil loop over a chunk of sentences (subsampling, windows, learning rate)
  that training threads call;
* :mod:`.reference` — plain numpy versions of the updates, for tests.
"""
from .sentences import train_chunk

__all__ = ["train_chunk"]
