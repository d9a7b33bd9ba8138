"""The operator's outbound policy as data: which destinations a caller may make the server reach.

Entries are exact host names, IP addresses or CIDR networks. How a destination is decided, given
its host name and one address it resolved to:

1. The operator's entries (`allow`, `deny`) that match: a host name matches its exact name
   (case-insensitive); an address or network matches the addresses in it. The most specific match
   decides: an exact host name or a single address is the most specific, then networks by prefix
   length (`10.1.0.0/16` beats `10.0.0.0/8`). On a tie, deny wins. So `deny 127.0.0.0/8` with
   `allow 127.0.0.1` lets 127.0.0.1 through only, and `deny 0.0.0.0/0,::/0` with a few allows is
   an allow-only list.
2. Where no operator entry matches, the built-in refusals: link-local and cloud metadata addresses
   always, and metadata names (`metadata.google.internal`...) unless allowed by that exact name;
   with `refuse_private` (the server has API keys, so callers are not the operator), loopback,
   unspecified and private ranges too.
3. Anything else is allowed.

IPv4 addresses written as IPv6 (`::ffff:a.b.c.d`, NAT64 `64:ff9b::a.b.c.d`) are judged as the
IPv4 address they reach.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

METADATA_REASON = "a link-local or cloud metadata address"
LOOPBACK_REASON = "a loopback address"
PRIVATE_REASON = "a private network address"
DENIED_REASON = "listed in ASSISTANTS_OUTBOUND_DENY"

_METADATA_NETWORKS = (
    "169.254.0.0/16",  # link-local: AWS, GCP, Azure, OCI metadata at .169.254, ECS at .170.2
    "fe80::/10",
    "fd00:ec2::254/128",  # AWS metadata over IPv6
    "100.100.100.200/32",  # Alibaba Cloud metadata
)
_METADATA_NAMES = frozenset(
    {"metadata", "metadata.google.internal", "metadata.goog", "instance-data"}
)
_LOOPBACK_NETWORKS = ("127.0.0.0/8", "::1/128", "0.0.0.0/8", "::/128")  # 0.0.0.0 reaches this host
_PRIVATE_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",  # carrier-grade NAT, used inside clouds and VPNs
    "fc00::/7",
    "fec0::/10",
)
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_.-]*[a-z0-9_])?")


def _networks(entries: Iterable[str], reason: str) -> tuple[tuple[IPNetwork, str], ...]:
    return tuple((ipaddress.ip_network(entry), reason) for entry in entries)


_ALWAYS_REFUSED = _networks(_METADATA_NETWORKS, METADATA_REASON)
_REFUSED_WITH_KEYS = _networks(_LOOPBACK_NETWORKS, LOOPBACK_REASON) + _networks(
    _PRIVATE_NETWORKS, PRIVATE_REASON
)


def host_name(host: str) -> str:
    """The form host names are compared in: lower case, no trailing dot, no IPv6 brackets."""
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


def parse_address(host: str) -> IPAddress | None:
    """`host` as an IP address when it is one (the form a URL carries), else None."""
    try:
        return ipaddress.ip_address(host_name(host))
    except ValueError:
        return None


def reached_address(address: IPAddress) -> IPAddress:
    """The IPv4 address an IPv4-mapped or NAT64 IPv6 address reaches; others unchanged."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address in _NAT64:
            return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return address


@dataclass(frozen=True, slots=True)
class Entries:
    """One list of the operator's (allow or deny): exact host names and networks."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Entries:
        """Parse host names, addresses and CIDRs; ValueError names the first invalid entry."""
        hosts: set[str] = set()
        networks: list[IPNetwork] = []
        for raw in entries:
            entry = host_name(raw)
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
                continue
            except ValueError:
                pass
            if "/" in entry or ":" in entry or not _HOST_NAME.fullmatch(entry):
                raise ValueError(
                    f"{raw.strip()[:80]!r} is not a host name, an IP address or a CIDR network"
                )
            hosts.add(entry)
        return cls(frozenset(hosts), tuple(networks))

    def specificity(self, name: str, address: IPAddress) -> int:
        """How specifically an entry matches (prefix length; a host name counts as exact), or -1."""
        best: int = address.max_prefixlen if name in self.hosts else -1
        for network in self.networks:
            if network.prefixlen > best and address in network:
                best = network.prefixlen
        return best


@dataclass(frozen=True, slots=True)
class OutboundPolicy:
    """Where outbound connections chosen by callers may go (see the module docstring)."""

    allow: Entries = field(default_factory=Entries)
    deny: Entries = field(default_factory=Entries)
    refuse_private: bool = False
    """Refuse loopback and private ranges unless allowed: set when the server has API keys."""

    @classmethod
    def from_lists(
        cls, allow: Iterable[str], deny: Iterable[str], *, refuse_private: bool
    ) -> OutboundPolicy:
        return cls(Entries.parse(allow), Entries.parse(deny), refuse_private)

    def name_refusal(self, host: str) -> str | None:
        """Why `host` is refused whatever it resolves to, or None (then check each address)."""
        name = host_name(host)
        if name in self.deny.hosts:
            return DENIED_REASON
        if name in _METADATA_NAMES and name not in self.allow.hosts:
            return METADATA_REASON
        return None

    def refusal(self, host: str, address: IPAddress) -> str | None:
        """Why connecting to `address` (which `host` resolved to) is refused, or None if allowed."""
        name = host_name(host)
        reason = self.name_refusal(name)
        if reason is not None:
            return reason
        address = reached_address(address)
        denied = self.deny.specificity(name, address)
        allowed = self.allow.specificity(name, address)
        if denied >= 0 and denied >= allowed:
            return DENIED_REASON
        if allowed >= 0:
            return None
        for network, why in _ALWAYS_REFUSED:
            if address in network:
                return why
        if self.refuse_private:
            for network, why in _REFUSED_WITH_KEYS:
                if address in network:
                    return why
        return None
