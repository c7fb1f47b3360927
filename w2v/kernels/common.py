"""Building blocks shared by every kernel: RNG, sigmoid tables, target selection and the block update.

Every embedding row is read by a gather and written by a scatter-add: :func:`block_update` reads the
input rows ``H`` (already gathered) and the target rows of the output table, and adds gradients only
into the rows it read. Nothing ever forms a dense gradient or a one-hot product.
"""
import numpy as np
from numba import njit

MAX_EXP = 6.0
EXP_TABLE_SIZE = 1000
_GRID = (np.arange(EXP_TABLE_SIZE, dtype=np.float64) / EXP_TABLE_SIZE * 2.0 - 1.0) * MAX_EXP
#: word2vec.c's expTable: sigmoid sampled on [-MAX_EXP, MAX_EXP).
SIGMOID_TABLE = (1.0 / (1.0 + np.exp(-_GRID))).astype(np.float32)
#: log(sigmoid) on the same grid, for the loss (gensim's LOG_TABLE).
LOG_SIGMOID_TABLE = np.log(1.0 / (1.0 + np.exp(-_GRID))).astype(np.float32)
#: Table index = int((f + MAX_EXP) * TABLE_SCALE) (here and in :mod:`.reference`). word2vec.c and
#: gensim compute this scale in C integer arithmetic, 1000 / 6 / 2 = 83 (not 83.3), so their lookups read sigmoid(0.996 f - 0.024):
#: part of the update rule their defaults were tuned with. w2v keeps it (tests check the updates
#: equal gensim's own Cython ones); with 83.3 CBOW lost ~1 analogy point on wiki17m.
TABLE_SCALE = float(EXP_TABLE_SIZE // int(MAX_EXP) // 2)
#: the same constants in float32: word2vec.c and gensim compute the index in float (a float score
#: plus C int constants), and a float64 detour put two conversions on every score's critical path
_MAX_EXP32 = np.float32(MAX_EXP)
_TABLE_SCALE32 = np.float32(TABLE_SCALE)

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_S27, _S30, _S31, _S32 = np.uint64(27), np.uint64(30), np.uint64(31), np.uint64(32)
_LOW32 = np.uint64(0xFFFFFFFF)


@njit(cache=True, inline="always")
def next_u64(rng):
    """splitmix64 step on the thread's state ``rng[0]``: every bit usable, unlike word2vec.c's LCG."""
    z = rng[0] + _GOLDEN
    rng[0] = z
    z = (z ^ (z >> _S30)) * _MIX1
    z = (z ^ (z >> _S27)) * _MIX2
    return z ^ (z >> _S31)


@njit(cache=True, inline="always")
def next_u32(rng):
    """A uniform 32-bit draw (as uint64), for subsampling thresholds."""
    return next_u64(rng) >> _S32


@njit(cache=True, inline="always")
def rand_below(rng, n):
    """Uniform integer in [0, n) by multiply-shift (no modulo bias worth the name, no division)."""
    return np.int64(((next_u64(rng) >> _S32) * np.uint64(n)) >> _S32)


@njit(cache=True, inline="always")
def draw_noise(rng, alias_thr, alias_idx):
    """One draw from the alias table: a uniform slot, kept or swapped for its alias by one compare."""
    r = next_u64(rng)
    k = np.int64(((r >> _S32) * np.uint64(len(alias_idx))) >> _S32)
    alias = np.int64(alias_idx[k])  # read unconditionally: a select, not a branch mispredicted half the time
    return k if (r & _LOW32) < alias_thr[k] else alias


@njit(cache=True, inline="always")
def fill_negative_targets(word, negative, rng, alias_thr, alias_idx, targets):
    """Targets for negative sampling: the true word then noise draws != word; return how many.

    The labels are fixed (1 for the first target, 0 after), so they live in a constant array.
    A draw equal to the true word is skipped, not redrawn, as in word2vec.c and gensim.
    """
    targets[0] = word
    t = 1
    for _ in range(negative):
        k = draw_noise(rng, alias_thr, alias_idx)
        targets[t] = k          # written always, kept only if it is not the true word: no branch
        t += k != word
    return t


@njit(cache=True, inline="always")
def fill_huffman_targets(word, codes, points, codelens, targets, labels):
    """Targets for hierarchical softmax: the inner nodes on the word's path, label = 1 - code bit."""
    n = codelens[word]
    for t in range(n):
        targets[t] = points[word, t]
        labels[t] = 1.0 - codes[word, t]
    return n


@njit(cache=True, inline="always")
def fill_huffman_targets_split(word, codes, points, codelens, hot_first, targets, labels):
    """:func:`fill_huffman_targets` with the path's hot prefix renumbered; return (length, prefix).

    Inner nodes ``>= hot_first`` (the top of the tree, see :mod:`.hot_rows`) become indices into
    the thread's private copies (``node - hot_first``). A Huffman parent's id is larger than its
    children's, so on a root-first path they are exactly the first ``prefix`` targets.
    """
    n = codelens[word]
    h = 0
    for t in range(n):
        p = points[word, t]
        hot = p >= hot_first
        targets[t] = p - hot_first if hot else p
        labels[t] = 1.0 - codes[word, t]
        h += hot
    return n, h


@njit(cache=True, inline="always")
def _table_index(x):
    """word2vec.c's table index for |x| < MAX_EXP, clamped so that even a NaN reads inside the table."""
    i = int((x + _MAX_EXP32) * _TABLE_SCALE32)
    return min(max(i, 0), EXP_TABLE_SIZE - 1)


@njit(cache=True, inline="always")
def _log_sigmoid(x):
    """log(sigmoid(x)) from the table, linear beyond the table's range (so wrong guesses cost)."""
    if x <= -MAX_EXP:
        return x
    if x >= MAX_EXP:
        return 0.0
    return LOG_SIGMOID_TABLE[_table_index(x)]


@njit(cache=True, inline="always")
def _gradient(f, label, alpha, skip_saturated):
    """(label - sigmoid(f)) * alpha, with word2vec.c's table and saturation rules."""
    if f >= _MAX_EXP32:
        return np.float32(0.0) if skip_saturated else (label - np.float32(1.0)) * alpha
    if f <= -_MAX_EXP32:
        return np.float32(0.0) if skip_saturated else label * alpha
    return (label - SIGMOID_TABLE[_table_index(f)]) * alpha


@njit(cache=True, inline="always")
def _pair_loss(f, label):
    """-log P(label | f): the negative log-likelihood one (input, target) pair adds to the loss."""
    return -_log_sigmoid(f if label > 0.5 else -f)


@njit(cache=True, inline="always")
def row_update(inputs, k, syn_out, targets, labels, n_targets, alpha, input_grads, compute_loss, skip_saturated):
    """Train the one gathered input row ``inputs[k]`` against ``n_targets`` target rows; return the loss.

    word2vec.c's inner loop: for each target a dot product, then one fused pass that adds
    ``g * syn_out[t]`` to ``input_grads[k]`` (from the unmoved target row) and moves the target row. It is
    the hot loop of skip-gram and CBOW, so it is inlined where it is called; :func:`block_update`
    is not (inlining it at every call site made the kernels take ~50 s and ~1.7 GB to compile).
    """
    return row_update_range(inputs, k, syn_out, targets, labels, 0, n_targets, alpha, input_grads, compute_loss,
                            skip_saturated)


@njit(cache=True, inline="always")
def row_update_range(inputs, k, syn_out, targets, labels, t0, t1, alpha, input_grads, compute_loss, skip_saturated):
    """:func:`row_update` against targets ``t0 <= t < t1`` only (a Huffman path's hot prefix or its rest)."""
    d = inputs.shape[1]
    loss = 0.0
    for t in range(t0, t1):
        row = targets[t]
        label = labels[t]
        f0 = np.float32(0.0)
        for j in range(d):
            f0 += inputs[k, j] * syn_out[row, j]
        g0 = _gradient(f0, label, alpha, skip_saturated)
        if compute_loss:
            loss += _pair_loss(f0, label)
        for j in range(d):
            o = syn_out[row, j]
            input_grads[k, j] += g0 * o
            syn_out[row, j] = o + g0 * inputs[k, j]
    return loss


@njit(cache=True, inline="always")
def path_update_range(inputs, k, syn_out, targets, labels, t0, t1, alpha, input_grads, gradients, compute_loss):
    """:func:`row_update_range` for targets that are all different rows (a Huffman path); same result.

    With distinct rows no target's update changes another target's score, and the input row
    ``inputs[k]`` moves only after the whole path, so all the scores can be taken first, two targets
    per pass over ``inputs[k]``, into ``gradients``; then the targets are updated two per pass, each from its
    unmoved row as in :func:`row_update_range`, which trains an odd path's last node itself (only
    the order of the two additions into ``input_grads[k]`` differs: float rounding). The scores no longer
    wait on each other's updates and each pass loads ``inputs[k]`` and ``input_grads[k]`` once for two
    targets: ~1.3-1.4x fewer CPU seconds
    per node in isolation, the hot loop of hierarchical softmax (wiki17m's paths: ~12 nodes).
    Saturated scores leave the pair untouched (word2vec.c's HS rule).
    """
    d = inputs.shape[1]
    loss = 0.0
    pairs_end = t0 + (t1 - t0) // 2 * 2
    for t in range(t0, pairs_end, 2):
        r0 = targets[t]
        r1 = targets[t + 1]
        f0 = np.float32(0.0)
        f1 = np.float32(0.0)
        for j in range(d):
            x = inputs[k, j]
            f0 += x * syn_out[r0, j]
            f1 += x * syn_out[r1, j]
        gradients[t] = _gradient(f0, labels[t], alpha, True)
        gradients[t + 1] = _gradient(f1, labels[t + 1], alpha, True)
        if compute_loss:
            loss += _pair_loss(f0, labels[t]) + _pair_loss(f1, labels[t + 1])
    for t in range(t0, pairs_end, 2):   # two targets per pass: inputs[k], input_grads[k] loaded once for both
        r0 = targets[t]
        r1 = targets[t + 1]
        g0 = gradients[t]
        g1 = gradients[t + 1]
        for j in range(d):
            o0 = syn_out[r0, j]
            o1 = syn_out[r1, j]
            x = inputs[k, j]
            input_grads[k, j] += g0 * o0 + g1 * o1
            syn_out[r0, j] = o0 + g0 * x
            syn_out[r1, j] = o1 + g1 * x
    if pairs_end < t1:                  # an odd path's last node: its score is the same taken now
        loss += row_update_range(inputs, k, syn_out, targets, labels, pairs_end, t1, alpha, input_grads,
                                 compute_loss, True)
    return loss


@njit(cache=True, inline="always")
def _two_row_gradients(fa, fb, t, n, labels, alpha, cross, gradients, compute_loss):
    """Node t's gradients for rows a and b of :func:`path_update_two_rows` from their dots with the
    unmoved node (row b's score corrected for row a's update first); return their loss."""
    ga = _gradient(fa, labels[t], alpha, True)
    fb_seen = fb + ga * cross
    gradients[t] = ga
    gradients[n + t] = _gradient(fb_seen, labels[t], alpha, True)
    if compute_loss:
        return _pair_loss(fa, labels[t]) + _pair_loss(fb_seen, labels[t])
    return 0.0


@njit(cache=True, inline="always")
def path_update_two_rows(inputs, k, syn_hot, syn_out, targets, labels, hot_length, path_length, alpha, input_grads,
                         gradients, compute_loss):
    """Two :func:`path_update_range` calls per row, for ``inputs[k]`` and then ``inputs[k + 1]``, along
    a whole path: its first ``hot_length`` targets in ``syn_hot`` (the thread's copies of the tree's
    top), the rest in ``syn_out``. Same result as those four calls (float rounding aside), in
    passes that serve both rows.

    Row ``k + 1`` must see each node as row ``k`` left it, ``o + g_a x_a`` (``x_a = inputs[k]``). Its
    score is therefore ``x_b . o + g_a (x_b . x_a)``: the dot with the unmoved node plus a scalar
    correction from the rows' one cross product. Its input gradient ``g_b (o + g_a x_a)`` is
    ``g_b o`` now plus ``(sum over nodes of g_a g_b) x_a`` once at the end. So every pass loads a
    node once for both rows, and each node row is written once instead of twice: two rows by two
    nodes per pass, against one row by two nodes in :func:`path_update_range`. The nodes are paired
    the same way whichever table holds them, so a run with the copies off (``hot_length`` 0) is
    bit-identical to one with them on. ``gradients`` needs room for ``2 path_length`` values.
    """
    if path_length <= 0:
        return 0.0
    d = inputs.shape[1]
    a, b = k, k + 1
    cross = np.float32(0.0)
    for j in range(d):
        cross += inputs[a, j] * inputs[b, j]
    n = path_length
    loss = 0.0
    for t in range(0, n, 2):            # scores: two nodes (or the last one) against both rows
        last = t + 1 >= n
        tab0 = syn_hot if t < hot_length else syn_out
        tab1 = syn_hot if t + 1 < hot_length else syn_out
        r0 = targets[t]
        r1 = r0 if last else targets[t + 1]
        if last:
            tab1 = tab0
        fa0 = np.float32(0.0)
        fa1 = np.float32(0.0)
        fb0 = np.float32(0.0)
        fb1 = np.float32(0.0)
        for j in range(d):
            xa = inputs[a, j]
            xb = inputs[b, j]
            o0 = tab0[r0, j]
            o1 = tab1[r1, j]
            fa0 += xa * o0
            fa1 += xa * o1
            fb0 += xb * o0
            fb1 += xb * o1
        loss += _two_row_gradients(fa0, fb0, t, n, labels, alpha, cross, gradients, compute_loss)
        if not last:
            loss += _two_row_gradients(fa1, fb1, t + 1, n, labels, alpha, cross, gradients, compute_loss)
    both = np.float32(0.0)              # sum of g_a g_b: row b's gradient share along x_a
    for t in range(0, n, 2):            # updates: two nodes (or the last one), both rows
        tab0 = syn_hot if t < hot_length else syn_out
        r0 = targets[t]
        ga0 = gradients[t]
        gb0 = gradients[n + t]
        both += ga0 * gb0
        if t + 1 < n:
            tab1 = syn_hot if t + 1 < hot_length else syn_out
            r1 = targets[t + 1]
            ga1 = gradients[t + 1]
            gb1 = gradients[n + t + 1]
            both += ga1 * gb1
            for j in range(d):
                o0 = tab0[r0, j]
                o1 = tab1[r1, j]
                xa = inputs[a, j]
                xb = inputs[b, j]
                input_grads[a, j] += ga0 * o0 + ga1 * o1
                input_grads[b, j] += gb0 * o0 + gb1 * o1
                tab0[r0, j] = o0 + ga0 * xa + gb0 * xb
                tab1[r1, j] = o1 + ga1 * xa + gb1 * xb
        else:
            for j in range(d):
                o0 = tab0[r0, j]
                input_grads[a, j] += ga0 * o0
                input_grads[b, j] += gb0 * o0
                tab0[r0, j] = o0 + ga0 * inputs[a, j] + gb0 * inputs[b, j]
    for j in range(d):
        input_grads[b, j] += both * inputs[a, j]
    return loss


@njit(cache=True)
def block_update(inputs, n_rows, syn_out, targets, labels, t0, n_targets, alpha, input_grads, gradients,
                 compute_loss, skip_saturated):
    """Train ``n_rows`` gathered input rows ``inputs[:n_rows]`` against target rows ``t0 <= t < n_targets``
    of ``syn_out``;
    return the loss.

    For each target t: ``f_k = inputs[k] . syn_out[t]``, ``g_k = (label_t - sigmoid(f_k)) * alpha``;
    the input-side gradient ``input_grads[k] += g_k * syn_out[t]`` uses the target row *before* it is moved,
    then ``syn_out[t] += sum_k g_k * inputs[k]``. With n_rows = 1 this is exactly word2vec.c's inner loop;
    with n_rows > 1 it is HogBatch's ``G = sigmoid(H O^T)``, ``dH = G O``, ``dO = G^T H`` (H: ``inputs``,
    dH: ``input_grads``, G: ``gradients``, O: the target rows), reading and
    writing each target row once per block instead of once per input row. Input rows are taken two
    at a time so each pass over a target row serves two of them (~20% faster than one at a time);
    a single input row reads and writes the target row in one pass.

    Saturated scores (|f| >= MAX_EXP) follow word2vec.c: negative sampling uses the clipped sigmoid
    (0 or 1); hierarchical softmax (``skip_saturated``) leaves that pair untouched.
    """
    if n_rows == 1:                             # one input row: one fused pass
        return row_update_range(inputs, 0, syn_out, targets, labels, t0, n_targets, alpha, input_grads,
                                compute_loss, skip_saturated)
    d = inputs.shape[1]
    loss = 0.0
    for t in range(t0, n_targets):
        row = targets[t]
        label = labels[t]
        for k in range(0, n_rows - 1, 2):       # scores, two input rows per pass over the target
            f0 = np.float32(0.0)
            f1 = np.float32(0.0)
            for j in range(d):
                o = syn_out[row, j]
                f0 += inputs[k, j] * o
                f1 += inputs[k + 1, j] * o
            gradients[k] = _gradient(f0, label, alpha, skip_saturated)
            gradients[k + 1] = _gradient(f1, label, alpha, skip_saturated)
            if compute_loss:
                loss += _pair_loss(f0, label) + _pair_loss(f1, label)
        if n_rows % 2:
            k = n_rows - 1
            f0 = np.float32(0.0)
            for j in range(d):
                f0 += inputs[k, j] * syn_out[row, j]
            gradients[k] = _gradient(f0, label, alpha, skip_saturated)
            if compute_loss:
                loss += _pair_loss(f0, label)
        for k in range(0, n_rows - 1, 2):       # input gradients, from the unmoved target row
            g0, g1 = gradients[k], gradients[k + 1]
            for j in range(d):
                o = syn_out[row, j]
                input_grads[k, j] += g0 * o
                input_grads[k + 1, j] += g1 * o
        if n_rows % 2:
            k = n_rows - 1
            g0 = gradients[k]
            for j in range(d):
                input_grads[k, j] += g0 * syn_out[row, j]
        for k in range(0, n_rows - 1, 2):       # then move the target row
            g0, g1 = gradients[k], gradients[k + 1]
            for j in range(d):
                syn_out[row, j] += g0 * inputs[k, j] + g1 * inputs[k + 1, j]
        if n_rows % 2:
            k = n_rows - 1
            g0 = gradients[k]
            for j in range(d):
                syn_out[row, j] += g0 * inputs[k, j]
    return loss


@njit(cache=True, inline="always")
def collect_context(sent, i, lo, hi, ctx):
    """ctx[:n_rows] = the words at positions [lo, hi) except the centre i; return n_rows."""
    n_rows = 0
    for j in range(lo, hi):
        if j != i:
            ctx[n_rows] = sent[j]
            n_rows += 1
    return n_rows


@njit(cache=True, inline="always")
def gather_rows(table, rows, n_rows, inputs):
    """inputs[k] = table[rows[k]] for k < n_rows: the embedding lookup is a row gather."""
    d = table.shape[1]
    for k in range(n_rows):
        r = rows[k]
        for j in range(d):
            inputs[k, j] = table[r, j]


@njit(cache=True, inline="always")
def zero_rows(rows, n_rows):
    """rows[:n_rows] = 0."""
    d = rows.shape[1]
    for k in range(n_rows):
        for j in range(d):
            rows[k, j] = 0.0


@njit(cache=True, inline="always")
def scatter_add_rows(table, rows, n_rows, input_grads, lockf, use_lockf):
    """table[rows[k]] += input_grads[k]: gradients land only on the rows that were gathered.

    With ``use_lockf`` each row's gradient is first scaled by ``lockf[row]`` (gensim's
    ``vectors_lockf``: 0 freezes the row, 1 trains it normally). The flag is tested once per row
    and without it the loop is the plain add, so unlocked training pays nothing per element.
    """
    d = table.shape[1]
    for k in range(n_rows):
        r = rows[k]
        if use_lockf:
            s = lockf[r]
            for j in range(d):
                table[r, j] += s * input_grads[k, j]
        else:
            for j in range(d):
                table[r, j] += input_grads[k, j]
