"""The test suite leaves the user's home directory and cache alone (issue 29: after ``pytest``,
``w2v cache info`` listed 34 entries, 39 MB, for pytest's temporary files in ``~/.cache/w2v``).

A part of the suite that writes scan-cache entries through every route (the CLI in-process, a CLI
subprocess, ``w2v.train`` with the default cache, a Dask cluster's worker processes) runs in a
fresh pytest with a throwaway ``HOME`` and none of the cache variables set; nothing may appear in
that ``HOME``.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: tests that use the default cache (no cache_dir=False, no -cache 0), or start other processes
REPRESENTATIVE = [
    "tests/test_cli.py::test_similar_prints_the_vectors_nearest_neighbours",  # w2v train in-process (its fixture)
    "tests/test_cli.py::test_demo_is_reproducible_and_prints_gensims_figure",  # w2v.train on a file
    "tests/test_progress.py::test_cli_redirected_output_has_no_bar_refreshes",  # w2v train in a subprocess
    "tests/test_cli_dask.py::test_dask_workers_starts_a_local_cluster_and_trains",  # Dask's worker processes
]


@pytest.mark.slow
def test_suite_writes_nothing_into_home_or_the_user_cache(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("W2V_CACHE_DIR", "XDG_CACHE_HOME", "W2V_CACHE_MAX")}
    env["HOME"] = str(home)
    missing = [t for t in REPRESENTATIVE if not (ROOT / t.split("::")[0]).exists()]
    assert not missing, missing
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *REPRESENTATIVE],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    assert f"{len(REPRESENTATIVE)} passed" in proc.stdout, proc.stdout[-2000:]  # each ran: none skipped
    written = sorted(str(p.relative_to(home)) for p in home.rglob("*"))
    assert written == [], f"the tests wrote into HOME: {written[:20]}"
