"""The connect-time check: an httpcore network backend that connects only to addresses it judged.

httpcore opens every TCP connection through its pool's network backend. This one resolves the
host itself, asks the policy about every address, and connects the inner backend to the checked
IP address, so a name that resolves differently a moment later (DNS rebinding) cannot slip
through. TLS still verifies the host name: httpcore passes the URL's host as `server_hostname`.
A pooled keep-alive connection is checked once, when it is opened; an IP host needs no lookup.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Protocol

from outbound.policy import OutboundPolicy
from outbound.resolve import Resolver, checked_addresses, system_resolver


class NetworkBackend(Protocol):
    """The part of `httpcore.AsyncNetworkBackend` (and httpcore2's) that a pool calls."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any: ...

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> Any: ...

    async def sleep(self, seconds: float) -> None: ...


class PolicyBackend:
    """Wraps a pool's network backend; TCP connections go only where the policy allows.

    `connect_error` and `connect_timeout` are the pool library's own exception classes (httpcore
    and httpcore2 each have theirs), raised for a name that does not resolve in time, so that
    clients report it as the connection failure it is. A refusal raises `OutboundRefused`.
    """

    def __init__(
        self,
        policy: OutboundPolicy,
        inner: NetworkBackend,
        connect_error: type[Exception],
        connect_timeout: type[Exception],
        resolver: Resolver = system_resolver,
    ) -> None:
        self.policy = policy
        self._inner = inner
        self._connect_error = connect_error
        self._connect_timeout = connect_timeout
        self._resolver = resolver

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> Any:
        try:
            async with asyncio.timeout(timeout):
                addresses = await checked_addresses(self.policy, host, port, self._resolver)
        except TimeoutError:
            raise self._connect_timeout(f"resolving {host} timed out") from None
        except OSError as exc:
            raise self._connect_error(f"{host}: {exc}") from None
        for address in addresses[:-1]:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (self._connect_error, self._connect_timeout):
                continue  # the next address, as getaddrinfo-ordered clients do
        return await self._inner.connect_tcp(
            addresses[-1], port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> Any:
        raise self._connect_error("unix sockets are not outbound destinations")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)
