"""A real MCP server (the `mcp` SDK's MCPServer, streamable HTTP or SSE) on a free loopback port.

Two tools, `lookup_city` and `shout`, and `hang` (sleeps, to prove timeouts). Every tool call is
recorded in `calls` (name, arguments) and every HTTP request's headers in `headers`, so tests can
prove what the server ran and what reached it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx
import uvicorn
from mcp.server.mcpserver import MCPServer

from tests.support.live_server import free_port


@dataclass
class McpLog:
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


def build(log: McpLog, sse: bool = False) -> Any:
    server = MCPServer("weather-desk")

    @server.tool()
    def lookup_city(city: str) -> str:
        """The population of a city."""
        log.calls.append(("lookup_city", {"city": city}))
        return f"{city} has 42 inhabitants"

    @server.tool()
    def shout(text: str) -> str:
        """The text in capitals."""
        log.calls.append(("shout", {"text": text}))
        return text.upper()

    @server.tool()
    async def hang(text: str) -> str:
        """Never answers in time."""
        log.calls.append(("hang", {"text": text}))
        await asyncio.sleep(30)
        return "late"

    app = server.sse_app() if sse else server.streamable_http_app()

    async def recording(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            log.headers.append({k.decode(): v.decode() for k, v in scope["headers"]})
        await app(scope, receive, send)

    return recording


class McpServerThread:
    def __init__(self, sse: bool = False) -> None:
        self.log = McpLog()
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/{'sse' if sse else 'mcp'}"
        config = uvicorn.Config(
            build(self.log, sse),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            timeout_graceful_shutdown=2,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def start(self) -> McpServerThread:
        self.thread.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"http://127.0.0.1:{self.port}/", timeout=1)
                return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("the MCP server did not start")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
