"""Ingestion stays a pure library: no HTTP, storage, network or LiteLLM imports."""

from __future__ import annotations

import ast
from pathlib import Path

import assistants.ingest

FORBIDDEN = {
    "app",
    "handlers",
    "storage",
    "inference",
    "connexion",
    "starlette",
    "litellm",
    "requests",
    "httpx",
    "urllib",
    "socket",
    "subprocess",
    "os",
}


def test_ingest_imports_nothing_impure():
    package = Path(assistants.ingest.__file__).parent
    offenders = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module]
            else:
                continue
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
