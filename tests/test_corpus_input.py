"""Corpus files as users have them: compressed files whatever their name, and bytes that are not UTF-8
(with advice that works both in Python and on the command line)."""
from __future__ import annotations

import bz2
import gzip
import lzma

import pytest

from w2v import cli, encode
from w2v.corpus import CorpusError, is_compressed, iter_sentences

TEXT = "the cat sat on the mat\nthe dog sat on the log\n" * 50
SENTENCES = [line.split() for line in TEXT.splitlines()]
COMPRESSORS = {"gzip": gzip.compress, "bzip2": bz2.compress, "xz": lzma.compress}


@pytest.mark.parametrize("kind", sorted(COMPRESSORS))
@pytest.mark.parametrize("name", ["corpus.txt", "corpus", "corpus.gz.bak"])
def test_compressed_file_without_its_suffix_is_decompressed(tmp_path, kind, name):
    path = tmp_path / name
    path.write_bytes(COMPRESSORS[kind](TEXT.encode()))
    assert is_compressed(path)
    assert list(iter_sentences(path)) == SENTENCES
    assert encode.scan(path, cache_dir=False).words == ["the", "cat", "sat", "on", "mat", "dog", "log"]


def test_plain_text_with_a_compression_suffix_is_read_as_text(tmp_path):
    path = tmp_path / "corpus.gz"
    path.write_text(TEXT)
    assert not is_compressed(path) and list(iter_sentences(path)) == SENTENCES


def test_text_that_starts_like_bzip2_is_still_text(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_text("BZh9 is not a bzip2 header\n")
    assert list(iter_sentences(path)) == [["BZh9", "is", "not", "a", "bzip2", "header"]]


def test_unreadable_compression_format_is_named(tmp_path):
    path = tmp_path / "corpus.txt"
    path.write_bytes(b"\x28\xb5\x2f\xfd" + b"\0" * 100)  # a zstd frame
    with pytest.raises(CorpusError, match="zstd-compressed"):
        list(iter_sentences(path))


def test_threaded_scan_does_not_cut_a_compressed_file_without_suffix(tmp_path, monkeypatch):
    """The parallel scan cuts plain files at whitespace; a gzip file (named .txt) must stay whole."""
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 0)
    words = [f"w{i % 997}" for i in range(60_000)]
    plain, packed = tmp_path / "plain.txt", tmp_path / "packed.txt"
    plain.write_text(" ".join(words))
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    one = encode.scan(plain, cache_dir=False)
    three = encode.scan(packed, cache_dir=False, threads=3)
    assert one.words == three.words and (one.ids == three.ids).all()


def bad_utf8_file(tmp_path):
    path = tmp_path / "latin1.txt"
    path.write_bytes("caf\u00e9 au lait\n".encode("latin-1") * 20 + TEXT.encode())
    return path


def test_non_utf8_message_names_the_python_parameter_and_the_cli_flag(tmp_path):
    with pytest.raises(CorpusError) as e:
        encode.scan(bad_utf8_file(tmp_path), cache_dir=False)
    assert "line 1" in str(e.value) and "errors='replace'" in str(e.value) and "-errors replace" in str(e.value)


def test_cli_errors_flag(tmp_path, capsys):
    path = bad_utf8_file(tmp_path)
    out = tmp_path / "v.txt"
    args = ["train", "-train", str(path), "-output", str(out), "-size", "4", "-iter", "1", "-min-count", "1",
            "-threads", "1", "-q", "-cache", "0"]
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert "-errors replace" in err and not out.exists()
    assert cli.main([*args, "-errors", "replace"]) == 0
    assert "caf\ufffd" in out.read_text(encoding="utf-8")
    assert cli.main([*args, "--errors", "ignore"]) == 0
    assert "caf " in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("magic", [b"\x1f\x8b", b"\xfd7zXZ\x00", b"BZh91AY&SY", b"PK\x03\x04"])
@pytest.mark.parametrize("errors", ["strict", "replace", "ignore"])
def test_damaged_compressed_file_is_a_corpus_error_even_when_lenient(tmp_path, magic, errors):
    """errors='replace' is about text; it must not turn a broken archive into garbage tokens."""
    path = tmp_path / "c.txt"
    path.write_bytes(magic + b"the rest is not what the header promises\n" * 3)
    with pytest.raises(CorpusError, match="c.txt"):
        list(iter_sentences(path, errors=errors))
    with pytest.raises(CorpusError, match="c.txt"):
        encode.scan(path, cache_dir=False)
