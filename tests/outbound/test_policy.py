"""The policy's decisions, as pure data: addresses here are judged, never connected to."""

from __future__ import annotations

import ipaddress

import pytest

from outbound import Entries, OutboundPolicy, OutboundRefused
from outbound.policy import (
    DENIED_REASON,
    LOOPBACK_REASON,
    METADATA_REASON,
    PRIVATE_REASON,
)

DEFAULT = OutboundPolicy()
WITH_KEYS = OutboundPolicy(refuse_private=True)


def policy(allow: str = "", deny: str = "", keys: bool = False) -> OutboundPolicy:
    return OutboundPolicy.from_lists(allow.split(","), deny.split(","), refuse_private=keys)


def verdict(p: OutboundPolicy, address: str, host: str | None = None) -> str | None:
    return p.refusal(host or address, ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",  # AWS, GCP, Azure, OCI metadata
        "169.254.170.2",  # ECS task metadata
        "169.254.0.1",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "100.100.100.200",  # Alibaba Cloud metadata
        "::ffff:169.254.169.254",  # IPv4-mapped
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
def test_metadata_and_link_local_are_refused_by_default(address):
    assert verdict(DEFAULT, address) == METADATA_REASON
    assert verdict(WITH_KEYS, address) == METADATA_REASON


@pytest.mark.parametrize(
    "name", ["metadata.google.internal", "METADATA.Google.Internal.", "metadata"]
)
def test_metadata_names_are_refused_before_any_lookup(name):
    assert DEFAULT.name_refusal(name) == METADATA_REASON
    assert policy(allow="metadata.google.internal,metadata").name_refusal(name) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", LOOPBACK_REASON),
        ("127.255.0.9", LOOPBACK_REASON),
        ("::1", LOOPBACK_REASON),
        ("0.0.0.0", LOOPBACK_REASON),
        ("::", LOOPBACK_REASON),
        ("10.1.2.3", PRIVATE_REASON),
        ("172.16.0.1", PRIVATE_REASON),
        ("172.31.255.254", PRIVATE_REASON),
        ("192.168.1.1", PRIVATE_REASON),
        ("100.64.0.1", PRIVATE_REASON),
        ("fc00::1", PRIVATE_REASON),
        ("fd12:3456::1", PRIVATE_REASON),
        ("::ffff:10.0.0.1", PRIVATE_REASON),
        ("::ffff:127.0.0.1", LOOPBACK_REASON),
    ],
)
def test_with_server_keys_loopback_and_private_ranges_are_refused(address, reason):
    assert verdict(WITH_KEYS, address) == reason
    assert verdict(DEFAULT, address) is None  # without keys the caller is the operator


@pytest.mark.parametrize("address", ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111"])
def test_public_addresses_are_allowed(address):
    assert verdict(DEFAULT, address) is None
    assert verdict(WITH_KEYS, address) is None


def test_an_exact_allow_beats_a_wider_deny():
    p = policy(allow="127.0.0.1", deny="127.0.0.0/8")
    assert verdict(p, "127.0.0.1") is None
    assert verdict(p, "127.0.0.2") == DENIED_REASON


def test_the_longer_prefix_decides():
    p = policy(allow="10.1.0.0/16", deny="10.0.0.0/8,10.1.2.0/24")
    assert verdict(p, "10.1.9.9") is None
    assert verdict(p, "10.1.2.3") == DENIED_REASON
    assert verdict(p, "10.2.0.1") == DENIED_REASON


def test_deny_wins_a_tie():
    assert verdict(policy(allow="10.0.0.0/8", deny="10.0.0.0/8"), "10.0.0.1") == DENIED_REASON
    assert verdict(policy(allow="10.0.0.1", deny="10.0.0.1"), "10.0.0.1") == DENIED_REASON
    # An exact name and an exact address are equally specific.
    assert (
        verdict(policy(allow="vllm.internal", deny="10.0.0.5"), "10.0.0.5", "vllm.internal")
        == DENIED_REASON
    )


def test_an_allowed_name_beats_a_denied_network():
    p = policy(allow="vllm.internal", deny="10.0.0.0/8", keys=True)
    assert verdict(p, "10.0.0.5", "vllm.internal") is None
    assert verdict(p, "10.0.0.5", "other.internal") == DENIED_REASON


def test_a_denied_name_is_refused_whatever_it_resolves_to():
    p = policy(allow="0.0.0.0/0", deny="evil.example")
    assert p.name_refusal("Evil.Example.") == DENIED_REASON
    assert verdict(p, "8.8.8.8", "evil.example") == DENIED_REASON


def test_operator_allows_override_the_built_in_refusals():
    p = policy(allow="10.0.0.0/8,169.254.169.254,::1", keys=True)
    assert verdict(p, "10.9.9.9") is None
    assert verdict(p, "169.254.169.254") is None
    assert verdict(p, "::1") is None
    assert verdict(p, "127.0.0.1") == LOOPBACK_REASON
    assert verdict(p, "169.254.169.253") == METADATA_REASON


def test_deny_everything_then_allow_a_few_is_an_allow_list():
    p = policy(allow="api.example.com,203.0.113.0/24", deny="0.0.0.0/0,::/0")
    assert verdict(p, "198.51.100.7", "api.example.com") is None
    assert verdict(p, "203.0.113.9") is None
    assert verdict(p, "198.51.100.7") == DENIED_REASON
    assert verdict(p, "2606:4700::1111") == DENIED_REASON


def test_entries_are_parsed_loosely_but_a_wrong_one_is_named():
    entries = Entries.parse([" LocalHost. ", "", "[::1]", "10.0.0.1/8", "192.168.0.7"])
    assert entries.hosts == frozenset({"localhost"})
    assert [str(n) for n in entries.networks] == ["::1/128", "10.0.0.0/8", "192.168.0.7/32"]
    for wrong in ("http://x.example", "10.0.0.0/33", "a b", "host:80", "-x"):
        with pytest.raises(ValueError, match="is not a host name, an IP address or a CIDR"):
            Entries.parse(["ok.example", wrong])


def test_a_refusal_names_the_host_and_reason_only():
    refused = OutboundRefused("h" * 500, PRIVATE_REASON)
    assert len(refused.message) < 300
    assert "h" * 80 + "..." in refused.message
    assert PRIVATE_REASON in refused.message
    assert "ASSISTANTS_OUTBOUND_ALLOW" in refused.message
    assert (
        "ASSISTANTS_OUTBOUND_ALLOW"
        not in OutboundRefused("x", DENIED_REASON, allowable=False).message
    )
    assert (refused.status, refused.type, refused.code) == (
        400,
        "invalid_request_error",
        "outbound_refused",
    )
