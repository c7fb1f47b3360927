"""What a ``w2v train`` (or ``w2v resume``) run writes when it completes, and the summary line it says:
vectors or word classes, ``-save-vocab``, ``-accuracy``; words/s over the epochs' own time.
"""
from __future__ import annotations

import argparse
import sys
import time

from .common import STDOUT, CliError, analogy_count, check_readable, log


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


def check_classes(k: int, n_words: int) -> None:
    """-classes K needs K <= the vocabulary size (k-means seeds one class per word at least)."""
    if k > n_words:
        raise CliError(f"-classes {k} asks for more classes than the {n_words} words in the vocabulary")


def write_word_classes(wv, k: int, output: str) -> None:
    """word2vec.c's -classes: k-means over the trained vectors, 'word class' lines to ``output``."""
    from ..classes import kmeans, save_classes

    check_classes(k, len(wv))
    labels = kmeans(wv, k)
    if output == STDOUT:
        sys.stdout.writelines(f"{w} {c}\n" for w, c in zip(wv.index_to_key, labels.tolist()))
        sys.stdout.flush()
    else:
        save_classes(output, wv, labels)
    log(f"w2v: wrote {k} word classes of {len(wv)} words to {'stdout' if output == STDOUT else output}")


def report_accuracy(wv, questions: str, stream=None) -> None:
    """gensim's word2vec_standalone.py ``-accuracy FILE``: analogy accuracy, its restrict_vocab."""
    check_readable(questions, "questions file")
    accuracy, sections = wv.evaluate_word_analogies(questions, restrict_vocab=300_000)
    print(f"analogy accuracy on {questions}: {accuracy:.4f} ({analogy_count(sections)})",
          file=stream or sys.stdout)


def write_vectors(model, output: str, binary: int) -> None:
    where = "stdout" if output == STDOUT else output
    try:
        model.wv.save_word2vec_format(output, binary=bool(binary))
    except BrokenPipeError:
        raise CliError(f"{where} was closed before all vectors were written (broken pipe)") from None
    log(f"w2v: wrote {'binary' if binary else 'text'} vectors to {where}")


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
