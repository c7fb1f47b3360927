"""gensim's own Word2Vec and KeyedVectors tests, run against w2v.

gensim ships ``gensim/test/test_word2vec.py`` and ``test_keyedvectors.py`` inside its package. This
test copies the two installed files to a temporary directory (they are LGPL: never into the repo),
rewrites only the places where they name gensim's ``Word2Vec``/``KeyedVectors`` so those come from
w2v (gensim's corpus readers, ``datapath`` test data and helpers stay gensim's), runs them with
pytest in a subprocess, and compares the per-test outcomes with ``gensim_suite_expected_failures.txt``:
a failure that is not listed fails this test. A listed test that passes is reported (so the list
can shrink) but is not an error.

Run it alone to see the score: ``pytest tests/test_gensim_suite.py -s`` prints it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

gensim_test = pytest.importorskip("gensim.test")
pytest.importorskip("testfixtures")  # gensim's test_word2vec.py imports it (gensim's test extra)

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "gensim_suite_expected_failures.txt"
FILES = ("test_word2vec.py", "test_keyedvectors.py")

#: (pattern, replacement) applied to each file: each swaps gensim's class for w2v's and nothing else.
PROXY = (
    "import types as _types\n"
    "import w2v as _w2v\n"
    "from gensim.models import word2vec as _g_word2vec, keyedvectors as _g_keyedvectors\n"
    "word2vec = _types.ModuleType('word2vec'); word2vec.__dict__.update(vars(_g_word2vec))\n"
    "word2vec.Word2Vec = _w2v.Word2Vec; word2vec.KeyedVectors = _w2v.KeyedVectors\n"
    "keyedvectors = _types.ModuleType('keyedvectors'); keyedvectors.__dict__.update(vars(_g_keyedvectors))\n"
    "keyedvectors.KeyedVectors = _w2v.KeyedVectors\n"
)
REWRITES = {
    "test_word2vec.py": [
        (r"^from gensim\.models import word2vec, keyedvectors\n", PROXY),
    ],
    "test_keyedvectors.py": [
        (r"^from gensim\.models\.keyedvectors import KeyedVectors, REAL, pseudorandom_weak_vector\n",
         "from w2v import KeyedVectors\n"
         "from gensim.models.keyedvectors import REAL, pseudorandom_weak_vector\n"),
        (r"\bgensim\.models\.keyedvectors\.KeyedVectors\b", "KeyedVectors"),
        (r"\bgensim\.models\.KeyedVectors\b", "KeyedVectors"),
    ],
}


def rewrite(name: str, text: str) -> str:
    """Apply ``REWRITES[name]``; every pattern must match (a gensim upgrade that moves an import
    must fail loudly here, not run gensim's classes against themselves)."""
    for pattern, replacement in REWRITES[name]:
        text, n = re.subn(pattern, lambda m: replacement, text, flags=re.M)
        if n == 0:
            raise AssertionError(f"{name}: the import rewrite {pattern!r} matched nothing (gensim changed?)")
    return text


def read_expected() -> dict[str, str]:
    """``test id  # reason`` lines; blank lines and lines starting with # are ignored."""
    expected = {}
    for line in EXPECTED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        test_id, _, reason = line.partition("#")
        if not reason.strip():
            raise AssertionError(f"{EXPECTED.name}: {test_id.strip()} has no reason")
        expected[test_id.strip()] = reason.strip()
    return expected


def outcomes(junit: Path) -> dict[str, str]:
    """test id (``file::Class::test``) -> passed / failed / skipped, from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module, _, cls = case.get("classname", "").rpartition(".")
        test_id = f"{module.rpartition('.')[2] or cls}.py::{cls}::{case.get('name')}"
        kinds = {child.tag for child in case}
        if "skipped" in kinds:
            result[test_id] = "skipped"
        elif kinds & {"failure", "error"}:
            result[test_id] = "failed"
        else:
            result[test_id] = "passed"
    return result


def run_suite(tmp_path: Path) -> tuple[dict[str, str], str]:
    src = Path(gensim_test.__file__).parent
    for name in FILES:
        (tmp_path / name).write_text(rewrite(name, (src / name).read_text(encoding="utf-8")), encoding="utf-8")
    junit = tmp_path / "junit.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    env.pop("BULK_TEST_REPS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(tmp_path),
         "-c", os.devnull, f"--junitxml={junit}", "-o", "junit_family=xunit1", *FILES],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900)
    if not junit.exists():
        raise AssertionError(f"gensim's suite did not run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return outcomes(junit), proc.stdout


@pytest.mark.slow  # ~1 min on a quiet 2-core machine (gensim's own training tests), ~2 min under load
def test_gensim_suite(tmp_path):
    """gensim's tests pass on w2v except the listed ones (gensim internals, each with a reason)."""
    results, log = run_suite(tmp_path)
    expected = read_expected()
    ran = {t: r for t, r in results.items() if r != "skipped"}
    passed = sorted(t for t, r in ran.items() if r == "passed")
    failed = sorted(t for t, r in ran.items() if r == "failed")
    print(f"\ngensim suite on w2v: {len(passed)} of {len(ran)} non-skipped tests pass "
          f"({len(results) - len(ran)} skipped)")
    unexpected = [t for t in failed if t not in expected]
    fixed = [t for t in passed if t in expected]
    unknown = [t for t in expected if t not in results]
    if fixed:
        print("listed as expected failures but passing now (remove them from the list):\n  " + "\n  ".join(fixed))
    assert not unknown, f"{EXPECTED.name} lists tests that do not exist: {unknown}"
    assert not unexpected, ("gensim tests failing on w2v that are not in " + EXPECTED.name + ":\n  "
                            + "\n  ".join(unexpected) + "\n\n" + log[-6000:])
