"""Loading pretrained vectors: time and peak memory of load + first query, gensim against w2v.

Two files are written once (outside the repository, under ``--data-dir``, default
``$TMPDIR/w2v-memory-bench``), from fixed seeds, words ``w0 .. w{n-1}``:

* a word2vec.c binary file, 1,000,000 x 300 (1.2 GB), standard normal float32 rows;
* a word2vec.c text file, 300,000 x 300, the same kind of rows written ``%.6f`` (word2vec.c's
  ``%lf``).

Each measurement is a fresh Python process (``/usr/bin/time -f %M`` gives its peak RSS) that
imports the library, then times ``KeyedVectors.load_word2vec_format(path, binary=...)`` and then
the first ``most_similar`` of one word (topn=10), which for both libraries includes computing the
row norms. The libraries alternate within each round (gensim first in odd rounds, w2v first in
even ones); the reported figures are medians over ``--runs`` rounds. Both libraries' top-10 lists
are compared (same keys, scores within 1e-5), so the two did the same work. One untimed run of
each library and file comes first, so that both find the file in the page cache and w2v finds
its parsing kernels compiled in numba's cache (a first load ever compiles them, a few seconds).

The 1-minute load average (``/proc/loadavg``) is recorded at the start of every run.

    python benchmarks/memory_vectors.py --runs 3 --out benchmarks/results/<date>-<commit>-vectors-memory.md

writes that Markdown file and a ``.json`` beside it.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from harness import head_commit  # this script's folder is on the import path

REPO = Path(__file__).resolve().parent.parent
TIME = "/usr/bin/time"
LIBS = ("gensim", "w2v")

CHILD = r"""
import json, sys, time
lib, path, binary, word = sys.argv[1], sys.argv[2], sys.argv[3] == "1", sys.argv[4]

def rss_kb(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])

if lib == "gensim":
    from gensim.models import KeyedVectors
else:
    from w2v import KeyedVectors
imported_kb = rss_kb("VmRSS")
start = time.perf_counter()
kv = KeyedVectors.load_word2vec_format(path, binary=binary)
load_s = time.perf_counter() - start
loaded_hwm_kb = rss_kb("VmHWM")
start = time.perf_counter()
top = kv.most_similar(word, topn=10)
query_s = time.perf_counter() - start
print(json.dumps({"load_s": load_s, "query_s": query_s, "imported_rss_kb": imported_kb,
                  "hwm_after_load_kb": loaded_hwm_kb, "hwm_after_query_kb": rss_kb("VmHWM"),
                  "shape": list(kv.vectors.shape), "top": [[k, float(s)] for k, s in top]}))
"""


# --------------------------------------------------------------------------- data


def write_binary(path: Path, rows: int, dim: int, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(f"{rows} {dim}\n".encode())
        for start in range(0, rows, 10_000):
            block = rng.standard_normal((min(10_000, rows - start), dim), dtype=np.float32)
            f.write(b"".join(b"w%d " % (start + i) + row.tobytes() + b"\n" for i, row in enumerate(block)))
    tmp.rename(path)


def write_text(path: Path, rows: int, dim: int, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng(seed)
    fmt = " ".join(["%.6f"] * dim)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(f"{rows} {dim}\n".encode())
        for start in range(0, rows, 10_000):
            block = rng.standard_normal((min(10_000, rows - start), dim), dtype=np.float32)
            f.write("".join(f"w{start + i} {fmt % tuple(row)}\n" for i, row in enumerate(block.tolist())).encode())
    tmp.rename(path)


def ensure_files(data_dir: Path, binary_rows: int, text_rows: int, dim: int) -> dict[str, Path]:
    data_dir.mkdir(parents=True, exist_ok=True)
    files = {"binary": data_dir / f"random-{binary_rows}x{dim}-seed1.bin",
             "text": data_dir / f"random-{text_rows}x{dim}-seed2.txt"}
    for kind, path in files.items():
        if not path.exists():
            print(f"writing {path} ...", flush=True)
            (write_binary if kind == "binary" else write_text)(
                path, binary_rows if kind == "binary" else text_rows, dim, 1 if kind == "binary" else 2)
    return files


# --------------------------------------------------------------------------- runs


def loadavg() -> float:
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return float("nan")


def run_child(lib: str, path: Path, binary: bool, word: str) -> dict:
    load1 = loadavg()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as timing:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
        start = time.perf_counter()
        proc = subprocess.run([TIME, "-f", "%M", "-o", timing.name, sys.executable, "-c", CHILD, lib, str(path),
                               "1" if binary else "0", word], capture_output=True, text=True, env=env)
        wall = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{lib} on {path} failed:\n{proc.stderr[-3000:]}")
        peak_kb = int(timing.read().split()[-1])
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result.update(lib=lib, file=str(path), binary=binary, peak_rss_kb=peak_kb, process_wall_s=wall,
                  loadavg_1min=load1)
    return result


def check_same(results: list[dict]) -> None:
    """Both libraries' top-10 lists of a file: same keys in the same order, scores within 1e-5."""
    by_lib = {r["lib"]: r["top"] for r in results}
    keys = {lib: [k for k, _ in top] for lib, top in by_lib.items()}
    if keys["gensim"] != keys["w2v"]:
        raise SystemExit(f"most_similar differs: gensim {keys['gensim']} vs w2v {keys['w2v']}")
    worst = max(abs(a[1] - b[1]) for a, b in zip(by_lib["gensim"], by_lib["w2v"]))
    if worst > 1e-5:
        raise SystemExit(f"most_similar scores differ by {worst}")


def summarise(runs: list[dict]) -> list[dict]:
    rows = []
    for kind in ("binary", "text"):
        for lib in LIBS:
            mine = [r for r in runs if r["kind"] == kind and r["lib"] == lib]
            if not mine:
                continue
            med = {key: statistics.median(r[key] for r in mine) for key in ("load_s", "query_s", "peak_rss_kb")}
            total = statistics.median(r["load_s"] + r["query_s"] for r in mine)
            rows.append({"kind": kind, "lib": lib, "runs": len(mine), "shape": mine[0]["shape"],
                         "file_bytes": mine[0]["file_bytes"], "load_s": med["load_s"], "query_s": med["query_s"],
                         "total_s": total, "peak_rss_gb": med["peak_rss_kb"] * 1024 / 1e9,
                         "table_gb": mine[0]["shape"][0] * mine[0]["shape"][1] * 4 / 1e9,
                         "loadavg_1min": [r["loadavg_1min"] for r in mine]})
    return rows


def markdown(doc: dict) -> str:
    moved = "" if doc["commit_after"] == doc["commit"] else f" (HEAD was {doc['commit_after']} at the end)"
    out = [f"# Loading vectors: gensim {doc['gensim_version']} vs w2v {doc['commit']}{moved}", "",
           f"{doc['date']}, {doc['machine']}; medians over {doc['runs_per_lib']} fresh processes per library and "
           "file, libraries alternating. Load = `load_word2vec_format(path, binary=...)`; first query = "
           "`most_similar(word, topn=10)` (includes the row norms); peak RSS = `/usr/bin/time -f %M` of the "
           "whole process (interpreter and imports included).", "",
           "| file | shape | library | load s | first most_similar s | load + query s | peak RSS GB "
           "| table GB | 1-min load avg at each run |",
           "|---|---|---|---:|---:|---:|---:|---:|---|"]
    for r in doc["summary"]:
        shape = f"{r['shape'][0]:,} x {r['shape'][1]}"
        loads = ", ".join(f"{x:.2f}" for x in r["loadavg_1min"])
        out.append(f"| {r['kind']} ({r['file_bytes'] / 1e9:.2f} GB) | {shape} | {r['lib']} | {r['load_s']:.2f} "
                   f"| {r['query_s']:.2f} | {r['total_s']:.2f} | {r['peak_rss_gb']:.2f} | {r['table_gb']:.2f} "
                   f"| {loads} |")
    out.append("")
    for kind in ("binary", "text"):
        pair = {r["lib"]: r for r in doc["summary"] if r["kind"] == kind}
        if set(pair) == set(LIBS):
            g, w = pair["gensim"], pair["w2v"]
            out.append(f"- {kind}: w2v's load + first query takes {w['total_s'] / g['total_s']:.2f}x gensim's time "
                       f"({g['total_s'] / w['total_s']:.1f}x faster); its peak RSS is "
                       f"{w['peak_rss_gb'] / g['peak_rss_gb']:.2f}x gensim's and {w['peak_rss_gb'] / w['table_gb']:.2f}x "
                       "the table's size.")
    out += ["", "Command: `" + doc["command"] + "`", ""]
    return "\n".join(out)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="rounds (fresh processes per library and file)")
    parser.add_argument("--out", type=Path, help="Markdown result file; the JSON goes beside it")
    parser.add_argument("--data-dir", type=Path,
                        default=Path(os.environ.get("TMPDIR") or "/tmp") / "w2v-memory-bench")
    parser.add_argument("--binary-rows", type=int, default=1_000_000)
    parser.add_argument("--text-rows", type=int, default=300_000)
    parser.add_argument("--dim", type=int, default=300)
    parser.add_argument("--kinds", default="binary,text", help="which files: binary, text or both")
    parser.add_argument("--libs", default=",".join(LIBS))
    args = parser.parse_args(argv)
    if not Path(TIME).exists():
        raise SystemExit(f"{TIME} is missing (apt-get install -y time)")
    if args.out and REPO in args.data_dir.resolve().parents:
        raise SystemExit("--data-dir must be outside the repository (the files are large)")
    files = ensure_files(args.data_dir, args.binary_rows, args.text_rows, args.dim)
    commit = head_commit()  # what is measured: read before the runs (HEAD may move meanwhile)
    kinds, libs = args.kinds.split(","), args.libs.split(",")
    runs = []
    for kind in kinds:
        path, binary = files[kind], kind == "binary"
        word = "w123"
        for lib in libs:  # untimed: page cache and numba's kernel cache
            run_child(lib, path, binary, word)
        for round_no in range(args.runs):
            order = libs if round_no % 2 == 0 else libs[::-1]
            this_round = []
            for lib in order:
                result = run_child(lib, path, binary, word)
                result.update(kind=kind, round=round_no, file_bytes=path.stat().st_size)
                this_round.append(result)
                print(f"{kind} round {round_no + 1}: {lib:6s} load {result['load_s']:6.2f} s, first query "
                      f"{result['query_s']:5.2f} s, peak RSS {result['peak_rss_kb'] * 1024 / 1e9:5.2f} GB "
                      f"(load avg {result['loadavg_1min']:.2f})", flush=True)
            if set(libs) == set(LIBS):
                check_same(this_round)
            runs += this_round
    import gensim

    if head_commit() != commit:
        print(f"note: HEAD moved from {commit} to {head_commit()} during the run", flush=True)
    doc = {"date": time.strftime("%Y-%m-%d"), "commit": commit, "commit_after": head_commit(),
           "gensim_version": gensim.__version__,
           "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}",
           "runs_per_lib": args.runs, "command": " ".join([Path(sys.argv[0]).name] + (argv or sys.argv[1:])),
           "summary": summarise(runs), "runs": runs}
    text = markdown(doc)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text)
        args.out.with_suffix(".json").write_text(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
