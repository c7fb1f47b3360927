"""``w2v demo``: train on the bundled sample and show what the vectors learned, beside gensim's
stored figure for the same questions, settings and sample."""
from __future__ import annotations

import argparse
import time
from pathlib import Path

from .common import log, print_neighbours

DEMO_EPOCHS = 3
DEMO_SEED = 1
DEMO_RESTRICT_VOCAB = 30000
#: what the demo trains with (gensim's defaults otherwise: negative 5, sample 1e-3, alpha 0.025)
DEMO_SETTINGS = dict(vector_size=100, window=5, min_count=5, seed=DEMO_SEED)
DEMO_WORKERS = 1  # one worker with a fixed seed is bit-for-bit reproducible; more are Hogwild
DEMO_WORDS = ("king", "france", "computer", "one", "music")
DEMO_ANALOGIES = Path(__file__).resolve().parent.parent / "data" / "demo_analogies.txt"
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


def gensim_reference_line(arch: str, epochs: int) -> str:
    """What gensim scored on the same questions with the demo's settings (stored, measured once:
    see GENSIM_DEMO_REFERENCE)."""
    seed1, low, high = GENSIM_DEMO_REFERENCE[arch]
    line = (f"gensim on the same questions, settings and sample (stored reference, {DEMO_EPOCHS} epochs): "
            f"{seed1:.3f} at seed {DEMO_SEED}, {low:.3f}-{high:.3f} over seeds 1-3 [{GENSIM_DEMO_MEASURED}]")
    if epochs != DEMO_EPOCHS:
        line += f"; this run trained {epochs} epochs, so the figures are not comparable"
    return line
