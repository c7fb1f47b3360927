"""The benchmark scripts run end to end on a tiny corpus and report what they promise.

They are not timed tests: the numbers they print on a 20k-word corpus mean nothing. What is checked
is that a grid run produces both libraries' runs, medians, a speed ratio and quality scores in the
JSON and the Markdown table, so a broken script is found here and not after an hour of benchmarking.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("gensim")

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run_script(name: str, tmp_path: Path, *args: str) -> str:
    env = dict(os.environ, TMPDIR=str(tmp_path))  # the harness caches corpora and vectors there
    proc = subprocess.run([sys.executable, str(BENCHMARKS / name), *args], capture_output=True, text=True,
                          timeout=600, env=env, cwd=BENCHMARKS.parent)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return proc.stdout


@pytest.fixture()
def tiny_corpus(tmp_path):
    import lzma

    import w2v

    with lzma.open(w2v.sample_corpus_path(), "rt") as f:
        words = f.read(400_000).split()[:30_000]
    path = tmp_path / "tiny.txt"
    path.write_text(" ".join(words))
    return path


@pytest.mark.slow
def test_compare_runs_both_libraries_and_writes_the_table(tmp_path, tiny_corpus):
    out = tmp_path / "result"
    stdout = run_script("compare.py", tmp_path, "--corpus", str(tiny_corpus), "--modes", "cbow-ns",
                        "--epochs", "1", "--workers", "1", "--out", str(out))
    doc = json.loads(out.with_suffix(".json").read_text())
    assert {r["lib"] for r in doc["runs"]} == {"w2v", "gensim"}
    assert all("error" not in r for r in doc["runs"])
    assert all(r["corpus_words"] == 30_000 for r in doc["runs"])  # both read the same words
    (row,) = doc["summary"]
    assert row["speed_ratio"] > 0
    for lib in ("w2v", "gensim"):
        assert row[lib]["wall_s"] > 0 and row[lib]["runs"] == 1
        assert -1 <= row[lib]["wordsim353"] <= 1 and 0 <= row[lib]["analogy"] <= 1
    table = out.with_suffix(".md").read_text()
    assert "| cbow-ns | 1 | 1 |" in table and "30,000 words" in table
    assert "| cbow-ns | 1 | 1 |" in stdout
    assert not list((tmp_path / "w2v-bench" / "vectors").glob("*.bin"))  # scored vectors are deleted
    # the figures are the runs' own: words/s from the words and the wall time, the ratio of the two
    # libraries' speeds, one vocabulary (same corpus and min_count)
    runs = {r["lib"]: r for r in doc["runs"]}
    for lib, run in runs.items():
        assert run["words_per_s"] == pytest.approx(run["corpus_words"] * run["epochs"] / run["wall_s"])
        assert row[lib]["words_per_s"] == pytest.approx(run["words_per_s"])
    assert row["speed_ratio"] == pytest.approx(runs["w2v"]["words_per_s"] / runs["gensim"]["words_per_s"])
    assert runs["w2v"]["vocab_size"] == runs["gensim"]["vocab_size"] > 500
    # ... and w2v's scores are those of the model it trained: one worker and seed 1 repeat it bit for bit
    assert reproduced_w2v_scores(tiny_corpus, tmp_path) == {k: row["w2v"][k] for k in SCORES}


SCORES = ("analogy", "wordsim353", "simlex999")


def reproduced_w2v_scores(corpus: Path, tmp_path: Path) -> dict:
    """Train what compare.py's w2v run trained (harness.COMMON, cbow-ns, 1 epoch, 1 worker, seed 1)
    in this process and score it with the harness's scorer."""
    import w2v

    sys.path.insert(0, str(BENCHMARKS))
    try:
        import harness
    finally:
        sys.path.remove(str(BENCHMARKS))
    params = dict(harness.COMMON, **harness.MODES["cbow-ns"], epochs=1, workers=1, seed=1)
    model = w2v.train(str(corpus), **params, cache_dir=False, progress=False, compute_loss=False, kernel="auto")
    path = tmp_path / "reproduced.bin"
    model.wv.save_word2vec_format(str(path), binary=True)
    scores = harness.score_vectors(path)
    return {k: scores[k] for k in SCORES}


@pytest.mark.slow
def test_scaling_reports_the_machine_ceiling_beside_1_and_2_workers(tmp_path, tiny_corpus):
    out = tmp_path / "scaling"
    run_script("scaling.py", tmp_path, "--corpus", str(tiny_corpus), "--only", "threads", "--modes", "cbow-ns",
               "--repeats", "1", "--out", str(out))
    (row,) = json.loads(out.with_suffix(".json").read_text())["threads"]
    assert set(row["runs"]) == {"1", "2", "pair"} and all(len(v) == 1 for v in row["runs"].values())
    assert all(row[k] > 0 for k in ("words_per_s_1", "words_per_s_2", "words_per_s_pair"))
    # the ratios are the per-repeat ratios of the rates it reports
    assert row["ceiling"] == pytest.approx(row["words_per_s_pair"] / row["words_per_s_1"])
    assert row["efficiency"] == pytest.approx(row["words_per_s_2"] / row["words_per_s_pair"])
    table = out.with_suffix(".md").read_text()
    assert "machine ceiling (pair)" in table and "| cbow-ns |" in table


def test_scaling_times_real_training(tiny_corpus):
    """scaling.py's timed child trains for real (a thread's exception used to time an empty run)."""
    sys.path.insert(0, str(BENCHMARKS))
    try:
        import scaling
    finally:
        sys.path.remove(str(BENCHMARKS))
    params = dict(sg=1, hs=1, negative=0, workers=2, epochs=1, min_count=2, vector_size=16)
    run = scaling.run_python(scaling.TIMED_TRAIN, str(tiny_corpus), json.dumps(params))
    assert run["words"] >= 29_000 and run["trained_words"] == run["words"] and run["train_s"] > 0


@pytest.mark.slow
def test_first_calls_times_both_libraries_in_fresh_processes(tmp_path):
    import w2v

    out = tmp_path / "first"
    stdout = run_script("first_calls.py", tmp_path, "--corpus", str(w2v.sample_corpus_path()), "--tasks", "query",
                        "phrases", "--repeats", "1", "--max-load", "1000", "--out", str(out))
    runs = json.loads(out.with_suffix(".json").read_text())
    assert {(r["lib"], r["task"]) for r in runs} == {(lib, task) for lib in ("w2v", "gensim")
                                                     for task in ("query", "phrases")}
    assert all(r["wall_s"] > 0 and r["cpu_s"] > 0 and r["peak_mb"] > 20 for r in runs)
    phrased = {r["lib"]: r["tokens_out"] for r in runs if r["task"] == "phrases"}
    assert phrased["w2v"] == phrased["gensim"] > 1_000_000  # the same phrases joined the same tokens
    assert len({r["neighbour"] for r in runs if r["task"] == "query"}) == 1  # the same file, the same neighbour
    table = out.with_suffix(".md").read_text()
    assert "| phrases | gensim |" in table and "| query | w2v |" in table and table in stdout + "\n"
