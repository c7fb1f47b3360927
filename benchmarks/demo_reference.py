"""What gensim scores with ``w2v demo``'s settings on the bundled sample: the figures the demo prints.

``w2v demo`` trains on the 2M-word sample for 3 epochs and reports analogy accuracy on the bundled
demo analogies (``w2v/data/demo_analogies.txt``, top 30,000 words), whether or not gensim is
installed. A bare 0.12 means nothing without a reference, so this script trains gensim 4 with the
same settings (skip-gram and CBOW, one worker, seeds 1-3) beside w2v, and prints one table. The
"bundled demo analogies" column for gensim is copied into ``w2v/cli/demo.py``
(``GENSIM_DEMO_REFERENCE``): the demo prints it beside its own figure, as a stored reference for
the same questions; w2v never imports gensim at runtime. Re-run it when the bundled questions or
the demo's settings change. The questions-words column (gensim's 10k questions) is context only.

    python benchmarks/demo_reference.py [--seeds 1 2 3] [--epochs 3]
"""
from __future__ import annotations

import argparse
import lzma
import os
import platform
import shutil
import tempfile
import time

import w2v
from w2v import cli


def decompressed_sample(directory: str) -> str:
    """gensim's Text8Corpus reads a plain file; the sample is one 2M-word line, like text8."""
    path = os.path.join(directory, "sample.txt")
    with lzma.open(w2v.sample_corpus_path(), "rb") as src, open(path, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return path


def scores(wv, questions: str, bundled: str) -> tuple[float, float]:
    """Analogy accuracy on questions-words and on the bundled demo file, as the demo computes it."""
    full, _ = wv.evaluate_word_analogies(questions, restrict_vocab=cli.DEMO_RESTRICT_VOCAB)
    small, _ = wv.evaluate_word_analogies(bundled, restrict_vocab=cli.DEMO_RESTRICT_VOCAB)
    return float(full), float(small)


def main() -> None:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import Text8Corpus
    from gensim.test.utils import datapath
    import gensim

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--epochs", type=int, default=cli.DEMO_EPOCHS)
    args = ap.parse_args()
    questions, bundled = datapath("questions-words.txt"), str(cli.DEMO_ANALOGIES)
    print(f"# w2v demo settings on the bundled sample; gensim {gensim.__version__}, w2v {w2v.__version__}, "
          f"{platform.python_version()}, {time.strftime('%Y-%m-%d')}, load {os.getloadavg()[0]:.2f}")
    print("| library | mode | seed | questions-words | bundled demo analogies | train s |")
    print("|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        path = decompressed_sample(tmp)
        for sg, mode in ((1, "skip-gram"), (0, "CBOW")):
            settings = dict(cli.DEMO_SETTINGS, sg=sg, epochs=args.epochs, workers=1)
            for seed in args.seeds:
                start = time.perf_counter()
                settings["seed"] = seed
                g = Word2Vec(Text8Corpus(path), **settings)
                g_s = time.perf_counter() - start
                start = time.perf_counter()
                m = w2v.train(path, progress=False, cache_dir=False, **settings)
                m_s = time.perf_counter() - start
                for lib, wv, s in (("gensim", g.wv, g_s), ("w2v", m.wv, m_s)):
                    full, small = scores(wv, questions, bundled)
                    print(f"| {lib} | {mode} | {seed} | {full:.3f} | {small:.3f} | {s:.1f} |", flush=True)


if __name__ == "__main__":
    main()
