"""Vocabulary scan: w2v (scan + vocabulary + encoding) vs gensim's build_vocab, on the same file.

    python benchmarks/vocab_scan.py [--corpus PATH] [--repeats 5]

Each repeat runs both in fresh subprocesses (alternating, so background load hits both), w2v with
its disk cache off so it really reads the text. Prints medians of wall and CPU seconds and checks
the two vocabularies are identical (same words, same counts).
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import is_single_line, resolve_corpus, warmup_corpus  # noqa: E402

CHILD = r"""
import json, sys, time
path, lib, warmup, one_line = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
if lib == "w2v":
    from w2v import encode
    from w2v.vocab import Vocabulary
    warm = encode.scan(warmup, cache_dir=False)  # load the cached kernels outside the timing
    Vocabulary.from_counts(warm.words, warm.counts(), 5)[0].noise_table()
    warm.encode(Vocabulary.from_counts(warm.words, warm.counts(), 5)[0])
    w0, c0 = time.perf_counter(), time.process_time()
    raw = encode.scan(path, cache_dir=False)
    vocab, _ = Vocabulary.from_counts(raw.words, raw.counts(), 5)
    encoded = raw.encode(vocab)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    words = dict(zip(vocab.words, vocab.counts.tolist()))
else:
    from gensim.models import Word2Vec
    from gensim.models.word2vec import LineSentence, Text8Corpus
    corpus = Text8Corpus(path) if one_line else LineSentence(path)
    w0, c0 = time.perf_counter(), time.process_time()
    model = Word2Vec(min_count=5)
    model.build_vocab(corpus)
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    words = {w: int(model.wv.get_vecattr(w, "count")) for w in model.wv.index_to_key}
print(json.dumps({"wall": wall, "cpu": cpu, "n": len(words), "digest": hash(frozenset(words.items()))}))
"""


def run(path: Path, lib: str) -> dict:
    argv = [str(path), lib, str(warmup_corpus()), "1" if is_single_line(path) else "0"]
    out = subprocess.run([sys.executable, "-c", CHILD, *argv], capture_output=True, text=True,
                         check=True, env={"PYTHONHASHSEED": "0", **_env()})
    return json.loads(out.stdout.strip().splitlines()[-1])


def _env() -> dict:
    import os
    return {k: v for k, v in os.environ.items() if k != "PYTHONHASHSEED"}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=None)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    path = resolve_corpus(args.corpus)
    results = {"w2v": [], "gensim": []}
    for _ in range(args.repeats):
        for lib in results:
            results[lib].append(run(path, lib))
    print(f"corpus: {path}")
    print("| library | vocabulary | wall s (median) | CPU s (median) |")
    print("|---|---|---|---|")
    for lib, runs in results.items():
        print(f"| {lib} | {runs[0]['n']:,} | {statistics.median(r['wall'] for r in runs):.2f} | "
              f"{statistics.median(r['cpu'] for r in runs):.2f} |")
    same = results["w2v"][0]["digest"] == results["gensim"][0]["digest"]
    print(f"same words and counts: {same}")


if __name__ == "__main__":
    main()
