"""The nogil loop a training thread runs over a chunk of sentences.

Per sentence: read the learning rate from the shared progress counters, subsample the words with a
fresh draw, then slide a (shrunk) window over the kept words and call the architecture's update.
Everything the loop needs arrives as arrays and scalars; it allocates nothing and never raises.
"""
import numpy as np
from numba import njit

from .cbow import cbow_centre
from .common import fill_huffman_targets, next_u32, rand_below
from .skipgram import sg_centre

#: progress counters are spaced this many int64 apart so threads never share a cache line
SLOT_STRIDE = 8


@njit(cache=True, inline="always")
def current_alpha(alpha0, min_alpha, progress, total_words):
    """Linear decay from alpha0 to min_alpha over the whole run, shared by all threads."""
    done = 0
    for k in range(0, len(progress), SLOT_STRIDE):
        done += progress[k]
    a = alpha0 - (alpha0 - min_alpha) * (done / total_words)
    return max(a, min_alpha)


@njit(cache=True, inline="always")
def subsample(ids, begin, end, keep_thr, rng, out):
    """Copy the words of ids[begin:end] that survive subsampling into ``out``; return how many."""
    n = 0
    for k in range(begin, end):
        w = ids[k]
        if next_u32(rng) < keep_thr[w]:
            out[n] = w
            n += 1
    return n


@njit(nogil=True, cache=True, fastmath=True)
def train_chunk(syn0, syn1neg, syn1, ids, offsets, s_begin, s_end,
                keep_thr, alias_thr, alias_idx, codes, points, codelens,
                sg, cbow_mean, window, shrink_windows, negative, hs, batched, compute_loss,
                alpha0, min_alpha, total_words, progress, slot, stop, rng, loss_out,
                sent, ctx, H, dH, G, ns_targets, ns_labels, hs_targets, hs_labels):
    """Train sentences [s_begin, s_end) of the encoded corpus; return the number of words read.

    ``progress[slot]`` grows by each sentence's in-vocabulary length (before subsampling, as
    word2vec.c counts) and drives the shared learning rate; ``loss_out[slot]`` accumulates the
    loss in float64. The loop returns early when ``stop[0]`` is set (Ctrl-C, errors elsewhere).
    """
    words = 0
    loss = 0.0
    for s in range(s_begin, s_end):
        if stop[0] != 0:
            break
        alpha = np.float32(current_alpha(alpha0, min_alpha, progress, total_words))
        n = subsample(ids, offsets[s], offsets[s + 1], keep_thr, rng, sent)
        for i in range(n):
            b = rand_below(rng, window) if shrink_windows else 0
            reach = window - b
            lo = max(0, i - reach)
            hi = min(n, i + reach + 1)
            T_hs = fill_huffman_targets(sent[i], codes, points, codelens, hs_targets,
                                        hs_labels) if hs else 0
            if sg:
                loss += sg_centre(syn0, syn1neg, syn1, sent, i, lo, hi, batched, negative, rng,
                                  alias_thr, alias_idx, ns_targets, ns_labels, hs_targets, hs_labels,
                                  T_hs, alpha, ctx, H, dH, G, compute_loss)
            else:
                loss += cbow_centre(syn0, syn1neg, syn1, sent, i, lo, hi, cbow_mean, negative, rng,
                                    alias_thr, alias_idx, ns_targets, ns_labels, hs_targets,
                                    hs_labels, T_hs, alpha, ctx, H, dH, G, compute_loss)
        length = offsets[s + 1] - offsets[s]
        progress[slot] += length
        words += length
    loss_out[slot] += loss
    return words
