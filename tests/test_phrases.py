"""Phrases: gensim parity on real text, numba kernels against the Python references, files, errors."""
from __future__ import annotations

import lzma
from pathlib import Path

import numpy as np
import pytest

import w2v
from w2v import phrases as phrases_mod
from w2v.kernels import phrases_reference as ref
from w2v.ngrams import NgramTable, WordBytes, WordIndex
from w2v.phrases import ENGLISH_CONNECTOR_WORDS, FrozenPhrases, Phrases, load

gensim_phrases = pytest.importorskip("gensim.models.phrases")
GP = gensim_phrases.Phrases


@pytest.fixture(scope="module")
def words():
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        return f.read(1_200_000).split()[:150_000]


@pytest.fixture(scope="module")
def sentences(words):
    return [words[i:i + 500] for i in range(0, len(words), 500)]


@pytest.fixture(scope="module")
def lines_file(tmp_path_factory, words):
    path = tmp_path_factory.mktemp("phrases") / "lines.txt"
    path.write_text("".join(" ".join(words[i:i + 700]) + "\n" for i in range(0, len(words), 700)))
    return path


def assert_same_model(ours, theirs, sentences):
    ep, eg = ours.export_phrases(), theirs.export_phrases()
    assert list(ep) == list(eg)  # same phrases, in gensim's (first-seen) order
    assert all(abs(ep[k] - eg[k]) <= 1e-12 * abs(eg[k]) for k in eg)
    assert len(ep) > 20
    assert ours.vocab == theirs.vocab
    assert ours.corpus_word_count == theirs.corpus_word_count and ours.min_reduce == theirs.min_reduce
    assert list(ours[sentences]) == list(theirs[sentences])
    assert list(ours.freeze()[sentences]) == list(theirs.freeze()[sentences])
    assert ours.find_phrases(sentences) == theirs.find_phrases(sentences)


@pytest.mark.parametrize("params", [
    {},
    {"connector_words": ENGLISH_CONNECTOR_WORDS, "max_vocab_size": 30_000, "threshold": 5.0, "min_count": 3},
    {"max_vocab_size": 40_000},
    {"scoring": "npmi", "threshold": 0.5},
], ids=["default", "connectors-pruned", "merge-pruned", "npmi"])
def test_same_as_gensim(sentences, params):
    """Counts, pruning, scores, phrase set and phrased text equal gensim's, add_vocab's merges
    included (with max_vocab_size=40,000 the second merge prunes 96,562 entries to 23,898)."""
    ours, theirs = Phrases(sentences[:100], **params), GP(sentences[:100], **params)
    for part in (sentences[100:200], sentences[200:]):
        ours.add_vocab(part)
        theirs.add_vocab(part)
    assert_same_model(ours, theirs, sentences)


@pytest.mark.parametrize("params", [{}, {"scoring": "npmi", "threshold": 0.5}], ids=["default", "npmi"])
def test_scoring_a_table_in_two_threads_same_as_gensim(sentences, params, monkeypatch):
    """A large table is scored in two halves, one per thread: phrases, scores and their order
    are gensim's all the same (the halves are forced here on a small table)."""
    monkeypatch.setattr(phrases_mod, "PARALLEL_SCORING_ENTRIES", 1)
    ours, theirs = Phrases(sentences, **params), GP(sentences, **params)
    assert list(ours.export_phrases().items()) == list(theirs.export_phrases().items())
    assert list(ours.freeze()[sentences[:50]]) == list(theirs.freeze()[sentences[:50]])


def scorer(worda_count, wordb_count, bigram_count, len_vocab, min_count, corpus_word_count):
    """A custom scorer (module level: gensim pickles it)."""
    return bigram_count / (worda_count + wordb_count)


def test_threshold_lowered_below_zero_after_training_same_as_gensim(sentences):
    """A threshold set below 0 after training (gensim checks it only in the constructor) makes
    n-grams rarer than min_count phrases too: their scores are negative, not skipped."""
    ours, theirs = Phrases(sentences[:60], min_count=3), GP(sentences[:60], min_count=3)
    ours.threshold = theirs.threshold = -0.5
    got, expected = ours.export_phrases(), theirs.export_phrases()
    assert got == pytest.approx(expected, rel=1e-9) and list(got) == list(expected)
    assert min(expected.values()) < 0


def test_custom_scorer_same_as_gensim(sentences):
    ours, theirs = Phrases(sentences, scoring=scorer, threshold=0.2), GP(sentences, scoring=scorer, threshold=0.2)
    assert ours.export_phrases() == theirs.export_phrases()
    assert list(ours.freeze()[sentences[:50]]) == list(theirs.freeze()[sentences[:50]])


def test_file_corpus_and_trigrams_same_as_gensim(lines_file, tmp_path):
    """From a path: the same model as gensim's from LineSentence; phrased corpora of phrased corpora
    (trigrams, where tokens hold the delimiter and gensim's string keys collide) match too."""
    from gensim.models.word2vec import LineSentence

    bigram, g_bigram = Phrases(str(lines_file)).freeze(), GP(LineSentence(str(lines_file))).freeze()
    assert bigram.phrasegrams == g_bigram.phrasegrams
    phrased = bigram[Path(lines_file)]
    g_phrased = list(g_bigram[LineSentence(str(lines_file))])
    assert list(phrased) == g_phrased and list(phrased) == g_phrased  # restartable
    trigram, g_trigram = Phrases(phrased), GP(g_phrased)
    assert trigram.export_phrases() == g_trigram.export_phrases()
    assert any(p.count("_") >= 2 for p in trigram.export_phrases())
    assert list(trigram.freeze()[phrased]) == list(g_trigram.freeze()[g_phrased])
    out = tmp_path / "phrased.txt"
    assert bigram.save_phrased(str(lines_file), out) == sum(map(len, g_phrased))
    assert [line.split() for line in out.read_text().splitlines()] == g_phrased


def test_train_on_phrased_corpus(lines_file):
    """w2v.train reads a phrased file corpus as ids: same vocabulary as from the phrased token lists."""
    frozen = Phrases(str(lines_file)).freeze()
    phrased = frozen[Path(lines_file)]
    scan = w2v.encode.scan(phrased)
    counts = dict(zip(scan.words, scan.counts().tolist()))
    expected: dict[str, int] = {}
    for sentence in phrased:
        for token in sentence:
            expected[token] = expected.get(token, 0) + 1
    assert {w: c for w, c in counts.items() if c} == expected
    model = w2v.train(phrased, vector_size=10, epochs=1, workers=1, min_count=5, progress=False)
    assert "one_nine" in model.wv and model.corpus_total_words == sum(expected.values())


def test_single_sentences_and_analyze(sentences):
    model = Phrases(sentences)
    assert model[["one", "nine", "eight"]] == ["one_nine", "eight"]
    assert model[[]] == []
    assert list(model.freeze().analyze_sentence(["one", "nine", "zzz"])) == [
        ("one_nine", pytest.approx(model.export_phrases()["one_nine"])), ("zzz", None)]
    assert model.score_candidate("one", "nine", [])[0] == "one_nine"
    assert model.score_candidate("one", "zzzz", []) == (None, None)


# ---- kernels against the plain-Python references ---------------------------------------------

def random_sentences(rng, n_words=40, n_sent=300):
    vocab = [f"w{i}" for i in range(n_words)]
    p = 1.0 / np.arange(1, n_words + 1)
    p /= p.sum()
    return [[vocab[i] for i in rng.choice(n_words, size=rng.integers(0, 30), p=p)] for _ in range(n_sent)]


@pytest.mark.parametrize("max_vocab_size", [40_000_000, 150])
def test_count_kernel_matches_reference(max_vocab_size):
    rng = np.random.default_rng(3)
    sents = random_sentences(rng)
    connectors = frozenset({"w1", "w5"})
    expected, min_reduce, total = ref.count_ngrams(sents, connectors, max_vocab_size)
    index = WordIndex(sorted(connectors), "_")
    ids = np.fromiter((index[w] for s in sents for w in s), np.int32)
    offsets = np.cumsum([0] + [len(s) for s in sents]).astype(np.int64)
    parts = index.parts_arrays()
    table = NgramTable(16)
    table.count_sentences(ids, offsets, np.array([w in connectors for w in index.words]), parts, max_vocab_size)
    got = {tuple(index.words[i] for i in table.key(e).tolist()): int(table.ecount[e]) for e in range(len(table))}
    assert list(got.items()) == list(expected.items())
    assert (table.min_reduce, table.words) == (min_reduce, total)


def test_apply_kernel_matches_reference():
    rng = np.random.default_rng(5)
    sents = random_sentences(rng, n_words=12)
    connectors = frozenset({"w0"})
    model = Phrases(sents, min_count=2, threshold=0.1, connector_words=connectors)
    keys = {tuple(p.split("_")): s for p, s in model.export_phrases().items()}
    assert keys
    for sentence in sents:
        expected = ["_".join(t) if isinstance(t, tuple) else t for t in ref.apply_phrases(sentence, keys, connectors)]
        assert model.freeze()[sentence] == expected


def test_apply_helpers_match_reference():
    """The apply kernel's per-word flags and pair filter, and the slots' fingerprints, against
    numpy/Python references; the filter never misses a key of the table."""
    from w2v.kernels import phrases as K

    rng = np.random.default_rng(11)
    index = WordIndex(["w0", "a_b", "w3"] + [f"w{i}" for i in range(4, 40)], "_")
    parts = index.parts_arrays()
    n = len(index.words)
    is_conn, starts = rng.random(n - 3) < 0.3, rng.random(n - 5) < 0.5
    flags = np.empty(n, np.uint8)
    K.word_flags(is_conn, starts, parts[1], flags)
    assert flags.tolist() == ref.word_flags(is_conn, starts, parts[1]).tolist()
    assert flags[index["a_b"]] & K.ONE_PART == 0 and flags[index["w0"]] & K.ONE_PART

    table = NgramTable(16)
    sents = random_sentences(rng, n_words=300, n_sent=400)
    idx2 = WordIndex([], "_")
    ids = np.fromiter((idx2[w] for s in sents for w in s), np.int32)
    offsets = np.cumsum([0] + [len(s) for s in sents]).astype(np.int64)
    table.count_sentences(ids, offsets, np.zeros(len(idx2.words), bool), idx2.parts_arrays(), 40_000_000)
    keys = table.entries[:len(table), 0]
    log_bits = K.pair_filter_bits(len(table))
    bits = np.empty(1 << (log_bits - 6), np.uint64)
    K.pair_filter(len(table), table.entries, bits, 64 - log_bits)
    assert bits.tolist() == ref.pair_filter(keys, log_bits).tolist()
    mask = len(table.slots) - 1
    used = table.slots[table.slots >= 0].astype(np.int64)
    assert sorted((used & mask).tolist()) == list(range(len(table)))  # every entry in one slot
    for v in used.tolist():
        assert v & ~mask == ref.slot_fingerprint(int(keys[v & mask]), len(table.slots))


def test_word2phrase_matches_reference(tmp_path, words):
    lines = [words[i:i + 37] for i in range(0, 60_000, 37)]
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(" ".join(line) + "\n" for line in lines))
    from w2v.word2phrase import word2phrase

    stats = word2phrase(src, out, min_count=3, threshold=50, debug=0)
    expected = ref.word2phrase(lines, 3, 50)
    assert out.read_text() == expected and stats["joined"] == expected.count("_") > 100


def test_word2phrase_writes_long_and_multibyte_words_like_the_reference(tmp_path):
    """The writer copies 8 bytes a store: words of 8, 9, 16 and 17 bytes and multi-byte UTF-8."""
    rng = np.random.default_rng(5)
    vocab = ["new", "york", "caf\u00e9", "\u65e5\u672c\u8a9e", "x", "abcdefgh", "abcdefghi", "abcdefghijklmnop",
             "abcdefghijklmnopq"]
    lines = [[vocab[i] for i in rng.choice(len(vocab), rng.integers(1, 30), p=[.3, .3] + [.4 / 7] * 7)]
             for _ in range(300)]
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    from w2v.word2phrase import word2phrase

    stats = word2phrase(src, out, min_count=2, threshold=1.0, debug=0)
    expected = ref.word2phrase(lines, 2, 1.0)
    assert out.read_text(encoding="utf-8") == expected and stats["joined"] == expected.count("_") > 10


@pytest.mark.parametrize("min_count,threshold", [(1, 1.0), (2, 5.0), (0, 1.0)])
def test_word2phrase_delimited_tokens_match_reference(tmp_path, min_count, threshold):
    """Tokens written with '_' share counts with the pairs they spell, and chains of joins (a
    joined token has pa = 0): the paths word2phrase's small table of pairs does not cover."""
    rng = np.random.default_rng(11)
    vocab = ["a", "b", "c", "d", "a_b", "b_c", "c_a_b", "e", "_", "b_"]
    lines = [[vocab[i] for i in rng.integers(0, len(vocab), rng.integers(1, 30))] for _ in range(300)]
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(" ".join(line) + "\n" for line in lines))
    from w2v.word2phrase import word2phrase

    stats = word2phrase(src, out, min_count=min_count, threshold=threshold, debug=0)
    expected = ref.word2phrase(lines, min_count, threshold)
    assert out.read_text() == expected
    assert stats["joined"] > 20


def test_count_pairs_matches_reference_counts():
    """NgramTable.count_pairs (unigrams held back, pairs through the pair cache, table grown
    mid-block) gives word2phrase's counts: every word and every consecutive pair."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(300)] + ["w1_w2", "w3_w4_w5"]
    stream = [words[i] for i in np.minimum(rng.zipf(1.3, 40_000), len(words)) - 1]
    expected: dict[tuple, int] = {}
    for i, w in enumerate(stream):
        key = tuple(w.split("_"))
        expected[key] = expected.get(key, 0) + 1
        if i:
            pair = (*stream[i - 1].split("_"), *key)
            expected[pair] = expected.get(pair, 0) + 1
    index = WordIndex(delimiter="_")
    table = NgramTable(16)
    ids = np.array([index[w] for w in stream], np.int32)
    table.count_pairs(ids[:15_000], -1, index.parts_arrays())
    table.count_pairs(ids[15_000:], int(ids[14_999]), index.parts_arrays())
    table.finish_pairs(index.parts_arrays())
    got = {tuple(index.words[i] for i in table.key(e).tolist()): int(table.ecount[e]) for e in range(len(table))}
    assert got == expected and table.words == len(stream)


def test_word_index_gives_new_words_the_next_ids_and_known_words_their_own():
    index = WordIndex(["of", "new_york"], "_")
    assert index.ids_of_words(["new", "york", "city"]).tolist() == [2, 3, 4]  # all new: the fast path
    assert index.ids_of_words(["a", "b", "a", "c"]).tolist() == [5, 6, 5, 7]  # a repeat among new words
    assert index.ids_of_words(["d", "of", "e"]).tolist() == [8, 0, 9]  # a known word keeps its id
    assert index.words == ["of", "new_york", "new", "york", "city", "a", "b", "c", "d", "e"]
    assert all(index[w] == i for i, w in enumerate(index.words)) and len(index) == len(index.words)
    start, length, parts = index.parts_arrays()  # new_york's parts are the words new and york
    assert parts[start[1]:start[1] + length[1]].tolist() == [2, 3] and length.tolist().count(1) == 9


def test_word_index_enters_a_tokenisers_words_into_its_dict_on_first_read():
    """Words appended with extend_new have their ids at once and are found by every read of the
    dict (lookup, ``in``, len, iteration, a copy), but the dict is filled only when read: learning
    from a file makes no dict entry."""
    def lazy():
        index = WordIndex(delimiter="_")
        index.extend_new(["new", "york"])
        index.extend_new(["city"])
        assert index.words == ["new", "york", "city"] and dict.__len__(index) == 0
        return index

    assert lazy()["york"] == 1 and "city" in lazy() and len(lazy()) == 3 and list(lazy()) == ["new", "york", "city"]
    assert lazy().get("city") == 2 and lazy().keys() == {"new", "york", "city"} and dict(lazy().items())["city"] == 2
    index = lazy()
    assert index["paris"] == 3 and index.ids_of_words(["city", "x"]).tolist() == [2, 4]
    lazy = WordIndex()
    lazy.extend_new(["a", "b"])
    other = lazy.copy()  # copies what is entered and what is still to enter
    other.extend_new(["c"])
    lazy.extend_new(["d"])
    assert [other[w] for w in "abc"] == [0, 1, 2] and [lazy[w] for w in "abd"] == [0, 1, 2] and "c" not in lazy

    model = Phrases(Path(w2v.sample_corpus_path()))
    index = model.word_index
    assert dict.__len__(index) == 0 and len(index.words) > 1000
    frozen = model.freeze()  # token lists are looked up in the dict: the words are there
    assert frozen.compiled().ids_of(["the", "of"]).tolist() == [index.words.index("the"), index.words.index("of")]


def test_word_index_parts_grow_in_place_and_a_copy_grows_apart():
    """Word parts are appended into buffers with room to spare: views handed out earlier keep
    their contents, and a copy of the index appends into buffers of its own."""
    index = WordIndex(["a", "b"], "_")
    first = tuple(a.copy() for a in index.parts_arrays())
    held = index.parts_arrays()
    other = index.copy()
    index.ids_of_words(["a_b", "c"])
    other.ids_of_words(["d", "b_a_d"])
    arrays = {id(ix): ix.parts_arrays() for ix in (index, other)}  # both append before either is read
    for got, before in zip(held, first):
        assert np.array_equal(got, before)
    for ix, words in ((index, ["a", "b", "a_b", "c"]), (other, ["a", "b", "d", "b_a_d"])):
        start, length, parts = arrays[id(ix)]
        assert ix.words == words
        assert [parts[start[w]:start[w] + length[w]].tolist() for w in range(len(words))] == \
            [[ix[p] for p in word.split("_")] for word in words]


def test_tokeniser_new_words_decoded_together_are_the_words():
    """A tokeniser's new words (multi-byte UTF-8, long, one byte) come out decoded block after
    block, the same as its whole-file result."""
    from w2v.ngrams import StreamingTokenizer

    text = "caf\u00e9 a \u65e5\u672c\u8a9e abcdefghijklmnopqrstuvwxyz a caf\u00e9\nx stra\u00dfe a x\n"
    tok = StreamingTokenizer(1000)
    tok.feed(text[:30].rsplit(" ", 1)[0].encode("utf-8") + b" ")
    got = tok.new_words(0)
    tok.feed(text[len(text[:30].rsplit(" ", 1)[0]) + 1:].encode("utf-8"))
    got += tok.new_words(len(got))
    assert got == list(dict.fromkeys(text.split())) and tok.new_words(len(got)) == []


def test_joined_blocks_keep_sentences_and_order():
    from w2v.ngrams import joined_blocks

    rng = np.random.default_rng(3)
    blocks = []
    for n in (3, 1, 7, 2, 12, 4):
        lengths = rng.integers(1, 5, size=n)
        blocks.append((rng.integers(0, 100, size=int(lengths.sum())).astype(np.int32),
                       np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)))
    sentences = [ids[a:b].tolist() for ids, off in blocks for a, b in zip(off[:-1], off[1:])]
    for min_tokens in (1, 10, 25, 10_000):
        joined = list(joined_blocks(iter(blocks), min_tokens))
        assert [ids[a:b].tolist() for ids, off in joined for a, b in zip(off[:-1], off[1:])] == sentences
        assert all(len(ids) >= min_tokens for ids, _ in joined[:-1]) and all(off[-1] == len(ids) for ids, off in joined)
    assert all(a is b for (a, _), (b, _) in zip(joined_blocks(iter(blocks), 1), blocks))  # large enough: as is


def test_positions_are_the_apply_codes_as_word_ids(sentences):
    """The fused kernel (apply + codes_to_ids) gives what the two steps give."""
    from w2v.kernels import phrases as K

    compiled = Phrases(sentences, min_count=3, threshold=1.0).freeze().compiled()
    ids = compiled.ids_of([w for s in sentences[:50] for w in s])
    offsets = np.arange(0, len(ids) + 1, 500, dtype=np.int64)
    offsets[-1] = len(ids)
    phrase_ids = np.arange(len(compiled.index.words), len(compiled.index.words) + len(compiled.phrases),
                           dtype=np.int32)
    codes, n, out_offsets = compiled.apply(ids, offsets)
    expected = np.empty(n, np.int32)
    K.codes_to_ids(codes, n, ids, phrase_ids, expected)
    where, got_offsets = compiled.positions(ids, offsets, phrase_ids)
    assert n < len(ids) and np.array_equal(where, expected) and np.array_equal(got_offsets, out_offsets)


def test_word_bytes_grown_in_parts_hold_every_word():
    """The writers' word bytes grow block by block (a file not counted first brings new words in
    every block): each record must point at its own word's chunks, whatever part it came in."""
    words = ["new", "", "abcdefgh", "abcdefghijklmnopq", "caf\u00e9", "x", "\u65e5\u672c\u8a9e", "abcdefghi"]
    parts = WordBytes(words[:3])
    parts.extend(words[3:5])
    parts.extend([])
    parts.extend(words[5:])
    whole = WordBytes(words)
    for got in (parts, whole):
        raw = got.chunks.view(np.uint8)
        for w, word in enumerate(words):
            first, length = int(got.records[w, 1] >> np.uint64(32)), int(got.records[w, 1] & np.uint64(0xFFFFFFFF))
            assert bytes(raw[8 * first:8 * first + length]) == word.encode("utf-8") and got.lengths[w] == length
            assert got.records[w, 0] == (got.chunks[first] if length else 0)
    assert np.array_equal(parts.chunks, whole.chunks) and np.array_equal(parts.records, whole.records)


# ---- save / load ---------------------------------------------------------------------------

def test_save_load_roundtrip(tmp_path, sentences):
    model = Phrases(sentences, connector_words=ENGLISH_CONNECTOR_WORDS)
    model.save(tmp_path / "p.npz")
    again = Phrases.load(tmp_path / "p.npz")
    assert again.vocab == model.vocab and again.export_phrases() == model.export_phrases()
    again.add_vocab(sentences[:10])  # still a working model
    frozen = model.freeze()
    frozen.save(tmp_path / "f.npz")
    loaded = load(tmp_path / "f.npz")
    assert isinstance(loaded, FrozenPhrases) and loaded.phrasegrams == frozen.phrasegrams
    assert list(loaded[sentences[:20]]) == list(frozen[sentences[:20]])
    with pytest.raises(TypeError, match="FrozenPhrases, not a Phrases"):
        Phrases.load(tmp_path / "f.npz")


def test_load_refuses_pickles_and_unknown_scorers(tmp_path, sentences):
    GP(sentences[:20]).save(str(tmp_path / "gensim.pkl"))
    with pytest.raises(ValueError, match="not a w2v phrases file"):
        load(tmp_path / "gensim.pkl")

    Phrases(sentences[:20], scoring=scorer, threshold=0.01).save(tmp_path / "custom.npz")
    with pytest.raises(ValueError, match="custom scoring function .*scorer"):
        load(tmp_path / "custom.npz")
    assert load(tmp_path / "custom.npz", scoring=scorer).scoring is scorer
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        load(tmp_path / "missing.npz")


# ---- bad input -------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, message", [
    ({"threshold": 0}, "threshold should be positive for default scoring"),
    ({"threshold": -3.0}, "threshold should be positive"),
    ({"scoring": "npmi", "threshold": 1.5}, "between -1 and 1 for npmi"),
    ({"scoring": "npmi", "threshold": -2}, "between -1 and 1 for npmi"),
    ({"delimiter": ""}, "delimiter must be a non-empty str"),
    ({"scoring": lambda worda_count, wordb_count: 0}, r"missing expected parameters \['bigram_count'"),
    ({"scoring": "pmi"}, "unknown scoring method string 'pmi'"),
    ({"min_count": 0}, "min_count should be at least 1"),
])
def test_bad_parameters(kwargs, message):
    with pytest.raises(ValueError, match=message):
        Phrases(**kwargs)


def test_bad_corpora(tmp_path):
    with pytest.raises(w2v.CorpusError, match="contains no tokens"):
        Phrases([[], []])
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(w2v.CorpusError, match="contains no tokens"):
        Phrases(str(empty))
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Phrases(str(tmp_path / "nope.txt"))
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"ok words\nbad \xff byte\n")
    with pytest.raises(w2v.CorpusError, match="bad.txt.*line 2"):
        Phrases(str(bad))
    with pytest.raises(TypeError, match="sentence 0 is a str"):
        Phrases(["not a list of tokens"])
    with pytest.raises(TypeError, match="corpus tokens must be .*found int 3"):
        Phrases([["a", 3]])


def test_gensim_line_sentence_read_as_file(lines_file):
    """gensim's LineSentence of a file is read by w2v's reader: same sentences as gensim's own
    iteration (chunking by max_sentence_length), and a `limit` falls back to iterating it."""
    from gensim.models.word2vec import LineSentence

    from w2v.ngrams import gensim_line_file

    assert gensim_line_file(LineSentence(str(lines_file), max_sentence_length=300)) == (Path(lines_file), 300)
    assert gensim_line_file(LineSentence(str(lines_file), limit=3)) is None
    assert gensim_line_file([["a"]]) is None
    ours = Phrases(LineSentence(str(lines_file), max_sentence_length=300))
    theirs = GP(LineSentence(str(lines_file), max_sentence_length=300))
    assert ours.export_phrases() == theirs.export_phrases()
    for corpus in (LineSentence(str(lines_file), max_sentence_length=300), LineSentence(str(lines_file), limit=5)):
        assert list(ours.freeze()[corpus]) == list(theirs.freeze()[corpus])


def test_kept_ids_serve_the_same_file_only(lines_file, tmp_path, monkeypatch):
    """The ids counted from a file are reused to apply the phrases to that same file (a path or
    gensim's LineSentence of it, cut at the same length), giving what a fresh read gives; a
    changed file, another cut or a file over KEEP_TOKENS is read again."""
    from gensim.models.word2vec import LineSentence

    from w2v import ngrams

    src = tmp_path / "copy.txt"
    src.write_bytes(Path(lines_file).read_bytes())
    model = Phrases(str(src))
    frozen = model.freeze()
    assert model._kept is not None and frozen._kept is model._kept
    fresh = Phrases(str(src)).freeze()
    fresh._kept = None
    assert list(frozen[LineSentence(str(src))]) == list(fresh[LineSentence(str(src))])
    assert frozen.save_phrased(str(src), tmp_path / "a.txt") == fresh.save_phrased(str(src), tmp_path / "b.txt")
    assert (tmp_path / "a.txt").read_bytes() == (tmp_path / "b.txt").read_bytes()
    served = []
    real = ngrams.file_key
    monkeypatch.setattr(ngrams, "file_key", lambda *a: served.append(real(*a)) or served[-1])
    assert list(frozen[LineSentence(str(src), max_sentence_length=300)]) == \
        list(fresh[LineSentence(str(src), max_sentence_length=300)])  # another cut: read again
    assert served[0] != model._kept.key
    src.write_text("new york new york city\n" * 3)  # changed: read again
    assert list(frozen[LineSentence(str(src))])[0] == list(fresh[LineSentence(str(src))])[0]
    monkeypatch.setattr(ngrams, "KEEP_TOKENS", 10)
    assert Phrases(str(src))._kept is None


@pytest.mark.parametrize("delimiter", ["_", "\u2014\u2014"])
def test_save_phrased_writes_what_token_lists_give(tmp_path, delimiter):
    """The file-to-file writer (8-byte chunks) against the token-list path: multi-byte UTF-8
    words, words longer than 8 and 16 bytes, empty lines, and a multi-byte delimiter."""
    rng = np.random.default_rng(7)
    vocab = ["new", "york", "caf\u00e9", "\u65e5\u672c", "x", "abcdefgh", "abcdefghijklmnopq", "stra\u00dfe",
             "abcdefghi", "abcdefghijklmnop"]  # 8, 17, 9 and 16 bytes: one, three, two and two chunks
    p = [.3, .3, .1, .1, .04, .04, .03, .03, .03, .03]
    lines = [[vocab[i] for i in rng.choice(len(vocab), size=rng.integers(0, 40), p=p)]
             for _ in range(400)]
    src = tmp_path / "in.txt"
    src.write_text("".join(" ".join(line) + "\n" for line in lines), encoding="utf-8")
    frozen = Phrases(src, min_count=2, threshold=1e-3, delimiter=delimiter).freeze()
    assert len(frozen.phrasegrams) >= 3
    out = tmp_path / "out.txt"
    written = frozen.save_phrased(src, out)
    expected = [frozen[line] for line in lines if line]
    assert out.read_text(encoding="utf-8") == "".join(" ".join(s) + "\n" for s in expected)
    assert written == sum(map(len, expected))


def test_token_lists_of_a_line_file_over_many_joined_blocks_with_new_words(tmp_path, monkeypatch):
    """``frozen[LineSentence(path)]`` of a file the model never counted: with 64-byte read blocks
    the apply thread joins many of them, new words keep joining the index block after block, and
    the token lists are what gensim's own iteration of the same LineSentence gives."""
    from gensim.models.word2vec import LineSentence

    from w2v import corpus as corpus_mod, ngrams

    learned = tmp_path / "learn.txt"
    learned.write_text("new york is big . " * 40 + "\n", encoding="utf-8")
    ours = Phrases(learned, min_count=2, threshold=1e-3)
    theirs = GP(LineSentence(str(learned)), min_count=2, threshold=1e-3)
    lines = [f"in new york w{k} saw new york and word{k % 7} w{k} again" for k in range(300)]
    src = tmp_path / "apply.txt"
    src.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    monkeypatch.setattr(corpus_mod, "BLOCK_BYTES", 64)
    monkeypatch.setattr(ngrams, "BLOCK_TOKENS", 100)
    monkeypatch.setattr(phrases_mod, "BLOCK_TOKENS", 100)
    got = list(ours.freeze()[LineSentence(str(src))])
    assert got == list(theirs.freeze()[LineSentence(str(src))])
    assert got[0] == ["in", "new_york", "w0", "saw", "new_york", "and", "word0", "w0", "again"]


def test_save_phrased_many_blocks_with_new_words(tmp_path, monkeypatch):
    """Text buffers are reused in turn across blocks (``TEXT_QUEUE_DEPTH + 2`` of them): with
    64-byte read blocks the file-to-file writer goes through them many times over, while words
    the model never saw keep arriving, and still writes exactly what the token-list path gives."""
    from w2v import corpus as corpus_mod

    learned = tmp_path / "learn.txt"
    learned.write_text("new york is big . " * 40 + "\n", encoding="utf-8")
    frozen = Phrases(learned, min_count=2, threshold=1e-3).freeze()
    assert "new_york" in frozen.phrasegrams
    lines = [f"in new york w{k} saw new york and word{k % 7} w{k} again" for k in range(300)]
    src = tmp_path / "apply.txt"
    src.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    monkeypatch.setattr(corpus_mod, "BLOCK_BYTES", 64)
    out = tmp_path / "out.txt"
    written = frozen.save_phrased(src, out)
    expected = [frozen[line.split()] for line in lines]
    assert out.read_text(encoding="utf-8") == "".join(" ".join(s) + "\n" for s in expected)
    assert written == sum(map(len, expected)) == 300 * 9


def test_size_forecast_stays_under_the_final_count_of_growing_and_repeating_text():
    """On Heaps' law growth (exponent 0.75-0.95, natural text) every forecast is at most the final
    entry count and reaches half of it within the first fifth of the corpus; on text that
    repeats itself (growth stops) the forecast stops at the count; an unknown size forecasts
    nothing beyond the present count."""
    from w2v.ngrams import SizeForecast

    fractions = np.arange(1, 101) / 100
    for beta in (0.75, 0.95):
        final = 4_000_000
        forecast = SizeForecast(limit=40_000_000)
        got = [forecast(f, int(final * f ** beta)) for f in fractions]
        assert max(got) <= final
        assert got[19] >= final // 2  # after a fifth of the corpus
    forecast = SizeForecast(limit=40_000_000)
    repeating = [forecast(f, int(1e6 * min(f, 0.2) / 0.2)) for f in fractions]  # a fifth, five times
    assert max(repeating[20:]) == 1_000_000
    assert max(repeating) <= 4 * 1_000_000  # the cap, while it still grew
    assert SizeForecast(limit=10**9)(None, 1234) == 1234
    assert SizeForecast(limit=10**9)(0.001, 1000) == 4000  # a thousandth read: the cap, 4x the entries so far
    assert SizeForecast(limit=3000)(0.001, 1000) == 3000  # and never past the table's limit


def test_learning_from_a_file_sizes_its_table_ahead_with_the_same_result(lines_file, tmp_path, monkeypatch):
    """Learning from a file (its size known) sizes the slot array for the forecast end, so fewer
    entries are placed again on the way than from a gzip copy of it (size unknown: the table
    doubles as it fills); both models, and their final slot arrays, are the same, and gensim's."""
    import gzip

    from gensim.models.word2vec import LineSentence
    from w2v import corpus
    from w2v.kernels import phrases as K

    monkeypatch.setattr(corpus, "BLOCK_BYTES", 1 << 15)  # many blocks
    placed = []
    fill_slots = K.fill_slots
    monkeypatch.setattr(K, "fill_slots", lambda n, *args: (placed.append(n), fill_slots(n, *args)))
    packed = tmp_path / "lines.txt.gz"
    packed.write_bytes(gzip.compress(lines_file.read_bytes()))
    from_packed = Phrases(str(packed))
    placed_packed, placed[:] = sum(placed), []
    from_file = Phrases(str(lines_file))
    assert 0 < sum(placed) < placed_packed
    assert len(from_file._table.slots) == len(from_packed._table.slots)
    gensim = GP(LineSentence(str(lines_file)))
    assert from_file.export_phrases() == from_packed.export_phrases() == gensim.export_phrases()
