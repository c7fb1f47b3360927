"""Deliberate breakages the tests must catch: ``python tests/sabotage.py [--check] [--cold] [NAME ...]``.

Each sabotage below is a small source edit of w2v that breaks one promised behaviour (the
skip-gram kernel never updates input rows, ``sample`` is ignored, ...). The script copies ``w2v/``
and ``tests/`` to a temporary directory, runs the sabotages' tests there once unbroken (they must
pass), then for each sabotage restores the clean copy, applies the edit and runs the tests named
for it, with ``PYTHONPATH`` pointing at the copy and the run's own ``W2V_CACHE_DIR`` and
``NUMBA_CACHE_DIR``. A sabotage is *caught* when a test fails; a run whose failures are all numba
compile errors or Python errors in the edited code is *broken* (the edit, not the tests, failed)
and counts as not caught. The last line says ``N/M sabotages caught`` and how long it took.

It runs by hand, not in CI: every kernel edit recompiles the kernels (~15-60 s a mode). Each run's
numba cache starts as a copy of the clean run's (``--cold``: empty), so only the modules an edit
touches recompile (w2v's cache guard drops the kernels compiled from an edited module's imports).

Every edit is located by searching all of ``w2v/`` for its anchor: a function name (any file,
any depth) and a regex inside that function, with the exact number of matches expected. An
anchor that matches nothing, or more or fewer places than expected, stops the script before
anything runs (``--check`` does only that): a refactor must update the table below, never turn a
sabotage into a silent no-op. This file is not collected by pytest (its name does not start with
``test_``), and does nothing on import. ``--tests`` runs other tests against the chosen sabotages
(``python tests/sabotage.py sg-input-rows --tests tests/test_lockf.py``: does that file catch it too?).
"""
from __future__ import annotations

import argparse
import ast
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Edit:
    """Replace ``pattern`` (a multi-line regex) by ``replacement`` inside every function named
    ``function``; exactly ``count`` matches must be found across all of ``w2v/``."""

    function: str
    pattern: str
    replacement: str
    count: int = 1


@dataclass(frozen=True)
class Append:
    """Append ``text`` to the one module under ``w2v/`` that defines ``function`` and whose text
    matches ``requires``."""

    function: str
    requires: str
    text: str


@dataclass(frozen=True)
class Sabotage:
    name: str
    what: str
    edits: tuple
    tests: tuple = field(default=())  # pytest arguments (files, -k expressions)


#: CBOW's output rows are restored after every update: the updates still compute the gradient
#: from them (all zeros, as they never move), but the rows stay as they started. Appended to the
#: training loop's module; its CBOW branch calls these instead of row_update and path_update_range,
#: whose parameters they repeat (checked against w2v.kernels.common before anything runs).
FROZEN_OUTPUT_ROWS = '''

# ---- sabotage: CBOW's updates leave every output row as it was -------------------------------
@njit(cache=True)
def _sabotage_row_update(inputs, k, syn_out, targets, labels, n_targets, alpha, input_grads, compute_loss,
                         skip_saturated):
    saved = np.empty((n_targets, syn_out.shape[1]), syn_out.dtype)
    for t in range(n_targets):
        saved[t] = syn_out[targets[t]]
    loss = row_update(inputs, k, syn_out, targets, labels, n_targets, alpha, input_grads, compute_loss,
                      skip_saturated)
    for t in range(n_targets - 1, -1, -1):
        syn_out[targets[t]] = saved[t]
    return loss


@njit(cache=True)
def _sabotage_path_update_range(inputs, k, syn_out, targets, labels, t0, t1, alpha, input_grads, gradients,
                                compute_loss):
    saved = np.empty((t1 - t0, syn_out.shape[1]), syn_out.dtype)
    for t in range(t0, t1):
        saved[t - t0] = syn_out[targets[t]]
    loss = path_update_range(inputs, k, syn_out, targets, labels, t0, t1, alpha, input_grads, gradients,
                             compute_loss)
    for t in range(t1 - 1, t0 - 1, -1):
        syn_out[targets[t]] = saved[t - t0]
    return loss
'''

#: the wrappers above must match these definitions (name -> parameters) in the module defining them
WRAPPED_SIGNATURES = {
    "row_update": ["inputs", "k", "syn_out", "targets", "labels", "n_targets", "alpha", "input_grads",
                   "compute_loss", "skip_saturated"],
    "path_update_range": ["inputs", "k", "syn_out", "targets", "labels", "t0", "t1", "alpha", "input_grads",
                          "gradients", "compute_loss"],
}

QUALITY = "tests/test_quality.py"
SETTINGS = "tests/test_training_settings.py"

# --------------------------------------------------------------------------- the sabotages and their anchors
SABOTAGES = (
    Sabotage("sg-input-rows", "the skip-gram kernel never updates input rows",
             (Edit(r"sg_\w+", r"^(\s*)scatter_add_rows\(syn0\b[^\n]*\)$", r"\1pass  # sabotage", count=3),),
             (QUALITY, "-k", "sg")),
    Sabotage("cbow-output-rows", "the CBOW kernel never updates output rows",
             (Edit("train_chunk", r"\brow_update\(inputs, 0, syn1neg\b", "_sabotage_row_update(inputs, 0, syn1neg"),
              Edit("train_chunk", r"\bpath_update_range\(inputs, 0, syn1\b",
                   "_sabotage_path_update_range(inputs, 0, syn1"),
              Append("train_chunk", r"(?s)^import numpy as np$.*from \.common import \((?=[^)]*\bpath_update_range\b)"
                                    r"(?=[^)]*\brow_update\b)", FROZEN_OUTPUT_ROWS)),
             (QUALITY, "-k", "cbow")),
    Sabotage("hs-path-skipped", "hierarchical softmax skips the Huffman path",
             (Edit("fill_huffman_targets", r"^(\s*)return n$", r"\1return 0"),
              Edit("fill_huffman_targets_split", r"^(\s*)return n, h$", r"\1return 0, 0")),
             (QUALITY, "-k", "hs")),
    Sabotage("sample-ignored", "sample is ignored (every word survives subsampling)",
             (Edit("subsample", r"^(\s*)n \+= next_u32\(rng\) < keep_thr\[w\]$", r"\1n += 1"),),
             (SETTINGS, "-k", "sample")),
    Sabotage("shrink-windows-ignored", "shrink_windows is ignored (the reach is always drawn)",
             (Edit("train_chunk", r"rand_below\(rng, window\) if settings\.shrink_windows else 0",
                   "rand_below(rng, window) if True else 0"),),
             (SETTINGS, "-k", "shrink")),
    Sabotage("ns-exponent-ignored", "ns_exponent is ignored (always 0.75)",
             (Edit("noise_table", r"\*\* ns_exponent\b", "** 0.75"),),
             (SETTINGS, "-k", "ns_exponent")),
    Sabotage("lockf-ignored", "vectors_lockf is ignored",
             (Edit("lock_factors", r"^(\s*return [^\n]*), True$", r"\1, False", count=2),),
             ("tests/test_lockf.py",)),
    Sabotage("analogy-swapped", "w2v analogy swaps two of its arguments (A and B)",
             (Edit("cmd_analogy", r"positive=\[args\.b, args\.c\], negative=\[args\.a\]",
                   "positive=[args.a, args.c], negative=[args.b]"),),
             ("tests/test_cli.py", "-k", "analogy")),
    Sabotage("load-drops-last-row", "load_word2vec_format drops the last row",
             (Edit("load_word2vec_format", r"_drop_duplicates\(words, table, fname\)",
                   "_drop_duplicates(words[:-1], table[:-1], fname)"),),
             ("tests/test_formats.py",)),
    Sabotage("alias-uniform", "the alias noise table draws uniformly",
             (Edit("draw_noise", r"^(\s*)return k if [^\n]* else alias$", r"\1return k"),),
             (SETTINGS, "-k", "ns_exponent")),
    Sabotage("learning-rate-constant", "the learning rate does not decay",
             (Edit("scheduled_alpha", r"^(\s*)return max\(a, min_alpha\)$", r"\1return alpha0"),),
             ("tests/test_learning_rate.py",)),
    Sabotage("cbow-input-rows", "the CBOW kernel never updates input rows",
             (Edit("train_chunk", r"^(\s*)cbow_scatter\(syn0\b[^\n]*\)$", r"\1pass  # sabotage"),),
             (QUALITY, "-k", "cbow")),
    Sabotage("negatives-dropped", "negative sampling trains the true word only (no noise words)",
             (Edit("fill_negative_targets", r"^(\s*)return t$", r"\1return 1"),),
             (QUALITY, "-k", "ns")),
)

#: failures that mean the edited code does not run (the sabotage is broken, not caught)
BROKEN = re.compile(r"numba\.core\.errors\.|TypingError|LoweringError|UnsupportedError|SyntaxError|"
                    r"IndentationError|NameError|ImportError")


# --------------------------------------------------------------------------- locating anchors


class AnchorError(Exception):
    """An anchor matched nothing, or not the expected number of places."""


def sources(package: Path) -> dict[Path, str]:
    return {p: p.read_text(encoding="utf-8") for p in sorted(package.rglob("*.py")) if "__pycache__" not in p.parts}


def function_spans(text: str, name: str) -> list[tuple[int, int]]:
    """(start, end) character offsets of every function whose name fully matches ``name``."""
    tree = ast.parse(text)
    line_starts = [0]
    for line in text.splitlines(keepends=True):
        line_starts.append(line_starts[-1] + len(line))
    return [(line_starts[node.lineno - 1], line_starts[node.end_lineno])
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and re.fullmatch(name, node.name)]


def apply_edit(texts: dict[Path, str], edit: Edit) -> list[str]:
    """Apply ``edit`` to ``texts`` in place; returns where it matched ('file:function' per match)."""
    where = []
    for path, text in texts.items():
        spans = function_spans(text, edit.function)
        for start, end in sorted(spans, reverse=True):  # back to front: offsets stay valid
            body, n = re.subn(edit.pattern, edit.replacement, text[start:end], flags=re.M)
            if n:
                text = text[:start] + body + text[end:]
                where += [f"{path.name}:{edit.function}"] * n
        texts[path] = text
    if len(where) != edit.count:
        raise AnchorError(f"anchor {edit.pattern!r} in function {edit.function!r} matched {len(where)} place(s) "
                          f"under w2v/, expected {edit.count}: {where or 'nothing'}")
    return where


def apply_append(texts: dict[Path, str], append: Append) -> list[str]:
    modules = [p for p, t in texts.items() if function_spans(t, append.function)
               and re.search(append.requires, t, flags=re.M)]
    if len(modules) != 1:
        raise AnchorError(f"{len(modules)} modules under w2v/ define {append.function!r} and match "
                          f"{append.requires!r}, expected 1: {[p.name for p in modules]}")
    (path,) = modules
    for name, params in WRAPPED_SIGNATURES.items():
        defined = [node for t in texts.values() for node in ast.walk(ast.parse(t))
                   if isinstance(node, ast.FunctionDef) and node.name == name]
        if len(defined) != 1 or [a.arg for a in defined[0].args.args] != params:
            raise AnchorError(f"{name} is not defined once as {name}({', '.join(params)}): update the wrapper")
    texts[path] += append.text
    return [f"{path.name}: appended after {append.function}"]


def sabotaged_texts(package: Path, sabotage: Sabotage) -> tuple[dict[Path, str], list[str]]:
    """The package's sources with ``sabotage`` applied (only the changed files), and where it applied."""
    clean = sources(package)
    texts = dict(clean)
    where = []
    for edit in sabotage.edits:
        where += apply_edit(texts, edit) if isinstance(edit, Edit) else apply_append(texts, edit)
    return {p: t for p, t in texts.items() if t != clean[p]}, where


# --------------------------------------------------------------------------- running


def copy_tree(src: Path, dst: Path) -> None:
    """Copy a source tree (times kept, so an unchanged module keeps its numba cache), no caches."""
    shutil.copytree(src, dst, copy_function=shutil.copy2,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.nbi", "*.nbc"))


def run_tests(root: Path, args: tuple, name: str, cache: Path, log_dir: Path) -> tuple[int, list[str], str]:
    """pytest ``args`` in ``root``; (exit code, failure messages, log tail)."""
    junit = log_dir / f"{name}.xml"
    env = dict(os.environ, PYTHONPATH=str(root), NUMBA_CACHE_DIR=str(cache),
               W2V_CACHE_DIR=str(log_dir / f"{name}-w2v-cache"), PYTHONDONTWRITEBYTECODE="1")
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "--rootdir",
                           str(root), "-c", str(root / "pyproject.toml"), f"--junitxml={junit}", *args],
                          cwd=root, env=env, capture_output=True, text=True)
    messages = []
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            for child in case:
                if child.tag in ("failure", "error"):
                    messages.append(f"{case.get('name')}: {child.get('message', '')}\n{child.text or ''}")
    return proc.returncode, messages, (proc.stdout + proc.stderr)[-3000:]


def verdict(code: int, messages: list[str]) -> str:
    if code == 0:
        return "MISSED"
    if code == 1 and messages and not all(BROKEN.search(m) for m in messages):
        return "caught"
    return "BROKEN"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="sabotages to run (default: all)")
    parser.add_argument("--check", action="store_true", help="only check every anchor against the current tree")
    parser.add_argument("--cold", action="store_true", help="every run starts with an empty numba cache")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (its path is printed)")
    parser.add_argument("--tests", nargs="+", metavar="ARG",
                        help="run these pytest arguments for every chosen sabotage instead of its own tests")
    args = parser.parse_args(argv)
    chosen = [s for s in SABOTAGES if not args.names or s.name in args.names]
    if args.tests:
        chosen = [Sabotage(s.name, s.what, s.edits, tuple(args.tests)) for s in chosen]
    unknown = set(args.names) - {s.name for s in SABOTAGES}
    if unknown:
        parser.error(f"unknown sabotage(s): {', '.join(sorted(unknown))}")

    for sabotage in chosen:  # every anchor, before anything runs
        try:
            _changed, where = sabotaged_texts(REPO / "w2v", sabotage)
        except AnchorError as exc:
            print(f"ANCHOR NOT FOUND for {sabotage.name} ({sabotage.what}): {exc}", file=sys.stderr)
            return 2
        print(f"anchor ok  {sabotage.name:<24} {', '.join(sorted(set(where)))}")
    if args.check:
        return 0

    start = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="w2v-sabotage-"))
    try:
        return run_all(chosen, work, cold=args.cold, start=start)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def run_all(chosen: list[Sabotage], work: Path, cold: bool, start: float) -> int:
    root, clean, logs = work / "copy", work / "clean", work / "logs"
    logs.mkdir()
    copy_tree(REPO / "w2v", clean / "w2v")
    copy_tree(REPO / "w2v", root / "w2v")
    copy_tree(REPO / "tests", root / "tests")
    shutil.copy2(REPO / "pyproject.toml", root / "pyproject.toml")
    baseline_cache = work / "numba-clean"

    all_tests = tuple(dict.fromkeys(a for s in chosen for a in s.tests if not a.startswith("-") and "/" in a))
    print(f"\nclean run of {', '.join(all_tests)} ...", flush=True)
    code, messages, log = run_tests(root, all_tests, "clean", baseline_cache, logs)
    if code != 0:
        print(f"the tests fail without any sabotage (exit {code}): fix them first\n{log}", file=sys.stderr)
        return 2
    print(f"clean run passed ({time.monotonic() - start:.0f} s)\n", flush=True)

    caught = 0
    for sabotage in chosen:
        t0 = time.monotonic()
        shutil.rmtree(root / "w2v")
        copy_tree(clean / "w2v", root / "w2v")
        changed, _where = sabotaged_texts(root / "w2v", sabotage)
        for path, text in changed.items():
            path.write_text(text, encoding="utf-8")
        cache = work / f"numba-{sabotage.name}"
        if not cold:
            shutil.copytree(baseline_cache, cache)
        code, messages, log = run_tests(root, sabotage.tests, sabotage.name, cache, logs)
        result = verdict(code, messages)
        caught += result == "caught"
        first = messages[0].splitlines()[0][:140] if messages else log.strip().splitlines()[-1][:140]
        print(f"{result:<7} {sabotage.name:<24} {sabotage.what} ({time.monotonic() - t0:.0f} s)\n"
              f"        {first}", flush=True)
        if result == "BROKEN":
            print(log, file=sys.stderr)
        shutil.rmtree(cache, ignore_errors=True)
    print(f"\n{caught}/{len(chosen)} sabotages caught in {time.monotonic() - start:.0f} s")
    return 0 if caught == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
