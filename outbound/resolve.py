"""Resolving a destination and judging every address it resolves to, before anything is sent."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from outbound.errors import OutboundRefused
from outbound.policy import DENIED_REASON, OutboundPolicy, parse_address

Resolver = Callable[[str, int], Awaitable[list[str]]]
"""`(host, port) -> addresses`, as IP strings; raises OSError when the name does not resolve."""

URL_SCHEMES = ("http://", "https://", "ws://", "wss://")


async def system_resolver(host: str, port: int) -> list[str]:
    """The system's resolver (getaddrinfo, in the event loop's executor), addresses deduplicated."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def checked_addresses(
    policy: OutboundPolicy, host: str, port: int, resolver: Resolver = system_resolver
) -> list[str]:
    """The addresses of `host`, all of them allowed; OutboundRefused if the policy refuses any.

    An IP address is judged as it is (no lookup). A name that resolves to several addresses is
    refused if any of them is: which one a client would use is not for the caller to pick.
    """
    literal = parse_address(host)
    if literal is not None:
        _refuse(host, policy.refusal(host, literal))
        return [str(literal)]
    _refuse(host, policy.name_refusal(host))
    addresses = await resolver(host, port)
    for address in addresses:
        ip = parse_address(address.partition("%")[0])  # a scoped IPv6 address: fe80::1%eth0
        _refuse(host, policy.refusal(host, ip) if ip is not None else "an unrecognised address")
    if not addresses:
        raise OSError(f"{host} has no address")
    return addresses


def check_literal(policy: OutboundPolicy, host: str) -> None:
    """Raise OutboundRefused when `host` is an IP address the policy refuses; names pass."""
    literal = parse_address(host)
    if literal is not None:
        _refuse(host, policy.refusal(host, literal))


def _refuse(host: str, reason: str | None) -> None:
    if reason is not None:
        raise OutboundRefused(host, reason, allowable=reason != DENIED_REASON)


def url_destination(url: str) -> tuple[str, int] | None:
    """`(host, port)` of an absolute http(s)/ws(s) URL, else None (it names no destination)."""
    if not url[:8].lower().startswith(URL_SCHEMES):
        return None
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    secure = parts.scheme.lower() in ("https", "wss")
    return parts.hostname, port if port is not None else (443 if secure else 80)


async def check_url(policy: OutboundPolicy, url: str, resolver: Resolver = system_resolver) -> None:
    """Raise OutboundRefused when the policy refuses the destination of `url` (resolved now).

    A check ahead of a connection that someone else's client makes: it cannot see what that
    client resolves later (DNS rebinding). Clients from `outbound.clients` check at connect time.
    """
    destination = url_destination(url)
    if destination is not None:
        await checked_addresses(policy, *destination, resolver=resolver)
