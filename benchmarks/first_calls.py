"""First calls in a fresh process: w2v against gensim, each feature's first use as a script meets it.

    python benchmarks/first_calls.py [--repeats 5] [--max-load 1.0] [--tasks phrases deepwalk query train]
                                     [--corpus PATH] [--out STEM]

Every run is a fresh Python process (numba's on-disk cache warm: an untimed run of each task
comes first), so its time holds the library's import and its first kernel calls. Inputs are
made before the clock starts (token lists read, walks generated, a vector file written once).
Runs are interleaved library by library, each started once the 1-minute load is below
``--max-load`` (the load is recorded); medians of ``--repeats``, CPU seconds and peak RSS beside
wall seconds.

Tasks:

* ``phrases``: wiki17m's first 6M words as 1,000-token lists in memory; ``Phrases(sentences)``,
  ``freeze()``, then every list of ``frozen[sentences]`` taken (gensim's usual calls);
* ``deepwalk``: DeepWalk-style graph embedding: 20,000 random walks of 80 nodes over a
  2,000-node preferential-attachment graph, then over a 34-node one (str node ids); CBOW with
  hierarchical softmax and 5 negatives, vector_size=128, window=5, min_count=0, 1 epoch,
  workers=4 (more threads than this machine's cores), both fits timed;
* ``query``: ``KeyedVectors.load_word2vec_format`` of a binary file of wiki17m's 79k x 100
  vectors, then ``most_similar("king")``, ``similarity``, ``doesnt_match`` and
  ``most_similar(positive=..., negative=...)``;
* ``train``: ``Word2Vec(sentences, sg=1, epochs=1, workers=2)`` on the bundled sample as token
  lists (2M words).
"""
from __future__ import annotations

import argparse
import json
import lzma
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import harness  # noqa: E402

TASKS = ("phrases", "deepwalk", "query", "train")
PHRASE_WORDS = 6_000_000


def cached_name(corpus: Path, what: str) -> Path:
    """A file made once from ``corpus`` in the benchmark cache, named by the corpus's identity."""
    stat = corpus.stat()
    return harness.CACHE / f"first-calls-{corpus.stem}-{stat.st_size}-{int(stat.st_mtime)}-{what}"


def phrase_lines(corpus: Path) -> Path:
    """The corpus's first 6M words as 1,000-word lines (made once)."""
    target = cached_name(corpus, "6m-lines.txt")
    if not target.exists():
        harness.CACHE.mkdir(parents=True, exist_ok=True)
        with open(corpus, encoding="utf-8") as f:
            words = f.read(PHRASE_WORDS * 8).split()[:PHRASE_WORDS]
        harness.write_text(target, "".join(" ".join(words[i:i + 1000]) + "\n" for i in range(0, len(words), 1000)))
    return target


def query_vectors(corpus: Path) -> Path:
    """The corpus's vectors (w2v, skip-gram NS, 1 epoch) in word2vec's binary format (made once)."""
    target = cached_name(corpus, "vectors.bin")
    if not target.exists():
        import w2v

        harness.CACHE.mkdir(parents=True, exist_ok=True)
        model = w2v.train(str(corpus), sg=1, epochs=1, workers=2)
        model.wv.save_word2vec_format(str(target), binary=True)
    return target


def walks(n_nodes: int, n_walks: int = 20_000, length: int = 80, seed: int = 0) -> list[list[str]]:
    """Uniform random walks over a preferential-attachment graph (each new node links to 3, or 2
    for graphs under 100 nodes, earlier ones chosen in proportion to their degree)."""
    import numpy as np

    rng = np.random.default_rng(seed + n_nodes)
    m = 3 if n_nodes >= 100 else 2
    neighbours: list[list[int]] = [[] for _ in range(n_nodes)]
    ends = list(range(m))
    for v in range(m, n_nodes):
        for u in set(ends[:m]) if v == m else set(int(ends[i]) for i in rng.integers(0, len(ends), m)):
            neighbours[v].append(u)
            neighbours[u].append(v)
            ends += [u, v]
    out = []
    for start in rng.integers(0, n_nodes, n_walks):
        walk = [int(start)]
        for _ in range(length - 1):
            options = neighbours[walk[-1]]
            walk.append(options[int(rng.integers(len(options)))])
        out.append([str(node) for node in walk])
    return out


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM: unlike ru_maxrss, not carried over from the parent at exec)."""
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmHWM")) / 1024


def child(lib: str, task: str, inputs: dict) -> dict:
    """One timed run of ``task`` in this fresh process."""
    if task == "phrases":
        with open(inputs["phrases"], encoding="utf-8") as f:
            sentences = [line.split() for line in f]
    elif task == "deepwalk":
        graphs = [walks(2000), walks(34)]
    elif task == "train":
        with lzma.open(harness.SAMPLE_CORPUS, "rt", encoding="utf-8") as f:
            words = f.read().split()
        sentences = [words[i:i + 1000] for i in range(0, len(words), 1000)]
    cpu0, t0 = harness.cpu_seconds(), time.perf_counter()
    if lib == "gensim":
        from gensim.models import KeyedVectors, Word2Vec
        from gensim.models.phrases import Phrases
    else:
        from w2v import KeyedVectors, Phrases, Word2Vec
    if task == "phrases":
        frozen = Phrases(sentences).freeze()
        tokens = sum(len(s) for s in frozen[sentences])
        result = {"tokens_out": tokens}
    elif task == "deepwalk":
        for corpus in graphs:
            Word2Vec(corpus, vector_size=128, window=5, min_count=0, sg=0, hs=1, negative=5, workers=4, epochs=1,
                     seed=1)
        result = {}
    elif task == "query":
        kv = KeyedVectors.load_word2vec_format(inputs["query"], binary=True)
        top = kv.most_similar("king", topn=10)
        kv.similarity("france", "paris")
        kv.doesnt_match(["breakfast", "cereal", "dinner", "lunch"])
        kv.most_similar(positive=["woman", "king"], negative=["man"], topn=5)
        result = {"neighbour": top[0][0]}
    else:
        model = Word2Vec(sentences, sg=1, epochs=1, workers=2)
        result = {"vocabulary": len(model.wv)}
    result.update(wall_s=time.perf_counter() - t0, cpu_s=harness.cpu_seconds() - cpu0, peak_mb=peak_rss_mb())
    return result


def run(lib: str, task: str, inputs: dict) -> dict:
    spec = json.dumps({"lib": lib, "task": task, "inputs": inputs})
    out = subprocess.run([sys.executable, __file__, "--child", spec], capture_output=True, text=True,
                         cwd=harness.REPO)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} {task} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def table(runs: list[dict], tasks) -> str:
    lines = ["| task | library | wall s (median) | runs | CPU s | peak MB | gensim / w2v |", "|---|---|---|---|---|---|---|"]
    for task in tasks:
        medians = {}
        for lib in harness.LIBS:
            mine = [r for r in runs if r["task"] == task and r["lib"] == lib]
            medians[lib] = statistics.median(r["wall_s"] for r in mine)
            each = ", ".join(f"{r['wall_s']:.2f}" for r in mine)
            lines.append(f"| {task} | {lib} | {medians[lib]:.2f} | {each} | "
                         f"{statistics.median(r['cpu_s'] for r in mine):.2f} | "
                         f"{statistics.median(r['peak_mb'] for r in mine):.0f} | "
                         + (f"{medians['gensim'] / medians['w2v']:.2f}x |" if lib == "gensim" else "|"))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None, help="text corpus for phrases and query (default: wiki17m, "
                        "else the bundled sample)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--max-load", type=float, default=1.0)
    parser.add_argument("--tasks", nargs="+", choices=TASKS, default=list(TASKS))
    parser.add_argument("--out", default=None, help="results file stem (default: results/DATE-COMMIT-first-calls)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(spec["lib"], spec["task"], spec["inputs"])))
        return
    corpus = harness.resolve_corpus(args.corpus)
    inputs = {"phrases": str(phrase_lines(corpus)) if "phrases" in args.tasks else "",
              "query": str(query_vectors(corpus)) if "query" in args.tasks else ""}
    for task in args.tasks:  # untimed: numba's cache warm for every kernel a task loads
        run("w2v", task, inputs)
    runs = []
    for repeat in range(args.repeats):
        for task in args.tasks:
            for lib in harness.LIBS:
                load = harness.wait_for_quiet(args.max_load)
                result = run(lib, task, inputs) | {"lib": lib, "task": task, "repeat": repeat, "load": load}
                print(json.dumps(result), flush=True)
                runs.append(result)
    loads = [r["load"] for r in runs]
    report = (f"First calls in fresh processes, medians of {args.repeats} interleaved runs; 1-minute load at "
              f"the runs' starts {min(loads):.2f}-{max(loads):.2f} (bar {args.max_load}).\n\n" + table(runs, args.tasks))
    print(report)
    stem = args.out or harness.RESULTS / f"{time.strftime('%Y-%m-%d')}-{harness.head_commit()}-first-calls"
    harness.write_text(Path(f"{stem}.md"), report + "\n")
    harness.write_text(Path(f"{stem}.json"), json.dumps(runs, indent=1) + "\n")


if __name__ == "__main__":
    main()
