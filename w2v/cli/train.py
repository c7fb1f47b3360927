"""``w2v train``: word2vec.c's flags and defaults, on one process or a Dask cluster.

``w2v train`` accepts word2vec.c's single-dash flags with word2vec.c's defaults (CBOW, alpha 0.05 for
CBOW and 0.025 for skip-gram, ...), so an existing ``./word2vec -train ... -output ...`` line works by
replacing ``./word2vec`` with ``w2v train``. GNU-style long options with gensim's names
(``--vector-size``, ``--sg``, ``--epochs``, ``--workers``) are accepted too. Every path is checked
before the corpus is read, so a typo does not cost a training run.
"""
from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
import time

from ..fileutil import check_writable
from ..params import KERNELS, available_cores
from .checkpoints import checkpoint_path, finish_interrupted, make_checkpointer, output_notes, remove_checkpoint
from .cluster import dask_client
from .common import STDOUT, CliError, check_readable, compiles_announced, log
from .outputs import TrainingClock, check_classes, trained_message, write_outputs


def add_train_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train vectors (word2vec.c's flags)", allow_abbrev=False,
                       description="Train word vectors. Accepts word2vec.c's flags and defaults, and the "
                                   "underscore spellings of gensim's word2vec_standalone.py (-min_count).")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)
    return p


def add_train_arguments(p: argparse.ArgumentParser) -> None:
    """word2vec.c's flags and defaults; ``None`` defaults are resolved in :func:`train_config`."""
    io = p.add_argument_group("input and output (word2vec.c flags)")
    io.add_argument("-train", "--train", metavar="FILE", required=True,
                    help="training text: a file or a directory; gzip, bzip2 and xz files are "
                         "decompressed (recognised by content, whatever their suffix). A directory "
                         "means every regular file directly in it, in name order (README.md too), "
                         "skipping hidden names and subdirectories; see -recursive and -include")
    io.add_argument("-recursive", "--recursive", action="store_true",
                    help="a directory -train also reads its subdirectories (hidden ones skipped)")
    io.add_argument("-include", "--include", metavar="GLOB", action="append",
                    help="a directory -train reads only files whose name matches GLOB (e.g. '*.txt'; "
                         "repeat for several)")
    io.add_argument("-output", "--output", metavar="FILE", required=True,
                    help="where to write the word vectors ('-' = stdout), text unless -binary 1 "
                         "whatever the name, as word2vec.c does; written only when training "
                         "completes (after Ctrl-C the vectors so far go to FILE.partial)")
    io.add_argument("-binary", "--binary", type=int, choices=(0, 1), nargs="?", const=1, default=0,
                    help="1 writes word2vec.c's binary format (default 0: text)")
    io.add_argument("-accuracy", "--accuracy", metavar="FILE",
                    help="after training, print the analogy accuracy on FILE (questions-words format), "
                         "as gensim's word2vec_standalone.py does")
    io.add_argument("-save-vocab", "--save-vocab", metavar="FILE",
                    help="also write the vocabulary ('word count' lines)")
    io.add_argument("-read-vocab", "--read-vocab", metavar="FILE",
                    help="use this vocabulary ('word count' lines) instead of counting the corpus")
    io.add_argument("-checkpoint", "--checkpoint", metavar="FILE",
                    help="save the training state here at each epoch end (w2v.resume(FILE) continues it); "
                         "default: OUTPUT.partial.ckpt beside -output, removed when training completes; "
                         "0 = none")
    io.add_argument("-errors", "--errors", choices=("strict", "replace", "ignore"), default="strict",
                    help="bytes that are not UTF-8 in the corpus: strict = stop with the file and line "
                         "(default), replace = read them as U+FFFD, ignore = drop them")
    io.add_argument("-cache", "--cache", metavar="SIZE", default=None,
                    help="the disk cache of corpus scans: 0 = off, 1 = on (default), or a size cap "
                         "such as 500M or 4G (default 2G or $W2V_CACHE_MAX); see 'w2v cache info'")
    io.add_argument("--no-cache", dest="cache", action="store_const", const="0",
                    help="same as -cache 0")
    io.add_argument("-spill-dir", "--spill-dir", dest="spill_dir", metavar="DIR", default=None,
                    help="where the corpus's ids go once they pass 8M words, so memory does not grow with "
                         "the corpus (default: $TMPDIR or /tmp; the files have no name and vanish with the run)")
    io.add_argument("-checkpoint-every", "--checkpoint-every", type=int, metavar="N",
                    help="also checkpoint every N corpus words (needs -checkpoint)")
    m = p.add_argument_group("model (word2vec.c flags; gensim's names also accepted)")
    m.add_argument("-cbow", "--cbow", type=int, choices=(0, 1), default=None,
                   help="1 = CBOW (default), 0 = skip-gram")
    m.add_argument("--sg", type=int, choices=(0, 1), default=None,
                   help="gensim's switch: 1 = skip-gram, 0 = CBOW")
    m.add_argument("-size", "--size", "--vector-size", dest="size", type=int, default=100, metavar="N",
                   help="vector dimensions (default 100)")
    m.add_argument("-window", "--window", type=int, default=5, metavar="N",
                   help="max context distance (default 5)")
    m.add_argument("-negative", "--negative", type=int, default=5, metavar="N",
                   help="negative samples per word, 0 = none (default 5)")
    m.add_argument("-hs", "--hs", type=int, choices=(0, 1), default=0,
                   help="1 = hierarchical softmax (default 0)")
    m.add_argument("-sample", "--sample", type=float, default=1e-3, metavar="F",
                   help="down-sampling threshold for frequent words (default 1e-3)")
    m.add_argument("-min-count", "--min-count", type=int, default=5, metavar="N",
                   help="drop words rarer than this (default 5)")
    m.add_argument("-alpha", "--alpha", type=float, default=None, metavar="F",
                   help="starting learning rate (default 0.05 for CBOW, 0.025 for skip-gram)")
    m.add_argument("-iter", "--iter", "--epochs", dest="iter", type=int, default=5, metavar="N",
                   help="passes over the corpus (default 5)")
    m.add_argument("-classes", "--classes", type=int, default=0, metavar="K",
                   help="write K k-means word classes ('word class' lines) to -output instead of vectors "
                        "(default 0: vectors)")
    r = p.add_argument_group("running")
    r.add_argument("-threads", "--threads", "--workers", dest="threads", type=int, default=None, metavar="N",
                   help=f"worker threads (default: the cores available, here {available_cores()})")
    r.add_argument("-debug", "--debug", type=int, default=2, metavar="N",
                   help="0 hides the progress (default 2: a bar on a terminal, a line per 10%% of "
                        "the run when stderr is a file or a pipe; 3: on a Dask cluster, also its settings and "
                        "a line per round)")
    r.add_argument("--quiet", "-q", action="store_true", help="no progress display (same as -debug 0)")
    r.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    r.add_argument("--kernel", choices=KERNELS, default="auto",
                   help="skip-gram update: exact = word2vec.c's per-pair negatives, shared = one draw of "
                        "negatives per centre word (what auto uses), batched = HogBatch")
    d = p.add_argument_group("Dask cluster (pip install 'w2v[dask]'; -train may then be a glob or "
                             "directory of shards, one or more per worker)")
    d.add_argument("-scheduler", "--scheduler", metavar="ADDR", default=None,
                   help="train on the Dask cluster at this scheduler address (tcp://host:8786)")
    d.add_argument("-dask-workers", "--dask-workers", dest="dask_workers", type=int, default=None, metavar="N",
                   help="train on a local Dask cluster of N worker processes (-threads threads each, default 1)")
    d.add_argument("-round-words", "--round-words", dest="round_words", default="auto", metavar="N|auto|epoch",
                   help="words each worker trains between merges (auto: 500,000 for the whole cluster, with "
                        "shorter rounds while the vectors grow; epoch: one merge per epoch)")
    d.add_argument("-merge", "--merge", default="auto", metavar="RULE",
                   help="how the workers' changes combine: sum, mean, weighted, sqrt, damped, saturating "
                        "(auto: sum up to 2 workers, damped beyond)")
    d.add_argument("-reduce", "--reduce", default="auto", choices=("auto", "tree", "star"),
                   help="who merges a round's changes: the workers pairwise (tree), the driver (star); "
                        "auto: the star up to 2 workers, the tree beyond")


def train_config(args: argparse.Namespace) -> dict:
    """Turn parsed flags into ``w2v.train`` keyword arguments, applying word2vec.c's defaults."""
    if args.classes < 0:
        raise CliError(f"-classes must be a number of word classes >= 1 (0 writes vectors), got {args.classes}")
    if args.sg is not None and args.cbow is not None and args.sg == args.cbow:
        raise CliError(f"-cbow {args.cbow} contradicts --sg {args.sg}")
    sg = args.sg if args.sg is not None else (0 if args.cbow is None else 1 - args.cbow)
    return dict(
        sg=sg, vector_size=args.size, window=args.window, negative=args.negative, hs=args.hs,
        sample=args.sample, min_count=args.min_count, epochs=args.iter,
        alpha=args.alpha if args.alpha is not None else (0.025 if sg else 0.05),
        workers=args.threads or available_cores(), seed=args.seed, kernel=args.kernel,
        progress=not args.quiet and args.debug > 0, errors=args.errors,
    )


def cmd_train(args: argparse.Namespace) -> int:
    """Train like word2vec.c: check every path first, train, write vectors (and vocabulary).

    The output is written only when training completes; after Ctrl-C an existing output is left
    as it was and the vectors so far go beside it (see :func:`finish_interrupted`).
    """
    config = train_config(args)
    if args.scheduler is not None or args.dask_workers is not None:
        return cmd_train_on_cluster(args, config)
    cluster_only = [flag for flag, value, default in (("-round-words", args.round_words, "auto"),
                                                      ("-merge", args.merge, "auto"), ("-reduce", args.reduce, "auto"))
                    if value != default]
    if cluster_only:
        raise CliError(f"{', '.join(cluster_only)} appl{'ies' if len(cluster_only) == 1 else 'y'} to training on a "
                       "Dask cluster (-scheduler or -dask-workers)")
    check_readable(args.train, "training file")
    output = STDOUT if args.output == "-" else args.output
    streamed = check_writable(output, "vectors") in ("fd", "stream")
    if args.save_vocab:
        check_writable(args.save_vocab, "vocabulary")
    checkpoint, own_checkpoint = checkpoint_path(args, output, streamed)
    if checkpoint:
        check_writable(checkpoint, "checkpoint")
    if args.accuracy:
        check_readable(args.accuracy, "questions file")
    cache = cache_setting(args.cache)
    import w2v

    vocab = None
    if args.read_vocab:
        check_readable(args.read_vocab, "vocabulary file")
        vocab = w2v.Vocabulary.read_word2vec_vocab(args.read_vocab)
    log(f"w2v: training {'skip-gram' if config['sg'] else 'CBOW'} on {args.train} "
        f"({', '.join(f'{k}={v}' for k, v in config.items() if k != 'progress')})")
    checkpointer = make_checkpointer(checkpoint, args.checkpoint_every, own_checkpoint,
                                     output_notes(args, output, own_checkpoint))
    model = w2v.Word2Vec(cache_dir=cache, spill_dir=args.spill_dir,
                         **{"compute_loss": True, **config})  # w2v.train's default
    model.build_vocab(train_corpus(args), vocab=vocab)
    check_classes(args.classes, len(model.wv))  # before training: k-means needs k <= vocabulary size
    planned = model.encoded_corpus.n_words * config["epochs"]
    clock, started_at = TrainingClock(), time.time()
    model.train(total_words=model.corpus_total_words, epochs=model.epochs, compute_loss=model.compute_loss,
                checkpoint=checkpointer, callbacks=[clock])
    log(trained_message(model, config["epochs"], planned, clock))
    if model.interrupted:
        return finish_interrupted(model, args, output, streamed, checkpoint, started_at)
    write_outputs(model, args, output)
    if own_checkpoint:
        remove_checkpoint(checkpoint)
    return 0


def cmd_train_on_cluster(args: argparse.Namespace, config: dict) -> int:
    """``-scheduler``/``-dask-workers``: train on a Dask cluster (w2v.distributed). -train may be a
    glob or a path only the workers see; checkpoints at epoch ends (to ``OUTPUT.partial.ckpt``
    without -checkpoint, as on one process). The output is written only after training completed;
    after Ctrl-C it is left as it was and the vectors so far go beside it, as on one process."""
    if args.read_vocab or args.checkpoint_every:
        raise CliError("-read-vocab and -checkpoint-every are not supported with a Dask cluster")
    output = STDOUT if args.output == "-" else args.output
    streamed = check_writable(output, "vectors") in ("fd", "stream")
    if args.save_vocab:
        check_writable(args.save_vocab, "vocabulary")
    if args.accuracy:
        check_readable(args.accuracy, "questions file")
    checkpoint, own_checkpoint = checkpoint_path(args, output, streamed)
    if checkpoint:
        check_writable(checkpoint, "checkpoint")
    corpus = train_corpus(args)  # a local directory's file rule; a glob or a workers' path as given
    from ..distributed import RULES
    from ..distributed import train as train_on_cluster

    round_words = cluster_round_words(args.round_words)
    if args.merge != "auto" and args.merge not in RULES:
        raise CliError(f"-merge must be auto or one of {', '.join(RULES)}, got {args.merge!r}")

    log(f"w2v: training {'skip-gram' if config['sg'] else 'CBOW'} on {args.train} on a Dask cluster")
    clock, started_at = TrainingClock(), time.time()
    with dask_client(args) as client, compiles_announced(args), cluster_log(args):  # compiles said before the summary
        model = train_on_cluster(corpus, client, checkpoint=checkpoint, checkpoint_errors="warn" if own_checkpoint
                                 else "raise", cache_dir=cache_setting(args.cache), callbacks=[clock],
                                 round_words=round_words, merge=args.merge, reduce=args.reduce, **config)
    planned = model.corpus_total_words * config["epochs"]
    log(trained_message(model, config["epochs"], planned, clock))
    if model.interrupted:
        return finish_interrupted(model, args, output, streamed, checkpoint, started_at, cluster=True)
    write_outputs(model, args, output)
    if own_checkpoint:
        remove_checkpoint(checkpoint)
    return 0


@contextlib.contextmanager
def cluster_log(args: argparse.Namespace):
    """``-debug 3``: the Dask driver's log (its merge settings, each round's words, seconds and
    bytes) on stderr while the command trains."""
    if args.quiet or args.debug < 3:
        yield
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("w2v: %(message)s"))
    handler.addFilter(lambda record: f"{os.sep}distributed{os.sep}" in record.pathname)  # the rest is said already
    driver_log = logging.getLogger("w2v")
    level = driver_log.level
    driver_log.addHandler(handler)
    driver_log.setLevel(logging.INFO)
    try:
        yield
    finally:
        driver_log.removeHandler(handler)
        driver_log.setLevel(level)


def cluster_round_words(value: str):
    """``-round-words``: a number of words (>= 1), ``auto``, or ``epoch`` (one merge per epoch)."""
    if value in ("auto", "epoch"):
        return None if value == "epoch" else value
    try:
        words = int(value)
    except ValueError:
        words = 0
    if words < 1:
        raise CliError(f"-round-words must be a number of words >= 1, auto or epoch, got {value!r}")
    return words


def train_corpus(args: argparse.Namespace):
    """``-train`` as a corpus: the path, or a :class:`w2v.DirectoryCorpus` for a directory, whose
    rule is said on stderr (how many files, which subdirectories were left out)."""
    from ..corpus import DirectoryCorpus

    if not os.path.isdir(args.train):
        if args.recursive or args.include:
            raise CliError(f"-recursive and -include apply to a directory -train; {args.train!r} is a file")
        return args.train
    corpus = DirectoryCorpus(args.train, recursive=args.recursive, include=args.include)
    files = corpus.files()
    rule = f" named {' or '.join(corpus.include)}" if corpus.include else ""
    log(f"w2v: reading {len(files)} file{'s' * (len(files) != 1)}{rule} from directory {args.train}"
        f"{' and its subdirectories' if corpus.recursive else ''}, in name order")
    skipped = [] if corpus.recursive else corpus.skipped_directories()
    if skipped:
        names = ", ".join(p.name for p in skipped[:3]) + (", ..." if len(skipped) > 3 else "")
        log(f"w2v: skipped {len(skipped)} subdirector{'ies' if len(skipped) != 1 else 'y'} ({names}); "
            "pass -recursive to read them")
    return corpus


def cache_setting(value: str | None):
    """``-cache``: None = the default cache, 0 = off, 1 = on, a size = on with that cap."""
    from ..cache import DiskCache, parse_size

    if value is None or value == "1":
        return None
    try:
        cap = parse_size(value)
    except ValueError as e:
        raise CliError(f"-cache: {e}") from None
    return False if cap == 0 else DiskCache(max_bytes=cap)
