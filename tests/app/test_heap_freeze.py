"""The served process keeps what start-up loaded out of the garbage collector's full walks.

A full collection stops the event loop for as long as it walks every tracked object: ~250 ms with
LiteLLM loaded. Each check runs the app's real lifespan in a fresh interpreter, since freezing
is process-wide and must not touch the test process.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import asyncio, gc, json, sys, time
from app.settings import Settings
from inference.loader import is_loaded

async def main(served):
    if served:
        from app.main import serve_app
        app = serve_app()
    else:
        from app.factory import create_app
        app = create_app(Settings.from_env())
    inbox = asyncio.Queue()
    sent = []
    async def receive():
        return await inbox.get()
    async def send(message):
        sent.append(message["type"])
    await inbox.put({"type": "lifespan.startup"})
    lifespan = asyncio.create_task(app({"type": "lifespan"}, receive, send))
    deadline = time.monotonic() + 120
    # Served: until the heap is frozen; otherwise until LiteLLM is loaded and a moment more.
    while time.monotonic() < deadline and not (gc.get_freeze_count() if served else is_loaded()):
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)
    frozen = gc.get_freeze_count()
    await inbox.put({"type": "lifespan.shutdown"})
    await asyncio.wait_for(lifespan, 30)
    print(json.dumps({"frozen": frozen, "loaded": is_loaded(), "sent": sent}))

asyncio.run(main(sys.argv[1] == "served"))
"""


def run_lifespan(how: str, tmp_path: Path) -> dict[str, object]:
    env = {
        "ASSISTANTS_STORE": f"sqlite:///{tmp_path}/heap.db",
        "LOG_LEVEL": "warning",
        "PATH": "/usr/bin:/bin",
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, how],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_the_served_app_freezes_the_start_up_heap_once_litellm_is_loaded(tmp_path):
    result = run_lifespan("served", tmp_path)
    assert result["loaded"] is True
    assert result["sent"] == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    # LiteLLM alone leaves a few hundred thousand objects behind.
    assert isinstance(result["frozen"], int) and result["frozen"] > 100_000


def test_an_app_sharing_its_process_leaves_the_collector_alone(tmp_path):
    result = run_lifespan("shared", tmp_path)
    assert result["loaded"] is True
    assert result["frozen"] == 0
