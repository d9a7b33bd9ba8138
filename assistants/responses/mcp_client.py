"""The client side of a remote MCP server: list its tools, call one, each bounded by a timeout.

Built on the official `mcp` SDK (streamable HTTP, or SSE for a URL whose path ends in ``/sse``)
over an httpx2 client of the `outbound` package, so the operator's outbound policy judges every
connection. The caller's headers go to that server only; they are never logged, and an error
names neither them nor the URL (its path or query may hold a secret). The SDK is imported on the
first MCP call: importing it costs ~0.8 s, which server start-up does not pay.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from outbound import OutboundPolicy, OutboundRefused, mcp_http_client

if TYPE_CHECKING:
    import httpx2
    from mcp import ClientSession

Json = dict[str, Any]


class McpError(Exception):
    """A listing or call that did not succeed; the message is safe to show and store."""


@dataclass(frozen=True)
class McpServer:
    label: str
    url: str
    policy: OutboundPolicy | None
    timeout: float
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)


def _client(server: McpServer) -> httpx2.AsyncClient:
    import httpx2

    timeout = httpx2.Timeout(server.timeout)
    if server.policy is None:
        return httpx2.AsyncClient(headers=dict(server.headers), timeout=timeout, trust_env=False)
    return mcp_http_client(server.policy, server.headers, timeout)


def _factory(server: McpServer, **_: Any) -> httpx2.AsyncClient:
    return _client(server)


@asynccontextmanager
async def _session(server: McpServer) -> AsyncIterator[ClientSession]:
    from mcp import ClientSession
    from mcp.client.sse import sse_client
    from mcp.client.streamable_http import streamable_http_client

    if urlsplit(server.url).path.rstrip("/").endswith("/sse"):
        transport = sse_client(
            server.url,
            timeout=server.timeout,
            sse_read_timeout=server.timeout,
            httpx_client_factory=functools.partial(_factory, server),
        )
    else:
        transport = streamable_http_client(server.url, http_client=_client(server))
    async with transport as streams:
        read, write = streams[0], streams[1]
        async with ClientSession(read, write, read_timeout_seconds=server.timeout) as session:
            await session.initialize()
            yield session


async def _bounded(server: McpServer, what: str, work: Any) -> Any:
    try:
        async with asyncio.timeout(server.timeout):
            return await work
    except TimeoutError:
        raise McpError(
            f"MCP server '{server.label}' did not answer {what} within {server.timeout:g} seconds."
        ) from None
    except McpError:
        raise
    except OutboundRefused as exc:
        raise McpError(exc.message) from None
    except Exception as exc:  # a transport, protocol or server failure, possibly grouped
        raise McpError(f"Error {what} on MCP server '{server.label}': {_kind(exc)}.") from None


def _kind(exc: BaseException) -> str:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    if isinstance(exc, OutboundRefused):
        return exc.message
    return type(exc).__name__


async def list_tools(server: McpServer) -> list[Json]:
    """The server's tools as OpenAI lists them: name, description, input_schema, annotations."""

    async def work() -> list[Json]:
        from mcp import types

        async with _session(server) as session:
            tools: list[Json] = []
            cursor: str | None = None
            while True:
                params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                result = await session.list_tools(params=params)
                for tool in result.tools:
                    annotations = (
                        tool.annotations.model_dump(exclude_none=True) if tool.annotations else None
                    )
                    tools.append(
                        {
                            "name": tool.name,
                            "description": tool.description,
                            "input_schema": tool.input_schema,
                            "annotations": annotations,
                        }
                    )
                cursor = result.next_cursor
                if not cursor:
                    return tools

    result: list[Json] = await _bounded(server, "listing tools", work())
    return result


async def call_tool(server: McpServer, name: str, arguments: Json) -> str:
    """The text a tool call returned; `McpError` for a failed call (the tool's own error too)."""

    async def work() -> str:
        from mcp import types

        async with _session(server) as session:
            result = await session.call_tool(name, arguments)
        text = "\n".join(
            part.text for part in result.content if isinstance(part, types.TextContent)
        )
        if not text and result.structured_content is not None:
            text = json.dumps(result.structured_content)
        if result.is_error:
            raise McpError(text or f"Tool '{name}' failed.")
        return text

    output: str = await _bounded(server, f"calling tool '{name}'", work())
    return output
