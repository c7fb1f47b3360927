"""w2v's FastText vs gensim's FastText, end to end, with an analogy and an unseen-words table.

    python benchmarks/fasttext.py --repeats 3                     # wiki17m, sg and cbow (long)
    python benchmarks/fasttext.py --words 300000 --repeats 1      # a smoke run on a slice

Settings are gensim's FastText defaults (vector_size 100, window 5, min_count 5, negative 5,
min_n 3, max_n 6, bucket 2,000,000, sample 1e-3), 1 epoch and 2 workers unless told otherwise.
Each run is a fresh process that first trains on a tiny text (so numba's compile or cache load is
not timed), then times building the vocabulary and training from the file: gensim reads it as
its users do (``LineSentence``, or ``Text8Corpus`` for a one-line file; ``--gensim-input
corpus_file`` uses gensim's faster file mode instead), w2v from the path. Libraries alternate
run by run, and each run waits until the 1-minute load average is below ``--max-load`` (the load
at each start is recorded). Reported per (mode, library): the median wall and CPU seconds over
``--repeats`` runs, peak RSS, the analogy accuracy (gensim's questions-words.txt, restrict_vocab
30000) and the unseen-words score: for vocabulary words ranked 1000-6000 (alphabetic, 6+ letters),
variants made by changing the ending (``+s``, last letter dropped, ``+ly``, last two letters ->
``ing``) that are not in the vocabulary, the mean cosine between the variant's vector (from its
n-grams) and the original word's vector.

The corpus defaults to ``/tmp/bench/wiki17m.txt``, decompressed from
``../shared/corpora/wiki17m.txt.xz`` on first use (never into the repository).
"""
from __future__ import annotations

import argparse
import json
import lzma
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import harness

REPO = Path(__file__).resolve().parent.parent
XZ_CORPUS = REPO.parent / "shared" / "corpora" / "wiki17m.txt.xz"
BENCH_DIR = Path("/tmp/bench")
DEFAULT_CORPUS = BENCH_DIR / "wiki17m.txt"
RESULTS = REPO / "benchmarks" / "results"
MODES = {"sg": 1, "cbow": 0}
LIBS = ("w2v", "gensim")
SETTINGS = dict(vector_size=100, window=5, min_count=5, negative=5, hs=0, sample=1e-3, min_n=3, max_n=6,
                bucket=2_000_000, seed=1)


# --------------------------------------------------------------------------- the child: one timed run

def is_single_line(path: Path) -> bool:
    with open(path, "rb") as f:
        return b"\n" not in f.read(1 << 20).rstrip(b"\n")


def warmup_text(workdir: Path) -> Path:
    """A tiny text (the bundled sample's first words) trained on before the timed run."""
    sys.path.insert(0, str(REPO))
    import w2v

    target = workdir / "warmup.txt"
    if not target.exists():
        with lzma.open(w2v.sample_corpus_path(), "rt") as f:
            target.write_text(" ".join(f.read(200_000).split()[:20_000]))
    return target


def train(lib: str, corpus: Path, params: dict, gensim_input: str, kernel: str = "auto"):
    if lib == "w2v":
        from w2v.fasttext import FastText

        return FastText(corpus_file=str(corpus), progress=False, cache_dir=False, kernel=kernel, **params)
    from gensim.models import FastText
    from gensim.models.word2vec import LineSentence, Text8Corpus

    if gensim_input == "corpus_file":
        return FastText(corpus_file=str(corpus), **params)
    sentences = Text8Corpus(str(corpus)) if is_single_line(corpus) else LineSentence(str(corpus))
    return FastText(sentences, **params)


def unseen_score(wv) -> tuple[float, int]:
    """Mean cosine of changed-ending variants (not in the vocabulary) to their word; how many."""
    import numpy as np

    vocab = wv.key_to_index
    cosines = []
    for word in wv.index_to_key[1000:6000]:
        if len(word) < 6 or not word.isalpha():
            continue
        for variant in (word + "s", word[:-1], word + "ly", word[:-2] + "ing"):
            if variant not in vocab:
                a, b = wv[word], wv[variant]
                cosines.append(float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)))
    return (float(np.mean(cosines)) if cosines else float("nan")), len(cosines)


def child(spec: dict) -> dict:
    from gensim.test.utils import datapath

    params = dict(SETTINGS, sg=MODES[spec["mode"]], epochs=spec["epochs"], workers=spec["workers"])
    train(spec["lib"], warmup_text(Path(spec["workdir"])), dict(params, min_count=1, bucket=1000, epochs=1),
          spec["gensim_input"], spec.get("kernel", "auto"))
    usage0, load, start = resource.getrusage(resource.RUSAGE_SELF), os.getloadavg()[0], time.perf_counter()
    model = train(spec["lib"], Path(spec["corpus"]), params, spec["gensim_input"], spec.get("kernel", "auto"))
    wall = time.perf_counter() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    cpu = usage.ru_utime + usage.ru_stime - usage0.ru_utime - usage0.ru_stime
    analogy = model.wv.evaluate_word_analogies(datapath("questions-words.txt"), restrict_vocab=30000)[0]
    unseen, n_unseen = unseen_score(model.wv)
    return dict(wall_s=wall, cpu_s=cpu, peak_rss_mb=usage.ru_maxrss / 1024, load_1m_before=load,
                corpus_words=int(model.corpus_total_words), vocab=len(model.wv), analogy=float(analogy),
                unseen_cosine=unseen, unseen_words=n_unseen,
                words_per_s=model.corpus_total_words * spec["epochs"] / wall)


# --------------------------------------------------------------------------- the driver

def resolve_corpus(path: str | None, words: int | None) -> Path:
    corpus = Path(path) if path else DEFAULT_CORPUS
    if path is None and not corpus.exists():
        BENCH_DIR.mkdir(parents=True, exist_ok=True)
        tmp = corpus.with_suffix(f".tmp{os.getpid()}")
        with lzma.open(XZ_CORPUS, "rb") as src, open(tmp, "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, corpus)
    if words:
        sliced = BENCH_DIR / f"{corpus.stem}-{words}.txt"
        if not sliced.exists():
            BENCH_DIR.mkdir(parents=True, exist_ok=True)
            with open(corpus, encoding="utf-8", errors="replace") as f:
                text = f.read(words * 12).split()[:words]
            sliced.write_text(" ".join(text) + "\n")
        corpus = sliced
    return corpus


def one_run(spec: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True, text=True,
                          env=env, cwd=tempfile.gettempdir())
    if proc.returncode != 0:
        return dict(spec, error=proc.stderr[-2000:])
    return dict(spec, **json.loads(proc.stdout.strip().splitlines()[-1]))


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for mode in dict.fromkeys(r["mode"] for r in runs):
        by_lib = {}
        for lib in LIBS:
            ok = [r for r in runs if r["mode"] == mode and r["lib"] == lib and "error" not in r]
            if ok:
                by_lib[lib] = {k: statistics.median(r[k] for r in ok)
                               for k in ("wall_s", "cpu_s", "peak_rss_mb", "analogy", "unseen_cosine")}
                by_lib[lib]["runs"] = len(ok)
        row = dict(mode=mode, **{f"{lib}_{k}": v for lib, m in by_lib.items() for k, v in m.items()})
        if len(by_lib) == 2:
            row["speedup_wall"] = by_lib["gensim"]["wall_s"] / by_lib["w2v"]["wall_s"]
            row["speedup_cpu"] = by_lib["gensim"]["cpu_s"] / by_lib["w2v"]["cpu_s"]
        rows.append(row)
    return rows


def markdown(rows: list[dict]) -> str:
    lines = ["| mode | w2v wall s | gensim wall s | speed-up (wall) | w2v CPU s | gensim CPU s | speed-up (CPU) "
             "| w2v analogy | gensim analogy | w2v unseen cos | gensim unseen cos | w2v RSS MB | gensim RSS MB |",
             "|" + "---|" * 13]

    def f(row, key, spec):
        return format(row[key], spec) if key in row else "-"

    for r in rows:
        lines.append(f"| {r['mode']} | {f(r, 'w2v_wall_s', '.1f')} | {f(r, 'gensim_wall_s', '.1f')} | "
                     f"{f(r, 'speedup_wall', '.2f')}x | {f(r, 'w2v_cpu_s', '.1f')} | {f(r, 'gensim_cpu_s', '.1f')} | "
                     f"{f(r, 'speedup_cpu', '.2f')}x | {f(r, 'w2v_analogy', '.4f')} | {f(r, 'gensim_analogy', '.4f')} | "
                     f"{f(r, 'w2v_unseen_cosine', '.4f')} | {f(r, 'gensim_unseen_cosine', '.4f')} | "
                     f"{f(r, 'w2v_peak_rss_mb', '.0f')} | {f(r, 'gensim_peak_rss_mb', '.0f')} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", help=f"a plain text corpus (default {DEFAULT_CORPUS})")
    ap.add_argument("--words", type=int, help="train on the first N words only (a smoke run)")
    ap.add_argument("--modes", default="sg,cbow")
    ap.add_argument("--libs", default="w2v,gensim")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--gensim-input", default="iterable", choices=("iterable", "corpus_file"))
    ap.add_argument("--kernel", default="auto", choices=("auto", "shared", "batched", "exact"),
                    help="w2v's FastText update (default auto: 'shared')")
    ap.add_argument("--max-load", type=float, default=1.0)
    ap.add_argument("--wait", type=float, default=600.0, help="seconds to wait for the load to fall")
    ap.add_argument("--out", type=Path, help="write PREFIX.json and PREFIX.md (e.g. benchmarks/results/DATE-COMMIT-"
                                             "fasttext)")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return 0
    corpus = resolve_corpus(args.corpus, args.words)
    workdir = Path(tempfile.mkdtemp(prefix="w2v-fasttext-bench-"))
    runs = []
    try:
        for repeat in range(args.repeats):
            for mode in args.modes.split(","):
                for lib in args.libs.split(","):
                    load = harness.wait_for_quiet(args.max_load, args.wait)
                    spec = dict(lib=lib, mode=mode, epochs=args.epochs, workers=args.workers, corpus=str(corpus),
                                gensim_input=args.gensim_input, kernel=args.kernel, workdir=str(workdir))
                    run = dict(one_run(spec), repeat=repeat, load_at_start=load)
                    runs.append(run)
                    print(json.dumps({k: v for k, v in run.items() if k not in ("workdir", "corpus")}), flush=True)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    table = markdown(summarise(runs))
    print(table)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".json").write_text(json.dumps({"argv": sys.argv[1:], "corpus": str(corpus),
                                                             "settings": SETTINGS, "runs": runs}, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(table + "\n")
    return 0 if all("error" not in r for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main())
