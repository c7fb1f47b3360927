"""Plain numpy statements of the kernels' updates, written for reading and for tests, not for speed.

Each function applies one update in place, given the targets explicitly (no random draws), so a
test can run the numba kernel and this reference on copies of the same tables and compare.
"""
import numpy as np

from . import exchange
from .common import EXP_TABLE_SIZE, MAX_EXP, SIGMOID_TABLE, TABLE_SCALE


def clipped_sigmoid(f: np.ndarray, skip_saturated: bool):
    """word2vec.c's table sigmoid; returns (sigmoid, trainable mask)."""
    idx = ((np.clip(f, -MAX_EXP, MAX_EXP) + MAX_EXP) * TABLE_SCALE).astype(int)
    s = SIGMOID_TABLE[np.minimum(idx, EXP_TABLE_SIZE - 1)].astype(np.float64)
    s = np.where(f >= MAX_EXP, 1.0, np.where(f <= -MAX_EXP, 0.0, s))
    trainable = np.abs(f) < MAX_EXP if skip_saturated else np.ones_like(f, dtype=bool)
    return s, trainable


def block_update(H: np.ndarray, syn_out: np.ndarray, targets, labels, alpha: float,
                 skip_saturated: bool = False) -> np.ndarray:
    """Targets one after another: F = H O_t^T, G = (label - sigmoid(F)) alpha; return dH.

    Updates ``syn_out`` in place (``O_t += G^T H``) and returns the input gradient ``G O_t``
    computed with each target row as it was before its own update.
    """
    dH = np.zeros_like(H, dtype=np.float64)
    for t, label in zip(targets, labels):
        o = syn_out[t].astype(np.float64)
        f = H.astype(np.float64) @ o
        s, trainable = clipped_sigmoid(f, skip_saturated)
        g = np.where(trainable, (label - s) * alpha, 0.0)
        dH += np.outer(g, o)
        syn_out[t] += (g @ H).astype(syn_out.dtype)
    return dH


def sg_step(syn0, syn1neg, syn1, ctx, ns_targets=(), ns_labels=(), hs_targets=(), hs_labels=(), alpha=0.025,
            one_by_one=False, lockf=None):
    """Skip-gram: context rows ``syn0[ctx]`` predict the centre's targets.

    All rows at once as one block (HogBatch), or ``one_by_one`` in order, each against the target
    rows as the rows before it left them (word2vec.c's order). Either way the context rows are
    read before and written after the whole step. ``lockf`` (one factor per word, gensim's
    ``vectors_lockf``) scales each context row's update; the output rows train regardless.
    """
    H = syn0[ctx].copy()
    dH = np.zeros(H.shape)
    blocks = [slice(k, k + 1) for k in range(len(ctx))] if one_by_one else [slice(None)]
    for rows in blocks:
        if len(hs_targets):
            dH[rows] += block_update(H[rows], syn1, hs_targets, hs_labels, alpha, skip_saturated=True)
        if len(ns_targets):
            dH[rows] += block_update(H[rows], syn1neg, ns_targets, ns_labels, alpha)
    if lockf is not None:
        dH *= np.asarray(lockf, np.float64)[ctx][:, None]
    np.add.at(syn0, ctx, dH.astype(syn0.dtype))


def cbow_step(syn0, syn1neg, syn1, ctx, cbow_mean=1, ns_targets=(), ns_labels=(), hs_targets=(),
              hs_labels=(), alpha=0.025, lockf=None):
    """CBOW: h = mean (or sum) of ``syn0[ctx]``; its gradient goes to every context row, scaled by
    the row's factor in ``lockf`` when given (gensim's ``vectors_lockf``)."""
    h = syn0[ctx].astype(np.float64).sum(axis=0)
    if cbow_mean:
        h /= len(ctx)
    H = h[None, :].astype(np.float32)
    dH = np.zeros(H.shape)
    if len(hs_targets):
        dH += block_update(H, syn1, hs_targets, hs_labels, alpha, skip_saturated=True)
    if len(ns_targets):
        dH += block_update(H, syn1neg, ns_targets, ns_labels, alpha)
    if not cbow_mean:
        dH /= len(ctx)
    dH = np.repeat(dH, len(ctx), axis=0)
    if lockf is not None:
        dH *= np.asarray(lockf, np.float64)[ctx][:, None]
    np.add.at(syn0, ctx, dH.astype(syn0.dtype))


def pack_rows(rows: np.ndarray):
    """:func:`w2v.kernels.exchange.pack_rows`: (int16 steps, float32 scales) with rows ~= steps * scales."""
    rows = np.asarray(rows, np.float32)
    largest = np.abs(rows).max(axis=1, initial=0.0).astype(np.float32) if rows.size else np.zeros(len(rows), np.float32)
    scales = (largest / np.float32(exchange.STEPS)).astype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        steps = np.where(scales[:, None] > 0, np.rint(rows / scales[:, None]), 0).astype(exchange.STEP_TYPE)
    return steps, scales


def take_changes(table: np.ndarray, base: np.ndarray):
    """:func:`w2v.kernels.exchange.take_changes`: (ids, exact changes, steps, scales) of the changed
    rows; base caught up with table."""
    ids = np.flatnonzero((table != base).any(axis=1)).astype(np.int32)
    exact = table[ids] - base[ids]
    steps, scales = pack_rows(exact)
    base[ids] = table[ids]
    return ids, exact, steps, scales


def take_merged(base: np.ndarray, table: np.ndarray, ids, steps, scales, own_ids, own_rows) -> None:
    """:func:`w2v.kernels.exchange.take_merged`: change = steps * scales (less own_rows on own_ids),
    added to base and table alike."""
    change = np.zeros_like(base)
    change[ids] = steps.astype(np.float32) * scales[:, None]
    change[own_ids] -= own_rows
    rows = np.union1d(ids, own_ids)
    base[rows] += change[rows]
    table[rows] += change[rows]


def add_changes(base: np.ndarray, table: np.ndarray, ids, steps, scales) -> None:
    """:func:`w2v.kernels.exchange.take_merged` without own rows: steps * scales added to those rows
    of base and table."""
    change = steps.astype(np.float32) * scales[:, None]
    base[ids] += change
    table[ids] += change
