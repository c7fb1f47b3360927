"""Thread-private copies of the top of the Huffman tree, merged into the shared ``syn1`` often.

With hierarchical softmax every (context, centre) pair trains the inner nodes on the centre's
root-first path, so the few nodes at the top of the tree are written by every pair of every
thread: with two threads their cache lines move between the cores on nearly every update, and two
workers trained skip-gram HS no faster than one (CBOW's one path per centre word meets the same
top, and ran at half speed in runs where the two threads were not on one core's siblings). Each thread instead trains its own copy of the
``m`` hottest rows (``local``) and every ``merge_every`` centre words adds what it learned to the
shared rows, ``shared += local - base``, then takes the merged rows as its new ``local`` and
``base``. Far below the top, rows are cold and shared as before (Hogwild).

Inner node ids grow towards the root (a parent is created after its children, in word2vec.c's
and gensim's builds alike) and a node's visits are the counts below it, so the ``m`` highest ids
are the ``m`` most visited nodes and, on every path, they come first. :func:`hot_first` checks
this on the tables it is given and turns the copies off if a tree does not have that shape.

An element no other thread touched since the last merge (``shared == base``) is set to ``local``
itself, not ``base + (local - base)``, which float rounding could change: with one worker the
copies are bit-identical to training the shared rows directly.
"""
import numpy as np
from numba import njit

#: rows of the tree's top kept private per thread (the top ~6 levels: ~half of a path's updates on wiki17m)
HOT_ROWS = 64
#: centre words between two merges: ~400 root updates per thread, well short of each copy drifting
#: off on its own (the 4,096-row, 131,072-word version overshot, see benchmarks/README.md)
MERGE_EVERY = 32


def hot_first(points: np.ndarray, codelens: np.ndarray, n_inner: int, m: int = HOT_ROWS) -> int:
    """The first hot inner-node id (``n_inner - m``), or ``n_inner`` (no copies) when a path's
    hot nodes are not all at its start, or there is nothing to copy."""
    m = min(m, n_inner)
    if m <= 0 or points.size == 0:
        return n_inner
    first = n_inner - m
    on_path = np.arange(points.shape[1])[None, :] < np.asarray(codelens)[:, None]
    hot = (points >= first) & on_path
    if hot.shape[1] > 1 and (hot[:, 1:] & ~hot[:, :-1]).any():
        return n_inner
    return first


@njit(cache=True, inline="always")
def load_hot(syn1, first, local, base):
    """local = base = syn1[first:first + m]: a thread takes fresh copies of the hot rows."""
    d = syn1.shape[1]
    for r in range(local.shape[0]):
        for j in range(d):
            v = syn1[first + r, j]
            local[r, j] = v
            base[r, j] = v


@njit(cache=True, inline="always")
def merge_hot(syn1, first, local, base):
    """Add the thread's learning since the last merge to the shared rows, then re-copy them.

    ``shared += local - base`` keeps the other threads' updates made meanwhile; where nobody else
    wrote (``shared == base``) the element becomes ``local`` exactly.
    """
    d = syn1.shape[1]
    for r in range(local.shape[0]):
        for j in range(d):
            s = syn1[first + r, j]
            b = base[r, j]
            v = local[r, j] if s == b else s + (local[r, j] - b)
            syn1[first + r, j] = v
            local[r, j] = v
            base[r, j] = v
