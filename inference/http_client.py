"""The one place that makes the HTTP clients the server uses to call providers.

Every outbound call this package makes itself (the direct OpenAI-compatible relay, a provider's own
`/models` list) goes through a client from `provider_client()`, so a policy on the client or its
transport (limits, proxies, connect-time checks) applies to all of them. The client is httpx's;
its transport is aiohttp's (`aiohttp_transport`), whose connector judges the resolved address of
each connection against the operator's outbound policy (`outbound/`). `OutboundGate.http_client()`
(`outbound_gate`) keeps one such client per event loop: use that one.
"""

from __future__ import annotations

from http.cookiejar import CookieJar
from typing import TYPE_CHECKING, Any

from outbound import OutboundPolicy, Resolver, system_resolver

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT = 10.0
"""Seconds to open a connection; reads wait for the (usually much longer) provider timeout."""


class _NoCookies(CookieJar):
    """One client serves every tenant: a cookie a provider sets must never reach another's call
    (nor be parsed at all: this jar neither keeps nor sends any)."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def add_cookie_header(self, request: Any) -> None:
        return None


def provider_client(
    timeout: float,
    *,
    max_connections: int = 1000,
    policy: OutboundPolicy | None = None,
    resolver: Resolver = system_resolver,
) -> httpx.AsyncClient:
    """A pooled client for provider calls: credentials travel per request, cookies never; every
    connection judged by `policy` at connect time (None: no checks, for measurements)."""
    import httpx

    from inference.aiohttp_transport import AiohttpTransport

    return httpx.AsyncClient(
        timeout=httpx.Timeout(timeout, connect=min(CONNECT_TIMEOUT, timeout)),
        transport=AiohttpTransport(
            max_connections=max_connections,
            keepalive_seconds=30.0,
            policy=policy,
            resolver=resolver,
        ),
        cookies=_NoCookies(),
        follow_redirects=True,  # as the OpenAI SDK does; each hop is a connection the policy judges
    )
