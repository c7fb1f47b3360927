"""Skip-gram: the context words' input rows predict the centre word (word2vec.c's orientation)."""
from numba import njit

from .common import (
    block_update,
    collect_context,
    fill_negative_targets,
    gather_rows,
    path_update_range,
    row_update,
    scatter_add_rows,
    zero_rows,
)

#: codes of the skip-gram updates (``TrainParams.kernel``) as the kernels receive them
SG_EXACT, SG_SHARED, SG_BATCHED = 0, 1, 2
SG_KERNELS = {"exact": SG_EXACT, "shared": SG_SHARED, "batched": SG_BATCHED}


@njit(cache=True, inline="always")
def sg_step(syn0, syn1neg, syn1, ctx, K, one_by_one, ns_targets, ns_labels, T_ns, hs_targets, hs_labels,
            T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated, lockf, use_lockf):
    """Update the K context rows ``syn0[ctx[:K]]`` against one set of targets; return the loss.

    Gather the rows; train them against hierarchical softmax's targets, then the negative-sampling
    ones (word2vec.c's order when both are on); scatter-add each row's accumulated gradient at the
    end, scaled by the row's lock factor when ``use_lockf`` (gensim applies ``vectors_lockf`` to
    the input rows only; output rows always train). ``one_by_one`` trains the rows one after
    another, each seeing the target rows as the previous ones left them (word2vec.c's order);
    otherwise all K rows are one block (HogBatch).
    """
    return sg_step_split(syn0, syn1neg, syn1, syn1, 0, ctx, K, one_by_one, ns_targets, ns_labels, T_ns,
                         hs_targets, hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated, lockf,
                         use_lockf)


@njit(cache=True, inline="always")
def sg_step_split(syn0, syn1neg, syn1, syn1_hot, h_hs, ctx, K, one_by_one, ns_targets, ns_labels, T_ns,
                  hs_targets, hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated, lockf, use_lockf):
    """:func:`sg_step` whose first ``h_hs`` Huffman targets index the thread's private copies
    ``syn1_hot`` of the top of the tree (see :mod:`.hot_rows`), the rest the shared ``syn1``.
    Each target is trained in the same order as without copies, so the arithmetic is the same."""
    gather_rows(syn0, ctx, K, H)
    zero_rows(dH, K)
    loss = 0.0
    if one_by_one and T_hs == 0:   # negative sampling alone: the hot loop, kept free of the HS branch
        for k in range(K):
            loss += row_update(H, k, syn1neg, ns_targets, ns_labels, T_ns, alpha, dH, compute_loss,
                               ns_skip_saturated)
    elif one_by_one:
        for k in range(K):
            loss += path_update_range(H, k, syn1_hot, hs_targets, hs_labels, 0, h_hs, alpha, dH, G, compute_loss)
            loss += path_update_range(H, k, syn1, hs_targets, hs_labels, h_hs, T_hs, alpha, dH, G, compute_loss)
            if T_ns > 0:
                loss += row_update(H, k, syn1neg, ns_targets, ns_labels, T_ns, alpha, dH, compute_loss,
                                   ns_skip_saturated)
    else:
        if T_hs > 0:
            if h_hs > 0:
                loss += block_update(H, K, syn1_hot, hs_targets, hs_labels, 0, h_hs, alpha, dH, G, compute_loss,
                                     True)
            loss += block_update(H, K, syn1, hs_targets, hs_labels, h_hs, T_hs, alpha, dH, G, compute_loss, True)
        if T_ns > 0:
            loss += block_update(H, K, syn1neg, ns_targets, ns_labels, 0, T_ns, alpha, dH, G, compute_loss,
                                 ns_skip_saturated)
    scatter_add_rows(syn0, ctx, K, dH, lockf, use_lockf)
    return loss


@njit(cache=True, inline="always")
def sg_centre(syn0, syn1neg, syn1, syn1_hot, sent, i, lo, hi, sg_kernel, negative, rng, alias_thr, alias_idx,
              ns_targets, T_ns, ns_labels, hs_targets, hs_labels, T_hs, h_hs, alpha, ctx, H, dH, G, compute_loss,
              ns_skip_saturated, lockf, use_lockf):
    """Train the centre word ``sent[i]`` with context positions [lo, hi) except i.

    * SG_EXACT: word2vec.c and gensim exactly: one (context, centre) pair after another, each with
      fresh negatives and its context row updated before the next pair;
    * SG_SHARED: the same pairs in the same order against the target rows as the previous pairs
      left them, but every pair uses the centre's one draw ``ns_targets[:T_ns]`` (made ahead by
      the sentence loop, which prefetched its rows), and the context rows' gradients are added
      when the centre is done (a word met twice in one window sees its row unmoved the second time);
    * SG_BATCHED (HogBatch): all context rows as one block against that draw, every row seeing the
      target rows unmoved.

    The first ``h_hs`` Huffman targets index ``syn1_hot``, the thread's copies of the tree's top.
    """
    if sg_kernel != SG_EXACT:
        K = collect_context(sent, i, lo, hi, ctx)
        if K == 0:
            return 0.0
        return sg_step_split(syn0, syn1neg, syn1, syn1_hot, h_hs, ctx, K, sg_kernel == SG_SHARED, ns_targets,
                             ns_labels, T_ns, hs_targets, hs_labels, T_hs, alpha, H, dH, G, compute_loss,
                             ns_skip_saturated, lockf, use_lockf)
    loss = 0.0
    for j in range(lo, hi):
        if j != i:
            ctx[0] = sent[j]
            if negative > 0:
                T_ns = fill_negative_targets(sent[i], negative, rng, alias_thr, alias_idx, ns_targets)
            loss += sg_step_split(syn0, syn1neg, syn1, syn1_hot, h_hs, ctx, 1, True, ns_targets, ns_labels, T_ns,
                                  hs_targets, hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated,
                                  lockf, use_lockf)
    return loss
