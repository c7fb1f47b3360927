"""The ``w2v`` command: word2vec.c-compatible ``train`` plus ``similar``, ``analogy``, ``eval`` and ``demo``.

``w2v train`` accepts word2vec.c's single-dash flags with word2vec.c's defaults (CBOW, alpha 0.05 for
CBOW and 0.025 for skip-gram, ...), so an existing ``./word2vec -train ... -output ...`` line works by
replacing ``./word2vec`` with ``w2v train`` (or just ``w2v``: a command line that starts with a flag is
taken as ``train``). GNU-style long options with gensim's names (``--vector-size``, ``--sg``,
``--epochs``, ``--workers``) are accepted too, and so are the underscore spellings of gensim's
``word2vec_standalone.py`` script (``-min_count``, ``--vector_size``, ...).

Vectors files are read as text or binary by their content, never by their name: ``w2v train
-output vectors.bin`` writes text unless ``-binary 1`` is given, as word2vec.c does.

Each sub-command is one ``add_<name>_command`` function that registers its parser, listed in
:data:`COMMANDS`; a new sub-command is one new function and one new entry there.

Errors a user can cause (a missing file, a bad value) are printed as one ``w2v: error: ...`` line with
exit code 2, never as a traceback. gensim is never imported: its bundled evaluation files are located
on disk with :func:`importlib.util.find_spec`, which does not execute the package.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ._fileutil import check_writable, open_binary, release_stream
from .params import KERNELS, available_cores

EXIT_USAGE = 2
STDOUT = "/dev/stdout"  # what ``-output -`` means; written to descriptor 1, never opened by name
DEMO_EPOCHS = 3
DEMO_SEED = 1
DEMO_RESTRICT_VOCAB = 30000
#: what the demo trains with (gensim's defaults otherwise: negative 5, sample 1e-3, alpha 0.025)
DEMO_SETTINGS = dict(vector_size=100, window=5, min_count=5, seed=DEMO_SEED)
DEMO_WORKERS = 1  # one worker with a fixed seed is bit-for-bit reproducible; more are Hogwild
DEMO_WORDS = ("king", "france", "computer", "one", "music")
DEMO_ANALOGIES = Path(__file__).parent / "data" / "demo_analogies.txt"
#: gensim 4.4.0's analogy accuracy with the demo's settings on the same sample and the same question
#: set, the bundled demo analogies (3 epochs, one worker, top 30,000 words), by
#: ``python benchmarks/demo_reference.py`` on 2026-12-02: {architecture: (seed 1, lowest, highest over
#: seeds 1-3)}. Printed beside the demo's own figure so it can be judged; w2v never imports gensim to
#: get it, so the demo prints the same figures whether gensim is installed or not.
GENSIM_DEMO_REFERENCE = {  # benchmarks/results/demo_reference.md has w2v's figures beside them
    "skip-gram": (0.135, 0.135, 0.177),
    "CBOW": (0.073, 0.073, 0.104),
}
GENSIM_DEMO_MEASURED = "gensim 4.4.0, 2026-12-02, python benchmarks/demo_reference.py"
EVAL_SETS = {  # --flag: (gensim test-data file name, label)
    "questions": ("questions-words.txt", "questions-words"),
    "wordsim": ("wordsim353.tsv", "wordsim353"),
    "simlex": ("simlex999.txt", "simlex999"),
}


class CliError(Exception):
    """A problem the user can fix; printed as one line without a traceback."""


# --------------------------------------------------------------------------- helpers


def log(message: str) -> None:
    """Status goes to stderr so stdout stays clean for results (and for pipes)."""
    print(message, file=sys.stderr, flush=True)


def say_status(text: str) -> None:
    """A status line of w2v's own (``w2v: ...``), e.g. the compile notices."""
    log(f"w2v: {text}")


def compiles_announced(args: argparse.Namespace):
    """Around a command: a numba compile is announced before it starts and timed after (see
    :func:`w2v.progress.compile_notices`), unless the command was asked to be quiet."""
    if getattr(args, "quiet", False) or getattr(args, "debug", 1) <= 0:
        return contextlib.nullcontext()
    from .progress import compile_notices

    return compile_notices(say_status)


def check_readable(path: str, what: str) -> None:
    """Fail fast, before any slow work, with a message that names the file."""
    if not os.path.exists(path):
        raise CliError(f"{what} {path!r} does not exist")
    if not os.access(path, os.R_OK):
        raise CliError(f"{what} {path!r} is not readable")


def check_writable_dir(path: str, what: str) -> None:
    """Check an output's directory before training, so a typo doesn't cost a whole training run."""
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise CliError(f"cannot write {what} {path!r}: directory {directory!r} does not exist")
    if not os.access(directory, os.W_OK):
        raise CliError(f"cannot write {what} {path!r}: directory {directory!r} is not writable")


def is_binary_vectors(path: str) -> bool:
    """Tell word2vec.c's binary format from text by content: a text file's first row parses as floats.

    The name says nothing: word2vec.c (and ``w2v train``) write text to ``vectors.bin`` unless
    ``-binary 1`` is given. The first vector row after the ``"count dim"`` header must be ``word``
    plus ``dim`` numbers for the file to count as text; anything else is binary.
    """
    with open_binary(path) as f:
        header = f.readline().split()
        if len(header) != 2 or not all(part.isdigit() for part in header):
            raise CliError(f"{path!r} is not a word2vec vectors file (bad header {b' '.join(header)[:60]!r})")
        row = f.readline(1 << 20)
    try:
        fields = row.decode("utf-8").split()
        [float(x) for x in fields[1:]]
    except (UnicodeDecodeError, ValueError):
        return True
    return len(fields) != int(header[1]) + 1


def load_vectors(path: str, binary: bool | None = None):
    """Load word2vec-format vectors, detecting binary vs text unless ``binary`` is given."""
    from .vectors import KeyedVectors

    check_readable(path, "vectors file")
    if binary is None:
        binary = is_binary_vectors(path)
    return KeyedVectors.load_word2vec_format(path, binary=binary)


def require_words(wv, words) -> None:
    """Name every unknown word at once instead of failing with a bare KeyError on the first."""
    missing = [w for w in words if w not in wv]
    if missing:
        raise CliError(f"not in the vocabulary ({len(wv)} words): {', '.join(map(repr, missing))}")


def print_neighbours(neighbours) -> None:
    """One ``rank word similarity`` row per neighbour on stdout, aligned for reading and easy to parse."""
    for rank, (word, sim) in enumerate(neighbours, 1):
        print(f"{rank:>3}  {word:<24} {sim:.4f}")


def gensim_test_file(name: str) -> str | None:
    """Path of a file in gensim's bundled test data, found without importing gensim (w2v never does)."""
    try:
        spec = importlib.util.find_spec("gensim")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.origin:
        return None
    path = Path(spec.origin).parent / "test" / "test_data" / name
    return str(path) if path.is_file() else None


# --------------------------------------------------------------------------- train


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
                        "the run when stderr is a file or a pipe)")
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


def write_outputs(model, args: argparse.Namespace, output: str) -> None:
    """What a finished `w2v train` writes: vectors (or -classes), -save-vocab, -accuracy."""
    if args.classes:
        write_word_classes(model.wv, args.classes, output)
    else:
        write_vectors(model, output, args.binary)
    if args.save_vocab:
        model.vocab.save_word2vec_vocab(args.save_vocab)
        log(f"w2v: wrote vocabulary to {args.save_vocab}")
    if args.accuracy:  # on stderr when the vectors went to stdout
        report_accuracy(model.wv, args.accuracy, sys.stderr if output == STDOUT else sys.stdout)


def cmd_train(args: argparse.Namespace) -> int:
    """Train like word2vec.c: check every path first, train, write vectors (and vocabulary).

    The output is written only when training completes; after Ctrl-C an existing output is left
    as it was and the vectors so far go beside it (see :func:`finish_interrupted`).
    """
    config = train_config(args)
    if args.scheduler is not None or args.dask_workers is not None:
        return cmd_train_on_cluster(args, config)
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


@contextlib.contextmanager
def dask_client(args: argparse.Namespace):
    """The Dask client -scheduler or -dask-workers asks for (None without them), closed afterwards."""
    if args.scheduler is None and args.dask_workers is None:
        yield None
        return
    if args.scheduler is not None and args.dask_workers is not None:
        raise CliError("-scheduler and -dask-workers exclude each other")
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise CliError("-scheduler/-dask-workers need dask: pip install 'w2v[dask]'") from None
    if args.scheduler is not None:
        from .distributed.calls import connect

        try:  # a refused address fails at once; one that never answers after 15s
            client, _ = connect(args.scheduler)
        except ConnectionError as e:
            raise CliError(str(e)) from None
        with client:
            yield client
        return
    if args.dask_workers < 1:
        raise CliError(f"-dask-workers must be >= 1, got {args.dask_workers}")
    with LocalCluster(n_workers=args.dask_workers, threads_per_worker=args.threads or 1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster, set_as_default=False) as client:
        yield client


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
    from .distributed import train as train_on_cluster

    log(f"w2v: training {'skip-gram' if config['sg'] else 'CBOW'} on {args.train} on a Dask cluster")
    clock, started_at = TrainingClock(), time.time()
    with dask_client(args) as client, compiles_announced(args):  # compile times said before the summary
        model = train_on_cluster(corpus, client, checkpoint=checkpoint, checkpoint_errors="warn" if own_checkpoint
                                 else "raise", cache_dir=cache_setting(args.cache), callbacks=[clock], **config)
    planned = model.corpus_total_words * config["epochs"]
    log(trained_message(model, config["epochs"], planned, clock))
    if model.interrupted:
        return finish_interrupted(model, args, output, streamed, checkpoint, started_at, cluster=True)
    write_outputs(model, args, output)
    if own_checkpoint:
        remove_checkpoint(checkpoint)
    return 0


def check_classes(k: int, n_words: int) -> None:
    """-classes K needs K <= the vocabulary size (k-means seeds one class per word at least)."""
    if k > n_words:
        raise CliError(f"-classes {k} asks for more classes than the {n_words} words in the vocabulary")


def write_word_classes(wv, k: int, output: str) -> None:
    """word2vec.c's -classes: k-means over the trained vectors, 'word class' lines to ``output``."""
    from .classes import kmeans, save_classes

    check_classes(k, len(wv))
    labels = kmeans(wv, k)
    if output == STDOUT:
        sys.stdout.writelines(f"{w} {c}\n" for w, c in zip(wv.index_to_key, labels.tolist()))
        sys.stdout.flush()
    else:
        save_classes(output, wv, labels)
    log(f"w2v: wrote {k} word classes of {len(wv)} words to {'stdout' if output == STDOUT else output}")


def train_corpus(args: argparse.Namespace):
    """``-train`` as a corpus: the path, or a :class:`w2v.DirectoryCorpus` for a directory, whose
    rule is said on stderr (how many files, which subdirectories were left out)."""
    from .corpus import DirectoryCorpus

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


def report_accuracy(wv, questions: str, stream=None) -> None:
    """gensim's word2vec_standalone.py ``-accuracy FILE``: analogy accuracy, its restrict_vocab."""
    check_readable(questions, "questions file")
    accuracy, sections = wv.evaluate_word_analogies(questions, restrict_vocab=300_000)
    print(f"analogy accuracy on {questions}: {accuracy:.4f} ({_analogy_count(sections)})",
          file=stream or sys.stdout)


def checkpoint_path(args: argparse.Namespace, output: str, streamed: bool) -> tuple[str | None, bool]:
    """The run's checkpoint and whether it is the CLI's own (removed once training completes).

    Without ``-checkpoint`` the CLI checkpoints at each epoch end to ``OUTPUT.partial.ckpt``, so a
    Ctrl-C leaves something to resume; a streamed output (``-``, a FIFO) has no "beside".
    """
    if args.checkpoint == "0":
        if args.checkpoint_every:
            raise CliError("-checkpoint-every needs a checkpoint, but -checkpoint 0 turned it off")
        return None, False
    if args.checkpoint:
        return args.checkpoint, False
    if streamed:
        if args.checkpoint_every:
            raise CliError("-checkpoint-every needs -checkpoint FILE when the output is a stream")
        return None, False
    return f"{output}.partial.ckpt", True


def make_checkpointer(path: str | None, every: int | None, own: bool, notes: dict | None = None):
    """A Checkpointer; the CLI's own one warns and stops checkpointing if it cannot write (a full
    disk must not end a run the user never asked to checkpoint). ``notes`` (:func:`output_notes`)
    go into every checkpoint, so ``w2v resume`` can write what this run would have written."""
    if path is None:
        return None
    from .checkpoint import Checkpointer

    class BestEffortCheckpointer(Checkpointer):
        failed = False

        def save(self, *a, **kw):
            if self.failed:
                return
            try:
                super().save(*a, **kw)
            except OSError as e:
                self.failed = True
                log(f"w2v: warning: cannot write checkpoint {path} ({e}); training goes on without it")

    return (BestEffortCheckpointer if own else Checkpointer)(path, every, notes=notes)


def output_notes(args: argparse.Namespace, output: str, own_checkpoint: bool) -> dict:
    """What a finished run writes, with absolute paths: ``w2v resume`` reads it from the checkpoint."""
    absolute = lambda p: None if p is None else os.path.abspath(p)  # noqa: E731
    return {"command": "train", "output": absolute(output), "binary": int(args.binary),
            "classes": args.classes, "save_vocab": absolute(args.save_vocab), "accuracy": absolute(args.accuracy),
            "own_checkpoint": bool(own_checkpoint)}


def cmd_resume(args: argparse.Namespace) -> int:
    """Finish an interrupted ``w2v train``: continue its checkpoint, then write what the run would
    have written (its -output, -binary, -classes, -save-vocab, -accuracy, stored in the checkpoint),
    and remove the files the interruption left (the checkpoint and its corpus file, when they were
    the CLI's own, and ``OUTPUT.partial``). Interrupted again, it leaves them as ``train`` does."""
    check_readable(args.checkpoint, "checkpoint")
    from .checkpoint import read_info

    notes = read_info(args.checkpoint).get("notes") or {}
    output = args.output or notes.get("output")
    if output is None:
        raise CliError(f"checkpoint {args.checkpoint} was not written by `w2v train` (it names no output): "
                       "give -output FILE")
    outputs = argparse.Namespace(output=output, binary=notes.get("binary", 0) if args.binary is None else args.binary,
                                 classes=notes.get("classes"), save_vocab=notes.get("save_vocab"),
                                 accuracy=notes.get("accuracy"))
    check_writable(output, "vectors")
    own = bool(notes.get("own_checkpoint")) and not args.output
    started_at = time.time()
    with dask_client(args) as client:
        import w2v

        log(f"w2v: resuming {args.checkpoint}")
        model = w2v.resume(args.checkpoint, client=client, progress=False if args.quiet else None)
    if model.interrupted:
        return finish_interrupted(model, outputs, output, False, args.checkpoint, started_at, client is not None)
    log(f"w2v: training finished ({model.epochs_trained} epochs complete)")
    write_outputs(model, outputs, output)
    if own:
        remove_checkpoint(args.checkpoint)
        with contextlib.suppress(OSError):
            os.unlink(partial_path(output))
    return 0


def add_resume_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("resume", help="finish an interrupted `w2v train` from its checkpoint", allow_abbrev=False,
                       description="Continue the run saved in CHECKPOINT (w2v train writes OUTPUT.partial.ckpt "
                                   "at each epoch end) and write the outputs that run was asked for.")
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument("-output", "--output", metavar="FILE",
                   help="write the vectors here instead of the run's own -output (the checkpoint is then kept)")
    p.add_argument("-binary", "--binary", type=int, choices=(0, 1), default=None,
                   help="with -output: 1 = word2vec.c's binary format (default: the run's own setting)")
    p.add_argument("-scheduler", "--scheduler", metavar="ADDRESS",
                   help="a distributed run's checkpoint continues on this Dask scheduler")
    p.add_argument("-dask-workers", "--dask-workers", type=int, metavar="N",
                   help="... or on a local Dask cluster of N worker processes")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_resume, threads=None)
    return p


def remove_checkpoint(path: str) -> None:
    """Remove a checkpoint and its corpus files (``PATH.corpus-*.npz``)."""
    target = Path(path)
    for p in [target, *target.parent.glob(f"{glob_escape(target.name)}.corpus-*.npz")]:
        try:
            p.unlink()
        except OSError:
            pass


def glob_escape(name: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)


def cache_setting(value: str | None):
    """``-cache``: None = the default cache, 0 = off, 1 = on, a size = on with that cap."""
    from .cache import DiskCache, parse_size

    if value is None or value == "1":
        return None
    try:
        cap = parse_size(value)
    except ValueError as e:
        raise CliError(f"-cache: {e}") from None
    return False if cap == 0 else DiskCache(max_bytes=cap)


class TrainingClock:
    """A training callback timing the epochs: from the first epoch's start to the end of training.

    That is the interval the progress display counts its words/s over (it starts after the
    kernels are compiled or loaded), so the summary's words/s and the progress's agree; the time
    before it (reading the corpus, loading or compiling kernels) is reported apart.
    """

    def __init__(self):
        self.created = time.perf_counter()
        self.began = self.ended = None

    def on_epoch_begin(self, model) -> None:
        if self.began is None:
            self.began = time.perf_counter()

    def on_train_end(self, model) -> None:
        self.ended = time.perf_counter()

    def seconds(self) -> tuple[float, float]:
        """(seconds of the epochs, seconds since the clock was made)."""
        now = time.perf_counter()
        end = self.ended if self.ended is not None else now
        began = self.began if self.began is not None else self.created
        return max(end - began, 0.0), now - self.created


def trained_message(model, epochs: int, planned: int, clock: TrainingClock) -> str:
    """What was actually trained (after Ctrl-C: complete epochs and words, not the plan), and how
    fast: words/s over the epochs' time, the interval the progress display counts too."""
    words = model.last_train_words
    seconds, total = clock.seconds()
    speed = f"{words / max(seconds, 1e-9):,.0f} words/s"
    if model.interrupted:
        done = f"{model.epochs_trained} of {epochs} epochs complete, {words:,} of {planned:,} words"
    else:
        done = f"{epochs} epoch{'s' if epochs != 1 else ''}, {words:,} words"
    before = f"; {total:.1f}s in all, with setup and kernel loading" if total - seconds >= 0.05 else ""
    return (f"w2v: trained {done} in {duration(seconds)} ({speed}){before}; {len(model.wv)} words in "
            f"vocabulary, {model.corpus_total_words:,} words in corpus")


def duration(seconds: float) -> str:
    """Seconds to two decimals under 10 s (a small file trains in hundredths), else to one."""
    return f"{seconds:.2f}s" if seconds < 10 else f"{seconds:.1f}s"


def write_vectors(model, output: str, binary: int) -> None:
    where = "stdout" if output == STDOUT else output
    try:
        model.wv.save_word2vec_format(output, binary=bool(binary))
    except BrokenPipeError:
        raise CliError(f"{where} was closed before all vectors were written (broken pipe)") from None
    log(f"w2v: wrote {'binary' if binary else 'text'} vectors to {where}")


def finish_interrupted(model, args, output: str, streamed: bool, checkpoint: str | None,
                       started_at: float, cluster: bool = False) -> int:
    """After Ctrl-C: the output is left as it was; the vectors so far go to ``OUTPUT.partial``
    (not into a stream, whose reader could not tell them from finished ones); name the
    checkpoint to resume from. Exit code 130, as for any interrupted command."""
    lines = [f"w2v: training interrupted; {args.output if not streamed else 'the output'} was not written"]
    if streamed:
        release_stream(output)  # a reader waiting on a FIFO gets end-of-file, not a hang
    else:
        partial = partial_path(output)
        model.wv.save_word2vec_format(partial, binary=bool(args.binary))
        lines.append(f"w2v: the vectors trained so far are in {partial}")
    lines.append(resume_hint(checkpoint, started_at, cluster))
    for line in lines:
        log(line)
    return 130


def partial_path(output: str) -> str:
    """``OUTPUT.partial``; ``v.txt.partial.gz`` for ``v.txt.gz``, so it is compressed like the output."""
    stem, suffix = os.path.splitext(output)
    if suffix.lower() in (".gz", ".bz2", ".xz"):
        return f"{stem}.partial{suffix}"
    return f"{output}.partial"


def resume_hint(checkpoint: str | None, started_at: float, cluster: bool = False) -> str:
    """Where to continue from. A checkpoint file older than this run is not this run's."""
    if not checkpoint:
        return "w2v: no checkpoint (-checkpoint 0 or a streamed output): the run cannot be resumed"
    if not os.path.exists(checkpoint) or os.path.getmtime(checkpoint) < started_at:
        return f"w2v: no checkpoint was written yet ({checkpoint} is written at each epoch end)"
    on = ", client=...)" if cluster else ")"  # a distributed run continues on a cluster
    if cluster:
        return f"w2v: last checkpoint: {checkpoint} (continue with w2v.resume({checkpoint!r}{on})"
    return (f"w2v: last checkpoint: {checkpoint} (finish the run with: w2v resume {checkpoint}; "
            f"or in Python w2v.resume({checkpoint!r}))")


# --------------------------------------------------------------------------- queries


def add_vectors_arguments(p: argparse.ArgumentParser) -> None:
    """Shared by the query commands: the vectors file and how to read it."""
    p.add_argument("vectors", metavar="VECTORS",
                   help="word2vec-format vectors, text or binary: detected from the content, not the "
                        "name (word2vec.c and w2v train write text to vectors.bin unless -binary 1)")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--binary", dest="binary", action="store_const", const=True, default=None,
                     help="the file is binary (default: detect from the content)")
    fmt.add_argument("--text", dest="binary", action="store_const", const=False, help="the file is text")


def cmd_similar(args: argparse.Namespace) -> int:
    """Nearest neighbours by cosine similarity of one word, or of the sum of several (their unit
    vectors added, as word2vec.c's ``distance`` and gensim's ``most_similar(positive=...)`` do)."""
    wv = load_vectors(args.vectors, args.binary)
    require_words(wv, args.words)
    print_neighbours(wv.most_similar(positive=list(args.words), topn=args.n))
    return 0


def cmd_analogy(args: argparse.Namespace) -> int:
    """A is to B as C is to ?, answered by 3CosAdd: B - A + C."""
    wv = load_vectors(args.vectors, args.binary)
    require_words(wv, [args.a, args.b, args.c])
    print_neighbours(wv.most_similar(positive=[args.b, args.c], negative=[args.a], topn=args.n))
    return 0


def eval_file(args: argparse.Namespace, key: str) -> str:
    """The evaluation file for ``--<key>``, defaulting to gensim's copy when gensim is installed."""
    name, label = EVAL_SETS[key]
    path = getattr(args, key) or gensim_test_file(name)
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
                     _analogy_count(sections)))
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


def _analogy_count(sections) -> str:
    """``N questions`` from gensim-style sections (the last one is the total), or '' if unknown."""
    try:
        total = sections[-1]
        return f"{len(total['correct']) + len(total['incorrect'])} questions"
    except (IndexError, KeyError, TypeError):
        return ""


def format_table(rows) -> str:
    """A plain aligned table, readable in a terminal and pasteable into markdown."""
    lines = [f"{'test set':<18} {'metric':<28} {'score':>7}  note"]
    lines += [f"{label:<18} {metric:<28} {score:>7.4f}  {note}" for label, metric, score, note in rows]
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace) -> int:
    """Analogy accuracy and word-similarity correlations in one table."""
    paths = {key: eval_file(args, key) for key in EVAL_SETS}
    wv = load_vectors(args.vectors, args.binary)
    rows = evaluate(wv, paths["questions"], paths["wordsim"], paths["simlex"], args.restrict_vocab)
    print(format_table(rows))
    return 0


# --------------------------------------------------------------------------- demo


def cmd_demo(args: argparse.Namespace) -> int:
    """Train on the bundled sample corpus and show what the vectors learned; needs no extra packages.

    The seed is fixed and one worker is the default, so two runs print the same figures; the
    analogy accuracy is scored on the bundled questions, installed packages or not, and printed
    beside what gensim scored on those questions with the same settings on the same sample.
    """
    import w2v

    corpus = w2v.sample_corpus_path()
    arch = "CBOW" if args.cbow else "skip-gram"
    config = dict(DEMO_SETTINGS, sg=int(not args.cbow), epochs=args.epochs, workers=args.workers,
                  progress=False if args.quiet else True)
    log(f"w2v demo: training {arch} on the bundled sample corpus ({corpus}), {args.epochs} epochs, "
        f"{args.workers} worker{'s' * (args.workers != 1)}, seed {DEMO_SEED}")
    start = time.perf_counter()
    model = w2v.train(corpus, **config)
    log(f"w2v demo: trained in {time.perf_counter() - start:.1f}s "
        f"({len(model.wv)} words, {model.corpus_total_words} corpus words)")
    for word in DEMO_WORDS:
        if word in model.wv:
            print(f"\nnearest neighbours of {word!r}:")
            print_neighbours(model.wv.most_similar(positive=[word], topn=8))
    print()
    for line in demo_scores(model.wv, arch, args.epochs):
        print(line)
    if args.output:
        model.wv.save_word2vec_format(args.output)
        log(f"w2v demo: wrote vectors to {args.output}")
    return 0


def demo_scores(wv, arch: str, epochs: int) -> list[str]:
    """The demo's analogy accuracy and gensim's stored figure for the same questions.

    Always the bundled demo analogies (never gensim's questions-words.txt, even when gensim is
    installed): the stored reference is for exactly these questions, so the two figures compare
    like with like and the demo prints the same whatever is installed.
    """
    accuracy, sections = wv.evaluate_word_analogies(str(DEMO_ANALOGIES), restrict_vocab=DEMO_RESTRICT_VOCAB)
    total = sections[-1]
    n = len(total["correct"]) + len(total["incorrect"])
    return [f"analogy accuracy on the bundled demo analogies ({n} questions), top {DEMO_RESTRICT_VOCAB} "
            f"words: {accuracy:.3f}",
            gensim_reference_line(arch, epochs),
            f"(one question of {n} is {1 / max(n, 1):.3f}: seeds alone move either library by a few questions)"]


# --------------------------------------------------------------------------- phrase


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
    from .word2phrase import word2phrase

    if args.debug > 0:
        log(f"Starting training using file {args.train}")
    with compiles_announced(args):  # the compile time is said before the summary
        stats = word2phrase(args.train, args.output, args.min_count, args.threshold, args.debug, log=log)
    if args.debug > 0:
        log(f"w2v: joined {stats['joined']} pairs of {stats['train_words']} words into {args.output} "
            f"in {stats['seconds']:.1f}s")
    return 0


def gensim_reference_line(arch: str, epochs: int) -> str:
    """What gensim scored on the same questions with the demo's settings (stored, measured once:
    see GENSIM_DEMO_REFERENCE)."""
    seed1, low, high = GENSIM_DEMO_REFERENCE[arch]
    line = (f"gensim on the same questions, settings and sample (stored reference, {DEMO_EPOCHS} epochs): "
            f"{seed1:.3f} at seed {DEMO_SEED}, {low:.3f}-{high:.3f} over seeds 1-3 [{GENSIM_DEMO_MEASURED}]")
    if epochs != DEMO_EPOCHS:
        line += f"; this run trained {epochs} epochs, so the figures are not comparable"
    return line


# --------------------------------------------------------------------------- cache


def cmd_cache(args: argparse.Namespace) -> int:
    """``w2v cache info``: where the cache is, its cap and entries; ``w2v cache clear`` empties it."""
    from .cache import DiskCache, format_size

    cache = DiskCache()
    if args.action == "clear":
        count, freed = cache.clear()
        print(f"removed {count} cache entries ({format_size(freed)}) from {cache.directory}")
        return 0
    info = cache.info()
    cap = "off ($W2V_CACHE_MAX=0)" if cache.max_bytes == 0 else format_size(cache.max_bytes)
    print(f"directory: {info['directory']} (set $W2V_CACHE_DIR to move it)")
    print(f"size cap:  {cap} (least recently used entries are removed beyond it; $W2V_CACHE_MAX, "
          "w2v train -cache SIZE)")
    print(f"entries:   {len(info['entries'])}, {format_size(info['total_bytes'])} in all")
    for row in info["entries"]:
        used = time.strftime("%Y-%m-%d %H:%M", time.localtime(row["last_used"]))
        words = f"{row['words']:,} words" if row["words"] is not None else "? words"
        print(f"  {format_size(row['bytes']):>10}  {words:>16}  used {used}  {row['state']:<11} {row['source']}")
    return 0


# --------------------------------------------------------------------------- entry point


def add_train_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("train", help="train vectors (word2vec.c's flags)", allow_abbrev=False,
                       description="Train word vectors. Accepts word2vec.c's flags and defaults, and the "
                                   "underscore spellings of gensim's word2vec_standalone.py (-min_count).")
    add_train_arguments(p)
    p.set_defaults(func=cmd_train)
    return p


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


def add_analogy_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("analogy", help="A is to B as C is to ?", allow_abbrev=False)
    add_vectors_arguments(p)
    p.add_argument("a", metavar="A")
    p.add_argument("b", metavar="B")
    p.add_argument("c", metavar="C")
    p.add_argument("-n", type=int, default=10, help="how many answers (default 10)")
    p.set_defaults(func=cmd_analogy)
    return p


def add_eval_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("eval", help="analogy, wordsim353 and simlex999 scores", allow_abbrev=False)
    add_vectors_arguments(p)
    for key, (name, _label) in EVAL_SETS.items():
        p.add_argument(f"--{key}", metavar="PATH", help=f"{name} (default: gensim's copy, if installed)")
    p.add_argument("--restrict-vocab", type=int, default=30000,
                   help="analogies use only the most frequent N words (default 30000)")
    p.set_defaults(func=cmd_eval)
    return p



def add_cache_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("cache", help="the disk cache of corpus scans: where it is, its size; clear it",
                       allow_abbrev=False, description="Corpus scans are cached on disk (4 bytes per "
                       "corpus word) so a second run on the same file skips reading the text.")
    p.add_argument("action", choices=("info", "clear"), help="info: location, cap, entries; clear: remove all")
    p.set_defaults(func=cmd_cache)
    return p


def add_demo_command(sub) -> argparse.ArgumentParser:
    p = sub.add_parser("demo", help="train on the bundled sample and show neighbours", allow_abbrev=False,
                       description="Train on the bundled 2M-word sample (seed 1) and print neighbours and "
                                   "the analogy accuracy on the bundled questions, beside gensim's stored "
                                   "figure for the same questions on the same sample.")
    p.add_argument("--cbow", action="store_true", help="CBOW instead of skip-gram")
    p.add_argument("--epochs", type=int, default=DEMO_EPOCHS, help=f"default {DEMO_EPOCHS}")
    p.add_argument("--workers", type=int, default=DEMO_WORKERS,
                   help=f"default {DEMO_WORKERS}: reproducible run to run; more workers are faster, but "
                        "their lock-free updates make each run differ a little")
    p.add_argument("--output", metavar="FILE", help="also save the vectors (text format)")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress display")
    p.set_defaults(func=cmd_demo)
    return p


#: sub-command name -> the function that adds its parser (and sets ``func``), in help order
COMMANDS: dict[str, Callable[..., argparse.ArgumentParser]] = {
    "train": add_train_command,
    "resume": add_resume_command,
    "similar": add_similar_command,
    "analogy": add_analogy_command,
    "eval": add_eval_command,
    "phrase": add_phrase_command,
    "cache": add_cache_command,
    "demo": add_demo_command,
}


def build_parser() -> argparse.ArgumentParser:
    """One sub-parser per command (see :data:`COMMANDS`); options are declared explicitly so no
    abbreviation guessing applies. ``parser.commands`` maps each name to its sub-parser."""
    from . import __version__

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
    parser = build_parser()
    args = parse_args(parser, list(sys.argv[1:] if argv is None else argv))
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        with compiles_announced(args):
            return args.func(args)
    except (CliError, ValueError, TypeError, OSError, KeyError, FloatingPointError) as exc:
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"w2v: error: {message}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("w2v: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover - `python -m w2v` goes through __main__.py
    sys.exit(main())
