"""``w2v phrase``: word2phrase.c's flags, output layout and errors."""
from __future__ import annotations

import pytest

from w2v.cli import main
from w2v.kernels import phrases_reference as ref


def test_phrase_command(tmp_path, capsys):
    lines = [["new", "york", "is", "big"], ["i", "love", "new", "york", "city"], ["york", "new"]] * 30
    src, out = tmp_path / "in.txt", tmp_path / "out.txt"
    src.write_text("".join(" ".join(line) + "\n" for line in lines))
    assert main(["phrase", "-train", str(src), "-output", str(out), "-min-count", "2", "-threshold", "2"]) == 0
    text = out.read_text()
    assert text == ref.word2phrase(lines, 2, 2)
    assert text.startswith(" new_york is_big\n i_love new_york city\n york new\n")
    err = capsys.readouterr().err
    assert "Words in train file: 330" in err and "joined" in err
    assert main(["phrase", "-train", str(src), "-output", str(out), "-debug", "0"]) == 0
    assert capsys.readouterr().err == ""


def test_phrase_errors(tmp_path, capsys):
    assert main(["phrase", "-train", str(tmp_path / "none.txt"), "-output", str(tmp_path / "o")]) == 2
    assert "training file" in capsys.readouterr().err
    src = tmp_path / "in.txt"
    src.write_text("a b\n")
    assert main(["phrase", "-train", str(src), "-output", str(tmp_path / "no" / "o")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty.txt"
    empty.write_text("\n")
    assert main(["phrase", "-train", str(empty), "-output", str(tmp_path / "o")]) == 2
    assert "contains no words" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


@pytest.mark.slow
def test_first_phrase_run_says_it_compiles_and_how_long_it_took(tmp_path):
    """Issue 29: the first ``w2v phrase`` sat ~27 s with no message. With numba's cache pointed at
    an empty directory (a fresh install) it says so before compiling and the time after, before its
    summary; that takes one real compile (~15-30 s)."""
    import os
    import subprocess
    import sys

    src = tmp_path / "in.txt"
    src.write_text("new york is big\ni love new york city\n" * 20)
    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "numba-cache")}
    proc = subprocess.run([sys.executable, "-m", "w2v", "phrase", "-train", str(src), "-output", str(tmp_path / "o"),
                           "-min-count", "2", "-threshold", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    said = [i for i, line in enumerate(lines) if line.startswith("w2v: compiling kernels (once per install")]
    ready = [i for i, line in enumerate(lines) if line.startswith("w2v: kernels ready in")]
    summary = [i for i, line in enumerate(lines) if line.startswith("w2v: joined")]
    assert len(said) == 1 and len(ready) == 1 and said[0] < ready[0] < summary[0], lines
    assert lines.index("Starting training using file " + str(src)) < said[0]  # the first compile is the scan's
    # a second run loads the cached kernels: nothing to say
    again = subprocess.run([sys.executable, "-m", "w2v", "phrase", "-train", str(src), "-output", str(tmp_path / "o"),
                            "-min-count", "2", "-threshold", "2"], capture_output=True, text=True, env=env, timeout=600)
    assert again.returncode == 0 and "compiling" not in again.stderr, again.stderr
