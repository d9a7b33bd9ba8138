"""The HTTP client for caller-chosen provider URLs: LiteLLM's aiohttp transport, under the policy.

LiteLLM relays streams over aiohttp by default, ~40 us of CPU per chunk cheaper here than httpx's
own transport (bench/outbound_policy.py), so the policy-bound client keeps aiohttp: a connector
that resolves through `outbound.aiohttp_resolver.PolicyResolver` (no DNS cache, so each new
connection is judged on the addresses it connects to), and `outbound.check_literal` for IP hosts,
which aiohttp connects to without asking its resolver. Redirects are followed by httpx, so each
hop passes both again.

Imported only once LiteLLM is loaded (`OutboundGate` imports it lazily): this imports LiteLLM.
"""

from __future__ import annotations

import httpx
from aiohttp import ClientSession, DummyCookieJar
from litellm.llms.custom_httpx.aiohttp_transport import LiteLLMAiohttpTransport

from outbound import OutboundPolicy, Resolver, check_literal
from outbound.aiohttp_resolver import policy_connector

CONNECTIONS = 1000  # the OpenAI SDK's and LiteLLM's own connection limit
KEEPALIVE_SECONDS = 15.0  # LiteLLM's aiohttp keep-alive
_LITERALS_KEPT = 1024


class _DirectTransport(LiteLLMAiohttpTransport):
    """LiteLLM's aiohttp transport, never through a proxy from the environment.

    Through a proxy, the proxy would open the connection and the policy would only ever see the
    proxy's address. (LiteLLM reads proxies per request in this one method.)
    """

    async def _get_proxy_settings(self, request: httpx.Request) -> None:
        return None


class _LiteralCheck(httpx.AsyncBaseTransport):
    """Judges IP hosts before the request; host names are judged by the connector's resolver."""

    def __init__(self, inner: httpx.AsyncBaseTransport, policy: OutboundPolicy) -> None:
        self._inner = inner
        self._policy = policy
        self._passed: set[str] = set()  # the policy never changes: a host allowed stays allowed

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        host = request.url.host
        if host not in self._passed:
            check_literal(self._policy, host)
            if len(self._passed) >= _LITERALS_KEPT:
                self._passed.clear()
            self._passed.add(host)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


def provider_client(
    policy: OutboundPolicy, resolver: Resolver, timeout: float
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` whose every connection the policy has judged (one per event loop).

    `timeout` applies where a request sets none (the OpenAI SDK always sets its own).
    """

    def session() -> ClientSession:
        connector = policy_connector(
            policy, resolver, limit=CONNECTIONS, keepalive_timeout=KEEPALIVE_SECONDS
        )
        return ClientSession(connector=connector, cookie_jar=DummyCookieJar(), trust_env=False)

    transport = _LiteralCheck(_DirectTransport(client=session), policy)
    return httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=True, timeout=timeout
    )
