"""The docs a newcomer reads cannot rot: the API reference builds from the docstrings without a
warning, the README's Python snippet runs as written, and the licence the README names exists.

The Sphinx build takes ~3 CPU-seconds (about 10 s of wall time on a busy 2-core machine); the
README snippet trains on the bundled sample (~6M words in all, 5-15 s).
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

import w2v

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_api_reference_builds_without_warnings(tmp_path):
    """``sphinx-build -W``: a docstring that no longer renders (bad indentation, a broken directive)
    fails here. Sphinx is in the ``test`` extra, so CI cannot skip this silently."""
    try:
        import sphinx  # noqa: F401
    except ImportError:  # pragma: no cover - the test extra installs it
        pytest.fail('Sphinx is not installed: pip install -e ".[test]" (or ".[docs]")')
    out = tmp_path / "html"
    proc = subprocess.run([sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", "html",
                           str(ROOT / "docs"), str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    api = (out / "api.html").read_text(encoding="utf-8")
    missing = [name for name in w2v.__all__ if name != "__version__" and f'id="w2v.{name}"' not in api]
    assert not missing, f"public names without an entry in the API reference: {missing}"


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.S)


@pytest.mark.slow
def test_readme_quick_start_snippet_runs_as_written(tmp_path):
    """The first Python block of the README, run unchanged in an empty directory (so it cannot
    rely on a file the reader does not have)."""
    snippet = python_blocks(README)[0]
    proc = subprocess.run([sys.executable, "-c", snippet], cwd=tmp_path, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert re.match(r"\[\('\w+', 0\.\d+\)", proc.stdout), proc.stdout[:500]  # most_similar's list
    assert (tmp_path / "vectors.bin").stat().st_size > 1_000_000


def test_licence_file_is_the_one_the_readme_names():
    assert "MIT" in README
    licence = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert licence.startswith("MIT License") and "Permission is hereby granted" in licence


def test_changelog_has_an_unreleased_section():
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "## Unreleased" in changelog


def test_architecture_names_every_module():
    """ARCHITECTURE.md is the map of the package: a module it does not name is a room nobody was told of."""
    root = Path(w2v.__file__).resolve().parent.parent
    text = (root / "ARCHITECTURE.md").read_text(encoding="utf-8")
    missing = []
    for path in sorted((root / "w2v").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        parts = rel.split("/")
        if len(parts) == 2:
            named = f"`{rel}`" in text
        else:  # w2v/<package>/<name>.py: named in its package's section, or by its full path
            package = "/".join(parts[:-1])
            section = re.search(rf"\(`{re.escape(package)}/`[^\n]*\n(.*?)(\n## |\Z)", text, re.S)
            named = f"`{rel}`" in text or (section is not None and f"`{parts[-1]}`" in section.group(1))
        if not named:
            missing.append(rel)
    assert not missing, f"ARCHITECTURE.md does not name {missing}"
