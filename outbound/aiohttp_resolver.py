"""The connect-time check for aiohttp (LiteLLM's default transport is aiohttp).

aiohttp connects to the addresses its connector's resolver returns. `PolicyResolver` returns a
host's addresses only when the policy allows all of them; with `use_dns_cache=False` (see
`policy_connector`) every new connection asks it again, so a name rebound after a check cannot
pass. aiohttp never asks its resolver about an IP host: `outbound.check_literal` judges those
before each request (the address in the URL is the address connected to: the same check).
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

from aiohttp.abc import AbstractResolver, ResolveResult

from outbound.policy import OutboundPolicy
from outbound.resolve import Resolver, checked_addresses, system_resolver

if TYPE_CHECKING:
    from aiohttp import TCPConnector


class PolicyResolver(AbstractResolver):
    """An aiohttp resolver answering only addresses the policy allows (else `OutboundRefused`)."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver = system_resolver) -> None:
        self.policy = policy
        self._resolver = resolver

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        # aiohttp asks for "name." (no search domains); the policy and messages use "name".
        name = host.rstrip(".") or host
        addresses = await checked_addresses(self.policy, name, port, self._resolver)
        results: list[ResolveResult] = []
        for address in addresses:
            kind = socket.AF_INET6 if ":" in address else socket.AF_INET
            if family in (socket.AF_UNSPEC, kind):
                results.append(
                    {
                        "hostname": name,
                        "host": address,
                        "port": port,
                        "family": kind,
                        "proto": 0,
                        "flags": socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
                    }
                )
        if not results:
            raise OSError(f"{name} has no address of the family asked for")
        return results

    async def close(self) -> None:
        return None


def policy_connector(
    policy: OutboundPolicy, resolver: Resolver = system_resolver, **options: Any
) -> TCPConnector:
    """An aiohttp `TCPConnector` resolving through the policy, without a DNS cache."""
    from aiohttp import TCPConnector

    return TCPConnector(resolver=PolicyResolver(policy, resolver), use_dns_cache=False, **options)
