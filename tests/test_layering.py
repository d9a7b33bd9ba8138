"""Arrows point one way: handlers -> domain -> storage/inference. Checked on the import graph."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "storage": {"app", "handlers", "assistants", "inference", "connexion", "starlette"},
    "inference": {"app", "handlers", "assistants", "storage", "connexion", "starlette"},
    "assistants": {"app", "handlers", "connexion", "starlette"},
    "outbound": {
        "app",
        "handlers",
        "assistants",
        "storage",
        "inference",
        "connexion",
        "starlette",
    },
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}
