"""The FastText kernels against the numpy statement of gensim's updates (w2v.fasttext.reference),
and n-gram hashing against gensim's own functions."""
import numpy as np
import pytest

from w2v.fasttext import hashing, kernels, reference
from w2v.kernels.sentences import SLOT_STRIDE

V, B, D = 9, 13, 16


def make_tables(seed, scale=0.5):
    rng = np.random.default_rng(seed)
    tables = {name: (rng.standard_normal((rows, D)) * scale).astype(np.float32)
              for name, rows in (("vectors_vocab", V), ("vectors_ngrams", B), ("syn1neg", V), ("syn1", V))}
    ngrams = [list(rng.integers(0, B, size=rng.integers(0, 6))) for _ in range(V)]
    ngrams[2] = [4, 4, 7]  # a bucket twice in one word
    ngrams[3] = []  # a word without n-grams
    starts = np.zeros(V + 1, np.int64)
    starts[1:] = np.cumsum([len(g) for g in ngrams])
    ids = np.array([r for g in ngrams for r in g], np.int32)
    codes = (rng.random((V, 4)) < 0.5).astype(np.uint8)
    points = rng.integers(0, V, size=(V, 4)).astype(np.int32)
    for w in range(V):  # distinct inner nodes along a path
        points[w] = rng.permutation(V)[:4]
    codelens = rng.integers(1, 5, size=V).astype(np.int32)
    return tables, ngrams, starts, ids, codes, points, codelens


def kernel_args(tables, starts, ids, codes, points, codelens, hs, growth=True):
    one = np.ones(1, np.float32)
    extra = (kernels.row_growths(starts, ids),) if growth else ()
    return (tables["vectors_vocab"], tables["vectors_ngrams"], tables["syn1neg"], tables["syn1"], starts, ids,
            *extra, one, one, False, codes, points, codelens, hs)


def scratch():
    return np.zeros(D, np.float32), np.zeros(D, np.float32), np.zeros(D, np.float32)


@pytest.mark.parametrize("hs,negative", [(0, 3), (1, 0), (1, 2)])
@pytest.mark.parametrize("scale", [0.5, 3.0])  # 3.0: many saturated scores (skipped in skip-gram)
def test_skipgram_centre_matches_gensims_update(hs, negative, scale):
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(1, scale)
    expected = {k: v.copy() for k, v in tables.items()}
    rng = np.random.default_rng(5)
    for centre in (2, 3, 0, 7):
        contexts = [int(c) for c in rng.integers(0, V, size=4)]
        negs = [[c] + [int(x) for x in rng.integers(0, V, size=negative) if x != c] if negative else []
                for c in contexts]
        reference.sg_centre(expected, ngrams, centre, contexts, negs, bool(hs), codes, points, codelens, 0.05)
        neg_targets = np.zeros((4, negative + 1), np.int32)
        counts = np.zeros(4, np.int32)
        for k, n in enumerate(negs):
            neg_targets[k, :len(n)] = n
            counts[k] = len(n)
        kernels.sg_centre(*kernel_args(tables, starts, ids, codes, points, codelens, hs), centre,
                          np.array(contexts, np.int32), 4, neg_targets, counts, np.float32(0.05), *scratch(), False)
    for name in tables:
        np.testing.assert_allclose(tables[name], expected[name], rtol=2e-4, atol=2e-5, err_msg=name)
    assert not np.allclose(tables["vectors_vocab"], make_tables(1, scale)[0]["vectors_vocab"])


@pytest.mark.parametrize("hs,negative", [(0, 3), (1, 0), (1, 2)])
@pytest.mark.parametrize("cbow_mean", [1, 0])
@pytest.mark.parametrize("scale", [0.5, 3.0])  # 3.0: saturated NS scores count as 0/1 in CBOW
def test_cbow_centre_matches_gensims_update(hs, negative, cbow_mean, scale):
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(2, scale)
    expected = {k: v.copy() for k, v in tables.items()}
    rng = np.random.default_rng(6)
    for centre in (2, 3, 5):
        contexts = [int(c) for c in rng.integers(0, V, size=3)] + [3, 2]
        negs = [centre] + [int(x) for x in rng.integers(0, V, size=negative) if x != centre] if negative else []
        reference.cbow_centre(expected, ngrams, centre, contexts, negs, bool(hs), codes, points, codelens, 0.05,
                              bool(cbow_mean))
        kernels.cbow_centre(*kernel_args(tables, starts, ids, codes, points, codelens, hs, growth=False), centre,
                            np.array(contexts, np.int32), len(contexts), np.array(negs + [0], np.int32), len(negs),
                            cbow_mean, np.float32(0.05), *scratch()[:2], False)
    for name in tables:
        np.testing.assert_allclose(tables[name], expected[name], rtol=2e-4, atol=2e-5, err_msg=name)


def test_locked_rows_do_not_move_and_the_rest_still_matches():
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(3)
    before = {k: v.copy() for k, v in tables.items()}
    vocab_lockf = np.ones(V, np.float32)
    vocab_lockf[2] = 0.0
    ngrams_lockf = np.zeros(1, np.float32)  # every n-gram row frozen (gensim's modulo indexing)
    args = (tables["vectors_vocab"], tables["vectors_ngrams"], tables["syn1neg"], tables["syn1"], starts, ids,
            kernels.row_growths(starts, ids), vocab_lockf, ngrams_lockf, True, codes, points, codelens, 0)
    neg = np.array([[5, 1, 0]] * 2, np.int32)
    kernels.sg_centre(*args, 2, np.array([5, 6], np.int32), 2, neg, np.array([3, 3], np.int32), np.float32(0.1),
                      *scratch(), False)
    kernels.sg_centre(*args, 0, np.array([5, 6], np.int32), 2, neg, np.array([3, 3], np.int32), np.float32(0.1),
                      *scratch(), False)
    np.testing.assert_array_equal(tables["vectors_vocab"][2], before["vectors_vocab"][2])
    np.testing.assert_array_equal(tables["vectors_ngrams"], before["vectors_ngrams"])
    assert not np.array_equal(tables["vectors_vocab"][0], before["vectors_vocab"][0])


def test_compose_word_vectors_is_the_mean_of_own_and_ngram_rows():
    tables, ngrams, starts, ids, *_ = make_tables(4)
    out = np.empty((V, D), np.float32)
    kernels.compose_word_vectors(tables["vectors_vocab"], tables["vectors_ngrams"], starts, ids, out)
    for w in range(V):
        rows = [tables["vectors_vocab"][w]] + [tables["vectors_ngrams"][r] for r in ngrams[w]]
        np.testing.assert_allclose(out[w], np.mean(rows, axis=0), rtol=1e-5, atol=1e-6)


def test_sigmoid_table_is_fasttexts():
    assert len(kernels.SIGMOID) == 512
    assert kernels.TABLE_SCALE == 32
    np.testing.assert_allclose(kernels.SIGMOID[256], 0.5, atol=1e-6)
    np.testing.assert_allclose(kernels.SIGMOID[0], 1 / (1 + np.exp(8.0)), rtol=1e-5)


# ---- hashing ------------------------------------------------------------------------------------

def random_words(n=3000, seed=0):
    rng = np.random.default_rng(seed)
    alphabet = list("abcxyzAZ09-_'") + list("éüßøñ") + list("жщяё") + list("中文字日") + ["😀", "🎉", "\x7f"]
    return ["".join(rng.choice(alphabet, size=rng.integers(0, 14))) for _ in range(n)] + ["a", "", "<", ">", "<>"]


def test_hashes_and_ngrams_equal_gensims():
    inner = pytest.importorskip("gensim.models.fasttext_inner")
    g_fasttext = pytest.importorskip("gensim.models.fasttext")
    for w in random_words():
        assert hashing.compute_ngrams_bytes(w, 3, 6) == inner.compute_ngrams_bytes(w, 3, 6), w
        assert hashing.compute_ngrams(w, 2, 5) == inner.compute_ngrams(w, 2, 5), w
        for gram in inner.compute_ngrams_bytes(w, 1, 7):
            assert hashing.ft_hash_bytes(gram) == inner.ft_hash_bytes(gram), gram
        assert hashing.ft_ngram_hashes(w, 3, 6, 2000000) == g_fasttext.ft_ngram_hashes(w, 3, 6, 2000000), w


@pytest.mark.parametrize("min_n,max_n,bucket", [(3, 6, 2000000), (1, 3, 97), (2, 2, 10), (5, 4, 100), (3, 6, 0)])
def test_bucket_table_equals_per_word_hashes(min_n, max_n, bucket):
    words = random_words(800, seed=1)
    starts, ids = hashing.ngram_buckets(words, min_n, max_n, bucket)
    assert starts.dtype == np.int64 and ids.dtype == np.int32 and len(starts) == len(words) + 1
    for i, w in enumerate(words):
        want = hashing.ft_ngram_hashes(w, min_n, max_n, bucket) if bucket and max_n >= min_n else []
        assert ids[starts[i]:starts[i + 1]].tolist() == want, w


def test_known_hash_values():
    # fastText's hash sign-extends bytes >= 0x80 (plain FNV-1a would give 0xe40c292c for b"a" too,
    # but differs on the non-ASCII byte)
    assert hashing.ft_hash_bytes(b"a") == 0xE40C292C
    assert hashing.ft_hash_bytes("é".encode()) != 0
    plain = 2166136261
    for b in "é".encode():
        plain = ((plain ^ b) * 16777619) & 0xFFFFFFFF
    assert hashing.ft_hash_bytes("é".encode()) != plain


# ---- the "shared" and "batched" updates ----------------------------------------------------------

@pytest.mark.parametrize("hs,negative", [(0, 3), (1, 0), (1, 2)])
@pytest.mark.parametrize("per_context,collapse", [(True, False), (False, False), (False, True)])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_shared_skipgram_centre_matches_reference(hs, negative, per_context, collapse, scale):
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(7, scale)
    expected = {k: v.copy() for k, v in tables.items()}
    rng = np.random.default_rng(8)
    for centre in (2, 3, 0, 7):
        contexts = [int(c) for c in rng.integers(0, V, size=4)] + [5]
        pool = negative * (len(contexts) if per_context else 1)
        noise = [5] + [int(x) for x in rng.integers(0, V, size=pool - 1)] if negative else []
        reference.sg_centre_shared(expected, ngrams, centre, contexts, noise, negative, bool(hs), codes, points,
                                   codelens, 0.05, per_context, collapse)
        kernels.sg_centre_shared(*kernel_args(tables, starts, ids, codes, points, codelens, hs), centre,
                                 np.array(contexts, np.int32), len(contexts), np.array(noise + [0], np.int32),
                                 negative, per_context, collapse, np.float32(0.05), *scratch(), False)
    for name in tables:
        np.testing.assert_allclose(tables[name], expected[name], rtol=2e-4, atol=2e-5, err_msg=name)
    assert not np.allclose(tables["vectors_ngrams"], make_tables(7, scale)[0]["vectors_ngrams"])


def run_chunk(tables, starts, ids, codes, points, codelens, sentence, sg, hs, negative, update, cbow_mean=1,
              window=2):
    """train_fasttext_chunk on one sentence with every word kept, full windows and a noise table
    that always draws word 0: no random number changes the result."""
    one = np.ones(1, np.float32)
    span = 2 * window
    v = tables["vectors_vocab"].shape[0]
    kernels.train_fasttext_chunk(
        tables["vectors_vocab"], tables["vectors_ngrams"], tables["syn1neg"], tables["syn1"], starts, ids,
        kernels.row_growths(starts, ids), one, one, False, np.array(sentence, np.int32),
        np.array([0, len(sentence)], np.int64), 0, 1, np.full(v, 2**32, np.uint64), np.full(1, 2**32, np.uint64),
        np.zeros(1, np.int32), codes, points, codelens, sg, cbow_mean, window, False, negative, hs, False, update,
        0.05, 0.05, 10**9, 10**9, 1, np.zeros(SLOT_STRIDE, np.int64), 0, np.zeros(1, np.int32),
        np.ones(1, np.uint64), np.zeros(SLOT_STRIDE), np.zeros(len(sentence), np.int32), np.zeros(span, np.int32),
        np.zeros((max(span, kernels.NOISE_AHEAD), max(negative + 1, span * negative)), np.int32),
        np.zeros(max(span, kernels.NOISE_AHEAD), np.int32), *scratch(),
        np.zeros((span + 1, D), np.float32), np.zeros((span + 1, D), np.float32), np.zeros(span + 1, np.float32),
        np.zeros(span + 1, np.int32), np.zeros(span + 1, np.int32))


SENTENCE = [1, 4, 2, 2, 6, 0, 8, 3, 5, 1, 7]


@pytest.mark.parametrize("hs,negative", [(0, 2), (1, 0), (1, 2)])
@pytest.mark.parametrize("cbow_mean", [1, 0])
@pytest.mark.parametrize("length", [len(SENTENCE), 3, 1])
def test_cbow_window_slots_match_reference(hs, negative, cbow_mean, length):
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(9)
    expected = {k: v.copy() for k, v in tables.items()}
    sentence = SENTENCE[:length]
    negs = [([w] + [0] * negative if w != 0 else [w]) if negative else [] for w in sentence]
    reference.cbow_sentence_slots(expected, ngrams, sentence, 2, negs, bool(hs), codes, points, codelens, 0.05,
                                  bool(cbow_mean))
    run_chunk(tables, starts, ids, codes, points, codelens, sentence, 0, hs, negative, kernels.UPDATE_SHARED,
              cbow_mean)
    for name in tables:
        np.testing.assert_allclose(tables[name], expected[name], rtol=2e-4, atol=2e-5, err_msg=name)
    if length > 1:
        assert not np.allclose(tables["vectors_vocab"], make_tables(9)[0]["vectors_vocab"])


@pytest.mark.parametrize("hs,negative", [(0, 2), (1, 0), (1, 2)])
@pytest.mark.parametrize("length", [len(SENTENCE), 3, 1])
@pytest.mark.parametrize("scale", [0.5, 3.0])
def test_skipgram_window_slots_match_reference(hs, negative, length, scale):
    tables, ngrams, starts, ids, codes, points, codelens = make_tables(10, scale)
    expected = {k: v.copy() for k, v in tables.items()}
    sentence = SENTENCE[:length]
    window = 2
    reference.sg_sentence_slots(expected, ngrams, sentence, window, [window] * length, [[0] * negative] * length,
                                bool(hs), codes, points, codelens, 0.05)
    run_chunk(tables, starts, ids, codes, points, codelens, sentence, 1, hs, negative, kernels.UPDATE_SHARED,
              window=window)
    for name in tables:
        np.testing.assert_allclose(tables[name], expected[name], rtol=2e-4, atol=2e-5, err_msg=name)
    if length > 1 and scale < 1:   # at 3.0 a short sentence's scores may all saturate (skipped pairs)
        assert not np.allclose(tables["vectors_ngrams"], make_tables(10, scale)[0]["vectors_ngrams"])


@pytest.mark.parametrize("seed", range(5))
def test_skipgram_window_slots_pair_exactly_gensims_pairs(seed):
    # gensim pairs centre c with every position its drawn reach covers; grouped by target, the
    # slots must give the same (input, target) pairs, each once
    rng = np.random.default_rng(seed)
    window, n = 5, 23
    ring = 2 * window + 1
    reaches = rng.integers(1, window + 1, size=n)
    gensim_pairs = {(c, j) for c in range(n) for j in range(max(0, c - reaches[c]), min(n, c + reaches[c] + 1))
                    if j != c}
    slot_rows = np.zeros(ring, np.int32)
    slots = np.zeros(2 * window, np.int32)
    ours = []
    for i in range(n):
        for c in range(max(0, i - window), min(n, i + window + 1)):   # the ring holds i - window .. i + window
            slot_rows[c % ring] = reaches[c]
        k = kernels.window_inputs(i, n, window, ring, slot_rows, slots)
        position = {c % ring: c for c in range(max(0, i - window), min(n, i + window + 1))}
        ours += [(position[s], i) for s in slots[:k]]
    assert len(ours) == len(set(ours))
    assert set(ours) == gensim_pairs