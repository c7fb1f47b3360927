"""Benchmark machinery shared by compare.py and nn_overlap.py.

One training run = one fresh Python subprocess (this file run with ``--child``), so that peak RSS
(``resource.getrusage`` of that process) belongs to that run alone and nothing is shared between
runs (no warm caches, no already-compiled kernels, no leftover threads).

What is timed: only the training call, end to end: ``w2v.train(path, ..., cache_dir=False,
progress=False)`` for w2v and ``Word2Vec(Text8Corpus(path), ...)`` (``LineSentence`` for a file
with several lines) for gensim. Both include the vocabulary scan, reading the corpus and training.
Imports are not timed, and numba's JIT compilation is excluded: before the timer starts the child
trains once on a tiny corpus with the same settings (done for both libraries, so they are treated
alike). Peak RSS is measured right after the timed run, before the vectors are written out.

Quality is scored in the parent by :func:`score_vectors`, with gensim's own evaluators for BOTH
libraries: the child saves its vectors in word2vec binary format and the scorer loads them into
gensim's ``KeyedVectors``.
"""
from __future__ import annotations

import json
import lzma
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = REPO.parent / "shared" / "corpora" / "wiki17m.txt.xz"
SAMPLE_CORPUS = REPO / "w2v" / "data" / "sample.txt.xz"
CACHE = Path(os.environ.get("TMPDIR") or "/tmp") / "w2v-bench"
RESULTS = Path(__file__).resolve().parent / "results"

# Settings shared by both libraries (gensim's defaults, which are also w2v.train's).
COMMON = dict(vector_size=100, window=5, min_count=5, sample=1e-3, alpha=0.025, min_alpha=1e-4)
MODES = {
    "sg-ns": dict(sg=1, hs=0, negative=5),
    "sg-hs": dict(sg=1, hs=1, negative=0),
    "cbow-ns": dict(sg=0, hs=0, negative=5),
    "cbow-hs": dict(sg=0, hs=1, negative=0),
}
LIBS = ("w2v", "gensim")
WARMUP_WORDS = 20_000
ANALOGY_RESTRICT = 30_000


# --------------------------------------------------------------------------- corpus


def resolve_corpus(path: str | os.PathLike | None = None) -> Path:
    """The corpus both libraries read: ``path``, else wiki17m if present, else the bundled sample.

    Compressed files are decompressed once into :data:`CACHE` so that neither library pays for
    decompression in the timed region (gensim's smart_open and w2v would do it at different speeds).
    """
    source = Path(path) if path else (DEFAULT_CORPUS if DEFAULT_CORPUS.exists() else SAMPLE_CORPUS)
    if not source.exists():
        raise SystemExit(f"benchmark corpus {str(source)!r} does not exist")
    if source.suffix != ".xz":
        return source
    stat = source.stat()
    target = CACHE / f"{stat.st_size}-{int(stat.st_mtime)}" / source.stem  # keyed by the source's identity
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        with lzma.open(source, "rb") as src, open(tmp, "wb") as dst:
            while chunk := src.read(1 << 22):
                dst.write(chunk)
        os.replace(tmp, target)
    return target


def write_text(path, text: str) -> None:
    """Write a result file atomically (w2v's writer): an interrupted run never leaves half a file."""
    from w2v.fileutil import atomic_write

    with atomic_write(path, "w", encoding="utf-8") as f:
        f.write(text)


def warmup_corpus() -> Path:
    """A tiny text (the sample's first words) that the child trains on to compile kernels untimed."""
    target = CACHE / f"warmup-{WARMUP_WORDS}.txt"
    if not target.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        with lzma.open(SAMPLE_CORPUS, "rt") as f:
            words = f.read(WARMUP_WORDS * 12).split()[:WARMUP_WORDS]
        tmp = target.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(" ".join(words))
        os.replace(tmp, target)
    return target


def is_single_line(path: Path) -> bool:
    """text8-style files are one huge line: gensim then needs Text8Corpus to cut them into sentences."""
    with open(path, "rb") as f:
        head = f.read(1 << 20)
    return b"\n" not in head.rstrip(b"\n")


# --------------------------------------------------------------------------- the child: one timed run


def train_w2v(corpus: Path, params: dict, kernel: str):
    """Train with w2v the way the benchmark promises (no encoded-corpus cache, no progress bar)."""
    import w2v

    model = w2v.train(str(corpus), **params, cache_dir=False, progress=False, compute_loss=False,
                      kernel=kernel)
    return model.wv, model.corpus_total_words


def train_gensim(corpus: Path, params: dict, kernel: str):
    """Train with gensim, streaming the file as gensim users do; ``kernel`` has no gensim meaning."""
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus

    sentences = Text8Corpus(str(corpus)) if is_single_line(corpus) else LineSentence(str(corpus))
    model = Word2Vec(sentences, **params)
    return model.wv, model.corpus_total_words


TRAINERS = {"w2v": train_w2v, "gensim": train_gensim}


def child_main(spec: dict) -> dict:
    """Warm up, time one training run, measure peak RSS, save vectors; returns the measurements."""
    trainer = TRAINERS[spec["lib"]]
    params = dict(COMMON, **MODES[spec["mode"]], epochs=spec["epochs"], workers=spec["workers"],
                  seed=spec["seed"])
    trainer(warmup_corpus(), dict(params, epochs=1, min_count=1), spec["kernel"])
    load_1m, cpu_before, start = os.getloadavg()[0], cpu_seconds(), time.perf_counter()
    wv, corpus_words = trainer(Path(spec["corpus"]), params, spec["kernel"])
    wall, cpu = time.perf_counter() - start, cpu_seconds() - cpu_before
    peak_rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    wv.save_word2vec_format(spec["vectors"], binary=True)
    return dict(wall_s=wall, cpu_s=cpu, corpus_words=int(corpus_words), vocab_size=len(wv.index_to_key),
                words_per_s=corpus_words * spec["epochs"] / wall, peak_rss_mb=peak_rss_mb,
                load_1m_before=load_1m)


def wait_for_quiet(max_load: float, timeout: float = 600.0) -> float:
    """Wait until the 1-minute load average is below ``max_load`` (or ``timeout`` s passed); return it.

    On a shared 2-core machine a run started under load reads 30-40% slower: a figure counts only
    when its run started quiet, and the load it started at is recorded beside it."""
    start = time.monotonic()
    while True:
        load = os.getloadavg()[0]
        if load < max_load or time.monotonic() - start > timeout:
            return load
        time.sleep(5)


def head_commit() -> str:
    """The checkout's short commit, which names a results file."""
    return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                          text=True).stdout.strip()


def cpu_seconds() -> float:
    """User + system CPU time of this process: unlike wall time, barely moved by other users' load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_spec(lib: str, mode: str, epochs: int, workers: int, corpus: Path, kernel: str = "auto",
             seed: int = 1, tag: str = "", reuse: bool = False) -> dict:
    """Run one configuration in a fresh subprocess; returns the spec merged with its measurements.

    The vectors and a JSON record of the run are left in the cache, named by everything that
    determines them; ``reuse=True`` returns an earlier identical run's record instead of training
    again (nn_overlap.py uses it: gensim's runs don't change when only w2v's kernel does). A failed
    run is reported (its stderr tail) and returned with an ``error`` field instead of stopping a
    long grid.
    """
    kernel_part = f"-{kernel}" if lib == "w2v" else ""
    vectors = (CACHE / "vectors" / f"{Path(corpus).stem}-{lib}-{mode}-e{epochs}-w{workers}-s{seed}"
               f"{kernel_part}{tag}.bin")
    record = vectors.with_suffix(".json")
    if reuse and vectors.exists() and record.exists():
        return dict(json.loads(record.read_text()), reused=True)
    vectors.parent.mkdir(parents=True, exist_ok=True)
    spec = dict(lib=lib, mode=mode, epochs=epochs, workers=workers, seed=seed, kernel=kernel,
                corpus=str(corpus), vectors=str(vectors))
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)],
                          capture_output=True, text=True, cwd=REPO)
    if proc.returncode != 0:
        tail = "\n".join(proc.stderr.strip().splitlines()[-8:])
        print(f"  FAILED {lib} {mode} (exit {proc.returncode}):\n{tail}", file=sys.stderr)
        return dict(spec, error=tail or f"exit {proc.returncode}")
    result = dict(spec, **json.loads(proc.stdout.strip().splitlines()[-1]))
    write_text(record, json.dumps(result))
    return result


def discard(run: dict) -> None:
    """Delete a run's vectors and record once they have been scored (each is tens of MB)."""
    vectors = Path(run["vectors"])
    vectors.unlink(missing_ok=True)
    vectors.with_suffix(".json").unlink(missing_ok=True)


# --------------------------------------------------------------------------- scoring (parent side)


def eval_paths() -> dict:
    """gensim's bundled evaluation sets, the ones every published word2vec number uses."""
    from gensim.test.utils import datapath

    return {"analogy": datapath("questions-words.txt"), "wordsim353": datapath("wordsim353.tsv"),
            "simlex999": datapath("simlex999.txt")}


def score_vectors(path: str | os.PathLike) -> dict:
    """Analogy accuracy (top 30000 words) and wordsim353/simlex999 Spearman, by gensim's code.

    Used for both libraries' vectors, so a difference in scores is never a difference in scorers.
    """
    import logging

    from gensim.models import KeyedVectors

    logging.getLogger("gensim").setLevel(logging.WARNING)
    kv = KeyedVectors.load_word2vec_format(str(path), binary=True)
    paths = eval_paths()
    analogy, _sections = kv.evaluate_word_analogies(paths["analogy"], restrict_vocab=ANALOGY_RESTRICT)
    return {"analogy": float(analogy),
            "wordsim353": float(kv.evaluate_word_pairs(paths["wordsim353"])[1][0]),
            "simlex999": float(kv.evaluate_word_pairs(paths["simlex999"])[1][0])}


def median_of(runs: list[dict], key: str) -> float | None:
    """Median of one measurement over repeated runs, ignoring failed runs."""
    values = [r[key] for r in runs if r.get(key) is not None]
    return statistics.median(values) if values else None


def environment() -> dict:
    """Versions and machine facts to store next to the numbers, so a reader knows what was run."""
    import platform

    versions = {}
    for name in ("w2v", "gensim", "numpy", "numba"):
        try:
            versions[name] = __import__(name).__version__
        except Exception as exc:  # noqa: BLE001 - a missing library is a fact to record, not fatal
            versions[name] = f"unavailable ({type(exc).__name__})"
    return dict(python=platform.python_version(), machine=platform.machine(), cores=os.cpu_count(),
                date=time.strftime("%Y-%m-%d %H:%M:%S"), versions=versions, settings=COMMON,
                analogy_restrict_vocab=ANALOGY_RESTRICT)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        print(json.dumps(child_main(json.loads(sys.argv[2]))))
    else:
        raise SystemExit("harness.py is run by compare.py / nn_overlap.py; see benchmarks/README.md")
