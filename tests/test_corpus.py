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


def nested_dir(root):
    root.mkdir(exist_ok=True)
    write(root / "b.txt", "top b\n")
    write(root / "README.md", "readme\n")
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".git").mkdir()
    write(root / "sub" / "a.txt", "sub a\n")
    write(root / "sub" / "deeper" / "c.txt", "deep c\n")
    write(root / "sub" / "notes.md", "notes\n")
    write(root / ".git" / "x.txt", "hidden dir\n")
    return root


def test_directory_rule_top_level_files_and_skipped_subdirectories(tmp_path):
    """The default rule: every visible regular file directly in the directory (README.md too)."""
    root = nested_dir(tmp_path)
    assert [p.name for p in c.corpus_files(root)] == ["README.md", "b.txt"]
    assert [p.name for p in c.DirectoryCorpus(root).skipped_directories()] == ["sub"]


def test_directory_corpus_recursive_and_include(tmp_path):
    root = nested_dir(tmp_path)
    every = c.DirectoryCorpus(root, recursive=True)
    assert [p.relative_to(root).as_posix() for p in c.corpus_files(every)] == \
        ["README.md", "b.txt", "sub/a.txt", "sub/deeper/c.txt", "sub/notes.md"]  # sorted by path, .git skipped
    texts = c.DirectoryCorpus(root, recursive=True, include="*.txt")
    assert list(iter_sentences(texts)) == [["top", "b"], ["sub", "a"], ["deep", "c"]]
    both = c.DirectoryCorpus(root, include=["*.md", "b.*"])
    assert [p.name for p in c.corpus_files(both)] == ["README.md", "b.txt"]


def test_directory_corpus_trains_and_caches_by_its_files(tmp_path):
    """A DirectoryCorpus goes wherever a path goes: training and the scan cache (keyed by its files)."""
    import w2v

    root = nested_dir(tmp_path / "corpus")
    kw = dict(min_count=1, vector_size=4, epochs=1, workers=1, progress=False, cache_dir=tmp_path / "cache")
    flat = w2v.train(root, **kw)
    deep = w2v.train(c.DirectoryCorpus(root, recursive=True, include="*.txt"), **kw)
    assert set(flat.wv.index_to_key) == {"top", "b", "readme"}
    assert set(deep.wv.index_to_key) == {"top", "b", "sub", "a", "deep", "c"}


def test_directory_corpus_with_no_match_names_the_pattern(tmp_path):
    root = nested_dir(tmp_path)
    with pytest.raises(CorpusError, match=r"or its subdirectories contains no files matching \*\.csv"):
        c.corpus_files(c.DirectoryCorpus(root, recursive=True, include="*.csv"))
    with pytest.raises(CorpusError, match="is not a directory"):
        c.corpus_files(c.DirectoryCorpus(root / "b.txt"))
    with pytest.raises(TypeError, match="include"):
        c.DirectoryCorpus(root, include=[3])


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
