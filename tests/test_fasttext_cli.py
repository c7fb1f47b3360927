"""python -m w2v.fasttext: fastText's verbs and flags, OUTPUT.bin/.vec, print-word-vectors."""
import io
import subprocess
import sys

import numpy as np
import pytest

import w2v
from w2v.fasttext import cli, load_facebook_model
from w2v.fasttext.hashing import ft_ngram_hashes

from conftest import sample_words


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    path = tmp_path_factory.mktemp("ftcli") / "corpus.txt"
    words = sample_words(60_000)
    path.write_text("\n".join(" ".join(words[i:i + 100]) for i in range(0, len(words), 100)) + "\n")
    return path


@pytest.mark.parametrize("verb,loss", [("skipgram", "ns"), ("cbow", "hs")])
def test_training_writes_bin_and_vec(corpus, tmp_path, verb, loss):
    out = tmp_path / "model"
    rc = cli.main([verb, "-input", str(corpus), "-output", str(out), "-dim", "16", "-epoch", "1", "-minCount", "3",
                   "-bucket", "5000", "-thread", "2", "-loss", loss, "-minn", "2", "-maxn", "4", "-verbose", "0"])
    assert rc == 0
    model = load_facebook_model(str(out) + ".bin")
    assert (model.sg, model.hs, model.wv.min_n, model.wv.max_n, model.wv.bucket) == \
        (int(verb == "skipgram"), int(loss == "hs"), 2, 4, 5000)
    vec = w2v.KeyedVectors.load_word2vec_format(str(out) + ".vec")
    assert len(vec) == len(model.wv) and vec.vector_size == 16
    np.testing.assert_allclose(vec["the"], model.wv["the"], atol=1e-5)


def test_print_word_vectors_includes_unseen_words(corpus, tmp_path):
    out = tmp_path / "m"
    assert cli.main(["skipgram", "-input", str(corpus), "-output", str(out), "-dim", "8", "-epoch", "1",
                     "-bucket", "1000", "-verbose", "0"]) == 0
    stdout = io.StringIO()
    assert cli.main(["print-word-vectors", str(out) + ".bin"], stdin=io.StringIO("the\nzzqqx the\n"),
                    stdout=stdout) == 0
    lines = stdout.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["the", "zzqqx", "the"]
    model = load_facebook_model(str(out) + ".bin")
    unseen = np.array(lines[1].split()[1:], dtype=np.float32)
    expected = model.wv.vectors_ngrams[ft_ngram_hashes("zzqqx", 3, 6, 1000)].mean(axis=0)
    np.testing.assert_allclose(unseen, expected, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("argv,message", [
    (["skipgram", "-input", "x", "-output", "y", "-loss", "softmax"], "softmax is not supported"),
    (["skipgram", "-input", "x"], "-output is required"),
    (["skipgram", "-input", "x", "-output", "y", "-dim", "ten"], "-dim expects int"),
    (["skipgram", "-input", "x", "-output", "y", "-foo", "1"], "unknown argument: -foo"),
    (["skipgram", "-input", "/no/such/file", "-output", "y"], "/no/such/file"),
    (["supervised", "-input", "x", "-output", "y"], "unknown command"),
    (["skipgram", "-input", "x", "-output", "y", "-wordNgrams", "2"], "wordNgrams"),
])
def test_bad_command_lines_exit_2_with_a_message(argv, message, capsys):
    assert cli.main(argv) == 2
    assert message in capsys.readouterr().err


def test_damaged_model_is_exit_1_naming_it(tmp_path, capsys):
    bad = tmp_path / "bad.bin"
    bad.write_bytes(b"\x00" * 10)
    assert cli.main(["print-word-vectors", str(bad)], stdin=io.StringIO("a\n")) == 1
    assert "bad.bin" in capsys.readouterr().err


def test_runs_as_a_module():
    proc = subprocess.run([sys.executable, "-m", "w2v.fasttext", "-h"], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0 and "print-word-vectors" in proc.stdout
