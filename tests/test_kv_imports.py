"""The KeyedVectors modules import each other in one direction only (no circle, not even a lazy one)."""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "w2v"
KV_MODULES = {"vectors", "formats", "evaluate", "ranking", "gensim_pickle", "wmd"}


def _imports(module: str) -> set[str]:
    """w2v modules that ``module`` imports anywhere in its source (function-level imports included)."""
    tree = ast.parse((PACKAGE / f"{module}.py").read_text(encoding="utf8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("w2v."):
            found.add(node.module.split(".")[1])
    return {m for m in found if (PACKAGE / f"{m}.py").exists()}


def _reaches(start: str, target: str, seen: set[str]) -> bool:
    for nxt in _imports(start):
        if nxt == target:
            return True
        if nxt not in seen:
            seen.add(nxt)
            if _reaches(nxt, target, seen):
                return True
    return False


def test_keyed_vectors_modules_are_not_in_an_import_circle():
    circular = sorted(m for m in KV_MODULES if _reaches(m, m, set()))
    assert circular == [], f"modules in an import circle: {circular}"


def test_vectors_sits_above_formats_and_evaluate():
    assert {"formats", "evaluate", "ranking"} <= _imports("vectors")
    assert "vectors" not in _imports("formats") | _imports("evaluate") | _imports("gensim_pickle")
