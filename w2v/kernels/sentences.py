"""The nogil loop a training thread runs over a chunk of sentences.

Per sentence: read the learning rate from the shared progress counters, subsample the words with a
fresh draw, then slide a (shrunk) window over the kept words and call the architecture's update.
Negatives are drawn LOOKAHEAD centre words ahead into a small ring, and the rows they (and the next
context word) will need are prefetched, so memory loads overlap with the current word's arithmetic.
Everything the loop needs arrives as arrays and scalars; it allocates nothing and never raises.
"""
import numpy as np
from numba import njit

from .borrow import borrowed
from .cbow import cbow_centre
from .common import fill_huffman_targets, fill_huffman_targets_split, fill_negative_targets, next_u32, rand_below
from .hot_rows import HOT_ROWS, load_hot, merge_hot
from .prefetch import prefetch_item, prefetch_row
from .skipgram import SG_EXACT, sg_centre

#: progress counters are spaced this many int64 apart so threads never share a cache line
SLOT_STRIDE = 8
#: how many centre words ahead negatives are drawn and rows prefetched
LOOKAHEAD = 12
#: how many centre words ahead the Huffman path rows are prefetched (hierarchical softmax)
PATH_LOOKAHEAD = 2
#: ... and their Huffman codes and points (the rows prefetch_path reads) this many ahead
CODE_LOOKAHEAD = 6
#: ring slots for drawn-ahead negatives (a power of two > LOOKAHEAD)
RING = 16


@njit(cache=True, inline="always")
def scheduled_alpha(alpha0, min_alpha, done, total_words, epoch_words, batch_words):
    """The learning rate after ``done`` words of the run: gensim's stepped linear decay.

    gensim cuts each epoch into jobs of at most ``batch_words`` words and gives every job one rate,
    computed from the words of the epoch pushed before it; so the rate falls in steps of
    ``batch_words`` words, restarting the count at each epoch. This does the same from the words
    done: the epoch's done words are rounded down to a multiple of ``batch_words``. On a large
    corpus the steps are invisible (wiki17m: 1,700 per epoch); on a corpus of about one batch the
    whole epoch trains at the epoch's starting rate, as in gensim (graph-embedding clients train
    one epoch of ~10k words and score lower with a per-sentence decay). ``batch_words=1`` is
    word2vec.c's per-sentence decay. Also called from Python (``scheduled_alpha.py_func``).
    """
    epoch = done // epoch_words
    stepped = epoch * epoch_words + (done - epoch * epoch_words) // batch_words * batch_words
    a = alpha0 - (alpha0 - min_alpha) * (stepped / total_words)
    return max(a, min_alpha)


@njit(cache=True, inline="always")
def current_alpha(alpha0, min_alpha, progress, total_words, epoch_words, batch_words):
    """The shared learning rate now: :func:`scheduled_alpha` of all threads' progress counters."""
    done = 0
    for k in range(0, len(progress), SLOT_STRIDE):
        done += progress[k]
    return scheduled_alpha(alpha0, min_alpha, done, total_words, epoch_words, batch_words)


@njit(cache=True, inline="always")
def subsample(ids, begin, end, keep_thr, rng, out):
    """Copy the words of ids[begin:end] that survive subsampling into ``out``; return how many."""
    n = 0
    for k in range(begin, end):
        w = ids[k]
        out[n] = w              # written always, kept only if it survives: no branch to mispredict
        n += next_u32(rng) < keep_thr[w]
    return n


@njit(cache=True, inline="always")
def prepare_centre(k, sent, n, window, syn0, syn1neg, negative, rng, alias_thr, alias_idx,
                   ns_ring, ns_count):
    """Draw centre k's negatives into its ring slot and prefetch the rows its update will touch."""
    slot = k & (RING - 1)
    if negative > 0:
        T = fill_negative_targets(sent[k], negative, rng, alias_thr, alias_idx, ns_ring[slot])
        ns_count[slot] = T
        for t in range(T):
            prefetch_row(syn1neg, ns_ring[slot, t])
    entering = k + window  # the context word that joins the window when k is the centre
    if entering < n:
        prefetch_row(syn0, sent[entering])


@njit(cache=True, inline="always")
def prefetch_path(syn1, points, codelens, word, first):
    """Prefetch the rows of ``word``'s Huffman path below node ``first``: the deep nodes are rare
    words' parents, usually out of cache, and every context pair of the centre trains them. The
    top of the tree is left alone: it is in cache anyway (or in the thread's private copies), and
    a prefetch for writing would pull its lines from the other core early."""
    for t in range(codelens[word]):
        p = points[word, t]
        if p < first:
            prefetch_row(syn1, p)


@njit(cache=True, inline="always")
def prefetch_code(points, codes, codelens, word):
    """Prefetch ``word``'s Huffman points, code and length: the rows :func:`prefetch_path` and the
    target fill read a few words later (a random row per centre word, usually out of cache)."""
    prefetch_item(codelens, word)
    prefetch_row(points, word)
    prefetch_row(codes, word)


@njit(nogil=True, cache=True, fastmath=True)
def train_chunk(syn0, syn1neg, syn1, ids, offsets, s_begin, s_end,
                keep_thr, alias_thr, alias_idx, codes, points, codelens, lockf, use_lockf,
                sg, cbow_mean, window, shrink_windows, negative, hs, sg_kernel, compute_loss,
                alpha0, min_alpha, total_words, epoch_words, batch_words, progress, slot, stop, rng, loss_out,
                sent, ctx, H, dH, G, ns_ring, ns_count, ns_labels, hs_targets, hs_labels,
                ns_skip_saturated, hot_first, syn1_hot, syn1_base, merge_every):
    """Train sentences [s_begin, s_end) of the encoded corpus; return the number of words read.

    ``progress[slot]`` grows by each sentence's in-vocabulary length (before subsampling, as
    word2vec.c counts) and drives the shared learning rate (stepped every ``batch_words`` words of
    each ``epoch_words``-word epoch, see :func:`scheduled_alpha`); ``loss_out[slot]`` accumulates the
    loss in float64. The loop returns early when ``stop[0]`` is set (Ctrl-C, errors elsewhere).
    ``ns_ring`` (RING x negative+1) and ``ns_count`` hold negatives drawn ahead; ``ns_labels`` is
    the constant [1, 0, 0, ...]. ``ns_skip_saturated`` leaves negative-sampling pairs with
    |f| >= MAX_EXP untouched (gensim) instead of using the clipped sigmoid (word2vec.c).
    With ``use_lockf``, every input-row update is scaled by ``lockf[row]`` (gensim's ``vectors_lockf``,
    one factor per word); without it ``lockf`` is not read.

    Skip-gram with hierarchical softmax trains inner nodes ``>= hot_first`` (the top of the tree)
    in the thread's private copies ``syn1_hot`` and merges them into ``syn1`` every
    ``merge_every`` centre words and before returning (:mod:`.hot_rows`); ``syn1_base`` holds the
    rows as last merged. ``hot_first = len(syn1)`` (or ``syn1_hot`` with no rows) turns this off.
    """
    # the kernel's own arguments, borrowed: no atomic reference counting in the loops (see .borrow)
    syn0, syn1neg, syn1, syn1_hot, syn1_base = (borrowed(syn0), borrowed(syn1neg), borrowed(syn1),
                                                borrowed(syn1_hot), borrowed(syn1_base))
    ids, offsets, keep_thr, lockf = borrowed(ids), borrowed(offsets), borrowed(keep_thr), borrowed(lockf)
    alias_thr, alias_idx = borrowed(alias_thr), borrowed(alias_idx)
    codes, points, codelens = borrowed(codes), borrowed(points), borrowed(codelens)
    progress, stop, rng, loss_out = borrowed(progress), borrowed(stop), borrowed(rng), borrowed(loss_out)
    sent, ctx, H, dH, G = borrowed(sent), borrowed(ctx), borrowed(H), borrowed(dH), borrowed(G)
    ns_ring, ns_count, ns_labels = borrowed(ns_ring), borrowed(ns_count), borrowed(ns_labels)
    hs_targets, hs_labels = borrowed(hs_targets), borrowed(hs_labels)
    words = 0
    loss = 0.0
    use_hot = sg != 0 and hs != 0 and syn1_hot.shape[0] > 0 and hot_first + syn1_hot.shape[0] <= syn1.shape[0]
    if not use_hot:
        hot_first = syn1.shape[0]   # no target is renumbered
    else:
        load_hot(syn1, hot_first, syn1_hot, syn1_base)
    cold_below = min(hot_first, syn1.shape[0] - HOT_ROWS)  # path rows worth prefetching
    since_merge = 0
    ahead = sg == 0 or sg_kernel != SG_EXACT  # the exact skip-gram kernel draws per pair instead
    for s in range(s_begin, s_end):
        if stop[0] != 0:
            break
        alpha = np.float32(current_alpha(alpha0, min_alpha, progress, total_words, epoch_words,
                                           batch_words))
        n = subsample(ids, offsets[s], offsets[s + 1], keep_thr, rng, sent)
        if ahead:
            for k in range(min(LOOKAHEAD, n)):
                prepare_centre(k, sent, n, window, syn0, syn1neg, negative, rng, alias_thr,
                               alias_idx, ns_ring, ns_count)
        if hs:
            for k in range(min(PATH_LOOKAHEAD, n)):
                prefetch_path(syn1, points, codelens, sent[k], cold_below)
        for i in range(n):
            if ahead and i + LOOKAHEAD < n:
                prepare_centre(i + LOOKAHEAD, sent, n, window, syn0, syn1neg, negative, rng,
                               alias_thr, alias_idx, ns_ring, ns_count)
            if hs and i + PATH_LOOKAHEAD < n:
                prefetch_path(syn1, points, codelens, sent[i + PATH_LOOKAHEAD], cold_below)
                if i + CODE_LOOKAHEAD < n:   # the path's own description, for prefetch_path later
                    prefetch_code(points, codes, codelens, sent[i + CODE_LOOKAHEAD])
            b = rand_below(rng, window) if shrink_windows else 0
            reach = window - b
            lo = max(0, i - reach)
            hi = min(n, i + reach + 1)
            T_hs = 0
            h_hs = 0
            if hs and sg:
                T_hs, h_hs = fill_huffman_targets_split(sent[i], codes, points, codelens, hot_first, hs_targets,
                                                        hs_labels)
            elif hs:
                T_hs = fill_huffman_targets(sent[i], codes, points, codelens, hs_targets, hs_labels)
            r = i & (RING - 1)
            T_ns = ns_count[r] if negative > 0 else 0
            if sg:
                loss += sg_centre(syn0, syn1neg, syn1, syn1_hot, sent, i, lo, hi, sg_kernel, negative, rng,
                                  alias_thr, alias_idx, ns_ring[r], T_ns, ns_labels, hs_targets,
                                  hs_labels, T_hs, h_hs, alpha, ctx, H, dH, G, compute_loss, ns_skip_saturated,
                                  lockf, use_lockf)
                if use_hot:
                    since_merge += 1
                    if since_merge >= merge_every:
                        merge_hot(syn1, hot_first, syn1_hot, syn1_base)
                        since_merge = 0
            else:
                loss += cbow_centre(syn0, syn1neg, syn1, sent, i, lo, hi, cbow_mean, ns_ring[r],
                                    T_ns, ns_labels, hs_targets, hs_labels, T_hs, alpha, ctx, H,
                                    dH, G, compute_loss, ns_skip_saturated, lockf, use_lockf)
        length = offsets[s + 1] - offsets[s]
        progress[slot] += length
        words += length
    if use_hot:
        merge_hot(syn1, hot_first, syn1_hot, syn1_base)
    loss_out[slot] += loss
    return words
