"""An httpx transport over aiohttp: httpx's client API, aiohttp's C-accelerated HTTP/1.1.

Reading a streamed answer through httpx's own transport costs about 1.6x the CPU per received
chunk of aiohttp (anyio cancel scopes and h11's pure-Python parser on every read; see
bench/chat_relay.py), and a relay reads one chunk per token. Requests still go through an
`httpx.AsyncClient`, so policies set on the client apply unchanged; aiohttp's errors are raised
as the httpx exceptions they correspond to.

With an outbound policy (`outbound/`), every connection is judged where it is made: the connector
resolves through `outbound.aiohttp_resolver` (no DNS cache, so each new connection is judged on
the addresses it connects to), and IP hosts, which aiohttp connects to without asking its
resolver, pass `outbound.check_literal` before the request. A refusal raises `OutboundRefused`
before a byte is sent. No proxy from the environment then: the policy would judge the proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
import httpx

from outbound import OutboundPolicy, Resolver, check_literal, system_resolver
from outbound.aiohttp_resolver import policy_connector

# Headers aiohttp writes itself from the request it sends.
_OWN_HEADERS = frozenset({"host", "content-length", "transfer-encoding", "connection"})
_ERRORS: tuple[tuple[type[BaseException], type[httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.SocketTimeoutError, httpx.ReadTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),
    (TimeoutError, httpx.ReadTimeout),
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.RemoteProtocolError),
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),
    (aiohttp.ClientError, httpx.NetworkError),
)
_LITERALS_KEPT = 1024


@contextmanager
def _as_httpx_errors(request: httpx.Request) -> Iterator[None]:
    try:
        yield
    except httpx.TransportError:
        raise
    except Exception as exc:
        for kind, mapped in _ERRORS:
            if isinstance(exc, kind):
                raise mapped(f"{type(exc).__name__}: {exc}", request=request) from exc
        raise


class _Body(httpx.AsyncByteStream):
    def __init__(self, response: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._response = response
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _as_httpx_errors(self._request):
            async for piece in self._response.content.iter_any():
                yield piece

    async def aclose(self) -> None:
        # A body read to its end returns the connection to the pool; otherwise it is closed.
        self._response.release()


class AiohttpTransport(httpx.AsyncBaseTransport):
    """Sends httpx requests with one aiohttp session (made on first use, in the running loop)."""

    def __init__(
        self,
        *,
        max_connections: int,
        keepalive_seconds: float,
        policy: OutboundPolicy | None = None,
        resolver: Resolver = system_resolver,
    ) -> None:
        self._max_connections = max_connections
        self._keepalive_seconds = keepalive_seconds
        self._policy = policy
        self._resolver = resolver
        self._passed: set[str] = set()  # hosts the policy allowed (it never changes)
        self._session: aiohttp.ClientSession | None = None

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            options: dict[str, Any] = {
                "limit": self._max_connections,
                "limit_per_host": 0,
                "keepalive_timeout": self._keepalive_seconds,
            }
            connector = (
                aiohttp.TCPConnector(**options)
                if self._policy is None
                else policy_connector(self._policy, self._resolver, **options)
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                cookie_jar=aiohttp.DummyCookieJar(),  # nothing carries over between tenants
                auto_decompress=False,  # httpx decodes what the content-encoding says
                # HTTP(S)_PROXY / NO_PROXY as httpx does, but never under a policy.
                trust_env=self._policy is None,
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return self._session

    def _judge(self, host: str) -> None:
        if self._policy is None or host in self._passed:
            return
        check_literal(self._policy, host)  # raises OutboundRefused; names pass (resolver)
        if len(self._passed) >= _LITERALS_KEPT:
            self._passed.clear()
        self._passed.add(host)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self._judge(request.url.host)
        timeouts: dict[str, Any] = request.extensions.get("timeout", {})
        timeout = aiohttp.ClientTimeout(
            total=None,
            connect=timeouts.get("connect"),
            sock_read=timeouts.get("read"),
        )
        headers = [
            (key.decode("latin-1"), value.decode("latin-1"))
            for key, value in request.headers.raw
            if key.lower().decode("latin-1") not in _OWN_HEADERS
        ]
        with _as_httpx_errors(request):
            response = await self._open().request(
                request.method,
                str(request.url),
                headers=headers,
                data=await request.aread() or None,
                timeout=timeout,
                allow_redirects=False,
            )
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, request),
            extensions={"http_version": b"HTTP/1.1", "reason_phrase": b""},
        )

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None:
            await session.close()
            await asyncio.sleep(0)  # lets aiohttp close its sockets before the loop moves on
