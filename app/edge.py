"""The outermost ASGI layer: lifespan, request ids, metrics, access logs, and the two routes
that are not API operations (``/metrics`` and ``/v1/openapi.json``)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import STATE_KEY
from app.gate import OPERATION_KEY
from app.logs import ACCESS_LOGGER
from app.metrics import CONTENT_TYPE, Metrics
from app.state import AppState

access_log = logging.getLogger(ACCESS_LOGGER)

Hook = Callable[[AppState], Awaitable[None]]


class Edge:
    def __init__(
        self,
        app: ASGIApp,
        state: AppState,
        metrics: Metrics,
        spec_json: bytes,
        startup: Hook,
        shutdown: Hook,
    ) -> None:
        self.app = app
        self.state = state
        self.metrics = metrics
        self.spec_json = spec_json
        self.startup = startup
        self.shutdown = shutdown
        self._random = random.Random()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        path = scope["path"]
        if path == "/metrics" and scope["method"] == "GET":
            await _plain(send, 200, self.metrics.exposition(), CONTENT_TYPE)
            return
        if path == "/v1/openapi.json" and scope["method"] == "GET":
            await _plain(send, 200, self.spec_json, "application/json")
            return
        await self._serve(scope, receive, send)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        scope[STATE_KEY] = self.state
        extensions = scope.setdefault("extensions", {})
        request_id = f"req_{self._random.getrandbits(128):032x}"
        started = time.perf_counter()
        status = 500
        received = sent = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            return message

        async def tagged_send(message: Message) -> None:
            nonlocal status, sent
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode()),
                ]
            elif message["type"] == "http.response.body":
                sent += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, counting_receive, tagged_send)
        finally:
            elapsed = time.perf_counter() - started
            operation = extensions.get(OPERATION_KEY) or "unrouted"
            self.metrics.observe(operation, scope["method"], status, elapsed, received, sent)
            access_log.info(
                "%s %s %s %.1fms",
                scope["method"],
                operation,
                status,
                elapsed * 1000,
                extra={
                    "request_id": request_id,
                    "operation": operation,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    await self.startup(self.state)
                except Exception as exc:
                    logging.getLogger("assistants.lifespan").exception("start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(exc)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.shutdown(self.state)
                await send({"type": "lifespan.shutdown.complete"})
                return


async def _plain(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers: list[Any] = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
