"""word2vec.c text/binary formats (round trips with gensim both ways) and the native npy+json format."""
from __future__ import annotations

import json
import os
import struct
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import w2v.formats as formats
from w2v.formats import FormatError
from w2v.vectors import KeyedVectors

gensim_models = pytest.importorskip("gensim.models")

WORDS = ["</s>", "the", "of", "café", "naïve", "日本", "x" * 60, "a-b_c", "'quoted'", "Ünïcödé"]


@pytest.fixture
def wv():
    rng = np.random.default_rng(11)
    table = (rng.standard_normal((len(WORDS), 7)) * np.logspace(-8, 8, 7)).astype(np.float32)
    table[1, 0] = -0.0
    table[2, 1] = np.finfo(np.float32).tiny / 4  # subnormal
    table[3, 2] = np.finfo(np.float32).max
    return KeyedVectors.from_vectors(table, WORDS, np.arange(len(WORDS), 0, -1))


def assert_same(a, b):
    assert a.index_to_key == b.index_to_key
    assert a.vectors.dtype == np.float32 and b.vectors.dtype == np.float32
    np.testing.assert_array_equal(a.vectors.view(np.uint32), b.vectors.view(np.uint32))  # bit-identical


def load(path, **kwargs):
    return KeyedVectors.load_word2vec_format(path, **kwargs)


# ---------------------------------------------------------------------- round trips


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2", ".xz"])
def test_roundtrip_is_exact(tmp_path, wv, binary, suffix):
    path = tmp_path / f"vectors{'.bin' if binary else '.txt'}{suffix}"
    wv.save_word2vec_format(path, binary=binary)
    assert_same(load(path, binary=binary), wv)
    # The format has no counts: like gensim, made-up descending counts keep the file order.
    np.testing.assert_array_equal(load(path, binary=binary).counts, np.arange(len(WORDS), 0, -1))


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_what_we_write(tmp_path, wv, binary):
    path = tmp_path / "ours"
    wv.save_word2vec_format(path, binary=binary)
    theirs = gensim_models.KeyedVectors.load_word2vec_format(str(path), binary=binary)
    assert theirs.index_to_key == wv.index_to_key
    np.testing.assert_array_equal(theirs.vectors, wv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_what_gensim_writes(tmp_path, wv, binary):
    theirs = gensim_models.KeyedVectors(wv.vector_size)
    theirs.add_vectors(wv.index_to_key, wv.vectors)
    path = tmp_path / "theirs"
    theirs.save_word2vec_format(str(path), binary=binary)  # gensim's binary has no newline after vectors
    assert_same(load(path, binary=binary), wv)


def test_binary_layout_is_word2vec_c(tmp_path):
    wv = KeyedVectors.from_vectors(np.array([[1.5, -2.0], [0.25, 8.0]], dtype=np.float32), ["a", "bé"])
    path = tmp_path / "v.bin"
    wv.save_word2vec_format(path, binary=True)
    assert path.read_bytes() == (b"2 2\n" + b"a " + struct.pack("<2f", 1.5, -2.0) + b"\n"
                                 + "bé ".encode() + struct.pack("<2f", 0.25, 8.0) + b"\n")
    wv.save_word2vec_format(path, binary=False)
    assert path.read_text(encoding="utf8") == "2 2\na 1.5 -2\nbé 0.25 8\n"


def test_reads_word2vec_c_text_with_trailing_spaces_and_crlf(tmp_path):
    path = tmp_path / "c.txt"
    path.write_bytes(b"2 3\r\n</s> 0.004003 0.004419 -0.003830 \r\nthe -0.1 2e-3 7 \r\n")
    wv = load(path)
    assert wv.index_to_key == ["</s>", "the"]
    np.testing.assert_array_equal(wv.vectors, np.array([[0.004003, 0.004419, -0.003830], [-0.1, 2e-3, 7]],
                                                       dtype=np.float32))


def test_limit_reads_only_the_first_words(tmp_path, wv):
    for binary in (False, True):
        path = tmp_path / f"v{binary}"
        wv.save_word2vec_format(path, binary=binary)
        data = path.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])  # damage the tail: limit must not read it
        small = load(path, binary=binary, limit=3)
        assert small.index_to_key == WORDS[:3]
        np.testing.assert_array_equal(small.vectors, wv.vectors[:3])
        assert len(load(path, binary=binary, limit=0)) == 0


def test_headerless_text(tmp_path, wv):
    path = tmp_path / "glove.txt"
    wv.save_word2vec_format(path, write_header=False)
    assert path.read_text(encoding="utf8").split("\n", 1)[0].startswith("</s> ")
    assert_same(load(path, no_header=True), wv)
    assert load(path, no_header=True, limit=4).index_to_key == WORDS[:4]
    with pytest.raises(ValueError, match="no_header"):
        load(path, binary=True, no_header=True)


def test_duplicate_words_keep_the_first_vector(tmp_path, caplog):
    path = tmp_path / "dup.txt"
    path.write_text("3 2\na 1 2\nb 3 4\na 5 6\n", encoding="utf8")
    wv = load(path)
    assert wv.index_to_key == ["a", "b"]
    np.testing.assert_array_equal(wv["a"], [1, 2])
    assert "duplicate" in caplog.text


def test_encoding_and_unicode_errors(tmp_path):
    # b"caf\xe9" is latin-1 "café"; b"caf\xc3" is utf8 cut mid-character, as word2vec.c can write.
    path = tmp_path / "latin1.bin"
    path.write_bytes(b"2 1\ncaf\xe9 " + struct.pack("<f", 1.0) + b"\ncaf\xc3 " + struct.pack("<f", 2.0) + b"\n")
    with pytest.raises(FormatError, match=r"word 1: .*not valid utf8.*unicode_errors"):
        load(path, binary=True)
    assert load(path, binary=True, encoding="latin-1").index_to_key == ["café", "cafÃ"]
    assert load(path, binary=True, unicode_errors="replace").index_to_key == ["caf\ufffd"]  # 2nd is a duplicate
    assert load(path, binary=True, unicode_errors="ignore").index_to_key == ["caf"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(st.text(st.characters(blacklist_categories=("Zs", "Zl", "Zp", "Cc", "Cs")), min_size=1, max_size=12),
             min_size=1, max_size=15, unique=True),
    st.integers(1, 6),
    st.data(),
)
def test_roundtrip_property(tmp_path, words, dim, data):
    values = data.draw(st.lists(st.floats(width=32, allow_nan=False, allow_infinity=False),
                                min_size=len(words) * dim, max_size=len(words) * dim))
    wv = KeyedVectors.from_vectors(np.array(values, dtype=np.float32).reshape(len(words), dim), words)
    for binary in (False, True):
        path = tmp_path / f"prop{binary}"
        wv.save_word2vec_format(path, binary=binary)
        assert_same(load(path, binary=binary), wv)


# ---------------------------------------------------------------------- what cannot be stored


@pytest.mark.parametrize("bad", ["new york", "tab\there", "line\nbreak", "nbsp\u00a0x", "", "cr\r"])
@pytest.mark.parametrize("binary", [False, True])
def test_words_with_whitespace_are_rejected_and_nothing_is_written(tmp_path, bad, binary):
    wv = KeyedVectors.from_vectors(np.ones((2, 3), dtype=np.float32), ["ok", bad])
    path = tmp_path / "v"
    with pytest.raises(ValueError, match=repr(bad).replace("\\", "\\\\")):
        wv.save_word2vec_format(path, binary=binary)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_failed_write_leaves_existing_file_untouched(tmp_path, wv, monkeypatch):
    path = tmp_path / "v.bin"
    path.write_bytes(b"precious")
    original, calls = formats._write_binary_rows, []

    def failing_writer(words, rows):
        calls.append(len(words))
        if len(calls) == 2:
            raise OSError("disk full")
        return original(words, rows)

    monkeypatch.setattr(formats, "_BATCH_LINES", 3)
    monkeypatch.setattr(formats, "_write_binary_rows", failing_writer)
    with pytest.raises(OSError, match="disk full"):
        wv.save_word2vec_format(path, binary=True)
    assert calls == [3, 3]  # the failure really happened mid-file, after data was written
    assert path.read_bytes() == b"precious"
    assert os.listdir(tmp_path) == ["v.bin"]  # no temporary left behind


# ---------------------------------------------------------------------- malformed files


def write(tmp_path, data: bytes, name="bad"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("binary", [False, True])
@pytest.mark.parametrize("data, message", [
    (b"", r"bad header on line 1: file is empty"),
    (b"hello world\n", r"bad header on line 1: expected '<vocab size> <dims>'.*'hello world'"),
    (b"3\n", r"bad header"),
    (b"3 0\n", r"bad header"),
    (b"-3 2\n", r"bad header"),
])
def test_bad_header(tmp_path, data, message, binary):
    path = write(tmp_path, data)
    with pytest.raises(FormatError, match=message) as err:
        load(path, binary=binary)
    assert str(path) in str(err.value) and isinstance(err.value, ValueError)


@pytest.mark.parametrize("data, message", [
    (b"2 3\na 1 2 3\nb 1 2\n", r"line 3: expected a word and 3 values, found 2 values"),
    (b"2 3\na 1 2 3 4\nb 1 2 3\n", r"line 2: expected a word and 3 values, found 4 values"),
    (b"2 3\na 1 zwei 3\nb 1 2 3\n", r"line 2: 'zwei' is not a number"),
    (b"3 3\na 1 2 3\nb 1 2 3\n", r"truncated: file ends after 2 of 3 vectors"),
    (b"2 3\na 1 2 3\nb 1 2", r"line 3: .*found 2 values.*truncated"),
    (b"2 3\na 1 2 3\n 1 2 3\n", r"line 3: .*word is empty"),
    (b"2 3\na 1 2 3\n\n", r"line 3: blank line"),
])
def test_malformed_text(tmp_path, data, message):
    path = write(tmp_path, data)
    with pytest.raises(FormatError, match=message) as err:
        load(path)
    assert str(err.value).startswith(str(path))


def test_malformed_binary(tmp_path):
    good = b"2 2\na " + struct.pack("<2f", 1, 2) + b"\nbb " + struct.pack("<2f", 3, 4) + b"\n"
    with pytest.raises(FormatError, match=r"vector of word 2 of 2 \('bb'\) needs 8 bytes, only 5 left "
                                          r"\(3 bytes missing\)"):
        load(write(tmp_path, good[:-4]), binary=True)
    with pytest.raises(FormatError, match=r"file ends after 1 of 2 words \(no data left\)"):
        load(write(tmp_path, good[: good.index(b"bb")]), binary=True)
    with pytest.raises(FormatError, match=r"file ends after 1 of 2 words \(2 stray bytes"):
        load(write(tmp_path, good[: good.index(b"bb") + 2]), binary=True)
    with pytest.raises(FormatError, match=r"file ends after 2 of 3 words"):
        load(write(tmp_path, b"3" + good[1:]), binary=True)
    assert load(write(tmp_path, good + b"trailing junk"), binary=True).index_to_key == ["a", "bb"]


# ---------------------------------------------------------------------- speed


def test_binary_load_is_fast(tmp_path):
    """100k words x 100 dims: the float data must never go through per-value Python code."""
    table = np.random.default_rng(0).standard_normal((100_000, 100)).astype(np.float32)
    wv = KeyedVectors.from_vectors(table, [f"word{i}" for i in range(len(table))])
    path = tmp_path / "big.bin"
    wv.save_word2vec_format(path, binary=True)
    start = time.perf_counter()
    loaded = load(path, binary=True)
    elapsed = time.perf_counter() - start
    assert_same(loaded, wv)
    assert elapsed < 5.0, f"loading 100k x 100 binary took {elapsed:.2f}s"  # ~0.3 s on a laptop


# ---------------------------------------------------------------------- native format


def test_native_roundtrip_with_counts_and_mmap(tmp_path, wv):
    path = tmp_path / "model"
    wv.save(path)
    loaded = KeyedVectors.load(path)
    assert_same(loaded, wv)
    np.testing.assert_array_equal(loaded.counts, wv.counts)
    mapped = KeyedVectors.load(path, mmap="r")
    assert isinstance(mapped.vectors, np.memmap) and not mapped.vectors.flags.writeable
    assert_same(mapped, wv)
    assert mapped.most_similar("the", topn=3) == wv.most_similar("the", topn=3)
    no_counts = KeyedVectors.from_vectors(wv.vectors, wv.index_to_key)
    no_counts.save(tmp_path / "nc")
    assert KeyedVectors.load(tmp_path / "nc").counts is None


def test_native_save_replaces_an_existing_file_atomically(tmp_path, wv):
    path = tmp_path / "vectors.kv"
    path.write_bytes(b"an older file of that name")
    wv.save(path)  # gensim users save over existing files (e.g. tempfile names): it must just work
    other = KeyedVectors.from_vectors(wv.vectors[:3] * 2, wv.index_to_key[:3])
    other.save(str(path))
    assert_same(KeyedVectors.load(path), other)
    assert KeyedVectors.load(path).counts is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.kv"]  # no temporary files left


def test_native_failed_save_keeps_the_previous_version(tmp_path, wv, monkeypatch):
    path = tmp_path / "vectors.kv"
    wv.save(path)

    def broken_write(out, *args):
        out.write(b"partial")
        raise OSError("disk full")

    monkeypatch.setattr(formats, "_write_native", broken_write)
    with pytest.raises(OSError, match="disk full"):
        KeyedVectors.from_vectors(wv.vectors[:2], wv.index_to_key[:2]).save(path)
    monkeypatch.undo()
    assert_same(KeyedVectors.load(path), wv)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["vectors.kv"]


def test_native_keeps_gensim_attributes_and_any_key(tmp_path):
    kv = KeyedVectors(3)
    kv.add_vectors(["a", 7, "c"], np.arange(9, dtype=np.float32).reshape(3, 3))
    kv.set_vecattr("a", "count", 5)
    kv.set_vecattr(7, "score", 0.5)
    kv.set_vecattr("c", "tag", "noun")
    kv.vectors_lockf = np.array([0.0, 1.0, 0.5], dtype=np.float32)
    for name in ("kv.bin", "kv.bin.gz"):
        kv.save(tmp_path / name)
        back = KeyedVectors.load(tmp_path / name)
        assert back.index_to_key == ["a", 7, "c"] and back.get_index(7) == 1
        np.testing.assert_array_equal(back.vectors, kv.vectors)
        assert back.get_vecattr("a", "count") == 5 and back.get_vecattr(7, "score") == 0.5
        assert back.get_vecattr("c", "tag") == "noun"
        np.testing.assert_array_equal(back.vectors_lockf, kv.vectors_lockf)
    with open(tmp_path / "handle.kv", "wb") as handle:
        kv.save(handle)
    np.testing.assert_array_equal(KeyedVectors.load(tmp_path / "handle.kv").vectors, kv.vectors)
    with pytest.raises(ValueError, match="mmap a compressed"):
        KeyedVectors.load(tmp_path / "kv.bin.gz", mmap="r")
    kv.add_vectors([("a", "tuple")], np.zeros((1, 3), np.float32))
    with pytest.raises(TypeError, match=r"key #3 \('a', 'tuple'\)"):
        kv.save(tmp_path / "tuple.kv")


def test_native_reads_the_older_directory_format(tmp_path, wv):
    folder = tmp_path / "old"
    folder.mkdir()
    np.save(folder / "vectors-0123abcd.npy", wv.vectors)
    manifest = {"format": "w2v.KeyedVectors", "version": 1, "vectors_file": "vectors-0123abcd.npy",
                "shape": list(wv.vectors.shape), "index_to_key": wv.index_to_key, "counts": wv.counts.tolist()}
    (folder / "keyedvectors.json").write_text(json.dumps(manifest), encoding="utf8")
    for mmap in (None, "r"):
        back = KeyedVectors.load(folder, mmap=mmap)
        assert_same(back, wv)
        np.testing.assert_array_equal(back.counts, wv.counts)
    with pytest.raises(IsADirectoryError, match="directory"):
        wv.save(folder)


def test_native_errors(tmp_path, wv):
    with pytest.raises(FileNotFoundError):
        KeyedVectors.load(tmp_path / "missing")
    with pytest.raises(FileNotFoundError, match="no keyedvectors.json"):
        KeyedVectors.load(tmp_path)
    path = tmp_path / "vectors.kv"
    wv.save(path)
    with pytest.raises(ValueError, match="mmap"):
        KeyedVectors.load(path, mmap="w")
    data = path.read_bytes()
    (tmp_path / "cut.kv").write_bytes(data[:-10])
    with pytest.raises(FormatError, match="cut.kv: truncated"):
        KeyedVectors.load(tmp_path / "cut.kv")
    for i, junk in ((16, b"x"), (20, b"{")):  # not JSON; JSON but not our header
        (tmp_path / "bad.kv").write_bytes(data[:i] + junk + data[i + 1:])
        with pytest.raises(FormatError, match="bad.kv: damaged header"):
            KeyedVectors.load(tmp_path / "bad.kv")
    (tmp_path / "junk.kv").write_bytes(b"3 2\na 1 2\n")
    with pytest.raises(FormatError, match="junk.kv: not a KeyedVectors file"):
        KeyedVectors.load(tmp_path / "junk.kv")


def test_native_header_with_impossible_shapes_is_refused(tmp_path, wv):
    path = tmp_path / "vectors.kv"
    wv.save(path)
    data = path.read_bytes()
    length = int.from_bytes(data[8:16], "little")
    header = json.loads(data[16:16 + length])
    for bad in ([-1, 7], ["", 7], [99, 7]):
        header["arrays"]["vectors"]["shape"] = bad
        blob = json.dumps(header, ensure_ascii=False).encode("utf8")
        blob += b" " * (length - len(blob))  # same length: the arrays stay where they were
        assert len(blob) == length
        (tmp_path / "bad.kv").write_bytes(data[:16] + blob + data[16 + length:])
        with pytest.raises(FormatError, match="bad.kv: (damaged header|truncated)"):
            KeyedVectors.load(tmp_path / "bad.kv")


def test_is_native_file(tmp_path, wv):
    wv.save(tmp_path / "a.kv")
    wv.save_word2vec_format(tmp_path / "a.txt")
    assert formats.is_native_file(tmp_path / "a.kv")
    assert not formats.is_native_file(tmp_path / "a.txt") and not formats.is_native_file(tmp_path / "missing")
