"""A fresh process's first small fit loads only the training kernel's machine code, and only the
kernel of the mode it trains (each mode is its own compiled kernel: a cold start compiles one).

Graph-embedding code fits tiny corpora in many short-lived processes, where each cached numba
function costs ~25 ms of CPU to load: the vocabulary tables and the encoding of small inputs use
plain Python/numpy statements of the same functions instead, with the same results.
"""
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from w2v import encode, idstore, vocab

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("v", [2, 3, 17, 400])
def test_small_vocabulary_tables_equal_the_numba_ones(v):
    rng = np.random.default_rng(v)
    counts = np.sort(rng.integers(1, 1000, v))[::-1].astype(np.int64)
    for want, got in zip(vocab._huffman(counts), vocab._huffman.py_func(counts)):
        np.testing.assert_array_equal(got, want)
    probs = rng.random(v)
    probs /= probs.sum()
    a = [np.zeros(v, np.uint64), np.arange(v, dtype=np.int32)]
    b = [np.zeros(v, np.uint64), np.arange(v, dtype=np.int32)]
    vocab._fill_alias(probs * v, *a)
    vocab._fill_alias.py_func(probs * v, *b)
    for want, got in zip(a, b):
        np.testing.assert_array_equal(got, want)


def test_small_corpus_encoding_equals_the_numba_one():
    rng = np.random.default_rng(1)
    ids = rng.integers(0, 50, 3000).astype(np.int32)
    offsets = np.unique(np.concatenate([[0, 0, 5, 5], rng.integers(0, 3000, 200), [3000, 3000]])).astype(np.int64)
    offsets = np.concatenate([[0, 0], offsets])        # empty sentences too
    lookup = np.where(rng.random(50) < 0.3, -1, rng.permutation(50)).astype(np.int32)
    results = []
    for remap in (encode._remap, encode._remap_small):
        out, new_offsets = np.zeros(len(ids), np.int32), np.empty_like(offsets)
        n = remap(lookup, ids, offsets, out, new_offsets)
        results.append((n, out[:n], new_offsets))
    assert results[0][0] == results[1][0]
    for want, got in zip(results[0][1:], results[1][1:]):
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(encode.RawScan(["w"] * 50, ids, offsets).counts(), np.bincount(ids, minlength=50))


FIT = """
import itertools
import numpy as np, w2v
from w2v import encode, idstore, vocab
from w2v.kernels import sentences
from w2v.kernels.arguments import Mode
walks = [[str(x) for x in np.random.default_rng(0).integers(0, 34, 40)] for _ in range(340)]
for hs in (0, 1):
    m = w2v.Word2Vec(vector_size=16, min_count=1, sg=1, hs=hs, negative=5 - 5 * hs, epochs=2, workers=2,
                     progress=False)
    m.build_vocab(walks)
    m.train(walks, total_examples=len(walks), epochs=m.epochs)
loaded = {f.__name__: len(f.signatures) for f in (vocab._huffman, vocab._fill_alias, encode._remap,
          idstore.count_ids, sentences.current_alpha, sentences.scheduled_alpha)}
modes = [Mode(sg, hs, ns, kernel) for sg, hs, ns, kernel in itertools.product((0, 1), (0, 1), (0, 1), (0, 1, 2))
         if (hs or ns) and (sg or kernel == 1)]
loaded.update({str(tuple(map(int, m))): len(sentences.chunk_kernel(m).signatures) for m in modes})
print(loaded)
"""


def test_a_small_fit_loads_only_the_training_kernel_of_its_mode():
    out = subprocess.run([sys.executable, "-c", FIT], capture_output=True, text=True, cwd=ROOT, timeout=600)
    assert out.returncode == 0, out.stderr
    loaded = eval(out.stdout.strip().splitlines()[-1])
    assert loaded.pop(str((1, 0, 1, 1))) == 1     # skip-gram, negative sampling, the shared update
    assert loaded.pop(str((1, 1, 0, 1))) == 1     # skip-gram, hierarchical softmax
    assert len(loaded) == 6 + 12 - 2
    assert loaded == dict.fromkeys(loaded, 0)     # no other mode's kernel, no other numba function


COLD = """
import resource, time, w2v
cpu = time.process_time()
w2v.train(w2v.sample_corpus_path(), epochs=1, sg=1, workers=1, progress=False)
print(time.process_time() - cpu, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


@pytest.mark.slow
def test_a_cold_start_compiles_one_mode_within_bounds(tmp_path):
    """An empty numba cache (a fresh install, a CI job, a notebook): the first skip-gram run
    compiles the scan's kernels and its own mode's training kernel only. Compiling every mode in
    one kernel took ~60-100 CPU seconds and 1.3 GB here; one mode takes ~12 s and ~250 MB. The
    bounds leave room for a loaded machine (CPU seconds, not wall: other processes do not add)."""
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba"), "W2V_CACHE_DIR": str(tmp_path / "corpora")}
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, cwd=ROOT, env=env, timeout=600)
    assert out.returncode == 0, out.stderr
    cpu_seconds, peak_mb = map(float, out.stdout.split())
    assert peak_mb < 600
    assert cpu_seconds < 40
