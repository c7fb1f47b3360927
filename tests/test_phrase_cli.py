"""``w2v phrase``: word2phrase.c's flags, output layout and errors."""
from __future__ import annotations

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
