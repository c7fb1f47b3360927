"""Where a cold start's time goes: numba's compile of each function and specialisation.

Runs one training call in a fresh process with an empty numba cache (a temporary
``NUMBA_CACHE_DIR``) and reports every compile numba announces (its ``numba:compile`` event):
the function, its argument types, and the time spent in it, both inclusive (callees compiled
inside it included) and exclusive; then the wall and CPU seconds of the whole call and the
process's peak RSS.

    python benchmarks/compile_profile.py                 # skip-gram NS, the sample corpus, 1 epoch
    python benchmarks/compile_profile.py --sg 0 --hs 1   # CBOW HS
    python benchmarks/compile_profile.py --all           # the four modes, one fresh process each

Each mode starts a fresh process with its own empty cache, so the figures are a first run's.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time

CHILD = r"""
import json, os, resource, sys, time
started = time.perf_counter(); cpu0 = time.process_time()
from numba.core import event
import w2v
imported = time.perf_counter()
records = []
stack = []

class Listener(event.Listener):
    def on_start(self, ev):
        stack.append([time.perf_counter(), 0.0])
    def on_end(self, ev):
        began, inner = stack.pop()
        spent = time.perf_counter() - began
        if stack:
            stack[-1][1] += spent
        d = ev.data["dispatcher"]
        records.append({"function": f"{d.py_func.__module__}.{d.py_func.__qualname__}",
                        "args": str(ev.data["args"]), "inclusive": spent, "exclusive": spent - inner,
                        "depth": len(stack)})

kw = json.loads(sys.argv[1])
with event.install_listener("numba:compile", Listener()):
    w2v.train(w2v.sample_corpus_path(), progress=False, **kw)
done = time.perf_counter()
from w2v.kernels.sentences import chunk_kernel
from w2v.training import kernel_mode
from w2v.params import TrainParams
kernel = chunk_kernel(kernel_mode(TrainParams(**{k: v for k, v in kw.items() if k != "epochs"})))
for sig in kernel.signatures:
    meta = kernel.get_metadata(sig)
    passes = sorted(meta["pipeline_times"]["nopython"].items(), key=lambda kv: -kv[1].run)[:4]
    print("#", {k: round(v, 2) for k, v in meta["timers"].items()},
          [(name, round(t.run, 2)) for name, t in passes], file=sys.stderr)
print(json.dumps({"records": records, "import_s": imported - started, "wall_s": done - started,
                  "cpu_s": time.process_time() - cpu0,
                  "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

MODES = {"sg-ns": dict(sg=1, hs=0, negative=5), "sg-hs": dict(sg=1, hs=1, negative=0),
         "cbow-ns": dict(sg=0, hs=0, negative=5), "cbow-hs": dict(sg=0, hs=1, negative=0)}


def profile(kwargs: dict, show: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="w2v-numba-cache-") as cache:
        # an empty numba cache and an empty corpus cache (a cached scan would skip the tokeniser)
        env = {**os.environ, "NUMBA_CACHE_DIR": cache, "W2V_CACHE_DIR": os.path.join(cache, "corpora")}
        proc = subprocess.run([sys.executable, "-c", CHILD, json.dumps(kwargs)], env=env, check=True,
                              capture_output=True, text=True)
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    kernel_lines = [line[2:] for line in proc.stderr.splitlines() if line.startswith("# ")]
    records = sorted(result["records"], key=lambda r: -r["exclusive"])
    compile_s = sum(r["inclusive"] for r in records if r["depth"] == 0)
    print(f"{kwargs}: wall {result['wall_s']:.1f} s (import {result['import_s']:.1f} s), CPU "
          f"{result['cpu_s']:.1f} s, compiles {compile_s:.1f} s ({len(records)} functions), "
          f"peak RSS {result['peak_mb']:.0f} MB")
    for line in kernel_lines:
        print(f"  training kernel: {line}")
    for r in records[:show]:
        print(f"  {r['exclusive']:6.2f} s excl {r['inclusive']:6.2f} s incl  {r['function']}{r['args'][:110]}")
    return result


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sg", type=int, default=1)
    ap.add_argument("--hs", type=int, default=0)
    ap.add_argument("--negative", type=int, default=None)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--all", action="store_true", help="the four modes (sg/cbow x ns/hs)")
    ap.add_argument("--show", type=int, default=12, help="the most expensive compiles to list")
    args = ap.parse_args(argv)
    if args.all:
        modes = list(MODES.values())
    else:
        negative = args.negative if args.negative is not None else (0 if args.hs else 5)
        modes = [dict(sg=args.sg, hs=args.hs, negative=negative)]
    for kwargs in modes:
        profile({**kwargs, "epochs": args.epochs}, args.show)


if __name__ == "__main__":
    main()
