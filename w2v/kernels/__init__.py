"""Numba kernels: the only code that touches the embedding tables during training.

* :mod:`.common` — RNG, clipped sigmoid tables, the shared gather/update/scatter block;
* :mod:`.skipgram`, :mod:`.cbow` — one centre word's update for each architecture;
* :mod:`.sentences` — the nogil loop over a chunk of sentences (subsampling, windows, learning rate)
  that training threads call, compiled once per training mode (:func:`.sentences.chunk_kernel`);
* :mod:`.arguments` — that loop's arguments, in named groups (every array's dtype and shape);
* :mod:`.hot_rows` — thread-private copies of the Huffman tree's top;
* :mod:`.reference` — plain numpy versions of the updates, for tests;
* :mod:`.borrow` — arrays without numba's atomic reference count, which the kernels' loops use;
* :mod:`.prefetch` — software prefetches of table rows; :mod:`.unaligned` — unaligned 8-byte loads
  and stores;
* :mod:`.phrases` — phrase counting, scoring and applying (a package, one step a module);
  :mod:`.phrases_reference` — their Python statements, for tests;
* :mod:`.exchange` — a replica's changed rows found, packed and applied (distributed training);
* :mod:`.cache_guard` — drops numba's cached kernels of a module when a source they were compiled from changed.
"""
from .cache_guard import invalidate_stale_cache

invalidate_stale_cache()  # before any kernel is loaded from numba's cache

from .sentences import chunk_kernel, train_chunk  # noqa: E402

__all__ = ["chunk_kernel", "train_chunk"]
