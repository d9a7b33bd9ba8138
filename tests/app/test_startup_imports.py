"""What a server process imports before it can answer: nothing it only needs for a rare call."""

from __future__ import annotations

import subprocess
import sys

# Imported by the first call that needs them, not at start-up (each costs a large part of a
# second of a cold start: bench/cold_start.py).
DEFERRED = ("mcp", "httpx2", "litellm")


def test_the_server_app_starts_without_the_mcp_sdk_or_litellm():
    script = (
        "import sys, app.main, app.services, app.lifespan; "
        f"print(','.join(m for m in {DEFERRED!r} if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    ).stdout.strip()
    assert loaded == ""
