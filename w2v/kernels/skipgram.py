"""Skip-gram: the context words' input rows predict the centre word (word2vec.c's orientation).

Three updates (``TrainParams.kernel``), chosen by the sentence loop (:mod:`.sentences`):

* exact — word2vec.c and gensim exactly: one (context, centre) pair after another, each with fresh
  negatives and its context row updated before the next pair (:func:`sg_pairs_negative` or
  :func:`sg_pairs_paths` with one context row per call);
* shared — the same pairs in the same order against the target rows as the previous pairs left
  them, but every pair uses the centre's one draw of negatives (made ahead by the sentence loop,
  which prefetched its rows), and the context rows' gradients are added when the centre is done (a
  word met twice in one window sees its row unmoved the second time): the same functions with the
  whole context (hierarchical softmax takes the context rows two at a time along the centre's
  path, :func:`.common.path_update_two_rows`, with the same result as one after the other);
* batched (HogBatch) — all context rows as one block against that draw, every row seeing the
  target rows unmoved (:func:`sg_block_step`).

Negative sampling alone and hierarchical softmax are separate functions, so a compiled kernel holds
only the code of its own mode (numba inlines a function's whole body whatever branch it may skip).

Shared arguments (``d`` vector size, ``W`` window, ``L`` longest Huffman code, ``N`` negatives):
``syn0`` float32 (V, d) input rows; ``syn1neg`` float32 (V, d) negative sampling's output rows;
``syn1`` float32 (V - 1, d) inner nodes and ``syn1_hot`` float32 (M, d) the thread's private copies
of the tree's top, which the first ``hot_length`` Huffman targets index (:mod:`.hot_rows`);
``context`` int32 (2 W,) the context words; ``ns_targets`` int32 (N + 1,) / ``ns_labels`` float32
(N + 1,) with ``ns_length`` of them used; ``hs_targets`` int32 (L,) / ``hs_labels`` float32 (L,) with
``path_length`` used; ``alpha`` float32; ``inputs`` and ``input_grads`` float32 (2 W, d) and
``gradients`` float32 (max(2 W, L),) scratch; ``compute_loss``, ``ns_skip_saturated`` and
``use_lockf`` bool; ``lockf`` float32 (V,) or (1,). Each returns the loss it adds (float64).
"""
from numba import njit

from .common import (block_update, gather_rows, path_update_range, path_update_two_rows, row_update, scatter_add_rows,
                     zero_rows)

#: codes of the skip-gram updates (``TrainParams.kernel``) as the kernels receive them
SG_EXACT, SG_SHARED, SG_BATCHED = 0, 1, 2
SG_KERNELS = {"exact": SG_EXACT, "shared": SG_SHARED, "batched": SG_BATCHED}


@njit(cache=True, inline="always")
def sg_pairs_negative(syn0, syn1neg, context, n_context, ns_targets, ns_labels, ns_length, alpha, inputs,
                      input_grads, compute_loss, ns_skip_saturated, lockf, use_lockf):
    """Update the ``n_context`` rows ``syn0[context[:n_context]]`` one after another against the
    negative-sampling targets, each seeing the target rows as the previous ones left them
    (word2vec.c's order); return the loss.

    Gather the rows, train them, scatter-add each row's accumulated gradient at the end, scaled by
    the row's lock factor when ``use_lockf`` (gensim applies ``vectors_lockf`` to the input rows
    only; output rows always train). The hot loop of skip-gram with negative sampling.
    """
    gather_rows(syn0, context, n_context, inputs)
    zero_rows(input_grads, n_context)
    loss = 0.0
    for k in range(n_context):
        loss += row_update(inputs, k, syn1neg, ns_targets, ns_labels, ns_length, alpha, input_grads,
                           compute_loss, ns_skip_saturated)
    scatter_add_rows(syn0, context, n_context, input_grads, lockf, use_lockf)
    return loss


@njit(cache=True, inline="always")
def sg_pairs_paths(syn0, syn1neg, syn1, syn1_hot, hot_length, context, n_context, ns_targets, ns_labels,
                   ns_length, hs_targets, hs_labels, path_length, alpha, inputs, input_grads, gradients,
                   compute_loss, ns_skip_saturated, lockf, use_lockf):
    """:func:`sg_pairs_negative` with hierarchical softmax: each row trains against the centre's
    Huffman path first (the private copies' rows, then the shared ones), then against the
    negative-sampling targets if there are any (word2vec.c's order when both are on). The rows go
    along the path in twos (:func:`.common.path_update_two_rows`): each pass over a node serves both,
    the second seeing the node as the first left it."""
    gather_rows(syn0, context, n_context, inputs)
    zero_rows(input_grads, n_context)
    loss = 0.0
    pairs_end = n_context // 2 * 2
    for k in range(0, pairs_end, 2):    # two rows at a time along the path, as if one after the other
        loss += path_update_two_rows(inputs, k, syn1_hot, syn1, hs_targets, hs_labels, hot_length, path_length,
                                     alpha, input_grads, gradients, compute_loss)
        if ns_length > 0:               # other rows than the path's: their order against it is free
            for r in range(k, k + 2):
                loss += row_update(inputs, r, syn1neg, ns_targets, ns_labels, ns_length, alpha, input_grads,
                                   compute_loss, ns_skip_saturated)
    for k in range(pairs_end, n_context):
        loss += path_update_range(inputs, k, syn1_hot, hs_targets, hs_labels, 0, hot_length, alpha,
                                  input_grads, gradients, compute_loss)
        loss += path_update_range(inputs, k, syn1, hs_targets, hs_labels, hot_length, path_length, alpha,
                                  input_grads, gradients, compute_loss)
        if ns_length > 0:
            loss += row_update(inputs, k, syn1neg, ns_targets, ns_labels, ns_length, alpha, input_grads,
                               compute_loss, ns_skip_saturated)
    scatter_add_rows(syn0, context, n_context, input_grads, lockf, use_lockf)
    return loss


@njit(cache=True, inline="always")
def sg_block_step(syn0, syn1neg, syn1, syn1_hot, hot_length, context, n_context, ns_targets, ns_labels,
                  ns_length, hs_targets, hs_labels, path_length, alpha, inputs, input_grads, gradients,
                  compute_loss, ns_skip_saturated, lockf, use_lockf):
    """:func:`sg_pairs_paths` with all ``n_context`` rows as one block (HogBatch): every row sees the
    target rows unmoved, and each target row is read and written once per block."""
    gather_rows(syn0, context, n_context, inputs)
    zero_rows(input_grads, n_context)
    loss = 0.0
    if path_length > 0:
        if hot_length > 0:
            loss += block_update(inputs, n_context, syn1_hot, hs_targets, hs_labels, 0, hot_length, alpha,
                                 input_grads, gradients, compute_loss, True)
        loss += block_update(inputs, n_context, syn1, hs_targets, hs_labels, hot_length, path_length, alpha,
                             input_grads, gradients, compute_loss, True)
    if ns_length > 0:
        loss += block_update(inputs, n_context, syn1neg, ns_targets, ns_labels, 0, ns_length, alpha, input_grads,
                             gradients, compute_loss, ns_skip_saturated)
    scatter_add_rows(syn0, context, n_context, input_grads, lockf, use_lockf)
    return loss


@njit(cache=True)
def sg_step(syn0, syn1neg, syn1, context, n_context, one_by_one, ns_targets, ns_labels, ns_length, hs_targets,
            hs_labels, path_length, alpha, inputs, input_grads, gradients, compute_loss, ns_skip_saturated, lockf,
            use_lockf):
    """One skip-gram update of ``n_context`` context rows against one set of targets, without private
    copies (``one_by_one``: word2vec.c's order, else HogBatch); return the loss. The training kernel
    calls the three functions above directly; this is their one entry for tests and readers."""
    if not one_by_one:
        return sg_block_step(syn0, syn1neg, syn1, syn1, 0, context, n_context, ns_targets, ns_labels, ns_length,
                             hs_targets, hs_labels, path_length, alpha, inputs, input_grads, gradients, compute_loss,
                             ns_skip_saturated, lockf, use_lockf)
    if path_length == 0:
        return sg_pairs_negative(syn0, syn1neg, context, n_context, ns_targets, ns_labels, ns_length, alpha, inputs,
                                 input_grads, compute_loss, ns_skip_saturated, lockf, use_lockf)
    return sg_pairs_paths(syn0, syn1neg, syn1, syn1, 0, context, n_context, ns_targets, ns_labels, ns_length,
                          hs_targets, hs_labels, path_length, alpha, inputs, input_grads, gradients, compute_loss,
                          ns_skip_saturated, lockf, use_lockf)
