"""Loaded vectors cost about the table's own size (issue #28), and the fast loaders read exactly
what gensim reads.

* Peak memory of loading (word2vec text and binary, native file) and of the first query, measured
  with tracemalloc (numpy reports its buffers to it): the table, the keys and one norm per row,
  no table-sized temporaries.
* ``load(path, mmap="r")``: two processes that query the same file share its pages, and neither
  dirties them.
* The numba text parser against gensim's parser (``float()`` then float32) bit for bit, whatever
  the spelling of the numbers, and the readers across every chunk boundary.
* gensim's ``binary_chunk_size`` scenarios (its LoadWord2VecFormatTest) on w2v's own loader.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import textwrap
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

import w2v.formats as formats
import w2v.formats_kernels as formats_kernels
from w2v.formats import FormatError, TruncatedFileError
from w2v.vectors import KeyedVectors

gensim_models = pytest.importorskip("gensim.models")
GensimKV = gensim_models.KeyedVectors
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(params=["kernels", "python"])
def scanners(request, monkeypatch):
    """Run a reader test with the numba kernels and again with their Python twins (what files
    below ``KERNEL_MIN_BYTES`` are read with while no kernel is loaded yet): same results."""
    kernels = request.param == "kernels"
    monkeypatch.setattr(formats_kernels, "scanners_for", lambda nbytes: formats_kernels.Scanners(kernels))
    return request.param


def random_kv(rows: int, dim: int, seed: int = 0) -> KeyedVectors:
    table = np.random.default_rng(seed).standard_normal((rows, dim), dtype=np.float32)
    return KeyedVectors.from_vectors(table, [f"w{i}" for i in range(rows)], np.arange(rows, 0, -1))


def assert_bits_equal(a: np.ndarray, b: np.ndarray) -> None:
    assert a.dtype == b.dtype and a.shape == b.shape
    np.testing.assert_array_equal(a.view(np.uint8), b.view(np.uint8))


def assert_same_as_gensim(ours, theirs) -> None:
    assert ours.index_to_key == theirs.index_to_key
    assert_bits_equal(ours.vectors, theirs.vectors)
    assert [ours.get_vecattr(k, "count") for k in ours.index_to_key[:50]] == \
        [theirs.get_vecattr(k, "count") for k in theirs.index_to_key[:50]]


def peak_bytes(call):
    """(result, peak bytes traced while ``call()`` ran, above what was allocated before it)."""
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        result = call()
        return result, tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()


# ---------------------------------------------------------------------- peak memory


ROWS, DIM = 60_000, 200  # a 48 MB table: big enough that a copy shows, small enough for a test
TABLE_BYTES = ROWS * DIM * 4
#: the keys ("w12345": a str, a list slot, a dict entry, ~ 150 bytes with the dict's growth) and the
#: made-up counts; gensim pays the same for them
KEY_BYTES = ROWS * 160
#: the readers' fixed buffers (a 1 MB read window, its entries' offsets, the words of one chunk)
BUFFERS = 3 << 20


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("big")
    kv = random_kv(ROWS, DIM)
    kv.save_word2vec_format(folder / "v.bin", binary=True)
    kv.save(folder / "v.kv")
    small = random_kv(ROWS // 4, DIM)  # text is slow to write; a quarter of the rows
    small.save_word2vec_format(folder / "v.txt")
    return kv, small, folder


@pytest.mark.usefixtures("scanners")
@pytest.mark.parametrize("kind", ["binary", "text", "native"])
def test_loading_costs_the_table_and_the_keys(big, kind):
    kv, small, folder = big
    load = {"binary": lambda: KeyedVectors.load_word2vec_format(folder / "v.bin", binary=True),
            "text": lambda: KeyedVectors.load_word2vec_format(folder / "v.txt"),
            "native": lambda: KeyedVectors.load(folder / "v.kv")}[kind]
    expected = small if kind == "text" else kv
    load()  # kernels compiled or loaded from numba's cache before measuring
    loaded, peak = peak_bytes(load)
    table = expected.vectors.nbytes
    keys = len(expected) * 160
    assert peak <= 1.2 * table + keys + BUFFERS, f"loading peaked at {peak / table:.2f}x the table"
    assert_bits_equal(loaded.vectors, expected.vectors)
    assert loaded.index_to_key == expected.index_to_key


def test_first_query_costs_one_norm_per_row(big):
    kv, _, folder = big
    loaded = KeyedVectors.load_word2vec_format(folder / "v.bin", binary=True)
    result, peak = peak_bytes(lambda: loaded.most_similar("w7", topn=10))
    assert peak < 0.15 * TABLE_BYTES, f"the first most_similar peaked at {peak / TABLE_BYTES:.2f}x the table"
    assert loaded.norms is not None and loaded.norms.dtype == np.float32 and loaded._normed is None
    theirs = GensimKV.load_word2vec_format(str(folder / "v.bin"), binary=True)
    expected = theirs.most_similar("w7", topn=10)
    assert [k for k, _ in result] == [k for k, _ in expected]
    np.testing.assert_allclose([s for _, s in result], [s for _, s in expected], atol=1e-6)
    np.testing.assert_allclose(loaded.norms, theirs.norms, rtol=1e-6)
    for name, call in [("cosmul", lambda: loaded.most_similar_cosmul(["w1", "w2"], ["w3"], topn=5)),
                       ("distances", lambda: loaded.distances("w1")),
                       ("vector", lambda: loaded.similar_by_vector(loaded["w9"], topn=5)),
                       ("normed row", lambda: loaded.get_vector("w3", norm=True))]:
        _, peak = peak_bytes(call)
        assert peak < 0.15 * TABLE_BYTES, f"{name} peaked at {peak / TABLE_BYTES:.2f}x the table"
    assert loaded._normed is None  # nothing made a normalised copy of the table


@pytest.mark.usefixtures("scanners")
def test_duplicates_are_dropped_in_place(tmp_path):
    words = [f"w{i}" for i in range(20000)]
    words[20000 - 3] = words[5]  # repeated: gensim keeps the first vector
    words[10500] = words[10400]
    table = np.random.default_rng(1).standard_normal((len(words), 200), dtype=np.float32)
    path = tmp_path / "dup.bin"
    with open(path, "wb") as f:
        f.write(b"20000 200\n" + b"".join(w.encode() + b" " + row.tobytes() + b"\n" for w, row in zip(words, table)))
    _, peak = peak_bytes(lambda: KeyedVectors.load_word2vec_format(path, binary=True))
    assert peak < 1.2 * table.nbytes + 20000 * 160 + BUFFERS, f"peaked at {peak / table.nbytes:.2f}x the table"
    ours = KeyedVectors.load_word2vec_format(path, binary=True)
    theirs = GensimKV.load_word2vec_format(str(path), binary=True)
    assert theirs.index_to_key[19998:] == [None, None]  # gensim 4.4 leaves the dropped slots as None keys
    assert ours.index_to_key == theirs.index_to_key[:19998]
    assert_bits_equal(ours.vectors, theirs.vectors[:19998])
    assert ours.expandos["count"].tolist() == [theirs.get_vecattr(i, "count") for i in range(19998)]
    assert ours.vectors.flags.owndata and ours.vectors.shape == (19998, 200)


# ---------------------------------------------------------------------- mmap: shared, never written

CHILD = textwrap.dedent("""
    import sys
    from w2v import KeyedVectors
    kv = KeyedVectors.load(sys.argv[1], mmap="r")
    kv.most_similar("w3", topn=5)
    kv.most_similar_cosmul(["w1", "w2"], topn=5)
    kv.distances("w4")
    print("ready", flush=True)
    sys.stdin.readline()
""")


def mapping_of(pid: int, path: Path) -> dict:
    """The smaps fields (kB) of the mapping(s) of ``path`` in process ``pid``, summed."""
    fields, inside = {}, False
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        head = line.split()
        if len(head) >= 5 and "-" in head[0] and ":" not in head[0]:
            inside = line.endswith(str(path))
        elif inside and line.endswith(" kB"):
            fields[head[0].rstrip(":")] = fields.get(head[0].rstrip(":"), 0) + int(head[1])
    return fields


@pytest.mark.skipif(not Path("/proc/self/smaps").exists(), reason="needs Linux /proc/<pid>/smaps")
def test_two_processes_share_one_mapped_table_and_never_dirty_it(tmp_path):
    kv = random_kv(20_000, 100)
    path = tmp_path / "shared.kv"
    kv.save(path)
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdin=subprocess.PIPE,
                                 stdout=subprocess.PIPE, text=True, env=env) for _ in range(2)]
    try:
        for child in children:
            assert child.stdout.readline().strip() == "ready"
        maps = [mapping_of(child.pid, path) for child in children]
    finally:
        for child in children:
            child.communicate("\n", timeout=60)
    table_kb = kv.vectors.nbytes // 1024
    for m in maps:
        assert m["Rss"] >= 0.9 * table_kb  # the whole table was read through the mapping...
        assert m["Private_Dirty"] == 0 and m.get("Anonymous", 0) == 0  # ...and not one page written
        assert m["Shared_Clean"] >= 0.9 * table_kb  # each page mapped by both processes
        assert m["Pss"] <= 0.6 * m["Rss"]  # so each process is charged about half


def test_mapped_table_is_read_only_and_queries_match_the_loaded_one(tmp_path):
    kv = random_kv(3000, 40)
    path = tmp_path / "v.kv"
    kv.save(path)
    mapped = KeyedVectors.load(path, mmap="r")
    assert isinstance(mapped.vectors, np.memmap) and not mapped.vectors.flags.writeable
    before = path.read_bytes()
    assert mapped.most_similar("w5", topn=5) == kv.most_similar("w5", topn=5)
    assert mapped.most_similar_cosmul(["w1", "w2"], ["w3"], topn=5) == kv.most_similar_cosmul(["w1", "w2"], ["w3"],
                                                                                              topn=5)
    np.testing.assert_array_equal(mapped.distances("w4"), kv.distances("w4"))
    assert mapped.closer_than("w1", "w2") == kv.closer_than("w1", "w2")
    np.testing.assert_array_equal(mapped.get_vector("w8", norm=True), kv.get_vector("w8", norm=True))
    assert mapped.norms is not None and not isinstance(mapped.norms, np.memmap)
    assert path.read_bytes() == before


def test_mapped_table_survives_a_save_over_its_file(tmp_path):
    kv = random_kv(500, 8)
    path = tmp_path / "v.kv"
    kv.save(path)
    mapped = KeyedVectors.load(path, mmap="r")
    random_kv(10, 8, seed=5).save(path)  # a new file renamed over the old: the mapping keeps the old one
    np.testing.assert_array_equal(mapped.vectors, kv.vectors)
    assert mapped.most_similar("w1", topn=3) == kv.most_similar("w1", topn=3)
    assert len(KeyedVectors.load(path)) == 10


@pytest.mark.parametrize("mmap", [None, "r"])
def test_truncated_native_file_names_the_path(tmp_path, mmap):
    kv = random_kv(1000, 16)
    path = tmp_path / "cut.kv"
    kv.save(path)
    with open(path, "r+b") as f:
        f.truncate(os.path.getsize(path) - 4096)
    with pytest.raises(TruncatedFileError, match=r"cut\.kv: truncated") as err:
        KeyedVectors.load(path, mmap=mmap)
    assert isinstance(err.value, EOFError)


def test_file_cut_between_the_size_check_and_the_mapping(tmp_path, monkeypatch):
    kv = random_kv(1000, 16)
    path = tmp_path / "v.kv"
    kv.save(path)
    original = formats._mapped

    def cut_then_map(f, *args):
        os.truncate(path, 100)  # another process rewrites the file in place while w2v loads it
        return original(f, *args)

    monkeypatch.setattr(formats, "_mapped", cut_then_map)
    with pytest.raises(TruncatedFileError, match=r"v\.kv: truncated while loading: the table needs 64000 bytes"):
        KeyedVectors.load(path, mmap="r")


def test_compressed_native_file_is_detected_by_content(tmp_path):
    import gzip

    kv = random_kv(200, 8)
    kv.save(tmp_path / "v.kv")
    (tmp_path / "gz-without-suffix").write_bytes(gzip.compress((tmp_path / "v.kv").read_bytes()))
    back = KeyedVectors.load(tmp_path / "gz-without-suffix")
    assert_bits_equal(back.vectors, kv.vectors)
    np.testing.assert_array_equal(back.counts, kv.counts)
    with pytest.raises(ValueError, match="cannot mmap a compressed file"):
        KeyedVectors.load(tmp_path / "gz-without-suffix", mmap="r")


# ---------------------------------------------------------------------- the text parser against gensim's


def spellings(values: np.ndarray) -> list[str]:
    """The ways files spell numbers: word2vec.c, gensim (float32 repr), %g, %e, float64 repr, and odd ones."""
    rng = np.random.default_rng(3)
    out = []
    for i, v in enumerate(values.tolist()):
        style = i % 12
        out.append([f"{v:.6f}", repr(float(np.float32(v))), f"{v:.9g}", f"{v:e}", f"{v:.8E}", repr(v),
                    f"{v:.17g}", f"{v:+.4f}", f"{v:.25f}", f"{v:.3e}".replace("e", "E") if v > 1e9 else f"{v:.2f}",
                    f"0000{abs(v):.5f}", f"{v:.0f}." if abs(v) < 1e6 else f"{v:g}"][style])
    specials = ["nan", "inf", "-inf", "NaN", "1e400", "-1e-400", "Infinity", ".5", "-.25", "5.", "+0", "-0", "1E5",
                "123456789012345678901234567890", "0.000000000000000000000000000001", "9007199254740993", "1e22",
                "1e23", "1e-22", "1e-23", "0.1e-21", "-000", "00012.5e+1"]
    for j, k in enumerate(range(0, len(out), 97)):
        out[k] = specials[j % len(specials)]
    rng.shuffle(out)
    return out


@pytest.mark.usefixtures("scanners")
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # float16, as in gensim
def test_text_numbers_parse_bit_for_bit_as_gensim(tmp_path):
    rng = np.random.default_rng(2)
    dim = 37
    values = np.concatenate([rng.standard_normal(4000), rng.standard_normal(2000) * 1e-8,
                             rng.standard_normal(1000) * 1e25,
                             10.0 ** rng.uniform(-45, 38, 1000) * rng.choice([-1, 1], 1000),  # float32's whole range
                             rng.integers(-1000, 1000, 1000).astype(float)])
    values = values[: len(values) // dim * dim]
    tokens = spellings(values)
    lines = [f"w{i} " + " ".join(tokens[i * dim:(i + 1) * dim]) for i in range(len(tokens) // dim)]
    path = tmp_path / "numbers.txt"
    path.write_text(f"{len(lines)} {dim}\n" + "\n".join(lines) + "\n")
    expected = np.array([float(t) for t in tokens], dtype=np.float64).astype(np.float32).reshape(-1, dim)
    ours = KeyedVectors.load_word2vec_format(path)
    assert_bits_equal(ours.vectors, expected)
    assert_same_as_gensim(ours, GensimKV.load_word2vec_format(str(path)))
    for datatype in (np.float64, np.float16):
        wide = KeyedVectors.load_word2vec_format(path, datatype=datatype)
        assert_bits_equal(wide.vectors, GensimKV.load_word2vec_format(str(path), datatype=datatype).vectors)


@pytest.fixture
def tiny_chunks(monkeypatch):
    """Reader buffers so small that every entry straddles reads, batches and slow-token arrays."""
    monkeypatch.setattr(formats, "_TEXT_CHUNK_BYTES", 7)
    monkeypatch.setattr(formats, "_BINARY_CHUNK_BYTES", 5)
    monkeypatch.setattr(formats, "_MAX_BATCH", 3)
    monkeypatch.setattr(formats, "_STAGE_BYTES", 1)
    monkeypatch.setattr(formats, "_SLOW_TOKENS", 2)


@pytest.mark.usefixtures("scanners")
@pytest.mark.filterwarnings("ignore:overflow encountered in cast:RuntimeWarning")  # float16, as in gensim
@pytest.mark.parametrize("binary", [False, True])
def test_readers_across_every_chunk_boundary(tmp_path, tiny_chunks, binary):
    kv = random_kv(40, 6, seed=4)
    kv.vectors[3, 2] = np.nan
    kv.vectors[7] = [np.inf, -np.inf, 1e-40, -0.0, 3e38, 1.0]  # slow tokens, several per line
    path = tmp_path / ("v.bin" if binary else "v.txt")
    kv.save_word2vec_format(path, binary=binary)
    reads = {"binary_chunk_size": 3} if binary else {}  # 3-byte reads, 5 bytes per scan
    ours = KeyedVectors.load_word2vec_format(path, binary=binary, **reads)
    assert_same_as_gensim(ours, GensimKV.load_word2vec_format(str(path), binary=binary))
    for datatype in (np.float64, np.float16):
        assert_bits_equal(KeyedVectors.load_word2vec_format(path, binary=binary, datatype=datatype, **reads).vectors,
                          GensimKV.load_word2vec_format(str(path), binary=binary, datatype=datatype).vectors)
    assert KeyedVectors.load_word2vec_format(path, binary=binary, limit=11, **reads).index_to_key == \
        kv.index_to_key[:11]
    words, rows, dim = formats.read_word2vec_rows(path, {"w39": 0, "w2": 1, "nope": 2}, binary=binary)
    assert words == ["w2", "w39"] and dim == 6
    assert_bits_equal(rows, kv.vectors[[2, 39]])


@pytest.mark.usefixtures("scanners")
@pytest.mark.parametrize("binary", [False, True])
def test_compressed_file_without_suffix_is_not_bounded_by_its_compressed_size(tmp_path, binary):
    """The table is sized by the header; for a plain file it is also capped by what the file's size
    can hold, which for compressed data (recognised by content, whatever the name) means nothing."""
    import gzip

    kv = KeyedVectors.from_vectors(np.zeros((3000, 50), np.float32), [f"w{i}" for i in range(3000)])
    plain = tmp_path / "plain"
    kv.save_word2vec_format(plain, binary=binary)
    path = tmp_path / "vectors"  # gzip data, no .gz in the name
    path.write_bytes(gzip.compress(plain.read_bytes()))
    assert path.stat().st_size < 3000 * 50  # fewer bytes than even one byte per value
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key and not back.vectors.any()


@pytest.mark.usefixtures("scanners")
@pytest.mark.parametrize("binary", [False, True])
def test_readers_never_write_past_the_table(tmp_path, monkeypatch, binary):
    """A file that holds more entries than its size allowed when the table was made (it grew while
    being read): an error, not a write past the table's end by the unchecked kernels."""
    path = tmp_path / "v"
    random_kv(50, 4).save_word2vec_format(path, binary=binary)
    original = formats._new_table
    monkeypatch.setattr(formats, "_new_table", lambda path, rows, *a, **k: original(path, rows - 7, *a, **k))
    with pytest.raises(FormatError, match=r"holds more than the 43 entries its size allows \(43 read\)"):
        KeyedVectors.load_word2vec_format(path, binary=binary)


@pytest.mark.usefixtures("scanners")
@pytest.mark.parametrize("data, message", [
    (b"2 3\na 1 2 3\nb 1 2\n", r"line 3: expected a word and 3 values, found 2 values"),
    (b"2 3\na 1 2 3 4\nb 1 2 3\n", r"line 2: expected a word and 3 values, found 4 values"),
    (b"3 3\na 1 2 3\nb nan zwei 3\nc 1 2 3\n", r"line 3: 'zwei' is not a number"),
    (b"3 3\na 1 2 3\nb 1 2 3\n", r"truncated: file ends after 2 of 3 vectors \(line 4 missing\)"),
    (b"2 3\na 1 2 3\nb 1 2", r"line 3: .*found 2 values.*truncated"),
    (b"2 3\na 1 2 3\n 1 2 3\n", r"line 3: .*word is empty"),
    (b"2 3\na 1 2 3\n\n", r"line 3: blank line"),
    (b"2 3\na 1 2 3\nb\n", r"line 3: expected a word and 3 values, found 0 values"),
])
def test_malformed_text_with_tiny_chunks(tmp_path, tiny_chunks, data, message):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=message) as err:
        KeyedVectors.load_word2vec_format(path)
    assert str(err.value).startswith(str(path))


@pytest.mark.usefixtures("scanners")
def test_headerless_text_matches_gensim(tmp_path, tiny_chunks):
    kv = random_kv(25, 4, seed=6)
    path = tmp_path / "glove.txt"
    kv.save_word2vec_format(path, write_header=False)
    for limit in (None, 1, 10, 100):
        ours = KeyedVectors.load_word2vec_format(path, no_header=True, limit=limit)
        assert_same_as_gensim(ours, GensimKV.load_word2vec_format(str(path), no_header=True, limit=limit))
    path.write_bytes(path.read_bytes().rstrip(b"\n").replace(b"\n", b"\r\n"))  # CRLF, no final newline
    ours = KeyedVectors.load_word2vec_format(path, no_header=True)
    assert ours.index_to_key == kv.index_to_key
    assert_bits_equal(ours.vectors, kv.vectors)


@pytest.mark.usefixtures("scanners")
def test_words_decode_like_gensim(tmp_path):
    words = ["café", "naïve", "日本", "a\rb", "x" * 300]
    table = np.arange(len(words) * 2, dtype=np.float32).reshape(-1, 2)
    path = tmp_path / "w.bin"
    body = b"".join(w.encode() + b" " + row.tobytes() for w, row in zip(words, table))
    path.write_bytes(f"{len(words)} 2\n".encode() + body)
    assert_same_as_gensim(KeyedVectors.load_word2vec_format(path, binary=True),
                          GensimKV.load_word2vec_format(str(path), binary=True))
    cut = tmp_path / "cut.bin"  # words cut mid-character, as word2vec.c writes them
    cut.write_bytes(b"3 1\nab\xe6\x97 " + struct.pack("<f", 1) + b"\ncd\xc3 " + struct.pack("<f", 2)
                    + b"\nef\xff\xfe " + struct.pack("<f", 3))
    for errors in ("replace", "ignore", "backslashreplace"):
        ours = KeyedVectors.load_word2vec_format(cut, binary=True, unicode_errors=errors)
        assert ours.index_to_key == GensimKV.load_word2vec_format(str(cut), binary=True,
                                                                  unicode_errors=errors).index_to_key
    with pytest.raises(FormatError, match=r"word 1: .*not valid utf8"):
        KeyedVectors.load_word2vec_format(cut, binary=True)
    assert KeyedVectors.load_word2vec_format(cut, binary=True, encoding="latin-1").index_to_key == \
        ["ab\xe6\x97", "cd\xc3", "ef\xff\xfe"]
    utf16 = tmp_path / "utf16.txt"  # a codec where a newline is not one byte: decoded word by word
    utf16.write_bytes(b"1 2\n" + "é".encode("utf-16-le") + b" 1 2\n")
    assert KeyedVectors.load_word2vec_format(utf16, encoding="utf-16-le").index_to_key == ["é"]


# ---------------------------------------------------------------------- gensim's binary_chunk_size scenarios


def write_dict(path: Path, word2vec_dict: dict) -> None:
    """gensim's save_dict_to_word2vec_formated_file: binary entries without newlines."""
    dim = len(next(iter(word2vec_dict.values())))
    with open(path, "wb") as f:
        f.write(f"{len(word2vec_dict)} {dim}\n".encode())
        for word, vector in word2vec_dict.items():
            f.write(word.encode() + b" " + np.array(vector, dtype=np.float32).tobytes())


@pytest.mark.usefixtures("scanners")
@pytest.mark.parametrize("w2v_dict", [
    {"abc": [1, 2, 3], "cde": [4, 5, 6], "def": [7, 8, 9]},
    {"abc": [1, 2, 3], "cdefg": [4, 5, 6], "d": [7, 8, 9]},
    {"\nabc": [1, 2, 3], "cdefdg": [4, 5, 6], "\n\ndef": [7, 8, 9]},
])
@pytest.mark.parametrize("binary_chunk_size", [1, 5, 16, 1024])
@pytest.mark.parametrize("limit", [None, 1, 2])
def test_binary_chunk_size_as_gensims_loader_tests(tmp_path, w2v_dict, binary_chunk_size, limit):
    path = tmp_path / "w2v.bin"
    write_dict(path, w2v_dict)
    ours = KeyedVectors.load_word2vec_format(path, binary=True, limit=limit, binary_chunk_size=binary_chunk_size)
    kept = list(w2v_dict)[:limit]
    assert ours.index_to_key == [k.lstrip() for k in kept]
    for word in kept:
        assert list(ours[word.lstrip()]) == w2v_dict[word]
    theirs = gensim_models.keyedvectors._load_word2vec_format(GensimKV, str(path), binary=True, limit=limit,
                                                              binary_chunk_size=binary_chunk_size)
    assert_same_as_gensim(ours, theirs)


@pytest.mark.parametrize("bad", [0, -5, 2.5, "big", True])
def test_binary_chunk_size_must_be_a_positive_int(tmp_path, bad):
    path = tmp_path / "v.bin"
    random_kv(3, 2).save_word2vec_format(path, binary=True)
    with pytest.raises(ValueError, match="binary_chunk_size must be a positive int"):
        KeyedVectors.load_word2vec_format(path, binary=True, binary_chunk_size=bad)


# ---------------------------------------------------------------------- the benchmark script


@pytest.mark.slow
@pytest.mark.skipif(not Path("/usr/bin/time").exists(), reason="the benchmark needs /usr/bin/time")
def test_memory_benchmark_runs_and_writes_its_table(tmp_path):
    out = tmp_path / "result.md"
    proc = subprocess.run([sys.executable, str(REPO / "benchmarks" / "memory_vectors.py"), "--runs", "1",
                           "--binary-rows", "3000", "--text-rows", "1000", "--dim", "20",
                           "--data-dir", str(tmp_path / "data"), "--out", str(out)],
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    doc = json.loads(out.with_suffix(".json").read_text())
    assert {(r["kind"], r["lib"]) for r in doc["summary"]} == {(k, lib) for k in ("binary", "text")
                                                               for lib in ("gensim", "w2v")}
    assert all(r["peak_rss_kb"] > 0 and r["load_s"] > 0 and r["loadavg_1min"] >= 0 for r in doc["runs"])
    assert "| binary" in out.read_text() and "| text" in out.read_text()
