"""The nogil loop a training thread runs over a chunk of sentences.

Per sentence: read the learning rate from the shared progress counters, subsample the words with a
fresh draw, then slide a (shrunk) window over the kept words and call the architecture's update.
Negatives are drawn LOOKAHEAD centre words ahead into a small ring, and the rows they (and the next
context word) will need are prefetched, so memory loads overlap with the current word's arithmetic.
Everything the loop needs arrives as arrays and scalars, in named groups (:mod:`.arguments`); it
allocates nothing and never raises.

Each training mode (skip-gram or CBOW, hierarchical softmax and/or negative sampling, skip-gram's
update) is its own compiled kernel, :func:`chunk_kernel`: the mode's flags are constants of the
kernel, so numba drops the other modes' code before it inlines anything. One kernel holding every
mode took ~60 s of CPU and ~1.3 GB to compile on a first run; a run now compiles its own mode only
(``benchmarks/compile_profile.py`` measures it).
"""
import functools

import numpy as np
from numba import njit

from .arguments import Mode
from .borrow import borrowed
from .cbow import cbow_gather, cbow_scatter
from .common import (
    collect_context,
    fill_huffman_targets_split,
    fill_negative_targets,
    next_u32,
    path_update_range,
    rand_below,
    row_update,
)
from .hot_rows import HOT_ROWS, load_hot, merge_hot
from .prefetch import prefetch_item, prefetch_row
from .skipgram import SG_BATCHED, SG_EXACT, SG_SHARED, sg_block_step, sg_pairs_negative, sg_pairs_paths

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
def prepare_centre(k, sentence, n, window, syn0, syn1neg, draw_negatives, negative, rng, alias_thr, alias_idx,
                   ns_ring, ns_count):
    """Draw centre k's negatives into its ring slot and prefetch the rows its update will touch."""
    slot = k & (RING - 1)
    if draw_negatives:
        n_targets = fill_negative_targets(sentence[k], negative, rng, alias_thr, alias_idx, ns_ring[slot])
        ns_count[slot] = n_targets
        for t in range(n_targets):
            prefetch_row(syn1neg, ns_ring[slot, t])
    entering = k + window  # the context word that joins the window when k is the centre
    if entering < n:
        prefetch_row(syn0, sentence[entering])


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


@functools.cache
def chunk_kernel(mode: Mode):
    """The compiled :func:`train_chunk` of one training ``mode`` (:class:`.arguments.Mode`).

    The mode's flags become constants the kernel's body tests (closure variables are compile-time
    constants to numba, and part of the key it caches the machine code under), so numba removes
    the branches of the other modes before inlining the updates they call.
    """
    return _specialised(bool(mode.sg), bool(mode.hs), bool(mode.ns),
                        int(mode.sg_kernel) if mode.sg else SG_SHARED)


def _specialised(SG, HS, NS, SG_KERNEL):
    EXACT = SG and SG_KERNEL == SG_EXACT           # skip-gram draws negatives per pair, not per centre
    BATCHED = SG and SG_KERNEL == SG_BATCHED
    SHARED = SG and not EXACT and not BATCHED
    DRAW_AHEAD = not EXACT                         # negatives drawn and rows prefetched LOOKAHEAD centres ahead
    HOT = HS                                       # the tree's top trained in private copies (hot_rows)

    @njit(nogil=True, cache=True, fastmath=True)
    def train_chunk(tables, corpus, first, last, words, settings, schedule, counters, slot, rng, scratch):
        """Train sentences [first, last) of ``corpus``; return the number of words read.

        * ``tables`` (:class:`.arguments.Tables`): syn0, syn1neg, syn1, float32 (V, d), (V, d), (V - 1, d);
        * ``corpus`` (:class:`.arguments.Corpus`): ids int32 (words,), offsets int64 (sentences + 1,);
        * ``first``, ``last``: int, the sentences to train;
        * ``words`` (:class:`.arguments.WordTables`): subsampling thresholds, the noise alias table,
          Huffman codes and points, lock factors, use_lockf, hot_first;
        * ``settings`` (:class:`.arguments.Settings`): window, shrink_windows, cbow_mean, negative,
          compute_loss, ns_skip_saturated, merge_every;
        * ``schedule`` (:class:`.arguments.Schedule`): the learning rate's decay;
        * ``counters`` (:class:`.arguments.Counters`): progress int64, loss float64, stop int32 (1,);
        * ``slot``: int, this thread's index into the counters (thread k: ``k * SLOT_STRIDE``);
        * ``rng``: uint64 (>= 1,), this thread's random state (``rng[0]``);
        * ``scratch`` (:class:`.arguments.Scratch`): this thread's buffers.

        ``counters.progress[slot]`` grows by each sentence's in-vocabulary length (before
        subsampling, as word2vec.c counts) and drives the shared learning rate (stepped every
        ``batch_words`` words of each ``epoch_words``-word epoch, see :func:`scheduled_alpha`);
        ``counters.loss[slot]`` accumulates the loss in float64. The loop returns early when
        ``counters.stop[0]`` is set (Ctrl-C, errors elsewhere). With ``words.use_lockf``, every
        input-row update is scaled by ``words.lockf[row]`` (gensim's ``vectors_lockf``).

        Hierarchical softmax trains inner nodes ``>= words.hot_first`` (the top of
        the tree) in the thread's private copies ``scratch.syn1_hot`` and merges them into ``syn1``
        every ``settings.merge_every`` centre words and before returning (:mod:`.hot_rows`);
        ``scratch.syn1_base`` holds the rows as last merged. ``hot_first = len(syn1)`` (or
        ``syn1_hot`` with no rows) turns this off.
        """
        # the kernel's arrays, borrowed: no atomic reference counting in the loops (see .borrow)
        syn0, syn1neg, syn1 = borrowed(tables.syn0), borrowed(tables.syn1neg), borrowed(tables.syn1)
        ids, offsets = borrowed(corpus.ids), borrowed(corpus.offsets)
        keep_thr, alias_thr, alias_idx = borrowed(words.keep_thr), borrowed(words.alias_thr), borrowed(words.alias_idx)
        codes, points, codelens = borrowed(words.codes), borrowed(words.points), borrowed(words.codelens)
        lockf = borrowed(words.lockf)
        progress, loss_out, stop, rng = (borrowed(counters.progress), borrowed(counters.loss),
                                         borrowed(counters.stop), borrowed(rng))
        sentence, context = borrowed(scratch.sentence), borrowed(scratch.context)
        inputs, input_grads, gradients = (borrowed(scratch.inputs), borrowed(scratch.input_grads),
                                          borrowed(scratch.gradients))
        ns_ring, ns_count = borrowed(scratch.ns_ring), borrowed(scratch.ns_count)
        ns_labels = borrowed(scratch.ns_labels)
        hs_targets, hs_labels = borrowed(scratch.hs_targets), borrowed(scratch.hs_labels)
        syn1_hot, syn1_base = borrowed(scratch.syn1_hot), borrowed(scratch.syn1_base)
        window, negative = settings.window, settings.negative
        compute_loss, ns_skip_saturated = settings.compute_loss, settings.ns_skip_saturated
        use_lockf = words.use_lockf
        words_read = 0
        loss = 0.0
        hot_first = words.hot_first
        use_hot = HOT and syn1_hot.shape[0] > 0 and hot_first + syn1_hot.shape[0] <= syn1.shape[0]
        if not use_hot:
            hot_first = syn1.shape[0]   # no target is renumbered
        else:
            load_hot(syn1, hot_first, syn1_hot, syn1_base)
        cold_below = min(hot_first, syn1.shape[0] - HOT_ROWS)  # path rows worth prefetching
        since_merge = 0
        for s in range(first, last):
            if stop[0] != 0:
                break
            alpha = np.float32(current_alpha(schedule.alpha, schedule.min_alpha, progress, schedule.total_words,
                                             schedule.epoch_words, schedule.batch_words))
            n = subsample(ids, offsets[s], offsets[s + 1], keep_thr, rng, sentence)
            if DRAW_AHEAD:
                for k in range(min(LOOKAHEAD, n)):
                    prepare_centre(k, sentence, n, window, syn0, syn1neg, NS, negative, rng, alias_thr,
                                   alias_idx, ns_ring, ns_count)
            if HS:
                for k in range(min(PATH_LOOKAHEAD, n)):
                    prefetch_path(syn1, points, codelens, sentence[k], cold_below)
            for i in range(n):
                if DRAW_AHEAD and i + LOOKAHEAD < n:
                    prepare_centre(i + LOOKAHEAD, sentence, n, window, syn0, syn1neg, NS, negative, rng,
                                   alias_thr, alias_idx, ns_ring, ns_count)
                if HS and i + PATH_LOOKAHEAD < n:
                    prefetch_path(syn1, points, codelens, sentence[i + PATH_LOOKAHEAD], cold_below)
                    if i + CODE_LOOKAHEAD < n:   # the path's own description, for prefetch_path later
                        prefetch_code(points, codes, codelens, sentence[i + CODE_LOOKAHEAD])
                b = rand_below(rng, window) if settings.shrink_windows else 0   # shrink_windows: reach window - b
                reach = window - b
                lo = max(0, i - reach)
                hi = min(n, i + reach + 1)
                path_length = 0
                hot_length = 0
                if HOT:     # hot_first = len(syn1) where the copies are off: no node renumbered
                    path_length, hot_length = fill_huffman_targets_split(sentence[i], codes, points, codelens,
                                                                         hot_first, hs_targets, hs_labels)
                r = i & (RING - 1)
                ns_length = ns_count[r] if NS else 0
                ns_targets = ns_ring[r]
                n_context = 0 if EXACT else collect_context(sentence, i, lo, hi, context)
                if EXACT:   # pair by pair, fresh negatives for each pair
                    for j in range(lo, hi):
                        if j == i:
                            continue
                        context[0] = sentence[j]
                        if NS:
                            ns_length = fill_negative_targets(sentence[i], negative, rng, alias_thr, alias_idx,
                                                              ns_targets)
                        if HS:
                            loss += sg_pairs_paths(syn0, syn1neg, syn1, syn1_hot, hot_length, context, 1,
                                                   ns_targets, ns_labels, ns_length, hs_targets, hs_labels,
                                                   path_length, alpha, inputs, input_grads, gradients, compute_loss,
                                                   ns_skip_saturated, lockf, use_lockf)
                        else:
                            loss += sg_pairs_negative(syn0, syn1neg, context, 1, ns_targets, ns_labels, ns_length,
                                                      alpha, inputs, input_grads, compute_loss, ns_skip_saturated,
                                                      lockf, use_lockf)
                elif n_context == 0:
                    pass    # no context word (a one-word sentence): nothing to train
                elif BATCHED:
                    loss += sg_block_step(syn0, syn1neg, syn1, syn1_hot, hot_length, context, n_context, ns_targets,
                                          ns_labels, ns_length, hs_targets, hs_labels, path_length, alpha, inputs,
                                          input_grads, gradients, compute_loss, ns_skip_saturated, lockf, use_lockf)
                elif SHARED and HS:
                    loss += sg_pairs_paths(syn0, syn1neg, syn1, syn1_hot, hot_length, context, n_context, ns_targets,
                                           ns_labels, ns_length, hs_targets, hs_labels, path_length, alpha, inputs,
                                           input_grads, gradients, compute_loss, ns_skip_saturated, lockf, use_lockf)
                elif SHARED:
                    loss += sg_pairs_negative(syn0, syn1neg, context, n_context, ns_targets, ns_labels, ns_length,
                                              alpha, inputs, input_grads, compute_loss, ns_skip_saturated, lockf,
                                              use_lockf)
                else:       # CBOW: the context's mean (or sum) predicts the centre
                    cbow_gather(syn0, context, n_context, settings.cbow_mean, inputs, input_grads)
                    if HS:      # the path's top in the private copies, then the shared rows
                        loss += path_update_range(inputs, 0, syn1_hot, hs_targets, hs_labels, 0, hot_length, alpha,
                                                  input_grads, gradients, compute_loss)
                        loss += path_update_range(inputs, 0, syn1, hs_targets, hs_labels, hot_length, path_length,
                                                  alpha, input_grads, gradients, compute_loss)
                    if NS:
                        loss += row_update(inputs, 0, syn1neg, ns_targets, ns_labels, ns_length, alpha, input_grads,
                                           compute_loss, ns_skip_saturated)
                    cbow_scatter(syn0, context, n_context, settings.cbow_mean, input_grads, lockf, use_lockf)
                if HOT and use_hot:
                    since_merge += 1
                    if since_merge >= settings.merge_every:
                        merge_hot(syn1, hot_first, syn1_hot, syn1_base)
                        since_merge = 0
            length = offsets[s + 1] - offsets[s]
            progress[slot] += length
            words_read += length
        if HOT and use_hot:
            merge_hot(syn1, hot_first, syn1_hot, syn1_base)
        loss_out[slot] += loss
        return words_read

    return train_chunk


#: the kernel of gensim's default mode (CBOW, negative sampling): ``w2v.kernels.train_chunk``, whose
#: cache file is every mode's (the Dask probe asks it whether numba's cache is cold)
train_chunk = chunk_kernel(Mode(sg=False, hs=False, ns=True, sg_kernel=SG_SHARED))
