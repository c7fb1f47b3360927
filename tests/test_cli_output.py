"""``w2v train``'s output: ``-output -`` is stdout, a FIFO is written as a stream, a directory is refused
before training, and Ctrl-C leaves an existing output untouched, with the vectors so far and a
checkpoint beside it and a report of what was really trained. Special files live in tmp_path only."""
from __future__ import annotations

import os
import re
import signal
import stat
import subprocess
import sys
import time

import pytest

import w2v
from conftest import read_fifo_in_thread, sample_words
from w2v import fileutil, cli

FLAGS = ["-size", "8", "-window", "3", "-iter", "1", "-min-count", "3", "-threads", "1", "-q", "-cache", "0"]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("corpus") / "small.txt"
    words = sample_words(20_000)
    path.write_text("\n".join(" ".join(words[i:i + 20]) for i in range(0, len(words), 20)) + "\n")
    return path


def header(text: str) -> tuple[int, int]:
    rows, dim = text.split("\n", 1)[0].split()
    return int(rows), int(dim)


def test_dash_writes_the_vectors_to_stdout(small_corpus, tmp_path, capfd, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["train", "-train", str(small_corpus), "-output", "-", *FLAGS]) == 0
    out, err = capfd.readouterr()
    rows, dim = header(out)
    assert dim == 8 and rows > 500 and len(out.strip().splitlines()) == rows + 1
    assert "wrote text vectors to stdout" in err
    assert os.listdir(tmp_path) == []  # no file named "-", no checkpoint left


def test_fifo_output_is_streamed_and_stays_a_fifo(small_corpus, tmp_path):
    fifo = tmp_path / "vectors.fifo"
    os.mkfifo(fifo)
    t, got = read_fifo_in_thread(fifo)
    try:
        assert cli.main(["train", "-train", str(small_corpus), "-output", str(fifo), *FLAGS]) == 0
        t.join(10)
    finally:
        if t.is_alive():
            fileutil.release_stream(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert header(got["data"].decode())[1] == 8
    assert sorted(os.listdir(tmp_path)) == ["vectors.fifo"]  # no checkpoint beside a stream


def test_directory_output_is_refused_before_training(small_corpus, tmp_path, capsys):
    target = tmp_path / "out"
    target.mkdir()
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(target), *FLAGS]) == 2
    err = capsys.readouterr().err
    assert "is a directory" in err and "training" not in err  # failed before any work
    assert target.is_dir() and os.listdir(target) == []


def test_symlinked_output_is_written_through(small_corpus, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(link), *FLAGS]) == 0
    assert link.is_symlink() and header(real.read_text())[1] == 8


def test_completed_run_leaves_no_checkpoint_of_its_own(small_corpus, tmp_path):
    out = tmp_path / "v.txt"
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(out), *FLAGS]) == 0
    assert sorted(os.listdir(tmp_path)) == ["v.txt"]
    mine = tmp_path / "mine.ckpt"
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(out), "-checkpoint", str(mine),
                     *FLAGS]) == 0
    assert mine.exists()  # a checkpoint the user asked for is kept


def test_default_checkpoint_can_be_turned_off(small_corpus, tmp_path, monkeypatch):
    saves = []
    monkeypatch.setattr(w2v.checkpoint.Checkpointer, "save", lambda self, *a: saves.append(self.path))
    out = tmp_path / "v.txt"
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(out), *FLAGS]) == 0
    assert saves == [tmp_path / "v.txt.partial.ckpt"]
    saves.clear()
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(out), "-checkpoint", "0", *FLAGS]) == 0
    assert saves == []


def test_sigint_keeps_the_existing_output_and_saves_the_partial_run_beside_it(tmp_path):
    """A real SIGINT mid-run: the old output is untouched, OUTPUT.partial holds the vectors so far,
    OUTPUT.partial.ckpt resumes, and the report counts the words really trained (its words/s is
    those words over the training time, not the planned epochs')."""
    corpus = tmp_path / "c.txt"
    words = sample_words(100_000)
    corpus.write_text("\n".join(" ".join(words[i:i + 50]) for i in range(0, len(words), 50)) + "\n")
    out = tmp_path / "vectors.txt"
    out.write_text("previous vectors\n")
    os.chmod(out, 0o640)
    ck = tmp_path / "vectors.txt.partial.ckpt"
    proc = subprocess.Popen([sys.executable, "-m", "w2v", "train", "-train", str(corpus), "-output", str(out),
                             "-size", "16", "-iter", "500", "-threads", "2", "-min-count", "3", "-q", "-cache", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)  # the first epoch-end checkpoint: training is running
        assert proc.poll() is None, proc.communicate()
        time.sleep(0.3)
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, stderr
    assert out.read_text() == "previous vectors\n" and stat.S_IMODE(out.stat().st_mode) == 0o640
    assert f"the vectors trained so far are in {out}.partial" in stderr
    assert f"last checkpoint: {ck}" in stderr and "Traceback" not in stderr
    wv = w2v.KeyedVectors.load_word2vec_format(f"{out}.partial")
    assert wv.vectors.shape[1] == 16 and len(wv) > 1000
    info = w2v.checkpoint.read_info(ck)
    assert info["run"]["epochs"] == 500 and 1 <= info["position"]["epoch"] < 500
    m = re.search(r"trained (\d+) of 500 epochs complete, ([\d,]+) of ([\d,]+) words in ([\d.]+)s "
                  r"\(([\d,]+) words/s\)", stderr)
    assert m, stderr
    epochs, done, planned, seconds, speed = (float(g.replace(",", "")) for g in m.groups())
    assert 1 <= epochs < 500 and epochs * planned / 500 <= done < planned
    # words/s is the words done over the time (printed to 0.1 s), not the planned words over it
    assert done / (seconds + 0.051) - 1 <= speed <= done / max(seconds - 0.051, 1e-3) + 1


def test_partial_vectors_of_a_compressed_output_are_compressed_too():
    assert cli.partial_path("v.txt") == "v.txt.partial"
    assert cli.partial_path("dir/v.txt.gz") == "dir/v.txt.partial.gz"


def test_resume_finishes_an_interrupted_train_with_its_own_outputs(tmp_path, capsys):
    """``w2v resume CKPT`` after Ctrl-C: the run continues, writes what ``w2v train`` was asked to
    write (binary vectors, the vocabulary), and removes every file the interruption left."""
    corpus = tmp_path / "c.txt"
    words = sample_words(100_000)
    corpus.write_text("\n".join(" ".join(words[i:i + 50]) for i in range(0, len(words), 50)) + "\n")
    out, vocab = tmp_path / "vectors.bin", tmp_path / "vocab.txt"
    ck = tmp_path / "vectors.bin.partial.ckpt"
    proc = subprocess.Popen([sys.executable, "-m", "w2v", "train", "-train", str(corpus), "-output", str(out),
                             "-binary", "1", "-save-vocab", str(vocab), "-size", "16", "-iter", "60", "-threads", "2",
                             "-min-count", "3", "-q", "-cache", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        deadline = time.monotonic() + 120
        while not ck.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert proc.poll() is None, proc.communicate()
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130 and f"w2v resume {ck}" in stderr, stderr
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left[:2] == ["c.txt", "vectors.bin.partial"] and left[2].startswith("vectors.bin.partial.ckpt")
    assert not out.exists() and not vocab.exists()
    assert cli.main(["resume", str(ck), "-q"]) == 0
    wv = w2v.KeyedVectors.load_word2vec_format(out, binary=True)
    assert wv.vectors.shape[1] == 16 and len(wv) > 1000 and vocab.read_text().count("\n") == len(wv)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.txt", "vectors.bin", "vocab.txt"]
    assert "wrote binary vectors" in capsys.readouterr().err


def test_resume_to_another_output_keeps_the_checkpoint(tmp_path, small_corpus):
    out, ck = tmp_path / "v.txt", tmp_path / "run.ckpt"
    assert cli.main(["train", "-train", str(small_corpus), "-output", str(out), "-checkpoint", str(ck), *FLAGS]) == 0
    assert ck.exists()  # a -checkpoint the user named stays
    other = tmp_path / "again.txt"
    assert cli.main(["resume", str(ck), "-output", str(other), "-q"]) == 0  # a finished run: nothing left to train
    assert header(other.read_text()) == header(out.read_text()) and ck.exists()
    bare = tmp_path / "bare.ckpt"
    w2v.train(small_corpus, vector_size=8, epochs=1, min_count=3, checkpoint=bare, progress=False)
    assert cli.main(["resume", str(bare)]) == 2  # not written by w2v train: no output to write
