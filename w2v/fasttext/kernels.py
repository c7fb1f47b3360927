"""The numba kernels of FastText training: gensim's ``fasttext_inner`` updates over subword rows.

A word's input vector is the sum of its own row (``vectors_vocab``) and its n-gram rows
(``vectors_ngrams``, by the bucket ids precomputed per vocabulary word, CSR), divided as gensim
divides; the input gradient is added, unscaled, to every one of those rows. The rules, exactly as
gensim 4's ``fasttext_inner.pyx`` has them (which is what its quality figures were obtained with):

* skip-gram: the *centre* word is the input and each context word a target (word2vec's skip-gram
  has it the other way round). The centre's sum is divided by its number of n-grams (not n-grams
  + 1; a word without n-grams is its own row), and each (centre, context) pair trains the
  context's targets and then moves the centre's rows.
* CBOW: the sum of every row of every context word (own rows and n-gram rows) divided by the
  number of rows (``cbow_mean=1``), or the plain sum with the gradient divided by it instead.
* sigmoid from fastText's 512-entry table on [-8, 8); a saturated score leaves the pair untouched,
  except in CBOW with negative sampling, where it counts as 0 or 1 (gensim's differing rules kept).
* negatives drawn per pair with probability ~ count**ns_exponent; a draw of the true word is skipped.

Three updates (``kernel=``, :data:`UPDATES`), as Word2Vec has them:

* ``"exact"``: gensim's order and draws, below (the parity tests replay gensim's own updates);
  with negative sampling alone, skip-gram draws a centre's negatives a few centre words ahead
  and prefetches their rows (:func:`sg_centre_shared`), the same draws and order otherwise;
* ``"shared"`` (what ``"auto"``, the default, runs): each word of the window keeps a slot, its
  rows gathered once as it enters the window and the gradients of every pair it takes part in
  scattered into its ~17 rows once as it leaves, instead of once per pair or per centre word.
  CBOW (:func:`cbow_centre_slots`) sums the slots of a centre's contexts. Skip-gram
  (:func:`sg_slots_step`) takes gensim's pairs grouped by target word: position i is the target
  of every input whose drawn window reaches it, and one draw of negatives serves those pairs, as
  Word2Vec's ``"shared"`` draws once per target (the centre word there, whose input is the context);
* ``"batched"``: skip-gram draws a centre word's negatives once for all its contexts and holds its
  input for the whole window, so they train once per centre word (HogBatch for one input row,
  :func:`sg_centre_shared`); each centre then meets a fifth of the noise words, and the vectors
  score below gensim's. CBOW: as ``"shared"``.

One change of order, not of result: in skip-gram gensim re-gathers the centre's rows for every
pair, which after the previous pair's update equal the old rows plus that update. Here the
centre's input vector is gathered once, moved by the exact same amount after each pair, and the
summed update is scattered into the rows once per centre word (once per window slot with
``"shared"``). Single-threaded this is gensim's arithmetic (up to float rounding); it gathers and
scatters the ~20 rows of a word once per centre instead of once per context word.
"""
import numpy as np
from numba import njit

from ..kernels.borrow import borrowed
from ..kernels.common import draw_noise, next_u32, rand_below
from ..kernels.prefetch import prefetch_row
from ..kernels.sentences import SLOT_STRIDE, scheduled_alpha

#: fastText's sigmoid table (gensim's ``fasttext_inner``): 512 entries on [-8, 8)
MAX_EXP = 8.0
EXP_TABLE_SIZE = 512
TABLE_SCALE = np.float32(EXP_TABLE_SIZE / MAX_EXP / 2)


def _sigmoid_tables():
    grid = (np.arange(EXP_TABLE_SIZE, dtype=np.float32) / np.float32(EXP_TABLE_SIZE) * 2 - 1) * np.float32(MAX_EXP)
    e = np.exp(grid.astype(np.float64)).astype(np.float32)
    sig = (e / (e + np.float32(1.0))).astype(np.float32)
    return sig, np.log(sig).astype(np.float32)


SIGMOID, LOG_SIGMOID = _sigmoid_tables()
_MAX_EXP32 = np.float32(MAX_EXP)


@njit(cache=True, inline="always")
def table_index(f):
    """gensim's index into the table for -8 < f < 8."""
    return min(max(int((f + _MAX_EXP32) * TABLE_SCALE), 0), EXP_TABLE_SIZE - 1)


@njit(cache=True, inline="always")
def pair_loss(f, label):
    """-log P(label | f) from the log table (linear beyond it): the loss one pair adds."""
    x = f if label > np.float32(0.5) else -f
    if x <= -_MAX_EXP32:
        return -np.float64(x)
    if x >= _MAX_EXP32:
        return 0.0
    return -np.float64(LOG_SIGMOID[table_index(x)])


@njit(cache=True, inline="always")
def train_target(neu1, work, syn_out, row, label, alpha, clip_saturated, compute_loss):
    """One (input, target row) pair: ``work += g * syn_out[row]``, ``syn_out[row] += g * neu1``;
    return the pair's loss (0 unless ``compute_loss``)."""
    d = neu1.shape[0]
    f = np.float32(0.0)
    for j in range(d):
        f += neu1[j] * syn_out[row, j]
    if f <= -_MAX_EXP32 or f >= _MAX_EXP32:
        if not clip_saturated:
            return pair_loss(f, label) if compute_loss else 0.0
        s = np.float32(0.0) if f <= -_MAX_EXP32 else np.float32(1.0)
    else:
        s = SIGMOID[table_index(f)]
    g = (label - s) * alpha
    for j in range(d):
        o = syn_out[row, j]
        work[j] += g * o
        syn_out[row, j] = o + g * neu1[j]
    return pair_loss(f, label) if compute_loss else 0.0


@njit(cache=True, inline="always")
def train_word_targets(neu1, work, syn1neg, syn1, word, neg_targets, n_neg, codes, points, codelens,
                       hs, alpha, ns_clip, compute_loss):
    """Train ``neu1`` against ``word``: its Huffman path (``hs``), then ``neg_targets[:n_neg]``
    (the word itself first, label 1, then the negatives); the input gradient accumulates in
    ``work``. Return the loss."""
    loss = 0.0
    if hs:
        for t in range(codelens[word]):
            loss += train_target(neu1, work, syn1, points[word, t], np.float32(1.0) - codes[word, t], alpha,
                                 False, compute_loss)
    for t in range(n_neg):
        label = np.float32(1.0) if t == 0 else np.float32(0.0)
        loss += train_target(neu1, work, syn1neg, neg_targets[t], label, alpha, ns_clip, compute_loss)
    return loss


@njit(cache=True, inline="always")
def add_word_rows(neu1, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word):
    """neu1 += the word's own row and each of its n-gram rows; return how many rows were added."""
    d = neu1.shape[0]
    first, last = ngram_starts[word], ngram_starts[word + 1]
    k = first
    while k + 1 < last:             # two rows a pass: half the loads and stores of neu1
        r0, r1 = ngram_ids[k], ngram_ids[k + 1]
        for j in range(d):
            neu1[j] += vectors_ngrams[r0, j] + vectors_ngrams[r1, j]
        k += 2
    if k < last:
        r0 = ngram_ids[k]
        for j in range(d):
            neu1[j] += vectors_vocab[word, j] + vectors_ngrams[r0, j]
    else:
        for j in range(d):
            neu1[j] += vectors_vocab[word, j]
    return 1 + last - first


@njit(cache=True, inline="always")
def word_row_growth(vocab_lockf, ngrams_lockf, ngram_starts, ngram_ids, row_growth, word, use_lockf):
    """How much the sum of the word's rows grows per unit of gradient scattered into them.

    A bucket listed m times (a repeated n-gram such as "ana" in "banana", or a collision) is in
    the sum m times and receives the gradient m times, so it adds m * m: gensim's re-gathered sum
    grows by ``1 + sum of m * m`` (``row_growth[word]``, precomputed), or with lock factors by
    each listed row's factor times its multiplicity.
    """
    if not use_lockf:
        return row_growth[word]
    first, last = ngram_starts[word], ngram_starts[word + 1]
    s = vocab_lockf[word % vocab_lockf.shape[0]]
    for k in range(first, last):
        r = ngram_ids[k]
        m = 0
        for k2 in range(first, last):
            m += ngram_ids[k2] == r
        s += ngrams_lockf[r % ngrams_lockf.shape[0]] * np.float32(m)
    return s


@njit(cache=True)
def row_growths(ngram_starts, ngram_ids):
    """``1 + sum over the word's distinct buckets of multiplicity**2`` per word, float32 (V,)."""
    n = ngram_starts.shape[0] - 1
    out = np.empty(n, np.float32)
    for w in range(n):
        first, last = ngram_starts[w], ngram_starts[w + 1]
        total = 1
        for k in range(first, last):
            for k2 in range(first, last):
                total += ngram_ids[k2] == ngram_ids[k]
        out[w] = np.float32(total)
    return out


@njit(cache=True, inline="always")
def scatter_word_rows(work, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word,
                      vocab_lockf, ngrams_lockf, use_lockf):
    """Add ``work`` to the word's own row and to each of its n-gram rows (times their lock factors)."""
    d = work.shape[0]
    s = vocab_lockf[word % vocab_lockf.shape[0]] if use_lockf else np.float32(1.0)
    for j in range(d):
        vectors_vocab[word, j] += s * work[j]
    for k in range(ngram_starts[word], ngram_starts[word + 1]):
        r = ngram_ids[k]
        s = ngrams_lockf[r % ngrams_lockf.shape[0]] if use_lockf else np.float32(1.0)
        for j in range(d):
            vectors_ngrams[r, j] += s * work[j]


@njit(cache=True, inline="always")
def gather_centre(neu1, work_total, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre):
    """A skip-gram centre's input vector into ``neu1`` as gensim composes it (its rows summed, divided
    by its number of n-grams), ``work_total`` cleared for the summed update; returns that divisor."""
    d = neu1.shape[0]
    for j in range(d):
        neu1[j] = 0.0
        work_total[j] = 0.0
    n_rows = add_word_rows(neu1, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre)
    divisor = np.float32(max(n_rows - 1, 1))        # gensim: the number of n-grams (or 1 without)
    if n_rows > 1:
        inv = np.float32(1.0) / divisor
        for j in range(d):
            neu1[j] *= inv
    return divisor


@njit(cache=True)
def sg_centre(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids, row_growth, vocab_lockf,
              ngrams_lockf, use_lockf, codes, points, codelens, hs, centre, contexts, n_contexts, neg_targets,
              neg_counts, alpha, neu1, work, work_total, compute_loss):
    """Skip-gram for one centre word against ``contexts[:n_contexts]``; return the loss.

    ``neg_targets[k, :neg_counts[k]]`` are context k's negative-sampling targets (the context word
    then its negatives; ``neg_counts[k] = 0`` without negative sampling). ``row_growth``: see
    :func:`word_row_growth`. ``neu1``, ``work`` and ``work_total`` are (d,) float32 scratch rows.
    """
    d = neu1.shape[0]
    divisor = gather_centre(neu1, work_total, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre)
    step = word_row_growth(vocab_lockf, ngrams_lockf, ngram_starts, ngram_ids, row_growth, centre,
                           use_lockf) / divisor
    loss = 0.0
    for k in range(n_contexts):
        word = contexts[k]
        for method in range(2):     # gensim: the HS update, then the NS one from the rows HS moved
            n_neg = neg_counts[k] if method == 1 else 0
            if (method == 0 and not hs) or (method == 1 and n_neg == 0):
                continue
            for j in range(d):
                work[j] = 0.0
            loss += train_word_targets(neu1, work, syn1neg, syn1, word, neg_targets[k], n_neg, codes, points,
                                       codelens, method == 0, alpha, False, compute_loss)
            for j in range(d):
                work_total[j] += work[j]
                neu1[j] += step * work[j]
    scatter_word_rows(work_total, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre,
                      vocab_lockf, ngrams_lockf, use_lockf)
    return loss


@njit(cache=True)
def cbow_centre(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids, vocab_lockf, ngrams_lockf,
                use_lockf, codes, points, codelens, hs, centre, contexts, n_contexts, neg_targets, n_neg, cbow_mean,
                alpha, neu1, work, compute_loss):
    """CBOW: the rows of ``contexts[:n_contexts]`` predict ``centre``; return the loss.

    ``neg_targets[:n_neg]`` are the centre word then its negatives (``n_neg = 0``: no negative
    sampling). gensim runs the HS and the NS update one after the other, each gathering the rows
    as the previous one left them; so does this (the common case runs one of them).
    """
    d = neu1.shape[0]
    if n_contexts == 0:
        return 0.0
    loss = 0.0
    for method in range(2):
        if (method == 0 and not hs) or (method == 1 and n_neg == 0):
            continue
        for j in range(d):
            neu1[j] = 0.0
            work[j] = 0.0
        count = 0
        for k in range(n_contexts):
            count += add_word_rows(neu1, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, contexts[k])
        inv = np.float32(1.0) / np.float32(count)
        if cbow_mean:
            for j in range(d):
                neu1[j] *= inv
        loss += train_word_targets(neu1, work, syn1neg, syn1, centre, neg_targets, n_neg if method == 1 else 0,
                                   codes, points, codelens, method == 0, alpha, True, compute_loss)
        if not cbow_mean:               # gensim: the gradient of a sum is divided over its rows
            for j in range(d):
                work[j] *= inv
        for k in range(n_contexts):
            scatter_word_rows(work, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, contexts[k],
                              vocab_lockf, ngrams_lockf, use_lockf)
    return loss


@njit(cache=True, inline="always")
def train_skipgram_pair(neu1, work, syn1neg, syn1, codes, points, codelens, hs, word, ns, noise, alpha,
                        compute_loss):
    """One skip-gram pair against input ``neu1``: ``word``'s Huffman path (``hs``), then with
    ``ns`` the word itself (label 1) and each of ``noise`` other than it (label 0); the input
    gradient is left in ``work`` (cleared first). Return the loss."""
    for j in range(work.shape[0]):
        work[j] = 0.0
    loss = 0.0
    if hs:
        for t in range(codelens[word]):
            loss += train_target(neu1, work, syn1, points[word, t], np.float32(1.0) - codes[word, t], alpha,
                                 False, compute_loss)
    if ns:
        loss += train_target(neu1, work, syn1neg, word, np.float32(1.0), alpha, False, compute_loss)
        for t in range(noise.shape[0]):
            if noise[t] != word:
                loss += train_target(neu1, work, syn1neg, noise[t], np.float32(0.0), alpha, False, compute_loss)
    return loss


@njit(cache=True, inline="always")
def move_input(neu1, total, work, step):
    """After a pair: its gradient joins the input's pending ``total``, and the input vector moves
    by ``step`` times it, as gensim's re-gather of the updated rows would see it."""
    for j in range(neu1.shape[0]):
        w = work[j]
        total[j] += w
        neu1[j] += step * w


@njit(cache=True, inline="always")
def sg_centre_shared(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids, row_growth, vocab_lockf,
                     ngrams_lockf, use_lockf, codes, points, codelens, hs, centre, contexts, n_contexts, noise,
                     n_noise, per_context, collapse, alpha, neu1, work, work_total, compute_loss):
    """Skip-gram for one centre word with its negatives drawn ahead (and prefetched); return the loss.

    Context k trains its own word (label 1) and its noise words other than it (label 0), the
    hierarchical-softmax path first when ``hs``; its noise words are
    ``noise[k * n_noise:(k + 1) * n_noise]`` (int32) with ``per_context`` (kernel ``"exact"`` with
    negative sampling alone: gensim's fresh draws for every pair, only made a few words ahead so
    their rows are in cache), else the ``noise[:n_noise]`` that all the contexts share (a fifth of
    the draws and rows; the chunk uses it with ``collapse``). The pairs run in gensim's order, the
    centre's input vector moving after each context as in :func:`sg_centre`. With ``collapse``
    (``"batched"``, HogBatch for one input row) the input vector is held for the whole window, so a
    shared noise word's score is the same for every context and its m pairs become one update of m
    times the gradient: each noise row is read and written once per centre instead of once per
    context.
    """
    divisor = gather_centre(neu1, work_total, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre)
    step = np.float32(0.0) if collapse else word_row_growth(
        vocab_lockf, ngrams_lockf, ngram_starts, ngram_ids, row_growth, centre, use_lockf) / divisor
    loss = 0.0
    for k in range(n_contexts):
        first = k * n_noise if per_context else 0
        loss += train_skipgram_pair(neu1, work, syn1neg, syn1, codes, points, codelens, hs, contexts[k],
                                    n_noise > 0, noise[first:first + (0 if collapse else n_noise)], alpha,
                                    compute_loss)
        move_input(neu1, work_total, work, step)
    if collapse:
        for t in range(n_noise):
            m = 0
            for k in range(n_contexts):
                m += contexts[k] != noise[t]
            if m > 0:
                loss += np.float64(m) * train_target(neu1, work_total, syn1neg, noise[t], np.float32(0.0),
                                                     alpha * np.float32(m), False, compute_loss)
    scatter_word_rows(work_total, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, centre,
                      vocab_lockf, ngrams_lockf, use_lockf)
    return loss


@njit(cache=True, inline="always")
def slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word, slot, slot_sums, slot_grads,
               slot_rows, slot_used):
    """A word enters the CBOW window: the sum of its rows, their count and a zero pending gradient
    go to its slot."""
    d = slot_sums.shape[1]
    row = slot_sums[slot]
    for j in range(d):
        row[j] = 0.0
        slot_grads[slot, j] = 0.0
    slot_rows[slot] = add_word_rows(row, vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word)
    slot_used[slot] = 0


@njit(cache=True, inline="always")
def slot_leave(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word, slot, slot_grads, slot_used,
               vocab_lockf, ngrams_lockf, use_lockf):
    """A word leaves the CBOW window: the gradient its slot gathered goes to its rows, once."""
    if slot_used[slot]:
        scatter_word_rows(slot_grads[slot], vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word,
                          vocab_lockf, ngrams_lockf, use_lockf)


@njit(cache=True, inline="always")
def cbow_centre_slots(syn1neg, syn1, codes, points, codelens, hs, centre, slots, n_slots, targets, n_targets,
                      cbow_mean, alpha, slot_sums, slot_grads, slot_rows, slot_used, neu1, work, compute_loss):
    """CBOW for one centre word over the window slots ``slots[:n_slots]`` (kernel ``"shared"``); return the loss.

    Each slot holds a context word's summed rows as they were when it entered the window
    (:func:`slot_enter`) and collects the gradients of every centre word it serves, scattered into
    the rows once when it leaves (:func:`slot_leave`): a word's ~17 rows are gathered and
    scattered once per occurrence instead of once per centre word in its window. The input is
    gensim's (the sum of all the contexts' rows, over their number when ``cbow_mean``), the
    targets its: the Huffman path when ``hs``, then ``targets[:n_targets]`` (the centre word then
    its negatives, a saturated score counting as 0 or 1), all against the one input.
    """
    d = neu1.shape[0]
    if n_slots == 0:
        return 0.0
    for j in range(d):
        neu1[j] = 0.0
        work[j] = 0.0
    count = 0
    for k in range(n_slots):
        s = slots[k]
        count += slot_rows[s]
        for j in range(d):
            neu1[j] += slot_sums[s, j]
    inv = np.float32(1.0) / np.float32(count)
    if cbow_mean:
        for j in range(d):
            neu1[j] *= inv
    loss = train_word_targets(neu1, work, syn1neg, syn1, centre, targets, n_targets, codes, points, codelens,
                              hs, alpha, True, compute_loss)
    if not cbow_mean:               # gensim: the gradient of a sum is divided over its rows
        for j in range(d):
            work[j] *= inv
    for k in range(n_slots):
        s = slots[k]
        slot_used[s] = 1
        for j in range(d):
            slot_grads[s, j] += work[j]
    return loss


@njit(cache=True, inline="always")
def sg_slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, row_growth, vocab_lockf, ngrams_lockf,
                  use_lockf, word, slot, reach, slot_sums, slot_grads, slot_steps, slot_rows, slot_used):
    """A word enters the skip-gram window as an input: its input vector as gensim composes it
    (:func:`gather_centre`), how far that vector moves per unit of gradient (:func:`word_row_growth`
    over the divisor), its window ``reach`` and a zero pending gradient go to its slot."""
    divisor = gather_centre(slot_sums[slot], slot_grads[slot], vectors_vocab, vectors_ngrams, ngram_starts,
                            ngram_ids, word)
    slot_steps[slot] = word_row_growth(vocab_lockf, ngrams_lockf, ngram_starts, ngram_ids, row_growth, word,
                                       use_lockf) / divisor
    slot_rows[slot] = reach
    slot_used[slot] = 0


@njit(cache=True, inline="always")
def window_inputs(i, n, window, ring, slot_rows, slots):
    """The slots of the inputs whose window reaches position ``i``: positions ``c != i`` with
    ``|c - i| <= reach(c)``, in position order, into ``slots``; return how many.

    These are exactly gensim's skip-gram pairs with ``i`` as the context (the target): gensim
    draws a reach per centre (the input) and pairs it with every position that reach covers.
    """
    k = 0
    for c in range(max(0, i - window), min(n, i + window + 1)):
        if c != i and abs(c - i) <= slot_rows[c % ring]:
            slots[k] = c % ring
            k += 1
    return k


@njit(cache=True, inline="always")
def sg_target_slots(syn1neg, syn1, codes, points, codelens, hs, target, slots, n_slots, noise, n_noise, alpha,
                    slot_sums, slot_grads, slot_steps, slot_used, work, compute_loss):
    """Skip-gram for one context word ``target`` against the inputs in ``slots[:n_slots]`` that
    predict it (kernel ``"shared"``); return the loss.

    Each input trains the target's Huffman path (``hs``), the target (label 1) and the noise
    words ``noise[:n_noise]`` other than it (label 0): one draw of negatives per target word,
    shared by the centres whose windows hold it, as Word2Vec's ``"shared"`` shares a draw per
    target. The target's rows and its noise rows stay in cache for all of its inputs. After
    each pair the input's vector moves as gensim's re-gather would see it, and the gradient
    waits in the slot until the word leaves the window (:func:`slot_leave`).
    """
    loss = 0.0
    for k in range(n_slots):
        s = slots[k]
        loss += train_skipgram_pair(slot_sums[s], work, syn1neg, syn1, codes, points, codelens, hs, target,
                                    n_noise > 0, noise[:n_noise], alpha, compute_loss)
        move_input(slot_sums[s], slot_grads[s], work, slot_steps[s])
        slot_used[s] = 1
    return loss


#: the updates ``train_fasttext_chunk`` runs (``kernel=``): gensim's order, the shared draw, HogBatch
UPDATE_EXACT, UPDATE_SHARED, UPDATE_BATCHED = 0, 1, 2
UPDATES = {"exact": UPDATE_EXACT, "shared": UPDATE_SHARED, "batched": UPDATE_BATCHED}


#: how many words ahead a word's own and n-gram rows are prefetched: the n-gram table (2M buckets,
#: 800 MB at d=100) is far larger than the caches, and each word gathers ~10-20 of its rows
PREFETCH_AHEAD = 2


@njit(cache=True, inline="always")
def prefetch_word_rows(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, word):
    """Start loading the word's own row and its n-gram rows (they are gathered a few words later)."""
    prefetch_row(vectors_vocab, word)
    for k in range(ngram_starts[word], ngram_starts[word + 1]):
        prefetch_row(vectors_ngrams, ngram_ids[k])


@njit(cache=True, inline="always")
def draw_targets(word, negative, rng, alias_thr, alias_idx, targets):
    """The word then ``negative`` noise draws, a draw of the word itself skipped; return how many."""
    targets[0] = word
    t = 1
    for _ in range(negative):
        k = draw_noise(rng, alias_thr, alias_idx)
        targets[t] = k
        t += k != word
    return t


#: how many centre words ahead the shared updates draw the negatives and prefetch their rows
NOISE_AHEAD = 4


@njit(cache=True, inline="always")
def draw_ahead(sent, p, negative, sg, pool, rng, alias_thr, alias_idx, syn1neg, neg_targets, neg_counts):
    """Draw the negatives of the centre word at position ``p`` into ring row ``p % NOISE_AHEAD``
    of ``neg_targets`` (their number in ``neg_counts``) and start loading their rows: skip-gram's
    ``pool`` noise words (``negative`` per context, or ``negative`` shared ones), or CBOW's targets
    (the word, then draws other than it)."""
    row = p % NOISE_AHEAD
    if sg:
        for t in range(pool):
            neg_targets[row, t] = draw_noise(rng, alias_thr, alias_idx)
        neg_counts[row] = pool
    else:
        neg_counts[row] = draw_targets(sent[p], negative, rng, alias_thr, alias_idx, neg_targets[row])
    for t in range(neg_counts[row]):
        prefetch_row(syn1neg, neg_targets[row, t])


@njit(cache=True)
def sg_slots_step(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids, row_growth, vocab_lockf,
                  ngrams_lockf, use_lockf, codes, points, codelens, hs, sent, i, n, window, shrink_windows, negative,
                  rng, alias_thr, alias_idx, neg_targets, neg_counts, slots, alpha, slot_sums, slot_grads, slot_steps,
                  slot_rows, slot_used, work, compute_loss):
    """Skip-gram's ``"shared"`` update at position ``i`` of ``sent[:n]``: the word ``window``
    ahead enters its slot (with its reach drawn), word ``i`` is trained as the target of every
    input whose window holds it (:func:`sg_target_slots`), the next draw of negatives is made
    ahead, and the word ``window`` behind, which no later target can pair with, leaves; return
    the loss. Arguments as :func:`train_fasttext_chunk` names them; ``slots`` int32 (2 * window,).
    """
    ring = 2 * window + 1
    if i + window < n:
        reach = window - (rand_below(rng, window) if shrink_windows else 0)
        sg_slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, row_growth, vocab_lockf, ngrams_lockf,
                      use_lockf, sent[i + window], (i + window) % ring, reach, slot_sums, slot_grads, slot_steps,
                      slot_rows, slot_used)
    if negative > 0 and i + PREFETCH_AHEAD < n:
        prefetch_row(syn1neg, sent[i + PREFETCH_AHEAD])
    n_slots = window_inputs(i, n, window, ring, slot_rows, slots)
    noise_row = i % NOISE_AHEAD
    loss = sg_target_slots(syn1neg, syn1, codes, points, codelens, hs, sent[i], slots, n_slots,
                           neg_targets[noise_row], negative, alpha, slot_sums, slot_grads, slot_steps, slot_used,
                           work, compute_loss)
    if negative > 0 and i + NOISE_AHEAD < n:
        draw_ahead(sent, i + NOISE_AHEAD, negative, True, negative, rng, alias_thr, alias_idx, syn1neg,
                   neg_targets, neg_counts)
    if i >= window:
        slot_leave(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[i - window], (i - window) % ring,
                   slot_grads, slot_used, vocab_lockf, ngrams_lockf, use_lockf)
    return loss


@njit(nogil=True, cache=True, fastmath=True)
def train_fasttext_chunk(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids, row_growth,
                         vocab_lockf, ngrams_lockf, use_lockf, ids, offsets, s_begin, s_end,
                         keep_thr, alias_thr, alias_idx, codes, points, codelens,
                         sg, cbow_mean, window, shrink_windows, negative, hs, compute_loss, update,
                         alpha0, min_alpha, total_words, epoch_words, batch_words,
                         progress, slot, stop, rng, loss_out, sent, contexts, neg_targets, neg_counts,
                         neu1, work, work_total, slot_sums, slot_grads, slot_steps, slot_rows, slot_used):
    """Train FastText on sentences [s_begin, s_end) of the encoded corpus; return the words read.

    Tables (updated in place, Hogwild):
      vectors_vocab  float32 (V, d)  the words' own input rows
      vectors_ngrams float32 (B, d)  the n-gram bucket rows (B may be 0)
      syn1neg        float32 (V, d)  negative-sampling output rows ((0, d) when negative = 0)
      syn1           float32 (V, d)  Huffman inner-node rows ((0, d) when hs = 0)
    Subwords: ngram_starts int64 (V+1,), ngram_ids int32: word w's bucket ids are
      ngram_ids[ngram_starts[w]:ngram_starts[w+1]]; row_growth float32 (V,): :func:`row_growths`.
    Locks: vocab_lockf, ngrams_lockf float32 (>= 1,): row r's update is scaled by lockf[r % len]
      (gensim's ``vectors_vocab_lockf``/``vectors_ngrams_lockf``), read only when ``use_lockf``.
    Corpus: ids int32 (word ids), offsets int64 (sentence s is ids[offsets[s]:offsets[s+1]]).
    Sampling: keep_thr uint64 (V,) subsampling thresholds out of 2**32; alias_thr uint64, alias_idx
      int32: the noise alias table; codes uint8 (V, L), points int32 (V, L), codelens int32 (V,):
      the Huffman paths.
    Settings (ints): sg, cbow_mean, window, shrink_windows, negative, hs, compute_loss, update
      (:data:`UPDATES`: ``UPDATE_EXACT`` is gensim's order, fresh negatives per skip-gram pair and
      every CBOW context gathered per centre; ``UPDATE_SHARED`` keeps the window's words in slots,
      skip-gram's pairs grouped by target with one draw per target (:func:`sg_slots_step`), CBOW's
      contexts summed per centre (:func:`cbow_centre_slots`); ``UPDATE_BATCHED`` shares a
      skip-gram centre's draw and collapses its pairs (:func:`sg_centre_shared`), CBOW as shared).
    Schedule: alpha0, min_alpha (float), total_words, epoch_words, batch_words (int): the rate
      decays linearly over the words of all threads, ``progress`` int64 (workers * SLOT_STRIDE,)
      (this thread's counter at ``slot``).
    stop int32 (1,): non-zero makes the loop return at the next sentence; rng uint64 (>= 1,): this
      thread's RNG state; loss_out float64: the loss is added at ``slot``.
    Scratch (this thread's): sent int32 (longest sentence,), contexts int32 (2 * window,),
      neg_targets int32 (R, max(negative + 1, 2 * window * negative)), neg_counts int32 (R,),
      R = max(2 * window, NOISE_AHEAD),
      neu1, work, work_total float32 (d,); the window slots (``2 * window + 1`` of them, the
      window's words by position modulo that): slot_sums, slot_grads float32 (2 * window + 1, d),
      slot_steps float32, slot_rows (CBOW: the word's row count; skip-gram: its reach), slot_used
      int32 (2 * window + 1,).
    """
    vectors_vocab, vectors_ngrams = borrowed(vectors_vocab), borrowed(vectors_ngrams)
    syn1neg, syn1 = borrowed(syn1neg), borrowed(syn1)
    ngram_starts, ngram_ids, row_growth = borrowed(ngram_starts), borrowed(ngram_ids), borrowed(row_growth)
    vocab_lockf, ngrams_lockf = borrowed(vocab_lockf), borrowed(ngrams_lockf)
    ids, offsets, keep_thr = borrowed(ids), borrowed(offsets), borrowed(keep_thr)
    alias_thr, alias_idx = borrowed(alias_thr), borrowed(alias_idx)
    codes, points, codelens = borrowed(codes), borrowed(points), borrowed(codelens)
    progress, stop, rng, loss_out = borrowed(progress), borrowed(stop), borrowed(rng), borrowed(loss_out)
    sent, contexts, neg_targets, neg_counts = borrowed(sent), borrowed(contexts), borrowed(neg_targets), \
        borrowed(neg_counts)
    neu1, work, work_total = borrowed(neu1), borrowed(work), borrowed(work_total)
    slot_sums, slot_grads = borrowed(slot_sums), borrowed(slot_grads)
    slot_steps, slot_rows, slot_used = borrowed(slot_steps), borrowed(slot_rows), borrowed(slot_used)
    slot_ring = 2 * window + 1
    slots_on = update != UPDATE_EXACT and not sg
    sg_slots = update == UPDATE_SHARED and sg
    fresh_ahead = update == UPDATE_EXACT and sg and not hs  # gensim's draws, made ahead
    draw_early = negative > 0 and (update != UPDATE_EXACT or fresh_ahead)
    pool = negative * (2 * window if fresh_ahead else 1)
    words = 0
    loss = 0.0
    for s in range(s_begin, s_end):
        if stop[0] != 0:
            break
        done = 0
        for k in range(0, progress.shape[0], SLOT_STRIDE):
            done += progress[k]
        alpha = np.float32(scheduled_alpha(alpha0, min_alpha, done, total_words, epoch_words, batch_words))
        n = 0
        for k in range(offsets[s], offsets[s + 1]):
            w = ids[k]
            sent[n] = w
            n += next_u32(rng) < keep_thr[w]
        for i in range(min(PREFETCH_AHEAD, n)):
            prefetch_word_rows(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[i])
        if draw_early:
            for p in range(min(NOISE_AHEAD, n)):
                draw_ahead(sent, p, negative, sg, pool, rng, alias_thr, alias_idx, syn1neg, neg_targets, neg_counts)
        if sg_slots:
            for p in range(min(window, n)):
                reach = window - (rand_below(rng, window) if shrink_windows else 0)
                sg_slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, row_growth, vocab_lockf,
                              ngrams_lockf, use_lockf, sent[p], p % slot_ring, reach, slot_sums, slot_grads,
                              slot_steps, slot_rows, slot_used)
        if slots_on:
            for p in range(min(window, n)):
                slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[p], p % slot_ring, slot_sums,
                           slot_grads, slot_rows, slot_used)
        for i in range(n):
            # skip-gram gathers the centre's rows; the window slots the rows of the word entering the window
            ahead = i + PREFETCH_AHEAD if sg and not sg_slots else i + window + PREFETCH_AHEAD - 1
            if ahead < n:
                prefetch_word_rows(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[ahead])
            if sg_slots:
                loss += sg_slots_step(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids,
                                      row_growth, vocab_lockf, ngrams_lockf, use_lockf, codes, points, codelens, hs,
                                      sent, i, n, window, shrink_windows, negative, rng, alias_thr, alias_idx,
                                      neg_targets, neg_counts, contexts, alpha, slot_sums, slot_grads, slot_steps,
                                      slot_rows, slot_used, work, compute_loss)
                continue
            reach = window - (rand_below(rng, window) if shrink_windows else 0)
            lo = max(0, i - reach)
            hi = min(n, i + reach + 1)
            centre = sent[i]
            if sg and (update != UPDATE_EXACT or (fresh_ahead and negative > 0)):
                K = 0
                for j in range(lo, hi):
                    if j != i:
                        contexts[K] = sent[j]
                        K += 1
                if negative > 0 and i + window + 1 < n:     # a positive target once it enters the window
                    prefetch_row(syn1neg, sent[i + window + 1])
                noise_row = i % NOISE_AHEAD
                loss += sg_centre_shared(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids,
                                         row_growth, vocab_lockf, ngrams_lockf, use_lockf, codes, points, codelens,
                                         hs, centre, contexts, K, neg_targets[noise_row], negative, fresh_ahead,
                                         update == UPDATE_BATCHED, alpha, neu1, work, work_total, compute_loss)
                if draw_early and i + NOISE_AHEAD < n:
                    draw_ahead(sent, i + NOISE_AHEAD, negative, sg, pool, rng, alias_thr, alias_idx, syn1neg,
                               neg_targets, neg_counts)
            elif sg:
                K = 0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    contexts[K] = sent[j]
                    neg_counts[K] = draw_targets(sent[j], negative, rng, alias_thr, alias_idx,
                                                 neg_targets[K]) if negative > 0 else 0
                    K += 1
                loss += sg_centre(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids,
                                  row_growth, vocab_lockf, ngrams_lockf, use_lockf, codes, points, codelens, hs, centre,
                                  contexts, K, neg_targets, neg_counts, alpha, neu1, work, work_total,
                                  compute_loss)
            elif slots_on:
                if i + window < n:
                    slot_enter(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[i + window],
                               (i + window) % slot_ring, slot_sums, slot_grads, slot_rows, slot_used)
                K = 0
                for j in range(lo, hi):
                    if j != i:
                        contexts[K] = j % slot_ring
                        K += 1
                noise_row = i % NOISE_AHEAD
                n_neg = neg_counts[noise_row] if negative > 0 else 0
                loss += cbow_centre_slots(syn1neg, syn1, codes, points, codelens, hs, centre, contexts, K,
                                          neg_targets[noise_row], n_neg, cbow_mean, alpha, slot_sums, slot_grads,
                                          slot_rows, slot_used, neu1, work, compute_loss)
                if draw_early and i + NOISE_AHEAD < n:
                    draw_ahead(sent, i + NOISE_AHEAD, negative, sg, pool, rng, alias_thr, alias_idx, syn1neg,
                               neg_targets, neg_counts)
                if i >= window:
                    slot_leave(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[i - window],
                               (i - window) % slot_ring, slot_grads, slot_used, vocab_lockf, ngrams_lockf, use_lockf)
            else:
                K = 0
                for j in range(lo, hi):
                    if j != i:
                        contexts[K] = sent[j]
                        K += 1
                n_neg = draw_targets(centre, negative, rng, alias_thr, alias_idx, neg_targets[0]) \
                    if negative > 0 else 0
                loss += cbow_centre(vectors_vocab, vectors_ngrams, syn1neg, syn1, ngram_starts, ngram_ids,
                                    vocab_lockf, ngrams_lockf, use_lockf, codes, points, codelens, hs, centre,
                                    contexts, K, neg_targets[0], n_neg, cbow_mean, alpha, neu1, work, compute_loss)
        if slots_on or sg_slots:
            for p in range(max(0, n - window), n):
                slot_leave(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, sent[p], p % slot_ring, slot_grads,
                           slot_used, vocab_lockf, ngrams_lockf, use_lockf)
        length = offsets[s + 1] - offsets[s]
        progress[slot] += length
        words += length
    loss_out[slot] += loss
    return words


@njit(nogil=True, cache=True, fastmath=True)
def compose_word_vectors(vectors_vocab, vectors_ngrams, ngram_starts, ngram_ids, out):
    """out[w] = (vectors_vocab[w] + sum of w's n-gram rows) / (1 + its n-grams): the vocabulary
    words' vectors as gensim and fastText compose them after training (float32 (V, d) each)."""
    d = vectors_vocab.shape[1]
    for w in range(vectors_vocab.shape[0]):
        for j in range(d):
            out[w, j] = vectors_vocab[w, j]
        first, last = ngram_starts[w], ngram_starts[w + 1]
        for k in range(first, last):
            r = ngram_ids[k]
            for j in range(d):
                out[w, j] += vectors_ngrams[r, j]
        inv = np.float32(1.0) / np.float32(1 + last - first)
        for j in range(d):
            out[w, j] *= inv


@njit(nogil=True, cache=True)
def fill_uniform(table, low, high, seed, first):
    """Fill a float32 table with uniform values in [low, high) from a splitmix64 stream started at
    ``seed`` (uint64), the table's element k taking the stream's element ``first + k``: the
    n-gram table's initialisation, one pass, no temporary arrays, and the same values however
    the table is cut into slices for threads (``first`` int64: the slice's offset). The state
    lives in a register (a state array in memory made each draw wait on the previous store)."""
    flat = table.reshape(-1)
    scale = np.float32(high - low) / np.float32(2.0**24)
    base = np.float32(low)
    z0 = np.uint64(seed)
    for k in range(flat.shape[0]):
        z = z0 + np.uint64(first + k + 1) * np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
        flat[k] = base + np.float32(np.int64(z >> np.uint64(40))) * scale
