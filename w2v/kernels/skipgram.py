"""Skip-gram: the context words' input rows predict the centre word (word2vec.c's orientation)."""
from numba import njit

from .common import block_update, fill_negative_targets, gather_rows, scatter_add_rows, zero_rows


@njit(cache=True, inline="always")
def sg_step(syn0, syn1neg, syn1, ctx, K, ns_targets, ns_labels, T_ns, hs_targets, hs_labels, T_hs,
            alpha, H, dH, G, compute_loss, ns_skip_saturated):
    """Update the K context rows ``syn0[ctx[:K]]`` against one set of targets; return the loss.

    Gather the rows, run hierarchical softmax then negative sampling on the same unchanged inputs
    (as word2vec.c does when both are on), and scatter-add the accumulated input gradient.
    """
    gather_rows(syn0, ctx, K, H)
    zero_rows(dH, K)
    loss = 0.0
    if T_hs > 0:
        loss += block_update(H, K, syn1, hs_targets, hs_labels, T_hs, alpha, dH, G, compute_loss, True)
    if T_ns > 0:
        loss += block_update(H, K, syn1neg, ns_targets, ns_labels, T_ns, alpha, dH, G, compute_loss,
                             ns_skip_saturated)
    scatter_add_rows(syn0, ctx, K, dH)
    return loss


@njit(cache=True, inline="always")
def sg_centre(syn0, syn1neg, syn1, sent, i, lo, hi, batched, negative, rng, alias_thr, alias_idx,
              ns_targets, T_ns, ns_labels, hs_targets, hs_labels, T_hs, alpha, ctx, H, dH, G, compute_loss,
              ns_skip_saturated):
    """Train the centre word ``sent[i]`` with context positions [lo, hi) except i.

    ``batched`` (HogBatch) trains all context rows in one block against the centre's one draw of
    negatives, ``ns_targets[:T_ns]`` (drawn ahead by the sentence loop); otherwise every (context,
    centre) pair draws its own negatives and is applied before the next pair, exactly as
    word2vec.c and gensim do.
    """
    word = sent[i]
    loss = 0.0
    if batched:
        K = 0
        for j in range(lo, hi):
            if j != i:
                ctx[K] = sent[j]
                K += 1
        if K > 0:
            loss += sg_step(syn0, syn1neg, syn1, ctx, K, ns_targets, ns_labels, T_ns, hs_targets,
                            hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated)
        return loss
    for j in range(lo, hi):
        if j != i:
            ctx[0] = sent[j]
            T_ns = fill_negative_targets(word, negative, rng, alias_thr, alias_idx,
                                         ns_targets) if negative > 0 else 0
            loss += sg_step(syn0, syn1neg, syn1, ctx, 1, ns_targets, ns_labels, T_ns, hs_targets,
                            hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated)
    return loss
