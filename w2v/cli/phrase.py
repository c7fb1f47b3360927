"""``w2v phrase``: word2phrase.c file to file, with its flags, defaults, scoring and output."""
from __future__ import annotations

import argparse

from .common import check_readable, check_writable_dir, compiles_announced, log


def add_phrase_command(sub) -> argparse.ArgumentParser:
    """``w2v phrase``: word2phrase.c's flags and defaults."""
    p = sub.add_parser("phrase", help="join frequent word pairs like word2phrase (new york -> new_york)",
                       allow_abbrev=False,
                       description="Learn bigrams from a text file and write it with them joined by '_' "
                                   "(word2phrase.c's flags, defaults, scoring and output). Run it twice "
                                   "for trigrams.")
    p.add_argument("-train", "--train", metavar="FILE", required=True, help="text to learn phrases from")
    p.add_argument("-output", "--output", metavar="FILE", required=True, help="where to write the phrased text")
    p.add_argument("-min-count", "--min-count", type=int, default=5, metavar="N",
                   help="ignore words and pairs seen fewer than N times (default 5)")
    p.add_argument("-threshold", "--threshold", type=float, default=100.0, metavar="F",
                   help="score a pair needs to be joined; higher means fewer phrases (default 100)")
    p.add_argument("-debug", "--debug", type=int, default=2, metavar="N", help="0 prints nothing (default 2)")
    p.set_defaults(func=cmd_phrase)
    return p


def cmd_phrase(args: argparse.Namespace) -> int:
    check_readable(args.train, "training file")
    check_writable_dir(args.output, "phrased text")
    from ..word2phrase import word2phrase

    if args.debug > 0:
        log(f"Starting training using file {args.train}")
    with compiles_announced(args):  # the compile time is said before the summary
        stats = word2phrase(args.train, args.output, args.min_count, args.threshold, args.debug, log=log)
    if args.debug > 0:
        log(f"w2v: joined {stats['joined']} pairs of {stats['train_words']} words into {args.output} "
            f"in {stats['seconds']:.1f}s")
    return 0
