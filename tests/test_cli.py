"""The ``w2v`` command line: word2vec.c's flags and defaults, output files, errors, query commands.

Training tests share one tiny corpus (the sample's first 200k words) and train small models for one
epoch, in-process through ``cli.main`` so numba compiles once per test session.
"""
from __future__ import annotations

import importlib.util
import lzma
import re
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v import cli

TRAIN_FLAGS = ["-size", "24", "-window", "3", "-iter", "1", "-min-count", "5", "-threads", "2", "-debug", "0"]


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory):
    """The first 200k words of the bundled sample: big enough for 'king' and 'france' to have neighbours."""
    path = tmp_path_factory.mktemp("corpus") / "tiny.txt"
    with lzma.open(w2v.sample_corpus_path(), "rt") as f:
        path.write_text(" ".join(f.read(1_400_000).split()[:200_000]))
    return path


@pytest.fixture(scope="module")
def trained(tiny_corpus, tmp_path_factory):
    """Text vectors and the vocabulary written by a word2vec.c-style ``w2v train`` line."""
    out = tmp_path_factory.mktemp("trained")
    paths = {"text": out / "vectors.txt", "vocab": out / "vocab.txt"}
    code = cli.main(["train", "-train", str(tiny_corpus), "-output", str(paths["text"]),
                     "-save-vocab", str(paths["vocab"]), "-cbow", "0", *TRAIN_FLAGS])
    assert code == 0
    return paths


def parse_train(*flags):
    return cli.train_config(cli.build_parser().parse_args(["train", "-train", "c", "-output", "o", *flags]))


# --------------------------------------------------------------------------- parsed configuration


def test_defaults_follow_word2vec_c():
    config = parse_train()
    assert config["sg"] == 0 and config["alpha"] == 0.05  # word2vec.c: -cbow 1, CBOW alpha 0.05
    assert (config["vector_size"], config["window"], config["negative"], config["hs"]) == (100, 5, 5, 0)
    assert (config["sample"], config["epochs"], config["min_count"]) == (1e-3, 5, 5)
    assert config["workers"] == cli.available_cores()


def test_skipgram_alpha_default_and_explicit_alpha():
    assert parse_train("-cbow", "0")["sg"] == 1
    assert parse_train("-cbow", "0")["alpha"] == 0.025
    assert parse_train("-cbow", "0", "-alpha", "0.01")["alpha"] == 0.01


def test_gnu_long_options_with_gensim_names():
    config = parse_train("--vector-size", "50", "--sg", "1", "--epochs", "2", "--workers", "1",
                         "--min-count", "2", "--window", "8", "--negative", "0", "--hs", "1")
    assert (config["vector_size"], config["sg"], config["epochs"], config["workers"]) == (50, 1, 2, 1)
    assert (config["min_count"], config["window"], config["negative"], config["hs"]) == (2, 8, 0, 1)


def test_contradicting_architecture_flags_are_one_line_error(capsys):
    assert cli.main(["train", "-train", "c", "-output", "o", "-cbow", "1", "--sg", "1"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0


# --------------------------------------------------------------------------- training end to end


def test_text_vectors_load_in_gensim(trained):
    gensim_models = pytest.importorskip("gensim.models")
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(trained["text"]), binary=False)
    assert kv.vector_size == 24 and "king" in kv.key_to_index
    vocab_words = [line.split()[0] for line in trained["vocab"].read_text().splitlines()]
    assert vocab_words == kv.index_to_key


def test_binary_output_from_word2vec_c_line_without_subcommand(tiny_corpus, trained, tmp_path):
    """``w2v -train ... -binary 1`` (no sub-command, as in word2vec.c scripts) writes binary vectors."""
    gensim_models = pytest.importorskip("gensim.models")
    out = tmp_path / "vectors.out"
    assert cli.main(["-train", str(tiny_corpus), "-output", str(out), "-binary", "1",
                     "-read-vocab", str(trained["vocab"]), *TRAIN_FLAGS]) == 0
    kv = gensim_models.KeyedVectors.load_word2vec_format(str(out), binary=True)
    assert kv.vector_size == 24
    text_kv = gensim_models.KeyedVectors.load_word2vec_format(str(trained["text"]))
    assert kv.index_to_key == text_kv.index_to_key
    assert cli.is_binary_vectors(str(out)) and not cli.is_binary_vectors(str(trained["text"]))


def test_missing_input_file_exits_nonzero_with_one_line(tmp_path):
    missing = tmp_path / "no-such-corpus.txt"
    proc = subprocess.run([sys.executable, "-m", "w2v", "train", "-train", str(missing), "-output",
                           str(tmp_path / "v.txt")], capture_output=True, text=True)
    assert proc.returncode != 0
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and str(missing) in lines[0] and lines[0].startswith("w2v: error:")


def test_missing_output_directory_fails_before_training(tiny_corpus, tmp_path, capsys):
    assert cli.main(["train", "-train", str(tiny_corpus), "-output", str(tmp_path / "nope" / "v.txt")]) == 2
    assert "nope" in capsys.readouterr().err


# --------------------------------------------------------------------------- query commands


def rows(text: str) -> list[tuple[str, float]]:
    return [(line.split()[1], float(line.split()[2])) for line in text.strip().splitlines()]


@pytest.fixture(scope="module")
def kv(trained):
    """The trained vectors as the library loads them: what the commands must answer from."""
    return w2v.KeyedVectors.load_word2vec_format(str(trained["text"]))


def assert_same_answers(printed, expected):
    """The printed ``rank word similarity`` rows are ``expected`` (word, similarity) pairs, to 4 decimals."""
    assert [w for w, _ in printed] == [w for w, _ in expected]
    np.testing.assert_allclose([s for _, s in printed], [s for _, s in expected], atol=6e-5)


def test_similar_prints_the_vectors_nearest_neighbours(trained, kv, capsys):
    assert cli.main(["similar", str(trained["text"]), "king", "-n", "5"]) == 0
    printed = capsys.readouterr().out
    assert [line.split()[0] for line in printed.strip().splitlines()] == ["1", "2", "3", "4", "5"]
    assert_same_answers(rows(printed), kv.most_similar("king", topn=5))


def test_analogy_answers_a_is_to_b_as_c_is_to(trained, kv, capsys):
    """``w2v analogy man king woman``: man is to king as woman is to ? = king - man + woman."""
    assert cli.main(["analogy", str(trained["text"]), "man", "king", "woman", "-n", "3"]) == 0
    answers = rows(capsys.readouterr().out)
    expected = kv.most_similar(positive=["king", "woman"], negative=["man"], topn=3)
    assert_same_answers(answers, expected)
    # the order matters: each other reading of the three words gives other answers here
    for positive, negative in ((["man", "woman"], ["king"]), (["man", "king"], ["woman"])):
        other = kv.most_similar(positive=positive, negative=negative, topn=3)
        assert [w for w, _ in other] != [w for w, _ in expected], (positive, negative)


def test_unknown_word_is_one_line_error(trained, capsys):
    assert cli.main(["similar", str(trained["text"]), "qqqzzzxx"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "qqqzzzxx" in err


def test_eval_prints_the_vectors_three_scores(trained, kv, capsys):
    gensim_utils = pytest.importorskip("gensim.test.utils")
    assert cli.main(["eval", str(trained["text"])]) == 0
    table = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[0] for line in table[1:]] == ["questions-words", "wordsim353", "simlex999"]
    scores = [float(re.search(r"\s(-?\d\.\d{4})(\s|$)", line).group(1)) for line in table[1:]]
    accuracy, sections = kv.evaluate_word_analogies(gensim_utils.datapath("questions-words.txt"),
                                                    restrict_vocab=30000)  # the command's default
    expected = [accuracy] + [kv.evaluate_word_pairs(gensim_utils.datapath(name))[1][0]
                             for name in ("wordsim353.tsv", "simlex999.txt")]
    np.testing.assert_allclose(scores, expected, atol=6e-5)
    questions = len(sections[-1]["correct"]) + len(sections[-1]["incorrect"])
    assert f"{questions} questions" in table[1]


def test_eval_without_gensim_data_asks_for_paths(trained, capsys, monkeypatch):
    monkeypatch.setattr(cli, "gensim_test_file", lambda name: None)
    assert cli.main(["eval", str(trained["text"])]) == 2
    assert "--questions" in capsys.readouterr().err


def test_demo_falls_back_to_bundled_analogies(tiny_corpus, monkeypatch, capsys):
    """The demo must work on a machine without gensim: bundled analogies instead of gensim's file."""
    monkeypatch.setattr(cli, "gensim_test_file", lambda name: None)
    monkeypatch.setattr(w2v, "sample_corpus_path", lambda: str(tiny_corpus))
    assert cli.main(["demo", "--epochs", "1", "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "nearest neighbours of 'king'" in out and "bundled demo analogies" in out


# --------------------------------------------------------------------------- the CLI and files (issue 15)


def test_vectors_format_is_read_from_content_not_name(trained, tmp_path, capsys):
    """``w2v train -output t.bin`` writes text (as word2vec.c does); ``w2v similar t.bin`` reads it."""
    named_bin = tmp_path / "t.bin"
    named_bin.write_bytes(trained["text"].read_bytes())
    assert not cli.is_binary_vectors(str(named_bin))
    assert cli.main(["similar", str(named_bin), "king", "-n", "3"]) == 0
    assert len(rows(capsys.readouterr().out)) == 3


def test_vectors_help_says_format_is_detected_from_content(capsys):
    with pytest.raises(SystemExit):
        cli.main(["similar", "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "detected from the content, not the name" in help_text


def test_similar_takes_several_words(trained, capsys):
    """Several words: neighbours of their sum, as word2vec.c's distance tool answers a phrase."""
    assert cli.main(["similar", str(trained["text"]), "king", "queen", "-n", "5"]) == 0
    neighbours = rows(capsys.readouterr().out)
    expected = w2v.KeyedVectors.load_word2vec_format(str(trained["text"])).most_similar(
        positive=["king", "queen"], topn=5)
    assert [w for w, _ in neighbours] == [w for w, _ in expected]


def test_stray_argument_shows_the_subcommands_usage(trained, capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["analogy", str(trained["text"]), "man", "king", "woman", "queen"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "usage: w2v analogy" in err and "unrecognized arguments: queen" in err


@pytest.mark.parametrize("spelling, dest, value", [
    ("-min_count", "min_count", 3), ("--min_count", "min_count", 3), ("--vector_size=50", "size", 50),
    ("-save_vocab", "save_vocab", "v.txt"), ("-read_vocab", "read_vocab", "v.txt"),
    ("-checkpoint_every", "checkpoint_every", 7),
])
def test_gensim_standalone_underscore_spellings(spelling, dest, value):
    """gensim's word2vec_standalone.py spells -min_count; w2v and word2vec.c -min-count."""
    parser = cli.build_parser()
    flag = [spelling] if "=" in spelling else [spelling, str(value)]
    args = cli.parse_args(parser, ["-train", "c", "-output", "o", *flag])
    assert getattr(args, dest) == value


def test_underscores_only_rewrite_known_options():
    parser = cli.build_parser()
    assert cli.accept_underscores(["similar", "v_1.txt", "new_york", "--", "-min_count"], parser) == \
        ["similar", "v_1.txt", "new_york", "--", "-min_count"]


def test_accuracy_flag_like_gensims_standalone_script(tiny_corpus, trained, tmp_path, capsys):
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nparis france berlin germany\nlondon england paris france\n")
    assert cli.main(["-train", str(tiny_corpus), "-output", str(tmp_path / "v.txt"), "-accuracy",
                     str(questions), "-read_vocab", str(trained["vocab"]), *TRAIN_FLAGS]) == 0
    assert re.search(r"analogy accuracy on .*q\.txt: \d\.\d{4} \(2 questions\)", capsys.readouterr().out)


@pytest.fixture
def corpus_dir(tmp_path):
    """A directory as users have them: texts, a README, a subfolder, a hidden file."""
    root = tmp_path / "texts"
    (root / "more").mkdir(parents=True)
    (root / "a.txt").write_text("alpha beta gamma\n" * 5)
    (root / "README.md").write_text("readme words here\n" * 5)
    (root / ".hidden.txt").write_text("hidden words\n" * 5)
    (root / "more" / "b.txt").write_text("delta epsilon\n" * 5)
    (root / "more" / "notes.md").write_text("markdown notes\n" * 5)
    return root


def trained_words(corpus_dir, tmp_path, *flags):
    out = tmp_path / "v.txt"
    assert cli.main(["train", "-train", str(corpus_dir), "-output", str(out), "-size", "8", "-iter", "1",
                     "-min-count", "1", "-threads", "1", "-debug", "0", *flags]) == 0
    return {line.split()[0] for line in out.read_text().splitlines()[1:]}


def test_directory_corpus_rule_is_said_and_subfolders_are_reported(corpus_dir, tmp_path, capsys):
    words = trained_words(corpus_dir, tmp_path)
    assert words == {"alpha", "beta", "gamma", "readme", "here", "words"}  # top level, README.md too
    err = capsys.readouterr().err
    assert "reading 2 files from directory" in err and "skipped 1 subdirectory (more)" in err
    assert "-recursive" in err


def test_directory_corpus_recursive_with_include_pattern(corpus_dir, tmp_path, capsys):
    words = trained_words(corpus_dir, tmp_path, "-recursive", "-include", "*.txt")
    assert words == {"alpha", "beta", "gamma", "delta", "epsilon"}
    assert "reading 2 files named *.txt" in capsys.readouterr().err


def test_directory_options_on_a_file_are_an_error(tiny_corpus, tmp_path, capsys):
    assert cli.main(["train", "-train", str(tiny_corpus), "-output", str(tmp_path / "v"), "-recursive"]) == 2
    assert "directory" in capsys.readouterr().err


# --------------------------------------------------------------------------- demo


def test_demo_is_reproducible_and_prints_gensims_figure(tiny_corpus, monkeypatch, capsys):
    """Two runs print the same figures (fixed seed, one worker), and gensim's score stands beside."""
    monkeypatch.setattr(w2v, "sample_corpus_path", lambda: str(tiny_corpus))
    outputs = []
    for _ in range(2):
        assert cli.main(["demo", "--epochs", "1", "--quiet"]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1]
    assert "gensim on the same questions, settings and sample (stored reference, 3 epochs): 0." in outputs[0]
    assert "not comparable" in outputs[0]  # 1 epoch here, the reference is for DEMO_EPOCHS


DEMO_IN_A_FRESH_PROCESS = """
import sys
if {block_gensim}:
    sys.modules["gensim"] = None  # as if gensim were not installed: importing it, or finding it, fails
import w2v
from w2v import cli
w2v.sample_corpus_path = lambda: {corpus!r}
sys.exit(cli.main(["demo", "--epochs", "1", "--quiet"]))
"""


def test_demo_prints_the_same_figures_with_or_without_gensim(tiny_corpus):
    """Issue 29: with gensim installed the demo scored gensim's 10k questions, without it the bundled
    ones, and printed one reference beside both. It scores the bundled questions either way now, and
    its reference is gensim's stored figure for exactly those questions."""
    if importlib.util.find_spec("gensim") is None:
        pytest.skip("needs gensim installed, to compare a run that can see it with one that cannot")
    outputs = []
    for block in (True, False):
        proc = subprocess.run([sys.executable, "-c", DEMO_IN_A_FRESH_PROCESS.format(block_gensim=block,
                                                                                   corpus=str(tiny_corpus))],
                              capture_output=True, text=True, timeout=600)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    scores = [line for line in outputs[0].splitlines() if "accuracy" in line or "gensim" in line]
    assert scores[0].startswith("analogy accuracy on the bundled demo analogies (")
    assert "gensim on the same questions" in scores[1] and "stored reference" in scores[1], scores


def test_demo_reference_figures_are_filled_in():
    assert set(cli.GENSIM_DEMO_REFERENCE) == {"skip-gram", "CBOW"}  # for the bundled questions only
    for key, figures in cli.GENSIM_DEMO_REFERENCE.items():
        seed1, low, high = figures
        assert 0 < low <= seed1 <= high < 1, key


def test_accuracy_goes_to_stderr_when_vectors_go_to_stdout(tiny_corpus, trained, tmp_path, capfd):
    questions = tmp_path / "q.txt"
    questions.write_text(": capitals\nparis france berlin germany\n")
    assert cli.main(["-train", str(tiny_corpus), "-output", "-", "-accuracy", str(questions),
                     "-read-vocab", str(trained["vocab"]), *TRAIN_FLAGS]) == 0
    out, err = capfd.readouterr()
    assert "analogy accuracy" not in out and "analogy accuracy on" in err
    assert len(out.splitlines()[-1].split()) == 25  # the last vector row: word + 24 numbers
