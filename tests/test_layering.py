"""Arrows point one way: handlers -> domain -> storage/inference. Checked on the import graph."""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
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


def imported_modules(path: Path) -> set[str]:
    """Every absolute module an import names, wherever in the file it stands."""
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from pkg import part` names the part too (it may be a module of pkg).
            found |= {node.module, *(f"{node.module}.{alias.name}" for alias in node.names)}
    return found


def imported_packages(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package):
    offenders = {
        str(path.relative_to(ROOT)): sorted(imported_packages(path) & FORBIDDEN[package])
        for path in (ROOT / package).rglob("*.py")
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def _unit_graph(package: str) -> dict[str, set[str]]:
    """Which of the package's parts (subpackages and modules) each part imports, at any depth
    of the code: an import inside a function counts, it is the same arrow."""
    graph: dict[str, set[str]] = {}
    for path in (ROOT / package).rglob("*.py"):
        unit = path.relative_to(ROOT / package).with_suffix("").parts[0]
        if unit == "__init__":
            continue
        arrows = graph.setdefault(unit, set())
        for name in imported_modules(path):
            parts = name.split(".")
            if parts[0] == package and len(parts) > 1 and parts[1] != unit:
                arrows.add(parts[1])
    return graph


@pytest.mark.parametrize("package", sorted([*FORBIDDEN, "app", "handlers"]))
def test_arrows_inside_a_package_point_one_way(package):
    try:
        list(TopologicalSorter(_unit_graph(package)).static_order())
    except CycleError as loop:
        pytest.fail(f"{package}: its parts import each other in a loop: {loop.args[1]}")
