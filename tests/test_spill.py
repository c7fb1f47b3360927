"""Out-of-core ids: a corpus past SPILL_AFTER words goes to an unlinked spill file, and every path
that reads it (scan, encode, training, cache, checkpoints) gives what the in-memory path gives."""
import errno
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import w2v
from w2v import encode, idstore
from w2v.checkpoint import read as read_checkpoint
from w2v.corpus import sample_corpus_path
from w2v.idstore import IdStream, SpillError, StreamWriter
from conftest import dict_scan

SMALL = dict(vector_size=16, window=3, min_count=2, epochs=2, seed=7, negative=3, sample=1e-3)


def text_corpus(tmp_path, n_lines=600, seed=0, name="c.txt"):
    rng = np.random.default_rng(seed)
    words = [f"w{i}" for i in range(300)]
    p = np.arange(1, 301, dtype=float) ** -1.1
    lines = [" ".join(rng.choice(words, size=int(rng.integers(1, 40)), p=p / p.sum())) for _ in range(n_lines)]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def spill_small(monkeypatch):
    """Streams spill after 500 items, so a test corpus of a few thousand words goes to disk."""
    monkeypatch.setattr(idstore, "SPILL_AFTER", 500)
    monkeypatch.setattr(idstore, "READ_BLOCK", 97)  # odd blocks: reads cross sentences anywhere
    monkeypatch.setattr(encode, "READ_BLOCK", 97)


def test_writer_spills_to_an_unlinked_file_and_reads_back(tmp_path):
    writer = StreamWriter(np.int32, tmp_path, spill_after=10)
    parts = [np.arange(k, k + 7, dtype=np.int32) for k in range(0, 70, 7)]
    for part in parts:
        writer.append(part)
    assert list(tmp_path.iterdir()) == []  # the spill file has no name from the start
    stream = writer.finish()
    expected = np.concatenate(parts)
    assert not stream.in_memory and len(stream) == 70
    assert np.array_equal(stream.to_array(), expected)
    assert np.array_equal(stream.read(13, 29), expected[13:29])
    blocks = [b.copy() for b in stream.blocks(5, 66, size=8)]  # a file stream reuses one buffer
    assert [len(b) for b in blocks] == [8] * 7 + [5] and np.array_equal(np.concatenate(blocks), expected[5:66])
    assert list(tmp_path.iterdir()) == []


def test_writer_below_the_threshold_stays_in_memory(tmp_path):
    writer = StreamWriter(np.int64, tmp_path, spill_after=100)
    writer.append(np.arange(40))
    stream = writer.finish()
    assert stream.in_memory and stream.to_array().tolist() == list(range(40))


def test_spill_dir_errors_name_the_path(tmp_path):
    missing = tmp_path / "nowhere"
    with pytest.raises(SpillError, match="nowhere.*does not exist"):
        idstore.spill_directory(missing)
    a_file = tmp_path / "f"
    a_file.write_text("x")
    with pytest.raises(SpillError, match="is not a directory"):
        idstore.spill_directory(a_file)
    with pytest.raises(TypeError, match="spill_dir must be a directory path"):
        idstore.spill_directory(5)
    with pytest.raises(SpillError, match="nowhere"):  # checked before the corpus is read
        w2v.train(text_corpus(tmp_path), spill_dir=missing, cache_dir=False, **SMALL)


def test_full_disk_is_a_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    writer = StreamWriter(np.int32, tmp_path, spill_after=4)
    writer.append(np.arange(8, dtype=np.int32))  # spilled: the file exists (unlinked)

    class FullDisk:
        def __init__(self, inner):
            self.inner = inner

        def write(self, data):
            raise OSError(errno.ENOSPC, "No space left on device")

        def close(self):
            self.inner.close()

    writer.file = FullDisk(writer.file)
    with pytest.raises(SpillError, match=f"{tmp_path}.*No space left"):
        writer.append(np.arange(8, dtype=np.int32))
    assert writer.file is None and list(tmp_path.iterdir()) == []


def test_a_file_truncated_underneath_is_an_error_naming_it(tmp_path):
    path = tmp_path / "ids.bin"
    np.arange(100, dtype=np.int32).tofile(path)
    stream = IdStream(np.int32, file=open(path, "rb"), n=100, name=f"cache entry {path}")
    assert stream.item(99) == 99
    os.truncate(path, 200)
    with pytest.raises(OSError, match="ids.bin.*ended .* early"):
        stream.read(40, 100)
    stream.close()


@pytest.mark.parametrize("threads", [1, 3])
def test_spilled_scan_equals_the_in_memory_scan(tmp_path, monkeypatch, threads):
    paths = [text_corpus(tmp_path, 400, seed=s, name=f"{s}.txt") for s in range(3)]
    monkeypatch.setattr(encode, "PARALLEL_SCAN_BYTES", 1)
    memory = encode.scan(paths, max_sentence_length=17, cache_dir=False, threads=threads)
    assert memory.id_stream.in_memory
    monkeypatch.setattr(idstore, "SPILL_AFTER", 500)
    monkeypatch.setattr(idstore, "READ_BLOCK", 97)
    spilled = encode.scan(paths, max_sentence_length=17, cache_dir=False, threads=threads, spill_dir=tmp_path)
    assert not spilled.id_stream.in_memory and not spilled.offset_stream.in_memory
    assert spilled.words == memory.words
    assert np.array_equal(spilled.ids, memory.ids) and np.array_equal(spilled.offsets, memory.offsets)
    assert np.array_equal(spilled.counts(), np.bincount(memory.ids, minlength=len(memory.words)))


def test_spilled_encoding_reads_chunks_like_the_arrays(tmp_path, spill_small):
    raw = encode.scan(text_corpus(tmp_path), max_sentence_length=23, cache_dir=False)
    vocab, kept = w2v.Vocabulary.from_counts(raw.words, raw.counts(), 3)
    ids, offsets = raw.ids, raw.offsets
    enc = raw.encode(vocab, consume=False, kept=kept)
    lookup = np.full(len(raw.words), -1, np.int32)
    lookup[kept] = np.arange(len(kept))
    reference = encode._apply_lookup(lookup, ids, offsets)
    assert 0 < reference.n_words < len(ids)  # some words dropped
    assert not enc.in_memory
    assert np.array_equal(enc.ids, reference.ids) and np.array_equal(enc.offsets, reference.offsets)
    assert enc.longest_sentence() == int(np.diff(reference.offsets).max())
    for every in (50, 97, 1000):
        targets = np.arange(every, enc.n_words, every)
        assert np.array_equal(enc.sentence_cuts(every), np.searchsorted(reference.offsets, targets))
    buffers = encode.SentenceBuffers()
    for begin, end in ((0, 5), (17, 40), (enc.n_sentences - 3, enc.n_sentences)):
        chunk_ids, chunk_offsets, b, e = enc.sentences(begin, end, buffers)
        for s in range(end - begin):
            got = chunk_ids[chunk_offsets[b + s]:chunk_offsets[b + s + 1]]
            want = reference.ids[reference.offsets[begin + s]:reference.offsets[begin + s + 1]]
            assert np.array_equal(got, want)


def test_training_on_a_spilled_corpus_is_bit_identical(tmp_path, monkeypatch):
    path = text_corpus(tmp_path, 1500)
    params = dict(SMALL, workers=1)
    memory = w2v.train(path, cache_dir=False, **params)
    monkeypatch.setattr(idstore, "SPILL_AFTER", 500)
    monkeypatch.setattr(idstore, "READ_BLOCK", 97)
    monkeypatch.setattr(encode, "READ_BLOCK", 97)
    model = w2v.Word2Vec(spill_dir=tmp_path, cache_dir=False, **params)
    model.build_vocab(path)
    assert not model._encoded.in_memory
    model.train(path, total_examples=model.corpus_count, epochs=model.epochs)
    assert np.array_equal(model.wv.vectors, memory.wv.vectors)
    assert np.array_equal(model.syn1neg, memory.syn1neg)


def test_token_list_corpus_spills_too(tmp_path, spill_small):
    rng = np.random.default_rng(3)
    sentences = [[f"t{int(x)}" for x in rng.zipf(1.3, size=int(rng.integers(1, 30))) % 200] for _ in range(300)]
    raw = encode.scan(sentences, cache_dir=False)
    assert not raw.id_stream.in_memory
    words, ids, ends = dict_scan(sentences)
    assert raw.words == words and raw.ids.tolist() == ids and raw.offsets.tolist() == ends


def test_cached_scan_is_read_in_blocks_and_checked(tmp_path, spill_small):
    path, cache = text_corpus(tmp_path), tmp_path / "cache"
    first = encode.scan(path, cache_dir=cache)
    again = encode.scan(path, cache_dir=cache)
    assert not again.id_stream.in_memory and np.array_equal(again.ids, first.ids)
    assert np.array_equal(again.counts(), first.counts())
    entry = next(cache.iterdir())
    data = bytearray(entry.read_bytes())
    header_end = data.index(b"\0", 16)  # an id in the first block turned out of range
    start = -(-header_end // 64) * 64
    data[start:start + 4] = np.int32(10**6).tobytes()
    entry.write_bytes(bytes(data))
    os.utime(entry)
    rebuilt = encode.scan(path, cache_dir=cache)  # the damaged entry is dropped and rebuilt
    assert np.array_equal(rebuilt.ids, first.ids)


def test_checkpoint_of_a_spilled_corpus_round_trips(tmp_path, monkeypatch):
    path = text_corpus(tmp_path, 1500)
    params = dict(SMALL, workers=1, epochs=1)
    memory = w2v.Word2Vec(cache_dir=False, **params)
    memory.build_vocab(path)
    monkeypatch.setattr(idstore, "SPILL_AFTER", 500)
    ckpt = tmp_path / "run.ckpt"
    w2v.train(path, cache_dir=False, checkpoint=ckpt, **params)
    corpus_files = list(tmp_path.glob("run.ckpt.corpus-*.npz"))
    assert len(corpus_files) == 1
    with np.load(corpus_files[0]) as z:  # an ordinary .npz, written block by block
        assert np.array_equal(z["ids"], memory._encoded.ids) and np.array_equal(z["offsets"], memory._encoded.offsets)
    state = read_checkpoint(ckpt)  # the digest is checked on the way
    assert not state.encoded.in_memory  # read back block by block into a spill file
    assert np.array_equal(state.encoded.ids, memory._encoded.ids)


MEMORY_SCRIPT = textwrap.dedent("""
    import resource, sys, w2v
    model = w2v.Word2Vec(min_count=5, workers=1, cache_dir=False)
    model.build_vocab(sys.argv[1])
    assert model._encoded.n_words > 1_000_000
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
""")


@pytest.mark.slow
def test_scan_memory_does_not_grow_with_the_corpus(tmp_path):
    """The same text read once and eight times over: the peak differs by the in-memory buffer
    (SPILL_AFTER ids) at most, where holding the ids grew it by ~9 bytes per word (~130 MB)."""
    import lzma
    text = lzma.open(sample_corpus_path()).read()
    once, eight = tmp_path / "once.txt", tmp_path / "eight.txt"
    once.write_bytes(text)
    with open(eight, "wb") as f:
        for _ in range(8):
            f.write(text)
            f.write(b"\n")
    peaks = []
    for path in (once, eight):
        out = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(path)], capture_output=True, text=True,
                             env=dict(os.environ, TMPDIR=str(tmp_path)), check=True)
        peaks.append(int(out.stdout.split()[-1]))
    words = len(text.split()) * 8
    assert peaks[1] - peaks[0] < 60, (peaks, words)


def test_chunks_of_spilled_ids_with_in_memory_offsets_leave_the_offsets_alone(tmp_path):
    """One long line (text8): the ids spill, the few sentence offsets stay in memory; reading a
    chunk rebases a copy of its offsets, never the corpus's own (that corrupted later chunks)."""
    writer = StreamWriter(np.int32, tmp_path, spill_after=10)
    writer.append(np.arange(100, dtype=np.int32))
    offsets = np.array([0, 30, 60, 100], np.int64)
    enc = encode.EncodedCorpus(writer.finish(), offsets.copy(), 100)
    buffers = encode.SentenceBuffers()
    for _ in range(2):
        ids, chunk_offsets, b, e = enc.sentences(1, 3, buffers)
        assert chunk_offsets[b:e + 1].tolist() == [0, 30, 70] and ids[:70].tolist() == list(range(30, 100))
    assert enc.offsets.tolist() == offsets.tolist()


def test_cli_spill_dir(tmp_path, capsys, monkeypatch):
    from w2v import cli

    path = text_corpus(tmp_path, 1500)
    out = tmp_path / "v.txt"
    args = ["train", "-train", str(path), "-output", str(out), "-size", "8", "-iter", "1", "-min-count", "2",
            "-cache", "0"]
    assert cli.main(args + ["-spill-dir", str(tmp_path / "missing")]) != 0
    assert "missing" in capsys.readouterr().err and not out.exists()
    monkeypatch.setattr(idstore, "SPILL_AFTER", 500)
    assert cli.main(args + ["-spill-dir", str(tmp_path)]) == 0
    assert out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "v.txt"]


def test_scanned_words_are_one_byte_string_decoded_on_read(tmp_path):
    from w2v.tokenize import WordList

    path = tmp_path / "u.txt"
    path.write_text("naïve café x\nх日本 naïve\n\n x")
    raw = encode.scan(path, cache_dir=tmp_path / "cache")
    assert isinstance(raw.words, WordList)
    assert raw.words == ["naïve", "café", "x", "х日本"] and raw.words[1] == "café"
    assert raw.words[1:3] == ["café", "x"] and raw.words.select(np.array([3, 0])) == ["х日本", "naïve"]
    assert WordList.from_joined(raw.words.joined()) == raw.words
    again = encode.scan(path, cache_dir=tmp_path / "cache")  # the cache keeps the bytes as they are
    assert isinstance(again.words, WordList) and again.words == raw.words
    vocab, kept = w2v.Vocabulary.from_counts(again.words, again.counts(), 2)
    assert vocab.words == ["naïve", "x"] and kept.tolist() == [0, 2]
