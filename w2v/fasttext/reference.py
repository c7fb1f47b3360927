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


def sg_centre_shared(tables: dict, ngrams: list, centre: int, contexts: list, noise: list, negative: int,
                     hs: bool, codes, points, codelens, alpha: float, per_context: bool, collapse: bool) -> None:
    """The skip-gram update of one centre word with its negatives drawn ahead: ``per_context``
    (``"exact"``), shared (``"shared"``), shared and ``collapse`` (``"batched"``).

    Context k's noise words are ``noise[k * negative:(k + 1) * negative]`` with ``per_context``,
    else all contexts share ``noise[:negative]``: it trains its Huffman path (``hs``), its own
    word (label 1) and each noise word other than it (label 0), accumulating one gradient; the
    centre's input vector then moves by what that gradient does to the sum of its rows (as
    gensim's re-gather would see it), unless ``collapse``, where it stays put and each noise
    word trains once with its gradient times the number of contexts it is a negative for. The
    summed gradient goes to the centre's rows at the end.
    """
    rows = word_rows(tables, centre, ngrams)
    n_ngrams = len(rows) - 1
    scale = np.float32(1.0 / n_ngrams) if n_ngrams else np.float32(1.0)

    def input_vector():
        return (sum(tables[t][r] for t, r in rows).astype(np.float32) * scale).astype(np.float32)

    neu1 = input_vector()
    total = np.zeros_like(neu1)
    for k, context in enumerate(contexts):
        own_noise = noise[k * negative:(k + 1) * negative] if per_context else noise[:negative]
        hs_targets, _ = targets_of(context, [], hs, codes, points, codelens)
        work = np.zeros_like(neu1)
        for row, label in hs_targets:
            work += train_pair(tables, neu1, "syn1", row, label, alpha, False)
        if noise:
            work += train_pair(tables, neu1, "syn1neg", context, 1.0, alpha, False)
            if not collapse:
                for t in own_noise:
                    if t != context:
                        work += train_pair(tables, neu1, "syn1neg", t, 0.0, alpha, False)
        total += work
        if not collapse:   # the rows as they would be after this context's update, re-gathered
            for t, r in rows:
                tables[t][r] += work
            neu1 = input_vector()
    if collapse:
        for t in noise[:negative]:
            m = sum(1 for c in contexts if c != t)
            if m:
                total += train_pair(tables, neu1, "syn1neg", t, 0.0, alpha * m, False)
        for t, r in rows:
            tables[t][r] += total


def cbow_sentence_slots(tables: dict, ngrams: list, sentence: list, window: int, neg_targets: list, hs: bool,
                        codes, points, codelens, alpha: float, cbow_mean: bool) -> None:
    """The ``"shared"`` CBOW update of one sentence (no subsampling, no window shrinking).

    Word p's rows are summed when it enters the window (as centre p - window is reached) and
    the gradients of every centre it serves as context are added to all its rows when it leaves
    (after centre p + window). ``neg_targets[i]``: centre i's NS targets (the word, then negatives).
    """
    n = len(sentence)
    sums, counts, grads = {}, {}, {}

    def enter(p):
        rows = word_rows(tables, sentence[p], ngrams)
        sums[p] = sum(tables[t][r] for t, r in rows).astype(np.float32)
        counts[p] = len(rows)
        grads[p] = np.zeros_like(sums[p])

    def centre(i):
        context = [j for j in range(max(0, i - window), min(n, i + window + 1)) if j != i]
        if not context:
            return
        neu1 = sum(sums[j] for j in context).astype(np.float32)
        inv = np.float32(1.0 / sum(counts[j] for j in context))
        if cbow_mean:
            neu1 = neu1 * inv
        hs_targets, ns_targets = targets_of(sentence[i], neg_targets[i], hs, codes, points, codelens)
        work = np.zeros_like(neu1)
        for row, label in hs_targets:
            work += train_pair(tables, neu1, "syn1", row, label, alpha, False)
        for row, label in ns_targets:
            work += train_pair(tables, neu1, "syn1neg", row, label, alpha, True)
        if not cbow_mean:
            work = work * inv
        for j in context:
            grads[j] += work

    slide_window(n, window, enter, centre, lambda p: scatter_slot(tables, ngrams, sentence[p], grads[p]))


def scatter_slot(tables: dict, ngrams: list, word: int, grad: np.ndarray) -> None:
    """A slot leaves the window: the gradient it gathered goes to every row of its word."""
    for t, r in word_rows(tables, word, ngrams):
        tables[t][r] += grad


def slide_window(n: int, window: int, enter, visit, leave) -> None:
    """Walk positions 0..n-1 as the window slots do: position p enters ``window`` positions before
    it is visited (or at the start) and leaves ``window`` positions after (or at the end)."""
    for p in range(min(window, n)):
        enter(p)
    for i in range(n):
        if i + window < n:
            enter(i + window)
        visit(i)
        if i >= window:
            leave(i - window)
    for p in range(max(0, n - window), n):
        leave(p)


def sg_sentence_slots(tables: dict, ngrams: list, sentence: list, window: int, reaches: list, noise: list,
                      hs: bool, codes, points, codelens, alpha: float) -> None:
    """The ``"shared"`` skip-gram update of one sentence (no subsampling; ``reaches[c]``: the
    window of input c, as gensim draws one per centre word).

    gensim's pairs, grouped by target: for each position i in order, every input c != i with
    ``|c - i| <= reaches[c]`` (in position order) trains word i's Huffman path (``hs``), word i
    (label 1) and each of ``noise[i]`` other than it (label 0). Input c's vector is composed as
    gensim composes it when c enters the window (``window`` positions ahead of the target), moves
    after each of its pairs as gensim's re-gather would see it, and the gradients it gathered go
    to all its rows when it leaves (``window`` positions behind).
    """
    n = len(sentence)
    vectors, steps, grads = {}, {}, {}

    def enter(c):
        word = sentence[c]
        rows = word_rows(tables, word, ngrams)
        divisor = max(len(rows) - 1, 1)
        composed = sum(tables[t][r] for t, r in rows).astype(np.float32)
        vectors[c] = (composed * np.float32(1.0 / divisor)).astype(np.float32) if len(rows) > 1 else composed
        growth = 1 + sum(ngrams[word].count(r) for r in ngrams[word])   # a bucket listed m times adds m * m
        steps[c] = np.float32(growth / divisor)
        grads[c] = np.zeros_like(vectors[c])

    def target(i):
        hs_targets, _ = targets_of(sentence[i], [], hs, codes, points, codelens)
        ns_targets = [(sentence[i], 1.0)] + [(t, 0.0) for t in noise[i] if t != sentence[i]] if noise[i] else []
        for c in range(max(0, i - window), min(n, i + window + 1)):
            if c == i or abs(c - i) > reaches[c]:
                continue
            work = np.zeros_like(vectors[c])
            for row, label in hs_targets:
                work += train_pair(tables, vectors[c], "syn1", row, label, alpha, False)
            for row, label in ns_targets:
                work += train_pair(tables, vectors[c], "syn1neg", row, label, alpha, False)
            grads[c] += work
            vectors[c] = vectors[c] + steps[c] * work

    slide_window(n, window, enter, target, lambda c: scatter_slot(tables, ngrams, sentence[c], grads[c]))
