"""Phrases benchmark: w2v.Phrases against gensim's Phrases on the same corpus, same parameters.

    python benchmarks/phrases.py [--corpus PATH] [--repeats N] [--gensim-repeats N] [--word2phrase BIN]

The corpus (default /work/cache/wiki17m.txt, else the bundled sample) is rewritten once, outside
any timing, as 1,000-word lines, so gensim's ``LineSentence`` and w2v read the same sentences.
Rows run interleaved (one run of each, round after round), each in a fresh subprocess (peak RSS
is that process's alone; numba kernels come from the on-disk cache, warmed by an untimed run
first; every process imports gensim's ``LineSentence`` before its clock starts, so no row's
timing holds that import, or scipy.linalg's, which numba's first kernel call makes where nothing
has). Default parameters (min_count=5, threshold=10).

Rows:

* ``gensim``: ``Phrases(LineSentence(path))``, ``freeze()``, then every sentence of
  ``frozen[LineSentence(path)]`` consumed (end to end, timed as learn + apply);
* ``w2v``: ``w2v.Phrases(path)``, ``freeze()``, then ``frozen[LineSentence(path)]`` consumed
  (gensim's token-list API and corpus object; w2v recognises a ``LineSentence`` of a file and
  reads that file with its own tokeniser, the same sentences as LineSentence's lists);
* ``w2v file``: ``w2v.Phrases(path)`` then ``frozen.save_phrased(path, out)`` (file to file);
* ``w2v phrase``: the CLI's word2phrase rules (threshold 100), file to file; different scoring,
  so its output is not compared; ``word2phrase.c`` beside it when ``--word2phrase`` is given.

Checks: the phrase sets and scores of ``export_phrases`` (relative difference), and a SHA-256 of
the phrased sentences (each sentence's tokens joined by spaces, one per line; hashed in a
second, untimed pass over ``frozen[...]``, so the timed pass only takes each list) for the three
gensim-semantics rows. With ``--train`` a skip-gram model is trained
on the phrased corpus (``w2v.train(frozen[Path(path)])``) and ``most_similar("new_york")`` printed.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = Path("/work/cache/wiki17m.txt")
SAMPLE_CORPUS = REPO / "w2v" / "data" / "sample.txt.xz"
CACHE = Path(os.environ.get("TMPDIR") or "/tmp") / "w2v-bench"
SENTENCE_WORDS = 1000
RESULTS = Path(__file__).resolve().parent / "results"


def prepared_corpus(source: Path) -> Path:
    """``source`` as 1,000-word lines (once; reused while the source is unchanged)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    st = source.stat()
    target = CACHE / f"{source.stem}-lines{SENTENCE_WORDS}-{st.st_size}-{int(st.st_mtime)}.txt"
    if not target.exists():
        sys.path.insert(0, str(REPO))
        from w2v.corpus import iter_sentences

        tmp = target.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            for sentence in iter_sentences(str(source), SENTENCE_WORDS):
                f.write(" ".join(sentence) + "\n")
        os.replace(tmp, target)
    return target


class Sink:
    """Digest of phrased sentences (each sentence's tokens joined by spaces, one per line)."""

    def __init__(self):
        self.digest = hashlib.sha256()
        self.tokens = self.sentences = 0

    def eat(self, sentence):
        self.digest.update((" ".join(sentence) + "\n").encode("utf-8"))
        self.tokens += len(sentence)
        self.sentences += 1


def consume(sentences) -> int:
    """What the timed region does with the phrased sentences: take each list and its length
    (the digest is made in a second, untimed pass, so hashing never interleaves with the timing)."""
    tokens = 0
    for sentence in sentences:
        tokens += len(sentence)
    return tokens


def child(spec: dict) -> dict:
    """One timed run in this (fresh) process."""
    corpus, lib = spec["corpus"], spec["lib"]
    result = {"lib": lib}
    # every row imports what the token-list rows need before its clock starts: gensim's import
    # brings scipy.linalg in, which numba's first kernel call imports otherwise (~0.15 s inside
    # the timing of the rows that never touch gensim)
    from gensim.models.word2vec import LineSentence
    if lib in ("gensim", "w2v"):  # learn from the file, then apply through gensim's phrases[corpus] API
        if lib == "gensim":
            from gensim.models.phrases import Phrases
        else:
            from w2v import Phrases

        cpu0 = sum(os.times()[:2])  # user + system, every thread
        t0 = time.perf_counter()
        model = Phrases(LineSentence(corpus)) if lib == "gensim" else Phrases(corpus)
        frozen = model.freeze()
        t1 = time.perf_counter()
        consume(frozen[LineSentence(corpus)])
        t2 = time.perf_counter()
        cpu1 = sum(os.times()[:2])
        sink = Sink()
        for sentence in frozen[LineSentence(corpus)]:  # untimed: the same sentences, hashed
            sink.eat(sentence)
    elif lib == "w2v file":
        import w2v

        cpu0 = sum(os.times()[:2])  # user + system, every thread
        t0 = time.perf_counter()
        model = w2v.Phrases(corpus)
        frozen = model.freeze()
        t1 = time.perf_counter()
        frozen.save_phrased(corpus, spec["out"])
        t2 = time.perf_counter()
        cpu1 = sum(os.times()[:2])
        sink = Sink()
        with open(spec["out"], "rb") as f:  # untimed: the same digest as the token-list rows
            for line in f:
                sink.digest.update(line)
                sink.tokens += line.count(b" ") + 1
                sink.sentences += 1
    elif lib == "w2v phrase":
        from w2v.word2phrase import word2phrase

        cpu0 = sum(os.times()[:2])  # user + system, every thread
        t0 = time.perf_counter()
        stats = word2phrase(corpus, spec["out"], debug=0)
        t1 = t2 = time.perf_counter()
        cpu1 = sum(os.times()[:2])
        result.update(joined=stats["joined"])
        sink = None
    else:
        raise ValueError(lib)
    result.update(learn_s=t1 - t0, apply_s=t2 - t1, cpu_s=cpu1 - cpu0,
                  peak_rss_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["total_s"] = result["learn_s"] + result["apply_s"]
    if sink is not None:
        result.update(sha256=sink.digest.hexdigest(), tokens=sink.tokens, sentences=sink.sentences)
        phrases = model.export_phrases()
        result["n_phrases"] = len(phrases)
        Path(spec["phrases_json"]).write_text(json.dumps(phrases))
    return result


def run(spec: dict) -> dict:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    proc = subprocess.run([sys.executable, __file__, "--child", json.dumps(spec)], capture_output=True,
                          text=True, env=env)
    if proc.returncode:
        raise SystemExit(f"{spec['lib']} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run_c_word2phrase(binary: str, corpus: Path, out: Path) -> dict:
    t = time.perf_counter()
    proc = subprocess.run(["/usr/bin/time", "-f", "%M", binary, "-train", str(corpus), "-output", str(out),
                           "-debug", "0"], capture_output=True, text=True)
    seconds = time.perf_counter() - t
    rss = int(proc.stderr.strip().splitlines()[-1]) / 1024 if proc.returncode == 0 else float("nan")
    return {"lib": "word2phrase.c", "learn_s": seconds, "apply_s": 0.0, "total_s": seconds, "peak_rss_mb": rss}


def compare_phrases(a_path: Path, b_path: Path) -> dict:
    a, b = json.loads(a_path.read_text()), json.loads(b_path.read_text())
    common = set(a) & set(b)
    rel = max((abs(a[k] - b[k]) / max(abs(b[k]), 1e-300) for k in common), default=0.0)
    return {"same_set": set(a) == set(b), "w2v_only": len(set(a) - set(b)), "gensim_only": len(set(b) - set(a)),
            "max_rel_diff": rel, "n": len(b)}


def median(runs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in runs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=3, help="runs of each w2v row (median)")
    ap.add_argument("--gensim-repeats", type=int, default=1, help="runs of gensim (slow; median)")
    ap.add_argument("--word2phrase", metavar="BIN", help="also time word2phrase.c (built outside the repo)")
    ap.add_argument("--train", action="store_true", help="train skip-gram on the phrased corpus (new_york)")
    ap.add_argument("--save", metavar="NAME", help="write benchmarks/results/NAME.json and NAME.md")
    ap.add_argument("--reuse-gensim", metavar="JSON", help="take gensim's runs from an earlier --save file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(json.loads(args.child))))
        return
    source = args.corpus or (DEFAULT_CORPUS if DEFAULT_CORPUS.exists() else SAMPLE_CORPUS)
    corpus = prepared_corpus(source)
    load_before = tuple(round(x, 1) for x in os.getloadavg())
    print(f"corpus: {source} as {SENTENCE_WORDS}-word lines ({corpus}); load: {load_before}", flush=True)
    specs = {lib: {"lib": lib, "corpus": str(corpus), "out": str(CACHE / f"phrased-{lib.replace(' ', '_')}.txt"),
                   "phrases_json": str(CACHE / f"phrases-{lib.replace(' ', '_')}.json")}
             for lib in ("gensim", "w2v", "w2v file", "w2v phrase")}
    run(dict(specs["w2v"], corpus=str(REPO / "w2v" / "data" / "demo_analogies.txt")))  # warm numba's cache
    run(dict(specs["w2v phrase"], corpus=str(REPO / "w2v" / "data" / "demo_analogies.txt")))
    wanted = {"w2v": args.repeats, "w2v file": args.repeats, "w2v phrase": args.repeats,
              "gensim": 0 if args.reuse_gensim else args.gensim_repeats}
    runs: dict[str, list[dict]] = {lib: [] for lib in wanted}
    for _ in range(max(wanted.values())):  # interleaved: a change in the machine's load hits every row alike
        for lib, n in wanted.items():
            if len(runs[lib]) < n:
                runs[lib].append(run(specs[lib]))
    if args.reuse_gensim:  # gensim's runs from an earlier results file (it takes minutes)
        runs["gensim"] = json.loads(Path(args.reuse_gensim).read_text())["runs"]["gensim"]
    if args.word2phrase:
        runs["word2phrase.c"] = [run_c_word2phrase(args.word2phrase, corpus, CACHE / "phrased-c.txt")]
    load_after = os.getloadavg()
    g = runs["gensim"]
    out = [f"corpus: {source} as {SENTENCE_WORDS}-word lines; load average before {load_before}, "
           f"after {tuple(round(x, 1) for x in load_after)} (2 cores, shared)", "",
           "| run | repeats | learn s | apply s | total s | CPU s | speed-up vs gensim | peak RSS MB |",
           "|---|---|---|---|---|---|---|---|"]
    for lib, rs in runs.items():
        total = median(rs, "total_s")
        cpu = f"{median(rs, 'cpu_s'):.2f}" if all("cpu_s" in r for r in rs) else ""
        out.append(f"| {lib} | {len(rs)} | {median(rs, 'learn_s'):.2f} | {median(rs, 'apply_s'):.2f} | {total:.2f} | "
                   f"{cpu} | {median(g, 'total_s') / total:.1f}x | {median(rs, 'peak_rss_mb'):.0f} |")
    cmp = compare_phrases(Path(specs["w2v"]["phrases_json"]), Path(specs["gensim"]["phrases_json"]))
    out += ["", f"export_phrases: gensim {cmp['n']} phrases; same set: {cmp['same_set']} (w2v only "
            f"{cmp['w2v_only']}, gensim only {cmp['gensim_only']}); max relative score difference "
            f"{cmp['max_rel_diff']:.3g}"]
    for lib in ("w2v", "w2v file"):
        same = {r["sha256"] for r in runs[lib]} == {g[0]["sha256"]}
        out.append(f"phrased sentences, {lib} vs gensim: {'identical' if same else 'DIFFERENT'} "
                   f"({runs[lib][0]['sentences']} sentences, {runs[lib][0]['tokens']} tokens; "
                   f"gensim {g[0]['sentences']}, {g[0]['tokens']})")
    print("\n".join(out), flush=True)
    if args.train:
        out += train_check(corpus)
    if args.save:
        RESULTS.mkdir(exist_ok=True)
        (RESULTS / f"{args.save}.json").write_text(json.dumps({"runs": runs, "compare": cmp}, indent=1))
        (RESULTS / f"{args.save}.md").write_text("\n".join(out) + "\n")


def train_check(corpus: Path) -> list[str]:
    """Skip-gram (1 epoch, w2v's defaults) on the phrased corpus; the neighbours of two phrases."""
    sys.path.insert(0, str(REPO))
    import w2v

    t = time.perf_counter()
    frozen = w2v.Phrases(str(corpus)).freeze()
    model = w2v.train(frozen[corpus], sg=1, epochs=1, workers=os.cpu_count(), progress=False, cache_dir=False)
    lines = ["", f"skip-gram on the phrased corpus (w2v.train(frozen[Path(corpus)]), 1 epoch, "
             f"{time.perf_counter() - t:.0f}s, {len(model.wv)} words):"]
    for word in ("new_york", "los_angeles"):
        if word in model.wv:
            lines.append(f"  {word}: " + ", ".join(f"{w} {s:.2f}" for w, s in model.wv.most_similar(word, topn=10)))
    print("\n".join(lines), flush=True)
    return lines


if __name__ == "__main__":
    main()
