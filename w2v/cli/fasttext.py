"""``w2v fasttext ...``: fastText's own verbs and flags, handed to :func:`w2v.fasttext.cli.main` unparsed.

fastText's command line (``skipgram``/``cbow``, ``-input -output -dim -minn -maxn ...``) is not
word2vec.c's, so :func:`w2v.cli.main` passes everything after ``fasttext`` on as it was typed (no
underscore rewriting, no argparse); the parser registered here only lists the command in ``w2v --help``.
"""
from __future__ import annotations

import argparse
import sys

from .common import EXIT_USAGE

COMMAND = "fasttext"


def add_fasttext_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser(COMMAND, help="train fastText vectors (fastText's verbs and flags: skipgram, cbow, ...)",
                       add_help=False, description="fastText's command line; everything after 'fasttext' is "
                                                   "passed on as typed ('w2v fasttext -h' for its help).")
    p.add_argument("arguments", nargs=argparse.REMAINDER, help="fastText's verb and flags")
    p.set_defaults(func=lambda args: run_fasttext(args.arguments))
    return p


def run_fasttext(argv: list[str]) -> int:
    """``w2v.fasttext.cli.main(argv)``'s exit code; 2 with one error line when that module is missing."""
    try:
        from ..fasttext import cli as fasttext_cli
    except ImportError as exc:
        print(f"w2v: error: the fasttext command is not available: w2v.fasttext cannot be imported ({exc})",
              file=sys.stderr)
        return EXIT_USAGE
    return fasttext_cli.main(list(argv))
