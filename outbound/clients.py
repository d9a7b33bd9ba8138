"""HTTP clients that honour the policy at connect time: httpx for providers, httpx2 for MCP.

httpx (and httpx2, the fork the `mcp` SDK uses) build an httpcore connection pool inside
`AsyncHTTPTransport` and have no parameter for its network backend, so `guard_transport` wraps
the backend of the pool the transport built, keeping all of httpx's TLS, limits and HTTP/2
configuration. Clients never take a proxy from the environment: a proxy would make the
connections, and the policy would judge the proxy's address instead of the destination.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from outbound.backend import PolicyBackend
from outbound.policy import OutboundPolicy
from outbound.resolve import Resolver, system_resolver

if TYPE_CHECKING:
    import httpx
    import httpx2


def guard_transport(
    transport: Any, policy: OutboundPolicy, resolver: Resolver = system_resolver
) -> Any:
    """Make an `httpx.AsyncHTTPTransport` (or httpx2's) connect only where `policy` allows."""
    pool = transport._pool
    if type(pool).__name__ != "AsyncConnectionPool":
        raise TypeError("only a direct transport (no proxy) can be guarded")
    core = importlib.import_module(type(pool).__module__.partition(".")[0])  # httpcore(2)
    pool._network_backend = PolicyBackend(
        policy, pool._network_backend, core.ConnectError, core.ConnectTimeout, resolver
    )
    return transport


def policy_transport(
    policy: OutboundPolicy, resolver: Resolver = system_resolver, **options: Any
) -> httpx.AsyncHTTPTransport:
    """An httpx transport under `policy`; `options` are `AsyncHTTPTransport`'s (limits, http2)."""
    import httpx

    return guard_transport(httpx.AsyncHTTPTransport(**options), policy, resolver)  # type: ignore[no-any-return]


def policy_client(
    policy: OutboundPolicy, resolver: Resolver = system_resolver, **options: Any
) -> httpx.AsyncClient:
    """An `httpx.AsyncClient` under `policy`; `options` are the client's (timeout, headers...)."""
    import httpx

    limits = options.pop("limits", httpx.Limits())
    transport = policy_transport(policy, resolver, limits=limits, http2=options.pop("http2", False))
    return httpx.AsyncClient(transport=transport, trust_env=False, **options)


def mcp_http_client(
    policy: OutboundPolicy,
    headers: Mapping[str, str] | None = None,
    timeout: httpx2.Timeout | None = None,
    auth: httpx2.Auth | None = None,
    resolver: Resolver = system_resolver,
) -> httpx2.AsyncClient:
    """An `httpx2.AsyncClient` under `policy`, with the MCP SDK's default timeouts.

    The signature after `policy` is the SDK's `McpHttpClientFactory`, so
    `functools.partial(mcp_http_client, policy)` is a factory for `sse_client`, and
    `mcp_http_client(policy, ...)` a client for `streamable_http_client(url, http_client=...)`.
    """
    import httpx2

    # The MCP SDK's own defaults (mcp.shared._httpx_utils): a long read for held-open streams.
    options: dict[str, Any] = {
        "timeout": timeout if timeout is not None else httpx2.Timeout(30.0, read=300.0)
    }
    if headers is not None:
        options["headers"] = dict(headers)
    if auth is not None:
        options["auth"] = auth
    transport = guard_transport(httpx2.AsyncHTTPTransport(), policy, resolver)
    return httpx2.AsyncClient(transport=transport, trust_env=False, **options)
