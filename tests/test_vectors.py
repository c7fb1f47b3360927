"""KeyedVectors lookups and similarity queries, checked against gensim on the same vectors."""
from __future__ import annotations

import collections
import lzma
import pickle
import threading
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import w2v.vectors as vectors_module
from w2v.vectors import KeyedVectors, top_k, unit_rows

gensim_models = pytest.importorskip("gensim.models")

SAMPLE = Path(__file__).resolve().parents[1] / "w2v" / "data" / "sample.txt.xz"
DIM = 24


@pytest.fixture(scope="module")
def vocab():
    """The 3000 most frequent words of the start of the bundled corpus, with their counts."""
    with lzma.open(SAMPLE, "rt", encoding="utf8") as f:
        words = f.read(1_500_000).split()[:-1]
    common = collections.Counter(words).most_common(3000)
    return [w for w, _ in common], np.array([c for _, c in common], dtype=np.int64)


@pytest.fixture(scope="module")
def pair(vocab):
    """The same random vectors as a w2v KeyedVectors and a gensim KeyedVectors."""
    words, counts = vocab
    table = np.random.default_rng(7).standard_normal((len(words), DIM)).astype(np.float32)
    ours = KeyedVectors.from_vectors(table.copy(), words, counts)
    theirs = gensim_models.KeyedVectors(DIM)
    theirs.add_vectors(words, table.copy())
    return ours, theirs


def assert_same_ranking(ours, theirs, atol=1e-5):
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    np.testing.assert_allclose([s for _, s in ours], [s for _, s in theirs], atol=atol)


# ---------------------------------------------------------------------- lookups


def test_lookup_api(pair, vocab):
    wv, _ = pair
    words, counts = vocab
    assert len(wv) == len(words) and wv.vector_size == DIM
    assert wv.vectors.dtype == np.float32 and wv.vectors.shape == (len(words), DIM)
    assert wv.index_to_key == words and wv.key_to_index["the"] == words.index("the")
    np.testing.assert_array_equal(wv["of"], wv.vectors[words.index("of")])
    np.testing.assert_array_equal(wv[["of", "the"]], wv.vectors[[words.index("of"), words.index("the")]])
    assert wv[[]].shape == (0, DIM)
    assert "the" in wv and "zzzunknownzzz" not in wv
    assert wv.get_index("the") == words.index("the")
    assert wv.get_index("zzzunknownzzz", default=-1) == -1
    assert wv.get_vecattr("the", "count") == counts[words.index("the")]
    np.testing.assert_array_equal(wv.get_vector("the"), wv["the"])
    assert np.linalg.norm(wv.get_vector("the", norm=True)) == pytest.approx(1.0, abs=1e-6)


@pytest.mark.parametrize("call", [
    lambda wv: wv["zzzunknownzzz"],
    lambda wv: wv[["the", "zzzunknownzzz"]],
    lambda wv: wv.get_index("zzzunknownzzz"),
    lambda wv: wv.get_vector("zzzunknownzzz"),
    lambda wv: wv.most_similar("zzzunknownzzz"),
    lambda wv: wv.similarity("the", "zzzunknownzzz"),
    lambda wv: wv.get_vecattr("zzzunknownzzz", "count"),
])
def test_missing_word_raises_keyerror_naming_it(pair, call):
    with pytest.raises(KeyError, match="zzzunknownzzz"):
        call(pair[0])


def test_get_vecattr_without_counts_or_unknown_attribute():
    wv = KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"])
    with pytest.raises(KeyError, match="no word counts"):
        wv.get_vecattr("a", "count")
    with pytest.raises(KeyError, match="colour"):
        KeyedVectors.from_vectors(np.eye(2, dtype=np.float32), ["a", "b"], [3, 1]).get_vecattr("a", "colour")


@pytest.mark.parametrize("args, message", [
    ((np.zeros((2, 3), np.float32), ["a"]), "2 vectors but 1 words"),
    ((np.zeros(3, np.float32), ["a", "b", "c"]), "2-D"),
    ((np.zeros((2, 3), np.float32), ["a", "a"]), "duplicate"),
    ((np.zeros((2, 3), np.float32), ["a", "b"], [1, 2, 3]), "counts has shape"),
])
def test_constructor_validates(args, message):
    with pytest.raises(ValueError, match=message):
        KeyedVectors.from_vectors(*args)


def test_vectors_held_by_reference_and_reset_norms():
    table = np.array([[1, 0], [0.9, 0.1], [0, 1]], dtype=np.float32)
    wv = KeyedVectors.from_vectors(table, ["a", "b", "c"])
    assert wv.vectors is table
    assert wv.most_similar("a", topn=1)[0][0] == "b"
    assert wv.get_normed_vectors() is wv.get_normed_vectors()  # computed once, then cached
    table[2] = [1, 0.0625]  # the trainer updates in place...
    np.testing.assert_array_equal(wv["c"], [1, 0.0625])
    wv.reset_norms()  # ...then drops the cache
    assert wv.most_similar("a", topn=1)[0][0] == "c"
    wv.vectors = np.array([[1, 0], [0, 1], [0.5, 0.5]], dtype=np.float32)  # replacing also resets
    assert wv.most_similar("a", topn=1)[0][0] == "c"


def test_normed_cache_is_read_only_and_zero_rows_stay_zero():
    wv = KeyedVectors.from_vectors(np.array([[3, 4], [0, 0]], dtype=np.float32), ["a", "zero"])
    normed = wv.get_normed_vectors()
    np.testing.assert_allclose(normed, [[0.6, 0.8], [0, 0]])
    with pytest.raises(ValueError):
        normed[0, 0] = 1.0


def test_pickle_roundtrip(pair):
    wv, _ = pair
    wv.get_normed_vectors()
    clone = pickle.loads(pickle.dumps(wv))
    np.testing.assert_array_equal(clone.vectors, wv.vectors)
    assert clone.index_to_key == wv.index_to_key
    assert_same_ranking(clone.most_similar("the"), wv.most_similar("the"), atol=0)


# ---------------------------------------------------------------------- similarity queries vs gensim


@pytest.mark.parametrize("kwargs", [
    dict(positive="the"),
    dict(positive=["king"], topn=5),
    dict(positive=["king", "woman"], negative=["man"], topn=20),
    dict(positive=["city"], negative="state", topn=7),
    dict(positive=["war", "peace"], restrict_vocab=500),
    dict(positive=[("king", 2.0), ("queen", 0.5)], negative=[("man", -1.0)]),
    dict(negative=["of"], topn=3),
])
def test_most_similar_matches_gensim(pair, kwargs):
    wv, g = pair
    assert_same_ranking(wv.most_similar(**kwargs), g.most_similar(**kwargs))


def test_most_similar_accepts_vectors_and_excludes_query_words(pair):
    wv, g = pair
    vec = wv["king"] * 3 + wv["war"]
    assert_same_ranking(wv.most_similar(positive=[vec, "queen"], negative=["man"]),
                        g.most_similar(positive=[vec, "queen"], negative=["man"]))
    result = wv.most_similar(positive=["king", "queen"], negative=["man"], topn=len(wv))
    assert len(result) == len(wv) - 3
    assert not {"king", "queen", "man"} & {w for w, _ in result}
    assert_same_ranking(wv.similar_by_vector(vec, topn=15), g.similar_by_vector(vec, topn=15))
    assert wv.similar_by_vector(wv["king"], topn=1)[0][0] == "king"  # a raw vector excludes nothing


def test_most_similar_topn_none_and_zero(pair):
    wv, g = pair
    scores = wv.most_similar(positive=["king"], negative=["man"], topn=None)
    assert scores.shape == (len(wv),)
    np.testing.assert_allclose(scores, g.most_similar(positive=["king"], negative=["man"], topn=None), atol=1e-5)
    assert wv.most_similar("king", topn=None, restrict_vocab=100).shape == (100,)
    assert wv.most_similar("king", topn=0) == []
    with pytest.raises(ValueError, match="no input"):
        wv.most_similar(positive=[], negative=[])


def test_most_similar_scores_are_cosines(pair):
    wv, _ = pair
    for word, score in wv.most_similar("king", topn=5):
        assert score == pytest.approx(wv.similarity("king", word), abs=1e-6)


@pytest.mark.parametrize("kwargs", [
    dict(positive=["king", "woman"], negative=["man"]),
    dict(positive=["paris", "germany"], negative=["france"], topn=4),
    dict(positive="music"),
])
@pytest.mark.filterwarnings("ignore:Call to deprecated:DeprecationWarning")  # gensim's own init_sims
def test_most_similar_cosmul_matches_gensim(pair, kwargs):
    wv, g = pair
    assert_same_ranking(wv.most_similar_cosmul(**kwargs), g.most_similar_cosmul(**kwargs))


def test_pairwise_helpers_match_gensim(pair):
    wv, g = pair
    assert wv.similarity("king", "queen") == pytest.approx(float(g.similarity("king", "queen")), abs=1e-6)
    assert wv.distance("king", "queen") == pytest.approx(float(g.distance("king", "queen")), abs=1e-6)
    assert wv.n_similarity(["king", "war"], ["queen", "city"]) == pytest.approx(
        float(g.n_similarity(["king", "war"], ["queen", "city"])), abs=1e-6)
    np.testing.assert_allclose(wv.distances("king"), g.distances("king"), atol=1e-5)
    np.testing.assert_allclose(wv.distances("king", ["queen", "man", "the"]),
                               g.distances("king", ["queen", "man", "the"]), atol=1e-6)
    np.testing.assert_allclose(wv.distances(wv["war"], ["peace"]), g.distances(g["war"], ["peace"]), atol=1e-6)
    np.testing.assert_allclose(KeyedVectors.cosine_similarities(wv["king"], wv[["queen", "man"]]),
                               g.cosine_similarities(g["king"], g[["queen", "man"]]), atol=1e-6)
    assert wv.similar_by_word("king", topn=3) == wv.most_similar("king", topn=3)
    assert wv.rank("king", "queen") == g.rank("king", "queen")
    assert sorted(wv.closer_than("king", "queen")) == sorted(g.closer_than("king", "queen"))
    words = ["king", "queen", "war", "peace", "city", "music"]
    assert wv.doesnt_match(words) == g.doesnt_match(words)
    with pytest.raises(ValueError):
        wv.n_similarity([], ["king"])


def test_doesnt_match_picks_the_outlier_and_ignores_unknown_words():
    table = np.array([[1, 0.1], [1, -0.1], [0.9, 0], [-0.2, 1]], dtype=np.float32)
    wv = KeyedVectors.from_vectors(table, ["cat", "dog", "cow", "car"])
    assert wv.doesnt_match(["cat", "dog", "cow", "car", "zzz"]) == "car"
    with pytest.raises(ValueError):
        wv.doesnt_match(["zzz"])


# ---------------------------------------------------------------------- the shared building blocks


def check_top_k(scores, k):
    """top_k must return k distinct indices whose scores are the k best, best first, ties in index order."""
    result = top_k(scores, k)
    k = min(k, scores.shape[-1])
    assert result.shape == scores.shape[:-1] + (k,)
    picked = np.take_along_axis(scores, result, axis=-1)
    best = -np.sort(-scores, axis=-1)[..., :k]
    np.testing.assert_array_equal(picked, best)
    for row, idx in zip(picked.reshape(-1, k), result.reshape(-1, k)) if k else ():
        assert len(set(idx.tolist())) == k
        tied = row[1:] == row[:-1]
        assert (idx[1:][tied] > idx[:-1][tied]).all()
    return result


@settings(max_examples=150, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3000), st.integers(0, 12), st.booleans(), st.integers(0, 2**32 - 1))
def test_top_k_selects_the_best(rows, n, k, coarse, seed):
    rng = np.random.default_rng(seed)
    scores = rng.standard_normal((rows, n)).astype(np.float32)
    if coarse:  # many exact ties
        scores = np.round(scores * 2) / 2
    check_top_k(scores, k)
    check_top_k(scores[0], k)


def test_top_k_large_rows_and_nan_rows():
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((50, 20_000)).astype(np.float32)
    np.testing.assert_array_equal(check_top_k(scores, 8), np.argsort(-scores, axis=1)[:, :8])
    scores[4, 100] = np.nan
    result = top_k(scores, 8)  # a NaN row must not disturb the others, nor push out finite winners
    np.testing.assert_array_equal(np.delete(result, 4, axis=0), check_top_k(np.delete(scores, 4, axis=0), 8))
    np.testing.assert_array_equal(result[4][:7], np.argsort(-np.nan_to_num(scores[4], nan=-9))[:7])


def test_unit_rows():
    m = np.array([[3, 4], [0, 0], [1e-30, 0]], dtype=np.float32)
    np.testing.assert_allclose(unit_rows(m), [[0.6, 0.8], [0, 0], [1, 0]], rtol=1e-6)
    assert unit_rows(m).dtype == np.float32
    np.testing.assert_allclose(unit_rows(np.array([0.0, 2.0])), [0, 1])


# ---------------------------------------------------------------------- concurrency


def test_concurrent_queries_compute_norms_once(pair, monkeypatch):
    base, _ = pair
    wv = KeyedVectors.from_vectors(base.vectors.copy(), base.index_to_key)
    full_norms = []
    original = vectors_module.row_norms

    def counting_row_norms(matrix):
        full_norms.append(threading.get_ident())
        return original(matrix)

    queries = ["king", "the", "war", "city"] * 4
    expected = [base.most_similar(q, topn=5) for q in queries]
    monkeypatch.setattr(vectors_module, "row_norms", counting_row_norms)
    barrier = threading.Barrier(len(queries))
    results = [None] * len(queries)

    def worker(i):
        barrier.wait()
        results[i] = wv.most_similar(queries[i], topn=5)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(len(queries))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected
    assert len(full_norms) == 1
    assert wv._normed is None  # queries divide by the norms: no normalised copy of the table


def test_reset_during_queries_never_serves_stale_norms():
    rng = np.random.default_rng(0)
    table = rng.standard_normal((500, 8)).astype(np.float32)
    wv = KeyedVectors.from_vectors(table, [f"w{i}" for i in range(500)])
    stop = threading.Event()
    errors, answered = [], []

    def reader():
        try:
            while not stop.is_set():
                result = wv.most_similar("w0", topn=3)
                # finite answers only: between a rewrite of the table and reset_norms() a query
                # divides the new rows by the old norms (the caller's own race), so |sim| may pass 1
                assert len(result) == 3 and all(np.isfinite(sim) for _, sim in result), result
                answered.append(1)
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread, which re-raises it
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for step in range(30):
            table[:] = rng.standard_normal(table.shape)
            wv.reset_norms()
            np.testing.assert_allclose(wv.get_normed_vectors(), unit_rows(table), rtol=1e-6)
    finally:
        stop.set()
        for t in threads:
            t.join()
    if errors:
        raise errors[0]
    assert answered  # the readers really queried meanwhile
