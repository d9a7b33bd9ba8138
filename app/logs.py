"""Logging set-up: plain or JSON lines. Request logs carry no header values, ever."""

from __future__ import annotations

import logging
import sys

from pythonjsonlogger.json import JsonFormatter

ACCESS_LOGGER = "assistants.access"


def configure(level: str = "info", json_lines: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if json_lines:
        handler.setFormatter(
            JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s", timestamp=True)
        )
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # LiteLLM logs request details (which can include keys) at debug/info level.
    for noisy in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "httpx", "cassandra"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
