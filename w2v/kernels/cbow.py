"""CBOW: the mean (or sum) of the context rows predicts the centre word.

Arguments as in :mod:`.skipgram`: ``syn0`` float32 (V, d) input rows, ``syn1neg`` float32 (V, d),
``syn1`` float32 (V - 1, d); ``context`` int32 (2 W,); ``ns_targets`` int32 (N + 1,) / ``ns_labels``
float32 (N + 1,) with ``ns_length`` used; ``hs_targets`` int32 (L,) / ``hs_labels`` float32 (L,) with
``path_length`` used; ``alpha`` float32; ``inputs``, ``input_grads`` float32 (2 W, d) and
``gradients`` float32 (max(2 W, L),) scratch (CBOW uses row 0); ``lockf`` float32 (V,) or (1,).
"""
from numba import njit

from .common import path_update_range, row_update

# The sentence loop (:mod:`.sentences`) calls cbow_gather, then the targets' updates of its mode
# (common.path_update_range, common.row_update on row 0), then cbow_scatter: a compiled kernel holds
# only its own mode's updates. cbow_step is the same update as one function, for tests and readers.


@njit(cache=True, inline="always")
def cbow_gather(syn0, context, n_context, cbow_mean, inputs, input_grads):
    """``inputs[0]`` = the mean (cbow_mean) or sum of the rows ``syn0[context[:n_context]]``;
    ``input_grads[0]`` = 0."""
    d = syn0.shape[1]
    for j in range(d):
        inputs[0, j] = 0.0
        input_grads[0, j] = 0.0
    for k in range(n_context):
        r = context[k]
        for j in range(d):
            inputs[0, j] += syn0[r, j]
    if cbow_mean:
        inv = 1.0 / n_context
        for j in range(d):
            inputs[0, j] *= inv


@njit(cache=True, inline="always")
def cbow_scatter(syn0, context, n_context, cbow_mean, input_grads, lockf, use_lockf):
    """Add the input gradient ``input_grads[0]`` to every context row: unchanged for the mean
    (word2vec.c), divided by ``n_context`` for the sum (gensim), scaled by each row's lock factor
    when ``use_lockf`` (gensim's ``vectors_lockf``)."""
    d = syn0.shape[1]
    if not cbow_mean:
        inv = 1.0 / n_context
        for j in range(d):
            input_grads[0, j] *= inv
    for k in range(n_context):
        r = context[k]
        if use_lockf:
            s = lockf[r]
            for j in range(d):
                syn0[r, j] += s * input_grads[0, j]
        else:
            for j in range(d):
                syn0[r, j] += input_grads[0, j]


@njit(cache=True)
def cbow_step(syn0, syn1neg, syn1, context, n_context, cbow_mean, ns_targets, ns_labels, ns_length, hs_targets,
              hs_labels, path_length, alpha, inputs, input_grads, gradients, compute_loss, ns_skip_saturated, lockf,
              use_lockf):
    """One CBOW update from the ``n_context`` context rows ``syn0[context[:n_context]]``; return the loss:
    :func:`cbow_gather`, hierarchical softmax's path, the negative-sampling targets, :func:`cbow_scatter`."""
    cbow_gather(syn0, context, n_context, cbow_mean, inputs, input_grads)
    loss = 0.0
    if path_length > 0:
        loss += path_update_range(inputs, 0, syn1, hs_targets, hs_labels, 0, path_length, alpha, input_grads,
                                  gradients, compute_loss)
    if ns_length > 0:
        loss += row_update(inputs, 0, syn1neg, ns_targets, ns_labels, ns_length, alpha, input_grads, compute_loss,
                           ns_skip_saturated)
    cbow_scatter(syn0, context, n_context, cbow_mean, input_grads, lockf, use_lockf)
    return loss
