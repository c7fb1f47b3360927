"""The training kernel's arguments, in named groups (numba passes named tuples of arrays and scalars
as they are, without boxing them per call).

Shapes: ``V`` vocabulary words, ``d`` vector size, ``L`` the longest Huffman code, ``W`` the
window (``2 W`` context positions at most), ``N`` negatives per centre word, ``S`` the longest
sentence, ``T`` training threads, ``M`` the tree-top rows each thread keeps private
(:mod:`.hot_rows`). Every array is C-contiguous. A group's fields are read by name in the kernels,
so their order matters only to the code that builds them positionally.
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np


class Mode(NamedTuple):
    """What a run trains: each mode is its own compiled kernel (:func:`.sentences.chunk_kernel`),
    so a run compiles only the code of its own mode."""

    sg: bool         # skip-gram (True) or CBOW
    hs: bool         # hierarchical softmax on
    ns: bool         # negative sampling on (negative > 0)
    sg_kernel: int   # skip-gram's update: SG_EXACT, SG_SHARED or SG_BATCHED (:mod:`.skipgram`); 0 for CBOW


class Tables(NamedTuple):
    """The tables training writes (float32, shared by every thread: Hogwild)."""

    syn0: np.ndarray      # float32 (V, d): input vectors (the word vectors)
    syn1neg: np.ndarray   # float32 (V, d): negative sampling's output rows (any rows, unread, when ns is off)
    syn1: np.ndarray      # float32 (V - 1, d): hierarchical softmax's inner nodes (any rows, unread, when hs is off)


class Corpus(NamedTuple):
    """A chunk of the encoded corpus: vocabulary ids, sentence by sentence."""

    ids: np.ndarray       # int32 (words,): vocabulary ids
    offsets: np.ndarray   # int64 (sentences + 1,): sentence s is ids[offsets[s]:offsets[s + 1]]


class WordTables(NamedTuple):
    """Per-word lookup tables, read only (built from the vocabulary: ``w2v.training.KernelTables``)."""

    keep_thr: np.ndarray    # uint64 (V,): a word is kept when a 32-bit draw < keep_thr[word] (subsampling)
    alias_thr: np.ndarray   # uint64 (V,): the noise distribution's alias table, thresholds out of 2**32
    alias_idx: np.ndarray   # int32 (V,): ... and aliases
    codes: np.ndarray       # uint8 (V, L): Huffman code bits, root first ((1, 1) when hs is off)
    points: np.ndarray      # int32 (V, L): inner nodes on each word's path, root first
    codelens: np.ndarray    # int32 (V,): path lengths
    lockf: np.ndarray       # float32 (V,) or (1,): input-row update factors (read only with use_lockf)
    use_lockf: bool         # scale input-row updates by lockf[word] (False: lockf is never read)
    hot_first: int          # first inner node a thread trains in its private copies (V - 1: none)


class Settings(NamedTuple):
    """The run's scalar parameters (fixed Python types: numba compiles once per argument type)."""

    window: int               # the largest context reach on either side
    shrink_windows: bool      # draw each centre's reach uniformly in 1..window (word2vec.c)
    cbow_mean: bool           # CBOW averages (True) or sums the context rows
    negative: int             # noise words per centre word (N)
    compute_loss: bool        # accumulate the loss
    ns_skip_saturated: bool   # negative sampling leaves |f| >= MAX_EXP untouched (gensim) or clips (word2vec.c)
    merge_every: int          # centre words between two merges of the private copies


class Schedule(NamedTuple):
    """gensim's stepped linear learning-rate decay (:func:`.sentences.scheduled_alpha`)."""

    alpha: float          # the rate at the run's start
    min_alpha: float      # ... and at its end
    total_words: int      # words of the whole run (every epoch), >= 1
    epoch_words: int      # words of one epoch, >= 1
    batch_words: int      # the rate steps every batch_words words of an epoch, >= 1


class Counters(NamedTuple):
    """Counters every thread shares; thread k uses slot ``k * SLOT_STRIDE`` (a cache line each)."""

    progress: np.ndarray   # int64 (T * SLOT_STRIDE,): words read per thread, which drives the rate
    loss: np.ndarray       # float64 (T * SLOT_STRIDE,): loss per thread
    stop: np.ndarray       # int32 (1,): set to make every kernel return after its current sentence


class Scratch(NamedTuple):
    """One thread's private buffers (``w2v.training.ThreadScratch`` puts each on cache lines of its own)."""

    sentence: np.ndarray      # int32 (S,): the sentence's words that survived subsampling
    context: np.ndarray       # int32 (2 W,): a centre's context words
    inputs: np.ndarray        # float32 (2 W, d): their gathered input rows (CBOW: row 0, their mean or sum)
    input_grads: np.ndarray   # float32 (2 W, d): the gradients for those rows
    gradients: np.ndarray     # float32 (max(2 W, 2 L),): per input row (HogBatch) or per path node of two rows (HS)
    ns_ring: np.ndarray       # int32 (RING, N + 1): negative-sampling targets drawn ahead, per centre
    ns_count: np.ndarray      # int32 (RING,): how many targets each ring slot holds
    ns_labels: np.ndarray     # float32 (N + 1,): the constant labels [1, 0, 0, ...]
    hs_targets: np.ndarray    # int32 (max(1, L),): the centre's path (hot nodes renumbered into syn1_hot)
    hs_labels: np.ndarray     # float32 (max(1, L),): 1 - code bit per path node
    syn1_hot: np.ndarray      # float32 (max(1, M), d): the thread's copies of the tree's top rows
    syn1_base: np.ndarray     # float32 (max(1, M), d): those rows as last merged
