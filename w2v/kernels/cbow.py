"""CBOW: the mean (or sum) of the context rows predicts the centre word."""
from numba import njit

from .common import collect_context, path_update_range, row_update


@njit(cache=True, inline="always")
def cbow_step(syn0, syn1neg, syn1, ctx, K, cbow_mean, ns_targets, ns_labels, T_ns, hs_targets,
              hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated, lockf, use_lockf):
    """One CBOW update from the K context rows ``syn0[ctx[:K]]``; return the loss.

    ``H[0]`` is the mean (cbow_mean=1) or sum of the gathered rows. The input gradient is added to
    every context row unchanged for the mean (word2vec.c) and divided by K for the sum (gensim),
    scaled by each row's lock factor when ``use_lockf`` (gensim's ``vectors_lockf``).
    """
    d = syn0.shape[1]
    for j in range(d):
        H[0, j] = 0.0
        dH[0, j] = 0.0
    for k in range(K):
        r = ctx[k]
        for j in range(d):
            H[0, j] += syn0[r, j]
    if cbow_mean:
        inv = 1.0 / K
        for j in range(d):
            H[0, j] *= inv
    loss = 0.0
    if T_hs > 0:
        loss += path_update_range(H, 0, syn1, hs_targets, hs_labels, 0, T_hs, alpha, dH, G, compute_loss)
    if T_ns > 0:
        loss += row_update(H, 0, syn1neg, ns_targets, ns_labels, T_ns, alpha, dH, compute_loss,
                           ns_skip_saturated)
    if not cbow_mean:
        inv = 1.0 / K
        for j in range(d):
            dH[0, j] *= inv
    for k in range(K):
        r = ctx[k]
        if use_lockf:
            s = lockf[r]
            for j in range(d):
                syn0[r, j] += s * dH[0, j]
        else:
            for j in range(d):
                syn0[r, j] += dH[0, j]
    return loss


@njit(cache=True, inline="always")
def cbow_centre(syn0, syn1neg, syn1, sent, i, lo, hi, cbow_mean, ns_targets, T_ns, ns_labels,
                hs_targets, hs_labels, T_hs, alpha, ctx, H, dH, G, compute_loss, ns_skip_saturated, lockf,
                use_lockf):
    """Train the centre word ``sent[i]`` from context positions [lo, hi) except i, against its
    negatives ``ns_targets[:T_ns]`` (drawn ahead by the sentence loop)."""
    K = collect_context(sent, i, lo, hi, ctx)
    if K == 0:
        return 0.0
    return cbow_step(syn0, syn1neg, syn1, ctx, K, cbow_mean, ns_targets, ns_labels, T_ns, hs_targets,
                     hs_labels, T_hs, alpha, H, dH, G, compute_loss, ns_skip_saturated, lockf, use_lockf)
