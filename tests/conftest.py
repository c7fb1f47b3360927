"""Shared fixtures: slices of the bundled sample corpus (real English text) written as small files."""
import lzma
import threading

import pytest

import w2v


def sample_words(n: int) -> list[str]:
    """The first ``n`` words of the bundled Wikipedia sample."""
    with lzma.open(w2v.sample_corpus_path(), "rt", encoding="utf-8") as f:
        text = f.read(n * 8)
    return text.split()[:n]


@pytest.fixture(scope="session")
def words_200k() -> list[str]:
    return sample_words(200_000)


@pytest.fixture(scope="session")
def sentences_200k(words_200k) -> list[list[str]]:
    """200k words as 20-word sentences (an in-memory corpus)."""
    return [words_200k[i:i + 20] for i in range(0, len(words_200k), 20)]


@pytest.fixture()
def text_file(tmp_path, words_200k):
    """200k words written one 20-word sentence per line."""
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(" ".join(words_200k[i:i + 20]) for i in range(0, len(words_200k), 20)) + "\n")
    return path


def read_fifo_in_thread(fifo):
    """Start a reader of ``fifo`` (a writer blocks until one opens it); returns (thread, result dict)."""
    got = {}

    def reader():
        with open(fifo, "rb") as f:
            got["data"] = f.read()

    t = threading.Thread(target=reader, daemon=True)
    t.start()
    return t, got
