"""The examples run as a user would run them (subprocesses) and produce sensible output.

To stay fast they train on a tiny corpus (the sample's first 200k words) for one epoch; the PCA
example reuses the vectors the first example wrote instead of training again.
"""
from __future__ import annotations

import importlib.util
import lzma
import subprocess
import sys
from pathlib import Path

import pytest

import w2v

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run_example(name: str, *args: str) -> str:
    """Run ``examples/<name>`` with this interpreter; fail with its stderr if it fails."""
    proc = subprocess.run([sys.executable, str(EXAMPLES / name), *args], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture(scope="module")
def vectors(tmp_path_factory):
    """Run train_and_query.py on a tiny corpus; its saved vectors feed the PCA example."""
    tmp = tmp_path_factory.mktemp("examples")
    corpus = tmp / "tiny.txt"
    with lzma.open(w2v.sample_corpus_path(), "rt") as f:
        corpus.write_text(" ".join(f.read(1_400_000).split()[:200_000]))
    out = tmp / "vectors.txt"
    stdout = run_example("train_and_query.py", str(corpus), "--output", str(out), "--epochs", "1")
    return out, stdout


def test_train_and_query_saves_reloads_and_queries(vectors):
    path, stdout = vectors
    header = path.read_text().split("\n", 1)[0].split()
    assert int(header[0]) > 1000 and int(header[1]) == 100
    assert "saved and reloaded" in stdout
    assert "most similar to 'king':" in stdout and "man : king :: woman :" in stdout


def test_pca_plot_writes_png(vectors, tmp_path):
    if importlib.util.find_spec("matplotlib") is None:
        pytest.skip("matplotlib not installed (the 'plot' extra)")
    png = tmp_path / "pca.png"
    stdout = run_example("pca_plot.py", "--vectors", str(vectors[0]), "--output", str(png))
    assert "wrote" in stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
