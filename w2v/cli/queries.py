"""``w2v similar``, ``w2v analogy`` and ``w2v eval``: questions asked of a vectors file.

Vectors files are read as text or binary by their content, never by their name: ``w2v train
-output vectors.bin`` writes text unless ``-binary 1`` is given, as word2vec.c does.
"""
from __future__ import annotations

import argparse
import functools
from collections.abc import Callable
from pathlib import Path

from .common import (CliError, analogy_count, check_readable, gensim_test_file, load_vectors, print_neighbours,
                     require_words)

EVAL_SETS = {  # --flag: (gensim test-data file name, label)
    "questions": ("questions-words.txt", "questions-words"),
    "wordsim": ("wordsim353.tsv", "wordsim353"),
    "simlex": ("simlex999.txt", "simlex999"),
}


def add_vectors_arguments(p: argparse.ArgumentParser) -> None:
    """Shared by the query commands: the vectors file and how to read it."""
    p.add_argument("vectors", metavar="VECTORS",
                   help="word2vec-format vectors, text or binary: detected from the content, not the "
                        "name (word2vec.c and w2v train write text to vectors.bin unless -binary 1)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--binary", dest="binary", action="store_const", const=True, default=None,
                     help="the file is binary (default: detect from the content)")
    fmt.add_argument("--text", dest="binary", action="store_const", const=False, help="the file is text")


def add_similar_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("similar", help="nearest neighbours of a word (or of several words' sum)",
                       allow_abbrev=False,
                       description="Nearest neighbours by cosine similarity. Several words: neighbours "
                                   "of their sum, as word2vec.c's distance tool answers a phrase.")
    add_vectors_arguments(p)
    p.add_argument("words", metavar="WORD", nargs="+", help="one word, or several (their sum is the query)")
    p.add_argument("-n", type=int, default=10, help="how many neighbours (default 10)")
    p.set_defaults(func=cmd_similar)
    return p


def cmd_similar(args: argparse.Namespace) -> int:
    """Nearest neighbours by cosine similarity of one word, or of the sum of several (their unit
    vectors added, as word2vec.c's ``distance`` and gensim's ``most_similar(positive=...)`` do)."""
    wv = load_vectors(args.vectors, args.binary)
    require_words(wv, args.words)
    print_neighbours(wv.most_similar(positive=list(args.words), topn=args.n))
    return 0


def add_analogy_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("analogy", help="A is to B as C is to ?", allow_abbrev=False)
    add_vectors_arguments(p)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("-n", type=int, default=10, help="how many answers (default 10)")
    p.set_defaults(func=cmd_analogy)
    return p


def cmd_analogy(args: argparse.Namespace) -> int:
    """A is to B as C is to ?, answered by 3CosAdd: B - A + C."""
    wv = load_vectors(args.vectors, args.binary)
    require_words(wv, [args.a, args.b, args.c])
    print_neighbours(wv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.n))
    return 0


def add_eval_command(sub, find_test_file: Callable[[str], str | None] = gensim_test_file
                     ) -> argparse.ArgumentParser:
    """``find_test_file(name)``: where a test set is found when its flag is not given (gensim's
    bundled copy by default; :func:`w2v.cli.build_parser` passes the one :mod:`w2v.cli` names)."""
    p = sub.add_parser("eval", help="analogy, wordsim353 and simlex999 scores", allow_abbrev=False)
    add_vectors_arguments(p)
    for key, (name, _label) in EVAL_SETS.items():
        p.add_argument(f"--{key}", metavar="PATH", help=f"{name} (default: gensim's copy, if installed)")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="analogies use only the most frequent N words (default 30000)")
    p.set_defaults(func=functools.partial(cmd_eval, find_test_file=find_test_file))
    return p


def cmd_eval(args: argparse.Namespace, find_test_file: Callable[[str], str | None] = gensim_test_file) -> int:
    """Analogy accuracy and word-similarity correlations in one table."""
    paths = {key: eval_file(args, key, find_test_file) for key in EVAL_SETS}
    wv = load_vectors(args.vectors, args.binary)
    rows = evaluate(wv, paths["questions"], paths["wordsim"], paths["simlex"], args.restrict_vocab)
    print(format_table(rows))
    return 0


def eval_file(args: argparse.Namespace, key: str,
              find_test_file: Callable[[str], str | None] = gensim_test_file) -> str:
    """The evaluation file for ``--<key>``, defaulting to gensim's copy when gensim is installed."""
    name, label = EVAL_SETS[key]
    path = getattr(args, key) or find_test_file(name)
    if path is None:
        raise CliError(f"no {label} file: pass --{key} PATH (gensim's test data has {name}; "
                       "it is used automatically when gensim is installed)")
    check_readable(path, f"{label} file")
    return path


def evaluate(wv, questions: str | None, wordsim: str | None, simlex: str | None, restrict_vocab: int):
    """Score vectors on the given test sets; returns ``(label, metric, score, note)`` rows."""
    rows = []
    if questions:
        accuracy, sections = wv.evaluate_word_analogies(questions, restrict_vocab=restrict_vocab)
        rows.append((Path(questions).stem, f"accuracy, top {restrict_vocab} words", accuracy,
                     analogy_count(sections)))
    for path in (wordsim, simlex):
        if path:
            _pearson, spearman, oov = wv.evaluate_word_pairs(path)
            rows.append((Path(path).stem, "Spearman rho", _stat(spearman), f"{float(oov):.1f}% pairs OOV"))
    return rows


def _stat(value) -> float:
    """gensim-style results are ``(statistic, pvalue)`` pairs; accept a bare number too."""
    try:
        return float(value[0])
    except (TypeError, IndexError):
        return float(value)


def format_table(rows) -> str:
    """A plain aligned table, readable in a terminal and pasteable into markdown."""
    lines = [f"{'test set':<18} {'metric':<28} {'score':>7}  note"]
    lines += [f"{label:<18} {metric:<28} {score:>7.4f}  {note}" for label, metric, score, note in rows]
    return "\n".join(lines)
