"""Property-based tests: readers never fail with anything but their documented errors, and every
format round-trips arbitrary (unicode) vocabularies.

Documented errors: corpus reading raises :class:`w2v.CorpusError` (a ValueError) for undecodable
or corrupt input; vector-file loading raises :class:`w2v.formats.FormatError` (a ValueError) for
malformed or truncated files; saving a word the word2vec formats cannot hold (empty, or containing
whitespace) raises ValueError naming it.
"""
import gzip
import json
from unittest import mock

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

import w2v
from w2v import corpus as corpus_mod
from w2v import fileutil, encode
from w2v.formats import FormatError

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# Text that stresses the readers: ASCII and Unicode whitespace, newlines, multi-byte characters.
SPACES = [" ", "\t", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x1f", "\x85", "\xa0", "\u1680", "\u2000",
          "\u2028", "\u2029", "\u202f", "\u3000"]
text_pieces = st.one_of(st.sampled_from(SPACES), st.text(min_size=1, max_size=6),
                        st.sampled_from(["the", "é", "日本", "😀", "a\u0301", "\u200b"]))
texts = st.lists(text_pieces, max_size=40).map("".join)
# Bytes that are mostly text but may hold invalid UTF-8 (lone continuation bytes, cut sequences).
noisy_bytes = st.one_of(
    st.binary(max_size=200),
    st.lists(st.one_of(texts.map(lambda t: t.encode("utf-8")), st.binary(max_size=3)), max_size=8).map(b"".join),
)


@pytest.fixture(params=[7, 64, 1 << 20], ids=["block7", "block64", "block1M"])
def block_bytes(request, monkeypatch):
    """The readers cut files into blocks; tiny blocks make every example cross block boundaries."""
    monkeypatch.setattr(corpus_mod, "BLOCK_BYTES", request.param)
    return request.param


def _write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _plain(path) -> bool:
    """False for bytes that start like a compressed file: those are read as that format
    (tests/test_corpus_input.py), not as text."""
    try:
        return fileutil.compression_of(path) is None
    except ValueError:
        return False


def _tokens(sentences) -> list:
    return [t for s in sentences for t in s]


# ---- corpus readers -----------------------------------------------------------------------------

@FUZZ
@given(data=noisy_bytes, max_len=st.integers(1, 12))
@example(data=b"\xe2\x82 \xff\n\xc3", max_len=1)
def test_strict_reading_of_any_bytes_gives_tokens_or_corpus_error(tmp_path, block_bytes, data, max_len):
    path = _write(tmp_path, "c.txt", data)
    assume(_plain(path))
    try:
        sentences = list(corpus_mod.iter_sentences(path, max_len))
    except w2v.CorpusError as e:
        assert "c.txt" in str(e)
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        return
    text = data.decode("utf-8")  # read without error, so it must be valid UTF-8
    assert _tokens(sentences) == text.split()
    assert all(0 < len(s) <= max_len for s in sentences)


@FUZZ
@given(data=noisy_bytes, errors=st.sampled_from(["replace", "ignore"]), max_len=st.integers(1, 12))
def test_lenient_reading_never_raises_and_matches_str_split(tmp_path, block_bytes, data, errors, max_len):
    path = _write(tmp_path, "c.txt", data)
    assume(_plain(path))
    sentences = list(corpus_mod.iter_sentences(path, max_len, errors))
    assert _tokens(sentences) == data.decode("utf-8", errors).split()
    lines = data.decode("utf-8", errors).split("\n")
    assert len(sentences) == sum(-(-len(line.split()) // max_len) for line in lines)


@FUZZ
@given(data=noisy_bytes, cut=st.integers(0, 400), flip=st.integers(0, 400),
       mode=st.sampled_from(["raw", "gz", "cut", "flip"]))
def test_gz_corpus_of_any_bytes_gives_tokens_or_corpus_error(tmp_path, block_bytes, data, cut, flip, mode):
    """Not gzip at all, valid gzip, truncated gzip, gzip with a damaged byte: CorpusError or tokens."""
    payload = gzip.compress(data)
    if mode == "raw":
        payload = data
    elif mode == "cut":
        payload = payload[:cut % (len(payload) + 1)]
    elif mode == "flip":
        damaged = bytearray(payload)
        damaged[flip % len(damaged)] ^= 0x5A
        payload = bytes(damaged)
    path = _write(tmp_path, "c.txt.gz", payload)
    for errors in ("strict", "replace"):
        try:
            sentences = list(corpus_mod.iter_sentences(path, 5, errors))
        except w2v.CorpusError as e:
            assert "c.txt.gz" in str(e)
            if mode == "gz":  # an intact gzip file only fails on invalid UTF-8, and only if strict
                assert errors == "strict"
            continue
        if mode == "gz":
            assert _tokens(sentences) == data.decode("utf-8", errors).split()


@FUZZ
@given(data=noisy_bytes)
def test_scan_of_any_bytes_equals_the_python_reader(tmp_path, block_bytes, data):
    """encode.scan (the fast file tokeniser) gives the reader's tokens, or the reader's CorpusError."""
    path = _write(tmp_path, "c.txt", data)
    try:
        sentences = list(corpus_mod.iter_sentences(path, 4))
    except w2v.CorpusError:
        with pytest.raises(w2v.CorpusError, match="c.txt"):
            encode.scan(path, 4, cache_dir=False)
        return
    if not sentences:
        with pytest.raises(w2v.CorpusError, match="no tokens"):
            encode.scan(path, 4, cache_dir=False)
        return
    raw = encode.scan(path, 4, cache_dir=False)
    assert [raw.words[i] for i in raw.ids.tolist()] == _tokens(sentences)
    assert np.diff(raw.offsets).tolist() == [len(s) for s in sentences]
    with mock.patch.object(encode, "PARALLEL_SCAN_BYTES", 0):  # cut into pieces wherever it can
        threaded = encode.scan(path, 4, cache_dir=False, threads=3)
    assert threaded.words == raw.words
    assert threaded.ids.tolist() == raw.ids.tolist() and threaded.offsets.tolist() == raw.offsets.tolist()


# ---- word2vec-format loaders --------------------------------------------------------------------

def _load(path, binary):
    return w2v.KeyedVectors.load_word2vec_format(path, binary=binary)


@FUZZ
@given(data=noisy_bytes, binary=st.booleans())
@example(data=b"2 3\n", binary=False)
@example(data=b"1 2\nw 1 2 3\n", binary=False)
@example(data=b"1 2\nw \x00\x00", binary=True)
@example(data=b'\x04"M\x18', binary=False)  # lz4's magic: found by hypothesis, was a plain ValueError
def test_loading_any_bytes_gives_vectors_or_format_error(tmp_path, data, binary):
    path = _write(tmp_path, "v.txt", data)
    try:
        _load(path, binary)
    except FormatError as e:
        assert "v.txt" in str(e)


_header = st.tuples(st.integers(0, 50), st.integers(0, 8)).map(lambda t: f"{t[0]} {t[1]}\n".encode())


@FUZZ
@given(header=_header, body=noisy_bytes, binary=st.booleans())
def test_plausible_header_with_junk_body_gives_vectors_or_format_error(tmp_path, header, body, binary):
    path = _write(tmp_path, "v.bin", header + body)
    try:
        wv = _load(path, binary)
    except FormatError as e:
        assert "v.bin" in str(e)
        return
    count, dim = map(int, header.split())
    assert wv.vectors.shape[1] == dim and len(wv) <= count


words_no_space = st.text(min_size=1, max_size=12).filter(lambda w: not any(c.isspace() for c in w))
vocabularies = st.lists(words_no_space, min_size=1, max_size=30, unique=True)
floats32 = st.floats(width=32, allow_nan=False, allow_infinity=False)


@st.composite
def keyed_vectors(draw, words=vocabularies):
    vocab = draw(words)
    dim = draw(st.integers(1, 5))
    values = draw(st.lists(floats32, min_size=len(vocab) * dim, max_size=len(vocab) * dim))
    return w2v.KeyedVectors.from_vectors(np.array(values, np.float32).reshape(len(vocab), dim), vocab)


@FUZZ
@given(wv=keyed_vectors(), binary=st.booleans(), cut=st.floats(0, 1, exclude_max=True))
@example(wv=w2v.KeyedVectors.from_vectors(np.array([[1e-45, -0.0]], np.float32), ["\u0301é"]), binary=False, cut=0.5)
def test_word2vec_format_round_trip_and_truncation(tmp_path, wv, binary, cut):
    """Save then load gives the same words and bit-identical vectors; any truncation of the
    file gives a FormatError (or, cut inside the last entry's trailing bytes, the same vectors)."""
    path = tmp_path / "v.w2v"
    wv.save_word2vec_format(path, binary=binary)
    back = _load(path, binary)
    assert back.index_to_key == wv.index_to_key
    np.testing.assert_array_equal(back.vectors.view(np.uint32), wv.vectors.view(np.uint32))
    data = path.read_bytes()
    short = _write(tmp_path, "short.w2v", data[:int(cut * len(data))])
    try:
        partial = _load(short, binary)
    except FormatError as e:
        assert "short.w2v" in str(e)
        return
    # only a cut that loses nothing of the numbers but a final newline/trailing digits may load
    assert partial.index_to_key == wv.index_to_key


@FUZZ
@given(wv=keyed_vectors(), bad=st.sampled_from(SPACES + ["a b", "x\ty", "end\n", "\u3000lead"]),
       position=st.integers(0, 30), binary=st.booleans())
def test_words_with_whitespace_are_refused_at_save_time(tmp_path, wv, bad, position, binary):
    words = list(wv.index_to_key)
    assume(bad not in words)
    words.insert(position % (len(words) + 1), bad)
    vectors = np.zeros((len(words), wv.vectors.shape[1]), np.float32)
    target = tmp_path / "v.txt"
    with pytest.raises(ValueError, match="cannot be stored in word2vec format"):
        w2v.KeyedVectors.from_vectors(vectors, words).save_word2vec_format(target, binary=binary)
    assert not target.exists() and list(tmp_path.iterdir()) == []  # nothing, not even a temp file


@FUZZ
@given(wv=keyed_vectors(words=st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=30, unique=True)))
def test_native_format_round_trips_any_words(tmp_path, wv):
    """The native format stores the vocabulary as JSON: any str works, whitespace included."""
    target = tmp_path / "kv"
    wv.save(target)
    back = w2v.KeyedVectors.load(target)
    assert back.index_to_key == wv.index_to_key
    np.testing.assert_array_equal(back.vectors, wv.vectors)
    data = target.read_bytes()  # the keys are in the JSON header, after the magic and its length
    header = json.loads(data[16:16 + int.from_bytes(data[8:16], "little")].decode("utf-8"))
    assert header["index_to_key"] == wv.index_to_key


@FUZZ
@given(sentences=st.lists(st.lists(st.text(min_size=1, max_size=8), min_size=1, max_size=10), min_size=1, max_size=10))
def test_model_save_load_round_trips_any_vocabulary(tmp_path, sentences):
    """Word2Vec.save/load keeps any in-memory vocabulary (tokens may even contain spaces)."""
    model = w2v.Word2Vec(min_count=1, vector_size=4, workers=1, progress=False)
    model.build_vocab(sentences)
    model.save(tmp_path / "m.npz")
    back = w2v.load(tmp_path / "m.npz")
    assert back.wv.index_to_key == model.wv.index_to_key
    np.testing.assert_array_equal(back.vocab.counts, model.vocab.counts)
    np.testing.assert_array_equal(back.wv.vectors, model.wv.vectors)


@pytest.mark.parametrize("suffix", ["gz", "bz2", "xz"])
def test_damaged_compressed_stream_is_a_corpus_error(tmp_path, suffix):
    """Compressed data damaged mid-stream (the gz property above found zlib.error escaping; the xz
    reader had the same bug with LZMAError)."""
    import bz2
    import lzma
    compress = {"gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress}[suffix]
    payload = bytearray(compress(b"word " * 2000))
    payload[30:40] = b"\xff" * 10
    path = _write(tmp_path, f"bad.txt.{suffix}", bytes(payload))
    try:
        list(corpus_mod.iter_sentences(path))
    except w2v.CorpusError as e:
        assert f"bad.txt.{suffix}" in str(e)
    else:
        pytest.fail("damaged data read without error")


@pytest.mark.parametrize("binary", [False, True])
def test_header_claiming_an_impossible_table_is_a_format_error(tmp_path, binary):
    """The loader used to allocate what a damaged header claims (MemoryError) before reading."""
    path = _write(tmp_path, "v.txt", b"99999999 99999\nw 1 2\n")
    with pytest.raises(FormatError, match="v.txt"):
        _load(path, binary)
