"""The house's shape: data flows one way, and docs/architecture.md names every module.

source -> load -> kpi / models -> plot -> sections -> report / check -> cli. A module may
import the steps before it (and its own package), never a later one; the foundation
(errors, schema, periods, resources) imports no other salesnb module but errors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "salesnb"

#: What each part of salesnb may import (besides itself), in the order of the flow.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "resources": set(),
    "numbers": set(),
    "schema": {"errors"},
    "periods": {"errors"},
    "stages": {"errors", "schema"},
    "synth": {"errors", "schema", "periods"},
    "load": {"errors", "schema", "periods", "stages", "resources", "numbers"},
    "kpi": {"errors", "schema", "periods", "stages"},
    "models": {"errors", "schema", "periods", "stages"},
    "plot": {"errors", "schema", "periods", "numbers"},
    "sections": {
        "numbers",
        "errors",
        "schema",
        "periods",
        "stages",
        "resources",
        "load",
        "kpi",
        "models",
        "plot",
    },
    "report": {
        "numbers",
        "errors",
        "schema",
        "periods",
        "stages",
        "resources",
        "load",
        "kpi",
        "models",
        "plot",
        "sections",
    },
    "project": {"errors", "resources"},
    "check": {"errors", "schema", "periods", "stages", "resources", "load", "sections"},
    "cli": {
        "numbers",
        "errors",
        "schema",
        "periods",
        "stages",
        "resources",
        "load",
        "report",
        "project",
        "check",
    },
    "__main__": {"cli"},
    "__init__": {"errors", "load"},
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _part(path: Path) -> str:
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py")


def _salesnb_imports(path: Path) -> set[str]:
    """The salesnb parts a module imports (``salesnb.x`` -> ``x``), lazy imports included."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
            if node.module == "salesnb":
                names = [f"salesnb.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "salesnb" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_flow_one_way(path):
    part = _part(path)
    assert part in ALLOWED, f"{part!r} is a new part of salesnb: add it to ALLOWED and docs"
    wrong = sorted(_salesnb_imports(path) - ALLOWED[part] - {part})
    assert not wrong, f"{path.relative_to(ROOT)} ({part}) imports later steps: {wrong}"


def test_architecture_page_names_every_module():
    page = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    missing = []
    for path in _modules():
        rel = path.relative_to(ROOT).as_posix()
        if path.name in {"__init__.py", "__main__.py"}:
            continue
        if rel not in page:
            missing.append(rel)
    assert not missing, f"docs/architecture.md does not name: {missing}"
