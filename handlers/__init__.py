"""One module per API resource group; each function serves one operationId."""

from __future__ import annotations

import importlib

MODULES = (
    "handlers.health",
    "handlers.assistants",
    "handlers.threads",
    "handlers.messages",
    "handlers.models",
    "handlers.runs",
    "handlers.chat",
    "handlers.embeddings",
    "handlers.files",
    "handlers.vector_stores",
    "handlers.responses",
    "handlers.conversations",
)


def load_all() -> None:
    for name in MODULES:
        importlib.import_module(name)
