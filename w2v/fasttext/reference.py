"""Plain numpy statements of the FastText updates, as gensim's ``fasttext_inner.pyx`` performs them.

Literal, slow and for reading and tests: every pair gathers the input rows afresh and scatters its
gradient at once, exactly in gensim's order. :mod:`w2v.fasttext.kernels` must agree with these
(``tests/test_fasttext_kernels.py``). Targets are given (the negatives already drawn).
"""
from __future__ import annotations

import numpy as np

from .kernels import LOG_SIGMOID, MAX_EXP, SIGMOID, TABLE_SCALE


def _sigmoid(f: np.float32) -> np.float32:
    return SIGMOID[min(max(int((f + np.float32(MAX_EXP)) * TABLE_SCALE), 0), len(SIGMOID) - 1)]


def word_rows(tables: dict, word: int, ngrams: list) -> list:
    """(table name, row) of each row the word's input vector sums: its own, then its n-grams."""
    return [("vectors_vocab", word)] + [("vectors_ngrams", int(r)) for r in ngrams[word]]


def train_pair(tables: dict, neu1: np.ndarray, table: str, row: int, label: float, alpha: float, clip: bool):
    """One target: return the input gradient it adds; the target row moves. ``clip``: a saturated
    score counts as 0 or 1 (gensim's CBOW negative sampling) instead of skipping the pair."""
    out = tables[table]
    f = np.float32(neu1 @ out[row])
    if f <= -MAX_EXP or f >= MAX_EXP:
        if not clip:
            return np.zeros_like(neu1)
        s = np.float32(0.0 if f <= -MAX_EXP else 1.0)
    else:
        s = _sigmoid(f)
    g = np.float32((np.float32(label) - s) * np.float32(alpha))
    work = g * out[row]
    out[row] += g * neu1
    return work


def targets_of(word: int, neg_targets, hs: bool, codes, points, codelens) -> tuple[list, list]:
    """HS targets (syn1 rows, labels) and NS targets (syn1neg rows, labels) of ``word``."""
    hs_targets = [(int(points[word, t]), 1.0 - float(codes[word, t])) for t in range(codelens[word])] if hs else []
    ns_targets = [(int(t), 1.0 if k == 0 else 0.0) for k, t in enumerate(neg_targets)]
    return hs_targets, ns_targets


def sg_centre(tables: dict, ngrams: list, centre: int, contexts: list, neg_targets: list, hs: bool,
              codes, points, codelens, alpha: float) -> None:
    """gensim's ``fasttext_fast_sentence_sg_hs`` / ``_sg_neg`` for each (centre, context) pair."""
    rows = word_rows(tables, centre, ngrams)
    n_ngrams = len(rows) - 1
    for k, context in enumerate(contexts):
        hs_targets, ns_targets = targets_of(context, neg_targets[k], hs, codes, points, codelens)
        for out_table, targets, clip in (("syn1", hs_targets, False), ("syn1neg", ns_targets, False)):
            if not targets:
                continue
            neu1 = sum(tables[t][r] for t, r in rows).astype(np.float32)
            if n_ngrams:
                neu1 = neu1 * np.float32(1.0 / n_ngrams)
            work = np.zeros_like(neu1)
            for row, label in targets:
                work += train_pair(tables, neu1, out_table, row, label, alpha, clip)
            for t, r in rows:
                tables[t][r] += work


def cbow_centre(tables: dict, ngrams: list, centre: int, contexts: list, neg_targets: list, hs: bool,
                codes, points, codelens, alpha: float, cbow_mean: bool) -> None:
    """gensim's ``fasttext_fast_sentence_cbow_hs`` then ``_cbow_neg`` for one centre word."""
    rows = [r for c in contexts for r in word_rows(tables, c, ngrams)]
    if not rows:
        return
    hs_targets, ns_targets = targets_of(centre, neg_targets, hs, codes, points, codelens)
    for out_table, targets, clip in (("syn1", hs_targets, False), ("syn1neg", ns_targets, True)):
        if not targets:
            continue
        neu1 = sum(tables[t][r] for t, r in rows).astype(np.float32)
        inv = np.float32(1.0 / len(rows))
        if cbow_mean:
            neu1 = neu1 * inv
        work = np.zeros_like(neu1)
        for row, label in targets:
            work += train_pair(tables, neu1, out_table, row, label, alpha, clip)
        if not cbow_mean:
            work = work * inv
        for t, r in rows:
            tables[t][r] += work


def pair_loss(f: float, label: float) -> float:
    """-log P(label | f), as the kernel accumulates it."""
    x = f if label > 0.5 else -f
    if x <= -MAX_EXP:
        return -x
    if x >= MAX_EXP:
        return 0.0
    return -float(LOG_SIGMOID[int((np.float32(x) + np.float32(MAX_EXP)) * TABLE_SCALE)])
