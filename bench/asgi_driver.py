"""Drive an ASGI app in-process (no sockets), to measure what the app itself costs per request."""

from __future__ import annotations

import asyncio
from typing import Any


async def call(
    app: Any, method: str, path: str, body: bytes = b"", headers: list | None = None
) -> int:
    raw_headers = [(b"authorization", b"Bearer sk-bench"), *(headers or [])]
    if body:
        raw_headers += [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": raw_headers,
        "http_version": "1.1",
        "scheme": "http",
        "server": ("bench", 80),
        "client": ("bench", 1),
        "root_path": "",
    }
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0

    async def send(message: dict) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def lifespan(app: Any) -> asyncio.Task:
    """Run the app's lifespan start-up; returns the task to finish it with ``shutdown``."""
    messages: asyncio.Queue = asyncio.Queue()
    started = asyncio.Event()
    await messages.put({"type": "lifespan.startup"})

    async def send(message: dict) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()

    task = asyncio.ensure_future(
        app({"type": "lifespan", "asgi": {"version": "3.0"}}, messages.get, send)
    )
    await started.wait()
    task.messages = messages  # type: ignore[attr-defined]
    return task


async def shutdown(task: asyncio.Task) -> None:
    await task.messages.put({"type": "lifespan.shutdown"})  # type: ignore[attr-defined]
    await asyncio.wait_for(task, 10)
