"""Policy-bound clients against the fake provider on 127.0.0.1 and 127.0.0.2 (loopback only)."""

from __future__ import annotations

import functools
import uuid

import httpx
import httpx2
import pytest

from outbound import OutboundPolicy, OutboundRefused, mcp_http_client, policy_client
from tests.upstream import Upstream

DENY_2 = OutboundPolicy.from_lists([], ["127.0.0.2"], refuse_private=False)


class FakeDNS:
    """A resolver for made-up names (no query leaves the machine); counts its lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        if not self.answers:
            raise OSError("no such name")
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def _chat(marker: str) -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": marker}]}


@pytest.fixture
def marker() -> str:
    return f"m{uuid.uuid4().hex[:12]}"


async def test_a_refused_address_gets_nothing_and_an_allowed_one_answers(
    upstream: Upstream, upstream_2: Upstream, marker: str
):
    async with policy_client(DENY_2) as client:
        with pytest.raises(OutboundRefused, match=r"'127\.0\.0\.2' \(listed in"):
            await client.post(upstream_2.base_url + "/chat/completions", json=_chat(marker))
        reply = await client.post(upstream.base_url + "/chat/completions", json=_chat(marker))
    assert reply.json()["choices"][0]["message"]["content"] == f"Echo: {marker}"
    assert upstream_2.requests.containing(marker) == []
    assert len(upstream.requests.containing(marker)) == 1


async def test_a_name_that_resolves_to_a_refused_address_is_refused(
    upstream: Upstream, marker: str
):
    policy = OutboundPolicy.from_lists([], ["127.0.0.0/8", "::1"], refuse_private=False)
    async with policy_client(policy) as client:
        with pytest.raises(OutboundRefused, match="'localhost'"):
            await client.post(
                f"http://localhost:{upstream.port}/v1/chat/completions", json=_chat(marker)
            )
    assert upstream.requests.containing(marker) == []


async def test_it_connects_to_the_address_it_checked(
    upstream: Upstream, upstream_2: Upstream, marker: str
):
    # The name is made up: only the checked address, handed to the socket, can reach anything.
    dns = FakeDNS(["127.0.0.1"])
    async with policy_client(DENY_2, dns) as client:
        for _ in range(3):
            await client.post(
                f"http://provider.test:{upstream.port}/v1/chat/completions", json=_chat(marker)
            )
    assert len(upstream.requests.containing(marker)) == 3
    assert upstream.requests.containing(marker)[0].headers["host"].startswith("provider.test")
    assert dns.lookups == ["provider.test"]  # once per connection, kept alive


async def test_a_name_answering_any_refused_address_is_refused(upstream_2: Upstream, marker: str):
    dns = FakeDNS(["127.0.0.1", "127.0.0.2"])
    async with policy_client(DENY_2, dns) as client:
        with pytest.raises(OutboundRefused, match=r"'provider\.test'"):
            await client.post(
                f"http://provider.test:{upstream_2.port}/v1/chat/completions", json=_chat(marker)
            )
    assert upstream_2.requests.containing(marker) == []


async def test_dns_rebinding_is_checked_on_every_new_connection(
    upstream: Upstream, upstream_2: Upstream, marker: str
):
    dns = FakeDNS(["127.0.0.1"], ["127.0.0.2"])
    url = f"http://provider.test:{upstream.port}/v1/chat/completions"
    async with policy_client(DENY_2, dns) as first:
        await first.post(url, json=_chat(marker))
    async with policy_client(DENY_2, dns) as second:
        with pytest.raises(OutboundRefused):
            await second.post(url, json=_chat(marker))
    assert len(upstream.requests.containing(marker)) == 1
    assert upstream_2.requests.containing(marker) == []


async def test_an_ip_host_needs_no_lookup_and_a_lost_name_is_a_connect_error(upstream: Upstream):
    dns = FakeDNS()
    async with policy_client(DENY_2, dns) as client:
        await client.get(upstream.base_url + "/models")
        assert dns.lookups == []
        with pytest.raises(httpx.ConnectError, match="no such name"):
            await client.get("http://gone.test/v1/models")


async def test_the_mcp_client_and_factory_obey_the_policy(upstream: Upstream, upstream_2: Upstream):
    before = len(upstream_2.requests)
    factory = functools.partial(mcp_http_client, DENY_2)
    async with factory(headers={"x-test": "1"}, timeout=httpx2.Timeout(5.0)) as client:
        assert isinstance(client, httpx2.AsyncClient)
        assert (await client.get(upstream.base_url + "/models")).status_code == 200
        with pytest.raises(OutboundRefused):
            await client.get(upstream_2.base_url + "/models")
    assert len(upstream_2.requests) == before


async def test_proxies_from_the_environment_are_not_used(
    upstream: Upstream, monkeypatch: pytest.MonkeyPatch
):
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.3:9")  # nothing listens there
    async with policy_client(DENY_2) as client:
        assert (await client.get(upstream.base_url + "/models")).status_code == 200
    async with mcp_http_client(DENY_2) as mcp_client:
        assert (await mcp_client.get(upstream.base_url + "/models")).status_code == 200
