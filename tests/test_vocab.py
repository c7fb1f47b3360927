"""Vocabulary and encoding: counts, pruning, sampling tables, Huffman codes, gensim parity, cache."""
import numpy as np
import pytest

from w2v import encode
from w2v.corpus import CorpusError, corpus_files
from w2v.vocab import Vocabulary, build_huffman, count_words_pruned, effective_min_count
from conftest import dict_scan


def vocab_of(corpus, min_count=1, max_final_vocab=None):
    raw = encode.scan(corpus, cache_dir=False)
    return Vocabulary.from_counts(raw.words, raw.counts(), min_count, max_final_vocab)[0]


def test_counts_min_count_and_stable_tie_order():
    v = vocab_of([["b", "a", "c", "a", "d"], ["c", "b", "e"]], min_count=2)
    assert v.words == ["b", "a", "c"]  # all count 2: first-seen order kept
    assert v.counts.tolist() == [2, 2, 2]
    assert v.total_words == 6


def test_max_final_vocab_raises_min_count_like_gensim():
    counts = np.array([10, 8, 8, 5, 3, 1])
    assert effective_min_count(counts, 1, 3) == 6       # the 4th count (5) + 1
    assert effective_min_count(counts, 1, 2) == 9       # the 8s tie at the cut: both go
    assert effective_min_count(counts, 1, 10) == 1
    assert effective_min_count(counts, 7, 3) == 7
    v = vocab_of([["a"] * 10 + ["b"] * 8 + ["c"] * 8 + ["d"] * 5], max_final_vocab=2)
    assert v.words == ["a"]


def test_pruned_counting_stays_bounded():
    sentences = [[f"rare{i}", "common", "common"] for i in range(5000)]
    words, counts, n_sentences, n_tokens = count_words_pruned(iter(sentences), max_vocab_size=100)
    assert (n_sentences, n_tokens) == (5000, 15000)
    assert len(words) <= 101
    assert dict(zip(words, counts.tolist()))["common"] == 10_000


def test_vocabulary_matches_gensim_on_real_text(sentences_200k):
    gensim = pytest.importorskip("gensim")
    g = gensim.models.Word2Vec(min_count=5)
    g.build_vocab(sentences_200k)
    v = vocab_of(sentences_200k, min_count=5)
    assert len(v) == len(g.wv) > 4000
    assert dict(zip(v.words, v.counts.tolist())) == {w: g.wv.get_vecattr(w, "count") for w in g.wv.index_to_key}
    # keep-probabilities (gensim's sample_int is P(keep) * 2**32)
    for sample in (1e-3, 1e-5, 200):
        g = gensim.models.Word2Vec(min_count=5, sample=sample)
        g.build_vocab(sentences_200k)
        thr = v.keep_thresholds(sample)
        g_thr = np.array([g.wv.get_vecattr(w, "sample_int") for w in v.words], dtype=np.float64)
        np.testing.assert_allclose(thr.astype(np.float64), g_thr, rtol=1e-6, atol=2)


def test_huffman_codes_are_prefix_free_and_optimal():
    counts = np.array([50, 30, 30, 12, 9, 5, 5, 2, 1])
    codes, points, lengths = build_huffman(counts)
    strings = ["".join(map(str, codes[i, :lengths[i]])) for i in range(len(counts))]
    assert len(set(strings)) == len(strings)
    assert not any(a != b and b.startswith(a) for a in strings for b in strings)
    assert (points[:, 0] == len(counts) - 2).all()  # every path starts at the root
    assert points.max() <= len(counts) - 2
    # weighted path length equals the optimum from a heap-built Huffman tree
    import heapq
    heap = list(map(int, counts))
    heapq.heapify(heap)
    cost = 0
    while len(heap) > 1:
        a, b = heapq.heappop(heap), heapq.heappop(heap)
        cost += a + b
        heapq.heappush(heap, a + b)
    assert int((counts * lengths).sum()) == cost


def test_huffman_of_unsorted_counts_matches_sorted():
    counts = np.array([5, 50, 9, 30])
    codes, _, lengths = build_huffman(counts)
    s_codes, _, s_lengths = build_huffman(np.array([50, 30, 9, 5]))
    assert lengths.tolist() == [s_lengths[3], s_lengths[0], s_lengths[2], s_lengths[1]]


def test_word2vec_vocab_file_roundtrip(tmp_path):
    v = Vocabulary(["the", "of", "zebra"], [100, 50, 2])
    v.save_word2vec_vocab(tmp_path / "vocab.txt")
    assert (tmp_path / "vocab.txt").read_text() == "the 100\nof 50\nzebra 2\n"
    assert Vocabulary.read_word2vec_vocab(tmp_path / "vocab.txt", min_count=5).words == ["the", "of"]
    (tmp_path / "bad.txt").write_text("the 100\nbroken\n")
    with pytest.raises(ValueError, match="bad.txt.*line 2"):
        Vocabulary.read_word2vec_vocab(tmp_path / "bad.txt")


def test_encoding_drops_oov_and_keeps_sentence_boundaries():
    corpus = [["a", "x", "b"], ["x"], ["b", "a", "y", "a"]]
    raw = encode.scan(corpus, cache_dir=False)
    v, _ = Vocabulary.from_counts(raw.words, raw.counts(), 2)
    enc = raw.encode(v)
    assert v.words == ["a", "x", "b"]  # a: 3, then x and b (2 each) in first-seen order
    sentences = [enc.ids[a:b].tolist() for a, b in zip(enc.offsets[:-1], enc.offsets[1:])]
    assert sentences == [[0, 1, 2], [1], [2, 0, 0]]
    assert enc.raw_words == 8 and enc.ids.dtype == np.int32
    enc2 = encode.encode_with_vocab(corpus, v)
    assert enc2.ids.tolist() == enc.ids.tolist() and enc2.offsets.tolist() == enc.offsets.tolist()


def test_any_hashable_token_is_a_word_and_unhashable_ones_are_named():
    """gensim's keys are any hashable (graph walks use int node ids); a list token is refused."""
    raw = encode.scan([["a", 3, 3.5, ("t", 1)], [3]], cache_dir=False)
    assert raw.words == ["a", 3, 3.5, ("t", 1)] and raw.counts().tolist() == [1, 2, 1, 1]
    enc = encode.encode_with_vocab([[3, "zz", "a"]], Vocabulary([3, "a"], [2, 1]))
    assert enc.ids.tolist() == [0, 1]
    with pytest.raises(TypeError, match="tokens must be hashable .* found list"):
        encode.scan([["a", ["b"]]], cache_dir=False)
    with pytest.raises(TypeError, match="tokens must be hashable"):
        encode.encode_with_vocab([["a", {"b": 1}]], Vocabulary(["a"], [1]))


def test_consumed_generator_is_named():
    gen = (s for s in [["a", "b"]])
    encode.scan(gen, cache_dir=False)
    with pytest.raises(CorpusError, match="one-shot iterator"):
        encode.scan(gen, cache_dir=False)


def test_scan_cache_is_reused_and_invalidated(tmp_path, text_file):
    cache = tmp_path / "cache"
    first = encode.scan(text_file, cache_dir=cache)
    entries = list(cache.iterdir())
    assert len(entries) == 1 and entries[0].stat().st_size >= 4 * len(first.ids)  # one file per entry
    again = encode.scan(text_file, cache_dir=cache)
    assert not again.id_stream.in_memory  # served from the cache
    assert again.words == first.words and np.array_equal(again.ids, first.ids)
    text_file.write_text("completely different words\n")
    changed = encode.scan(text_file, cache_dir=cache)
    assert changed.words == ["completely", "different", "words"]
    assert encode.scan(text_file, cache_dir=False).words == changed.words
    assert list(cache.iterdir()) == entries  # the stale entry was replaced, not kept beside


AWKWARD = ("naïve café\u00a0über\tstraße  東京\u3000tokyo\r\nline\u2003two\u2028same\x1cline\x85end\n\n"
           "\u200b zero-width-is-not-space \u202f\u205f\u1680x\x0b\x0cy\n" + "long " * 2500 + "\nlast")


@pytest.mark.parametrize("block", [7, 64, 1 << 20])
@pytest.mark.parametrize("threads", [1, 3])
def test_byte_tokenizer_equals_python_split(tmp_path, monkeypatch, block, threads):
    """The numba tokenizer gives str.split()'s tokens, ids and sentence breaks, byte for byte,
    with one thread or with the files cut into pieces for several."""
    from w2v import corpus
    monkeypatch.setattr(corpus, "BLOCK_BYTES", block)
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 0)
    (tmp_path / "a.txt").write_text(AWKWARD, encoding="utf-8")
    (tmp_path / "b.txt").write_text("second file\nlong long", encoding="utf-8")
    fast = encode.scan(tmp_path, max_sentence_length=1000, cache_dir=False, threads=threads)
    words, ids, ends = dict_scan(corpus.iter_sentences(tmp_path, 1000))  # str.split()'s tokens through a dict
    assert fast.words == words
    assert fast.ids.tolist() == ids
    assert fast.offsets.tolist() == ends
    assert "\u200bzero" not in fast.words and "\u200b" in fast.words  # U+200B is not whitespace


@pytest.mark.parametrize("block", [13, 1 << 20])
def test_byte_tokenizer_reads_eight_bytes_at_a_time_exactly(tmp_path, monkeypatch, block):
    """Words of 1-20 characters, most of them ASCII, some with a control character (a token
    byte below 0x21), DEL or a non-ASCII character at any offset (some of whose first bytes
    begin Unicode whitespace too), between every kind of whitespace: the 8-byte reading and
    the byte-by-byte one (non-ASCII, control characters, a block's last 7 bytes) cut the same
    tokens as str.split() and give a word one id, whichever way each occurrence was read."""
    from w2v import corpus
    monkeypatch.setattr(corpus, "BLOCK_BYTES", block)
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 0)
    rng = np.random.default_rng(5)
    # the last four begin with a byte that begins Unicode whitespace too (U+00A0, U+2003, ...)
    letters = list("abcdefghijklmnopqrstuvwxyz0123456789") * 6 + ["\x01", "\x7f", "\x1b", "é", "東",
                                                                   "¢", "€", "〈", "ᚠ"]
    vocab = ["".join(rng.choice(letters, size=int(rng.integers(1, 21)))) for _ in range(300)]
    spaces = [" "] * 20 + ["\t", "\n", "\x1c", "\u00a0", "\u3000", "\r\n", "  "]
    text = "".join(vocab[int(rng.integers(len(vocab)))] + spaces[int(rng.integers(len(spaces)))]
                   for _ in range(6000))
    (tmp_path / "a.txt").write_text(text + vocab[0], encoding="utf-8")  # a file that ends mid-word
    fast = encode.scan(tmp_path / "a.txt", max_sentence_length=1000, cache_dir=False, threads=1)
    words, ids, ends = dict_scan(corpus.iter_sentences(tmp_path / "a.txt", 1000))
    assert any(len(w.encode()) > 16 for w in fast.words) and any("\x01" in w for w in fast.words)
    assert fast.words == words
    assert fast.ids.tolist() == ids
    assert fast.offsets.tolist() == ends


def test_byte_tokenizer_grows_its_table_mid_chunk():
    """Over 32,768 distinct words (the first table's limit) met in chunks of CHUNK events, words
    longer than the 8 bytes the recent-words table holds inline, sharing those first 8 bytes:
    str.split()'s words, ids and sentence ends."""
    from w2v.tokenize import CHUNK, Tokenizer

    rng = np.random.default_rng(2)
    vocab = [f"w{i}" for i in range(40_000)] + [f"prefix12{i}" for i in range(50)] + ["prefix12"]
    picks = rng.integers(0, len(vocab), 3 * CHUNK + 40_000)
    picks[:40_000] = np.arange(40_000)  # every short word at least once
    lines = [" ".join(vocab[i] for i in picks[a:a + 997]) for a in range(0, len(picks), 997)]
    text = "\n".join(lines) + "\n"
    tok = Tokenizer(max_sentence_length=300)
    tok.feed(text.encode())
    tok.end_document()
    words, ids, offsets, counts = tok.result()
    ids, offsets = ids.to_array(), offsets.to_array()
    assert counts.tolist() == np.bincount(ids, minlength=len(words)).tolist()
    ref_words, ref_ids, ref_ends = dict_scan(
        [line.split()[i:i + 300] for line in lines for i in range(0, len(line.split()), 300)])
    assert words == ref_words
    assert ids.tolist() == ref_ids and offsets.tolist() == ref_ends


@pytest.mark.parametrize("threads", [1, 4])
def test_byte_tokenizer_reports_invalid_utf8(tmp_path, monkeypatch, threads):
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 0)
    p = tmp_path / "bad.txt"
    p.write_bytes(b"ok line\n" * 40 + b"\xc3\x28 broken\n" + b"more\n" * 40)
    with pytest.raises(CorpusError, match=r"bad.txt.*line 41"):  # in the second of four pieces
        encode.scan(p, cache_dir=False, threads=threads)


@pytest.mark.parametrize("max_len", [1, 3, 7, 10_000])
@pytest.mark.parametrize("threads", [2, 3, 8])
def test_threaded_scan_equals_one_thread(tmp_path, monkeypatch, max_len, threads):
    """Pieces cut mid-line, mid-sentence and at file ends, a compressed file that cannot be cut:
    words in first-seen order, ids and sentence ends all equal the one-thread scan's."""
    import gzip
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 0)
    words = [f"w{i % 37}" for i in range(900)]
    lines = [" ".join(words[i:i + n]) for i, n in zip(range(0, 900, 50), [50, 3, 0, 11, 120, 7] * 3)]
    (tmp_path / "a.txt").write_text("\n".join(lines) + "\n")
    (tmp_path / "b.txt").write_text(" ".join(reversed(words)))  # one line, no final newline
    with gzip.open(tmp_path / "c.txt.gz", "wt") as f:
        f.write("\n".join(lines[:5]))
    (tmp_path / "d.txt").write_text("tail words\n\n  \n" + " ".join(words[:40]))
    one = encode.scan(tmp_path, max_sentence_length=max_len, cache_dir=False, threads=1)
    many = encode.scan(tmp_path, max_sentence_length=max_len, cache_dir=False, threads=threads)
    assert many.words == one.words
    assert many.ids.tolist() == one.ids.tolist()
    assert many.offsets.tolist() == one.offsets.tolist()
    assert len(encode.plan_pieces(corpus_files(tmp_path), threads)) > 1


def test_consuming_encode_reuses_the_scan_array_and_agrees():
    corpus = [["a", "x", "b"], ["x"], ["b", "a", "y", "a"]]
    raw = encode.scan(corpus, cache_dir=False)
    v, kept = Vocabulary.from_counts(raw.words, raw.counts(), 2)
    expected = raw.encode(v)
    assert raw.encode(v, kept=kept).ids.tolist() == expected.ids.tolist()  # the lookup-free mapping
    consumed = raw.encode(v, consume=True, kept=kept)
    assert np.shares_memory(consumed.ids, raw.ids)
    assert consumed.ids.tolist() == expected.ids.tolist()
    assert consumed.offsets.tolist() == expected.offsets.tolist() and consumed.raw_words == 8
