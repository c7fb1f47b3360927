"""Corpus readers: every input form, long lines, and a clear error for every bad input."""
import bz2
import gzip
import lzma
import tracemalloc

import pytest

from w2v import corpus as c
from w2v.corpus import CorpusError, iter_sentences


def write(path, text: str, opener=open):
    with opener(path, "wt", encoding="utf-8") as f:
        f.write(text)
    return path


def test_line_file_gives_one_sentence_per_line(tmp_path):
    p = write(tmp_path / "a.txt", "the cat  sat\n\n on\tthe mat \nend")
    assert list(iter_sentences(p)) == [["the", "cat", "sat"], ["on", "the", "mat"], ["end"]]


@pytest.mark.parametrize("suffix,opener", [(".gz", gzip.open), (".bz2", bz2.open), (".xz", lzma.open)])
def test_compressed_files_by_suffix(tmp_path, suffix, opener):
    p = write(tmp_path / f"a.txt{suffix}", "alpha beta\ngamma\n", opener)
    assert list(iter_sentences(p)) == [["alpha", "beta"], ["gamma"]]


def test_directory_reads_visible_files_in_name_order(tmp_path):
    write(tmp_path / "b.txt", "second file\n")
    write(tmp_path / "a.txt", "first file\n")
    write(tmp_path / ".hidden", "never read\n")
    assert list(iter_sentences(tmp_path)) == [["first", "file"], ["second", "file"]]


def test_long_line_is_split_into_chunks_not_truncated(tmp_path, monkeypatch):
    monkeypatch.setattr(c, "BLOCK_BYTES", 64)  # many blocks per line
    words = [f"w{i}" for i in range(2503)]
    p = write(tmp_path / "t8.txt", " ".join(words))  # one line, no trailing newline
    sentences = list(iter_sentences(p, max_sentence_length=1000))
    assert [len(s) for s in sentences] == [1000, 1000, 503]
    assert sum(sentences, []) == words


def test_text8_style_file_is_read_in_bounded_memory(tmp_path, monkeypatch):
    """A 15 MB single line never becomes one string or one list: memory follows the block size."""
    monkeypatch.setattr(c, "BLOCK_BYTES", 1 << 16)
    p = tmp_path / "big.txt"
    with open(p, "w") as f:
        for _ in range(400):
            f.write("lorem ipsum dolor sit amet consectetur " * 1000)
    tracemalloc.start()
    n = sum(len(s) for s in iter_sentences(p))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 400 * 6000
    assert peak < 3 * 2**20, f"peak {peak / 2**20:.1f} MiB for a {p.stat().st_size / 2**20:.0f} MiB line"


def test_multibyte_utf8_across_block_boundaries(tmp_path, monkeypatch):
    monkeypatch.setattr(c, "BLOCK_BYTES", 7)
    text = "naïve café über straße 東京 ok\nzürich"
    p = write(tmp_path / "u.txt", text)
    assert list(iter_sentences(p)) == [line.split() for line in text.split("\n")]


def test_iterable_of_token_lists_and_long_sentences():
    corpus = [["a", "b", "c"], [], ("d", "e")]
    assert list(iter_sentences(corpus, max_sentence_length=2)) == [["a", "b"], ["c"], ["d", "e"]]


def test_missing_path_is_named(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        list(iter_sentences(missing))


def test_empty_directory(tmp_path):
    with pytest.raises(CorpusError, match="contains no files"):
        list(iter_sentences(tmp_path))


def test_invalid_utf8_names_file_and_line(tmp_path):
    p = tmp_path / "bad.txt"
    p.write_bytes(b"good line\nsecond line\nthird \xff\xfe bad\n")
    with pytest.raises(CorpusError, match=r"bad.txt.*line 3"):
        list(iter_sentences(p))
    assert list(iter_sentences(p, errors="ignore"))[2] == ["third", "bad"]
    assert list(iter_sentences(p, errors="replace"))[2][1] == "\ufffd\ufffd"


def test_corrupt_compressed_file(tmp_path):
    p = tmp_path / "broken.txt.gz"
    p.write_bytes(gzip.compress(b"some words here\n" * 100)[:-30])
    with pytest.raises(CorpusError, match="broken.txt.gz"):
        list(iter_sentences(p))


def test_plain_string_sentence_is_rejected():
    with pytest.raises(TypeError, match="sentence 0 is a str"):
        list(iter_sentences(["the cat sat", "on the mat"]))


def test_string_corpus_is_a_path():
    with pytest.raises(FileNotFoundError, match="the cat sat on the mat"):
        list(iter_sentences("the cat sat on the mat"))


@pytest.mark.parametrize("bad", [42, b"bytes corpus", None])
def test_non_iterable_corpus(bad):
    with pytest.raises(TypeError, match="corpus"):
        list(iter_sentences(bad))


def test_bad_errors_option():
    with pytest.raises(ValueError, match="errors"):
        list(iter_sentences([["a"]], errors="bogus"))
