"""gensim's own Word2Vec and KeyedVectors tests, run against w2v, strictly.

gensim ships ``gensim/test/test_word2vec.py`` and ``test_keyedvectors.py`` inside its package. This
test copies the two installed files to a temporary directory (they are LGPL: never into the repo),
rewrites only the places where they name gensim's ``Word2Vec``/``KeyedVectors`` so those come from
w2v (gensim's corpus readers, ``datapath`` test data and helpers stay gensim's), runs them with
pytest in a subprocess, and judges the per-test outcomes against ``gensim_suite_expected_failures.txt``:

* a failure that is not listed fails this test;
* a listed test that passes fails this test too (the list must shrink with it);
* a listed test must fail with its listed exception or message fragment (a listed test failing
  for another reason is a new failure);
* a test that never creates a w2v ``Word2Vec`` or ``KeyedVectors`` (gensim's sentence iterators,
  its stand-alone script) is not counted: a conftest placed beside the copies records, per test,
  whether one was created;
* at least ``MIN_COUNTED`` tests that use w2v must have run (a gensim upgrade that skips or drops
  most of them must not pass quietly).

Run it alone to see the score: ``pytest tests/test_gensim_suite.py -s`` prints it.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
EXPECTED = HERE / "gensim_suite_expected_failures.txt"
FILES = ("test_word2vec.py", "test_keyedvectors.py")
#: gensim 4.4 has 109 tests in the two files that use w2v's classes; a few may be skipped or
#: dropped by a gensim release, most may not
MIN_COUNTED = 100
#: the JUnit property the conftest below records for every test
USED_W2V = "w2v_used"

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

#: placed beside the copied tests: records whether each test created a w2v object (any creation,
#: pickling's and ``load``'s included, goes through ``__new__``)
CONFTEST = f'''
import pytest
import w2v

_used = [False]


def _recording_new(cls):
    original = cls.__new__

    def __new__(klass, *args, **kwargs):
        _used[0] = True
        return original(klass) if original is object.__new__ else original(klass, *args, **kwargs)

    cls.__new__ = staticmethod(__new__)


for _cls in (w2v.Word2Vec, w2v.KeyedVectors):
    _recording_new(_cls)


@pytest.fixture(autouse=True)
def _record_w2v_use(record_property):
    _used[0] = False
    yield
    record_property({USED_W2V!r}, str(_used[0]))
'''


@dataclass(frozen=True)
class Outcome:
    """One test's result: passed / failed / skipped, its failure text, whether it used w2v."""

    result: str
    message: str = ""
    used_w2v: bool = True


@dataclass(frozen=True)
class Expected:
    """A listed failure: the fragment its failure must show, and why it fails."""

    fragment: str
    reason: str


def rewrite(name: str, text: str) -> str:
    """Apply ``REWRITES[name]``; every pattern must match (a gensim upgrade that moves an import
    must fail loudly here, not run gensim's classes against themselves)."""
    for pattern, replacement in REWRITES[name]:
        text, n = re.subn(pattern, lambda m: replacement, text, flags=re.M)
        if n == 0:
            raise AssertionError(f"{name}: the import rewrite {pattern!r} matched nothing (gensim changed?)")
    return text


def read_expected(path: Path = EXPECTED) -> dict[str, Expected]:
    """``test id  fails with: FRAGMENT  # reason`` lines; blank lines and lines starting with # are ignored."""
    expected = {}
    for line_no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        entry, _, reason = line.partition("  # ")
        test_id, _, fragment = entry.partition(" fails with: ")
        if not fragment.strip() or not reason.strip():
            raise AssertionError(f"{path.name}:{line_no}: expected 'test id  fails with: FRAGMENT  # reason', "
                                 f"got {line!r}")
        expected[test_id.strip()] = Expected(fragment.strip(), reason.strip())
    return expected


def outcomes(junit: Path) -> dict[str, Outcome]:
    """test id (``file::Class::test``) -> its :class:`Outcome`, from pytest's JUnit XML."""
    result = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        module, _, cls = case.get("classname", "").rpartition(".")
        test_id = f"{module.rpartition('.')[2] or cls}.py::{cls}::{case.get('name')}"
        used = {p.get("name"): p.get("value") for p in case.iter("property")}.get(USED_W2V)
        failures = [child for child in case if child.tag in ("failure", "error")]
        if any(child.tag == "skipped" for child in case):
            outcome = "skipped"
        elif failures:
            outcome = "failed"
        else:
            outcome = "passed"
        message = "\n".join(f"{f.get('message', '')}\n{f.text or ''}" for f in failures)
        result[test_id] = Outcome(outcome, message, used_w2v=used != "False")
    return result


def judge(results: dict[str, Outcome], expected: dict[str, Expected], min_counted: int = MIN_COUNTED) -> list[str]:
    """Everything wrong with a run, one line each (empty: the run is as expected)."""
    problems = []
    counted = {t: o for t, o in results.items() if o.used_w2v and o.result != "skipped"}
    for test_id in sorted(expected):
        if test_id not in results:
            problems.append(f"listed but not in gensim's suite: {test_id}")
        elif results[test_id].result == "passed":
            problems.append(f"listed as failing but passes now (remove it from {EXPECTED.name}): {test_id}")
        elif results[test_id].result == "failed" and expected[test_id].fragment not in results[test_id].message:
            problems.append(f"fails, but not with {expected[test_id].fragment!r}: {test_id}\n"
                            f"    {results[test_id].message.strip()[:500]}")
        elif not results[test_id].used_w2v:
            problems.append(f"listed but never uses w2v (not counted, do not list it): {test_id}")
    for test_id, outcome in sorted(counted.items()):
        if outcome.result == "failed" and test_id not in expected:
            problems.append(f"fails and is not listed: {test_id}\n    {outcome.message.strip()[:500]}")
    if len(counted) < min_counted:
        problems.append(f"only {len(counted)} tests that use w2v ran (at least {min_counted} expected)")
    return problems


def run_suite(workdir: Path, files: dict[str, str]) -> tuple[dict[str, Outcome], str]:
    """Run the given test files (name -> text) with pytest in ``workdir``; their outcomes and log."""
    for name, text in files.items():
        (workdir / name).write_text(text, encoding="utf-8")
    (workdir / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    junit = workdir / "junit.xml"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(HERE.parent), os.environ.get("PYTHONPATH", "")]))
    env.pop("BULK_TEST_REPS", None)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir", str(workdir),
         "-c", os.devnull, f"--junitxml={junit}", "-o", "junit_family=xunit1", *files],
        cwd=workdir, env=env, capture_output=True, text=True, timeout=900)
    if not junit.exists():
        raise AssertionError(f"the suite did not run:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return outcomes(junit), proc.stdout


def gensim_files() -> dict[str, str]:
    src = Path(pytest.importorskip("gensim.test").__file__).parent
    pytest.importorskip("testfixtures")  # gensim's test_word2vec.py imports it (gensim's test extra)
    return {name: rewrite(name, (src / name).read_text(encoding="utf-8")) for name in FILES}


@pytest.mark.slow  # ~1 min on a quiet 2-core machine (gensim's own training tests), ~2 min under load
def test_gensim_suite(tmp_path):
    """gensim's tests pass on w2v except the listed ones, each failing as listed."""
    results, log = run_suite(tmp_path, gensim_files())
    counted = [t for t, o in results.items() if o.used_w2v and o.result != "skipped"]
    passed = [t for t in counted if results[t].result == "passed"]
    ignored = sorted(t for t, o in results.items() if not o.used_w2v)
    print(f"\ngensim suite on w2v: {len(passed)} of {len(counted)} tests that use w2v pass "
          f"({sum(o.result == 'skipped' for o in results.values())} skipped; not counted, never using w2v: "
          f"{', '.join(ignored) or 'none'})")
    problems = judge(results, read_expected())
    assert not problems, "\n".join(problems) + "\n\n" + log[-4000:]


# --------------------------------------------------------------------------- the harness itself

FAKE_SUITE = '''
import pickle
import unittest
import w2v

PICKLED = pickle.dumps(w2v.KeyedVectors(3))  # made at import: the test below only loads it


class TestFake(unittest.TestCase):
    def test_uses_w2v_and_passes(self):
        assert len(w2v.KeyedVectors(3)) == 0

    def test_uses_w2v_and_fails(self):
        w2v.KeyedVectors(3)
        raise KeyError("code")

    def test_never_uses_w2v_and_fails(self):
        raise ValueError("not ours")

    def test_loads_a_pickle_and_fails(self):
        pickle.loads(PICKLED)
        assert False, "after a load"
'''


@pytest.fixture(scope="module")
def fake_results(tmp_path_factory):
    results, _log = run_suite(tmp_path_factory.mktemp("fake"), {"test_fake.py": FAKE_SUITE})
    return results


def fake_expected(**entries) -> dict[str, Expected]:
    return {f"test_fake.py::TestFake::{name}": Expected(fragment, "why") for name, fragment in entries.items()}


def test_harness_records_outcomes_messages_and_w2v_use(fake_results):
    outcome = {name.rpartition("::")[2]: o for name, o in fake_results.items()}
    assert {n: (o.result, o.used_w2v) for n, o in outcome.items()} == {
        "test_uses_w2v_and_passes": ("passed", True), "test_uses_w2v_and_fails": ("failed", True),
        "test_never_uses_w2v_and_fails": ("failed", False), "test_loads_a_pickle_and_fails": ("failed", True)}
    assert "KeyError: 'code'" in outcome["test_uses_w2v_and_fails"].message


def test_harness_accepts_a_run_as_listed(fake_results):
    expected = fake_expected(test_uses_w2v_and_fails="KeyError: 'code'", test_loads_a_pickle_and_fails="after a load")
    assert judge(fake_results, expected, min_counted=3) == []  # the failure that never uses w2v is not counted


def test_harness_fails_when_a_listed_failure_passes(fake_results):
    expected = fake_expected(test_uses_w2v_and_fails="KeyError: 'code'", test_loads_a_pickle_and_fails="after a load",
                             test_uses_w2v_and_passes="AssertionError")
    problems = judge(fake_results, expected, min_counted=3)
    assert len(problems) == 1 and problems[0].startswith("listed as failing but passes now")


def test_harness_fails_when_a_listed_test_fails_for_another_reason(fake_results):
    expected = fake_expected(test_uses_w2v_and_fails="TypeError", test_loads_a_pickle_and_fails="after a load")
    problems = judge(fake_results, expected, min_counted=3)
    assert len(problems) == 1 and problems[0].startswith("fails, but not with 'TypeError'")


def test_harness_fails_on_unlisted_failures_missing_tests_and_too_few_tests(fake_results):
    problems = judge(fake_results, fake_expected(test_loads_a_pickle_and_fails="after a load", test_gone="x"),
                     min_counted=4)
    assert [p.split(":")[0] for p in problems] == ["listed but not in gensim's suite", "fails and is not listed",
                                                   "only 3 tests that use w2v ran (at least 4 expected)"]


def test_expected_failures_file_has_a_fragment_and_a_reason_per_entry(tmp_path):
    for test_id, entry in read_expected().items():
        assert test_id.startswith(FILES) and entry.fragment and entry.reason
    bad = tmp_path / "list.txt"
    bad.write_text("test_word2vec.py::TestWord2VecModel::test_vocab  # a reason but no fragment\n")
    with pytest.raises(AssertionError, match="list.txt:1: expected 'test id  fails with: FRAGMENT  # reason'"):
        read_expected(bad)
