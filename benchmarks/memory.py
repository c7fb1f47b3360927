"""Training memory against corpus size: peak RSS and speed of w2v and gensim on 1, 4, 16 copies of a corpus.

Each run is a fresh process under ``/usr/bin/time -f %M`` (peak RSS as the kernel counts it: heap
and resident file pages alike), CBOW with negative sampling by default, 1 epoch, 2 workers, w2v's
scan cache off (``cache_dir=False``) so every run reads the text. The copies are the corpus
written N times one after another (a newline between), so the distinct words are the same; the
runs use ``min_count = 5 x N`` so that the *kept* vocabulary, and with it the tables, are the same
too, and what is left to differ is what grows with the corpus. (``--fixed-min-count`` keeps 5:
then more words pass at larger N and the tables grow as they should.) Libraries and sizes run
interleaved, each run starting once the 1-minute load average is below ``--max-load`` (or after
``--wait`` seconds of waiting; the load at each start is recorded).

Run (outside the repo for the corpus copies)::

    python benchmarks/memory.py --corpus /tmp/bench/wiki17m.txt --copies 1,4,16 --libs w2v,gensim \\
        --repeat 1 --out benchmarks/results/DATE-COMMIT-memory-train.json

Loading and querying vector files is measured by ``benchmarks/memory_vectors.py``.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import harness

REPO = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time, resource
lib, path, min_count, sg, hs, epochs = sys.argv[1], sys.argv[2], *map(int, sys.argv[3:7])
params = dict(vector_size=100, window=5, min_count=min_count, sg=sg, hs=hs, negative=0 if hs else 5, epochs=epochs,
              workers=2, sample=1e-3, seed=1)
t0, c0 = time.perf_counter(), time.process_time()
if lib == "w2v":
    import w2v
    model = w2v.Word2Vec(cache_dir=False, progress=False, **params)
    model.build_vocab(path)
    t1 = time.perf_counter()
    model.train(total_examples=model.corpus_count, epochs=epochs)
    vocab = len(model.wv)
else:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import Text8Corpus
    corpus = Text8Corpus(path)
    model = Word2Vec(**params)
    model.build_vocab(corpus)
    t1 = time.perf_counter()
    model.train(corpus, total_examples=model.corpus_count, epochs=epochs)
    vocab = len(model.wv)
t2 = time.perf_counter()
print(json.dumps({"scan_s": t1 - t0, "train_s": t2 - t1, "wall_s": t2 - t0, "cpu_s": time.process_time() - c0,
                  "corpus_words": int(model.corpus_total_words), "vocab": vocab,
                  "train_words_per_s": epochs * model.corpus_total_words / (t2 - t1)}))
"""


def copies_of(corpus: Path, n: int, workdir: Path) -> Path:
    """``corpus`` written ``n`` times (made once, kept in ``workdir``)."""
    if n == 1:
        return corpus
    target = workdir / f"{corpus.stem}_x{n}{corpus.suffix}"
    if not target.exists() or target.stat().st_size < n * corpus.stat().st_size:
        with tempfile.NamedTemporaryFile(dir=workdir, delete=False) as out:
            for _ in range(n):
                with open(corpus, "rb") as src:
                    shutil.copyfileobj(src, out, 1 << 24)
                out.write(b"\n")
        os.replace(out.name, target)
    return target


def one_run(lib: str, path: Path, min_count: int, sg: int, hs: int, epochs: int = 1) -> dict:
    """One fresh process. ``lib`` is ``gensim``, ``w2v`` (this tree) or ``w2v:SOURCE`` (w2v imported
    from another source tree, e.g. an older commit's ``git archive``, for before/after runs)."""
    time_file = Path(tempfile.mkstemp(prefix="w2v-time-")[1])
    name, _, source = lib.partition(":")
    env = dict(os.environ, PYTHONPATH=source or str(REPO))
    try:
        out = subprocess.run(["/usr/bin/time", "-o", str(time_file), "-f", "%M %e %U %S", sys.executable, "-c", CHILD,
                              name, str(path), str(min_count), str(sg), str(hs), str(epochs)],
                             capture_output=True, text=True, cwd=tempfile.gettempdir(), env=env, check=True)
        peak_kb, wall, user, system = time_file.read_text().split()[-4:]
    finally:
        time_file.unlink()
    row = json.loads(out.stdout.strip().splitlines()[-1])
    row.update(peak_rss_mb=int(peak_kb) / 1024, process_wall_s=float(wall), process_cpu_s=float(user) + float(system))
    return row


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="a plain text corpus (e.g. wiki17m decompressed)")
    ap.add_argument("--copies", default="1,4,16")
    ap.add_argument("--libs", default="w2v,gensim")
    ap.add_argument("--mode", default="cbow", choices=["cbow", "sg", "sg-hs"])
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--epochs", default="1",
                    help="epochs per copies value, e.g. '16,1' with --copies 1,16: the same words trained, "
                         "in a run of the same length, from a corpus 16 times smaller")
    ap.add_argument("--fixed-min-count", action="store_true")
    ap.add_argument("--max-load", type=float, default=1.0)
    ap.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the load to fall")
    ap.add_argument("--workdir", type=Path, default=None, help="where the copies go (default: beside the corpus)")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    sg, hs = {"cbow": (0, 0), "sg": (1, 0), "sg-hs": (1, 1)}[args.mode]
    workdir = args.workdir or args.corpus.parent
    sizes = [int(c) for c in args.copies.split(",")]
    libs = args.libs.split(",")
    paths = {n: copies_of(args.corpus, n, workdir) for n in sizes}
    epochs = [int(e) for e in args.epochs.split(",")]
    epochs_of = dict(zip(sizes, epochs if len(epochs) == len(sizes) else epochs * len(sizes)))
    runs = []
    for r in range(args.repeat):
        for n in sizes:
            for lib in libs:
                load = harness.wait_for_quiet(args.max_load, args.wait)
                min_count = 5 if args.fixed_min_count else 5 * n
                row = one_run(lib, paths[n], min_count, sg, hs, epochs_of[n])
                row.update(lib=lib, copies=n, epochs=epochs_of[n], min_count=min_count, mode=args.mode, round=r,
                           load_at_start=load)
                runs.append(row)
                print(json.dumps(row), flush=True)
    table = summarise(runs)
    print(table)
    if args.out:
        args.out.write_text(json.dumps({"runs": runs, "argv": sys.argv[1:]}, indent=1) + "\n")
        args.out.with_suffix(".md").write_text(table + "\n")


def summarise(runs: list) -> str:
    lines = ["| library | copies | epochs | corpus words | min_count | vocab | peak RSS MB | train words/s (corpus words x epochs / training s) | wall s | CPU s | runs | load at start |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["lib"], r["copies"], r.get("epochs", 1)) for r in runs}, key=lambda k: (k[1], k[2], k[0]))
    for lib, n, epochs in keys:
        rs = [r for r in runs if (r["lib"], r["copies"], r.get("epochs", 1)) == (lib, n, epochs)]
        med = lambda k: statistics.median(r[k] for r in rs)  # noqa: E731
        loads = ", ".join(f"{r['load_at_start']:.2f}" for r in rs)
        lines.append(f"| {lib} | {n} | {epochs} | {rs[0]['corpus_words'] / 1e6:.1f}M | {rs[0]['min_count']} | "
                     f"{rs[0]['vocab']} | {med('peak_rss_mb'):.0f} | {med('train_words_per_s') / 1e6:.2f}M | "
                     f"{med('process_wall_s'):.1f} | {med('process_cpu_s'):.1f} | {len(rs)} | "
                     f"{loads} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
