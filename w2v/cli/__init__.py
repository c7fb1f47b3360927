"""The ``w2v`` command: ``train`` (word2vec.c's flags), ``resume``, ``similar``, ``analogy``, ``eval``,
``phrase`` (word2phrase.c), ``cache``, ``demo`` and ``fasttext``.

``w2v train`` accepts word2vec.c's single-dash flags with word2vec.c's defaults, so an existing
``./word2vec -train ... -output ...`` line works by replacing ``./word2vec`` with ``w2v train`` (or
just ``w2v``: a command line that starts with a flag is taken as ``train``). GNU-style long options
with gensim's names (``--vector-size``, ``--sg``, ``--epochs``, ``--workers``) are accepted too, and
so are the underscore spellings of gensim's ``word2vec_standalone.py`` script (``-min_count``,
``--vector_size``, ...).

Each sub-command lives in its own module with the ``add_<name>_command`` function that registers its
parser; :data:`COMMANDS` lists them, so a new sub-command is one new module and one new entry there.
This module assembles the parser and runs a command line (:func:`main`, the console script).

Errors a user can cause (a missing file, a bad value) are printed as one ``w2v: error: ...`` line with
exit code 2, never as a traceback.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..params import available_cores
from .cache import add_cache_command
from .checkpoints import partial_path
from .common import EXIT_USAGE, CliError, compiles_announced, gensim_test_file, is_binary_vectors
from .demo import (DEMO_ANALOGIES, DEMO_EPOCHS, DEMO_RESTRICT_VOCAB, DEMO_SEED, DEMO_SETTINGS, GENSIM_DEMO_REFERENCE,
                   add_demo_command)
from .fasttext import COMMAND as FASTTEXT, add_fasttext_command, run_fasttext
from .phrase import add_phrase_command
from .queries import add_analogy_command, add_eval_command, add_similar_command
from .resume import add_resume_command
from .train import add_train_command, train_config

__all__ = ["main", "build_parser", "parse_args", "accept_underscores", "normalize_argv", "COMMANDS",
           "CliError", "available_cores", "train_config", "is_binary_vectors", "partial_path", "gensim_test_file",
           "DEMO_ANALOGIES", "DEMO_EPOCHS", "DEMO_RESTRICT_VOCAB", "DEMO_SEED", "DEMO_SETTINGS",
           "GENSIM_DEMO_REFERENCE"]


def add_eval_with_test_data(sub) -> argparse.ArgumentParser:
    """``eval``, finding gensim's test sets through this module's :func:`gensim_test_file` (looked up
    when the parser is built, so replacing ``w2v.cli.gensim_test_file`` changes where they are found)."""
    return add_eval_command(sub, gensim_test_file)


#: sub-command name -> the function that adds its parser (and sets ``func``), in help order
COMMANDS: dict[str, Callable[..., argparse.ArgumentParser]] = {
    "train": add_train_command,
    "resume": add_resume_command,
    "similar": add_similar_command,
    "analogy": add_analogy_command,
    "eval": add_eval_with_test_data,
    "phrase": add_phrase_command,
    "cache": add_cache_command,
    "demo": add_demo_command,
    FASTTEXT: add_fasttext_command,
}




def build_parser() -> argparse.ArgumentParser:
    """One sub-parser per command (see :data:`COMMANDS`); options are declared explicitly so no
    abbreviation guessing applies. ``parser.commands`` maps each name to its sub-parser."""
    from .. import __version__

    parser = argparse.ArgumentParser(prog="w2v", description="Train and query word2vec vectors.",
                                     allow_abbrev=False)
    parser.add_argument("--version", action="version", version=f"w2v {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    parser.commands = {name: add(sub) for name, add in COMMANDS.items()}
    return parser


def normalize_argv(argv: list[str]) -> list[str]:
    """word2vec.c command lines have no sub-command: ``w2v -train x -output y`` means ``w2v train ...``."""
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version"):
        return ["train", *argv]
    return argv


def accept_underscores(argv: list[str], parser: argparse.ArgumentParser) -> list[str]:
    """gensim's ``word2vec_standalone.py`` spells ``-min_count``; word2vec.c and w2v ``-min-count``.

    Any option written with underscores whose hyphenated form is an option of some sub-command
    is rewritten to that form (``-min_count 3``, ``--vector_size=50``); everything else, and all
    arguments after ``--``, pass through untouched.
    """
    known = {option for p in parser.commands.values() for action in p._actions for option in action.option_strings}
    out = []
    for i, arg in enumerate(argv):
        if arg == "--":
            return out + argv[i:]
        name, eq, value = arg.partition("=")
        if arg.startswith("-") and "_" in name:
            dashes = len(name) - len(name.lstrip("-"))
            hyphenated = name[:dashes] + name[dashes:].replace("_", "-")
            if hyphenated in known:
                arg = hyphenated + eq + value
        out.append(arg)
    return out


def parse_args(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse a command line as typed: word2vec.c's form without a sub-command and gensim's
    underscore spellings are accepted, and a stray argument is reported with the *sub-command's*
    usage (argparse shows the top-level ``w2v COMMAND ...``, which does not say what ``similar``
    takes)."""
    argv = accept_underscores(normalize_argv(argv), parser)
    args, extras = parser.parse_known_args(argv)
    if extras:
        sub = parser.commands.get(args.command, parser)
        sub.error(f"unrecognized arguments: {' '.join(extras)}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Console-script entry point; returns the process exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == [FASTTEXT]:  # fastText's own flags: passed on as typed, never parsed here
        return run_command(lambda: run_fasttext(argv[1:]))
    parser = build_parser()
    args = parse_args(parser, argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE

    def announced() -> int:
        with compiles_announced(args):
            return args.func(args)

    return run_command(announced)


def run_command(command: Callable[[], int]) -> int:
    """``command()``'s exit code; a user's error is one ``w2v: error: ...`` line and exit code 2,
    Ctrl-C exit code 130."""
    try:
        return command()
    except (CliError, ValueError, TypeError, OSError, KeyError, FloatingPointError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"w2v: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("w2v: interrupted", file=sys.stderr)
        return 130
