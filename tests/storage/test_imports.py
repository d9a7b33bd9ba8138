"""storage/ stays below the HTTP layer: it never imports the app, the handlers or web frameworks."""

from __future__ import annotations

import ast
from pathlib import Path

import storage

FORBIDDEN = ("app", "handlers", "connexion", "starlette", "uvicorn")


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_storage_never_imports_the_http_layer() -> None:
    root = Path(storage.__file__).parent
    offenders = {
        f"{path.relative_to(root)}: {name}"
        for path in root.rglob("*.py")
        for name in imported_modules(path)
        if name.split(".")[0] in FORBIDDEN
    }
    assert not offenders
