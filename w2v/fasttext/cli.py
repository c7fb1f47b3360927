"""fastText's command line: ``skipgram``/``cbow`` to train, ``print-word-vectors`` to query.

    python -m w2v.fasttext skipgram -input data.txt -output model -dim 100 -epoch 5
    echo "king kingz" | python -m w2v.fasttext print-word-vectors model.bin

The verbs, flags and defaults are fastText's own (``-lr 0.05``, ``-t 1e-4``, ``-minCount 5``, ...),
not gensim's, so a fastText command line gives the model fastText would train. Training writes
``OUTPUT.bin`` (Facebook's model format, readable by fastText and gensim) and ``OUTPUT.vec``
(the vocabulary's vectors as word2vec text). ``print-word-vectors`` prints a vector for every word
read from standard input, unseen words included, as fastText does. Exit status: 0 done, 1 an error
while running (a file that cannot be read), 2 a wrong command line.
"""
from __future__ import annotations

import logging
import sys

import numpy as np

from ..params import available_cores
from .facebook import FacebookFormatError, load_facebook_model, save_facebook_model
from .model import FastText

EXIT_OK, EXIT_ERROR, EXIT_USAGE = 0, 1, 2
TRAIN_VERBS = ("skipgram", "cbow")

#: flag -> (converter, fastText's default); -input and -output are required
FLAGS = {
    "-input": (str, None), "-output": (str, None), "-dim": (int, 100), "-ws": (int, 5), "-epoch": (int, 5),
    "-minCount": (int, 5), "-minn": (int, 3), "-maxn": (int, 6), "-neg": (int, 5), "-loss": (str, "ns"),
    "-thread": (int, 12), "-lr": (float, 0.05), "-bucket": (int, 2000000), "-t": (float, 1e-4),
    "-wordNgrams": (int, 1), "-lrUpdateRate": (int, 100), "-verbose": (int, 2),
}

USAGE = """usage: python -m w2v.fasttext <command> <args>

The commands supported by w2v's fastText are:

  skipgram              train a skipgram model
  cbow                  train a cbow model
  print-word-vectors    print word vectors given a trained model (words read from stdin)

Training flags (fastText's defaults):
  -input          training file path (required)
  -output         output file path, without extension (required): OUTPUT.bin and OUTPUT.vec
  -dim            size of word vectors [100]
  -ws             size of the context window [5]
  -epoch          number of epochs [5]
  -minCount       minimal number of word occurrences [5]
  -minn           min length of char ngram [3]
  -maxn           max length of char ngram [6]
  -neg            number of negatives sampled [5]
  -loss           loss function {ns, hs} [ns]
  -thread         number of threads [12, at most the cores available]
  -lr             learning rate [0.05]
  -bucket         number of buckets [2000000]
  -t              sampling threshold [0.0001]
  -wordNgrams     max length of word ngram (only 1) [1]
  -lrUpdateRate   accepted, no effect [100]
  -verbose        0: quiet, 1: summary, 2: progress [2]
"""


class UsageError(Exception):
    """A wrong command line: the message is printed with the usage hint, exit status 2."""


def parse_flags(args: list[str]) -> dict:
    """fastText's ``-name value`` pairs, converted and checked; unknown flags are errors."""
    values = {name: default for name, (_, default) in FLAGS.items()}
    i = 0
    while i < len(args):
        name = args[i]
        if name not in FLAGS:
            raise UsageError(f"unknown argument: {name}")
        if i + 1 >= len(args):
            raise UsageError(f"{name} needs a value")
        convert = FLAGS[name][0]
        try:
            values[name] = convert(args[i + 1])
        except ValueError:
            raise UsageError(f"{name} expects {convert.__name__ if convert is not str else 'a string'}, "
                             f"got {args[i + 1]!r}") from None
        i += 2
    for name in ("-input", "-output"):
        if not values[name]:
            raise UsageError(f"{name} is required")
    if values["-loss"] == "softmax":
        raise UsageError("-loss softmax is not supported by w2v's fastText: use -loss ns or -loss hs")
    if values["-loss"] not in ("ns", "hs"):
        raise UsageError(f"-loss must be ns or hs, got {values['-loss']!r}")
    if values["-wordNgrams"] != 1:
        raise UsageError("-wordNgrams other than 1 is not supported (word n-grams are for supervised models)")
    return values


def train(verb: str, args: list[str]) -> int:
    flags = parse_flags(args)
    hs = flags["-loss"] == "hs"
    verbose = flags["-verbose"]
    try:
        model = FastText(corpus_file=flags["-input"], sg=int(verb == "skipgram"), hs=int(hs),
                         negative=0 if hs else flags["-neg"], vector_size=flags["-dim"], window=flags["-ws"],
                         epochs=flags["-epoch"], min_count=flags["-minCount"], min_n=flags["-minn"],
                         max_n=flags["-maxn"], workers=max(1, min(flags["-thread"], available_cores())),
                         alpha=flags["-lr"], min_alpha=0.0, bucket=flags["-bucket"], sample=flags["-t"],
                         progress=True if verbose >= 2 else False)
    except (TypeError, ValueError) as e:
        raise UsageError(str(e)) from None
    output = flags["-output"]
    save_facebook_model(model, output + ".bin")
    model.wv.save_word2vec_format(output + ".vec")
    if verbose:
        print(f"Number of words:  {len(model.wv)}\nwrote {output}.bin and {output}.vec", file=sys.stderr)
    return EXIT_OK


def print_word_vectors(args: list[str], stdin, stdout) -> int:
    if len(args) != 1:
        raise UsageError("usage: print-word-vectors <model.bin> (words are read from stdin)")
    wv = load_facebook_model(args[0]).wv
    zero = np.zeros(wv.vector_size, np.float32)
    for line in stdin:
        for word in line.split():
            try:
                vec = wv[word]
            except KeyError:  # no n-grams (bucket 0): fastText prints the zero vector
                vec = zero
            stdout.write(word + " " + " ".join(f"{x:.5g}" for x in vec.tolist()) + " \n")
    stdout.flush()
    return EXIT_OK


def main(argv: list[str], stdin=None, stdout=None) -> int:
    """Run one fastText command; return its exit status (see the module docstring)."""
    stdin = sys.stdin if stdin is None else stdin
    stdout = sys.stdout if stdout is None else stdout
    if not argv or argv[0] in ("-h", "--help", "help"):
        print(USAGE, file=stdout if argv else sys.stderr)
        return EXIT_OK if argv else EXIT_USAGE
    verb, rest = argv[0], list(argv[1:])
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(message)s")
    try:
        if verb in TRAIN_VERBS:
            return train(verb, rest)
        if verb == "print-word-vectors":
            return print_word_vectors(rest, stdin, stdout)
        raise UsageError(f"unknown command: {verb!r} (supervised, quantize, test, predict and the other "
                         "fastText commands are not supported)")
    except UsageError as e:
        print(f"w2v fasttext: error: {e}\n(python -m w2v.fasttext -h for the commands and flags)", file=sys.stderr)
        return EXIT_USAGE
    except (OSError, FacebookFormatError, NotImplementedError) as e:
        print(f"w2v fasttext: error: {e}", file=sys.stderr)
        return EXIT_ERROR
