"""The outbound policy on the real LiteLLM path: refused provider addresses get nothing.

The fake provider listens on 127.0.0.1 (`upstream`) and on 127.0.0.2 at the same port
(`upstream_2`); the policies here refuse 127.0.0.2, or loopback names. Loopback only.
"""

from __future__ import annotations

import http.server
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from typing import Any

import pytest

from inference import ChatRequest, InferenceSettings, LiteLLMEngine, options_from_headers
from inference.chunks import StreamChunk
from inference.errors import DestinationRefused
from inference.loader import load_litellm
from inference.outbound_gate import OutboundGate
from outbound import OutboundPolicy, OutboundRefused, Resolver
from tests.inference.conftest import FAST
from tests.outbound.test_clients import FakeDNS
from tests.upstream import Upstream

DENY_2 = OutboundPolicy.from_lists([], ["127.0.0.2"], refuse_private=False)


async def _engine(policy: OutboundPolicy | None, resolver: Resolver | None = None) -> LiteLLMEngine:
    settings: InferenceSettings = replace(FAST, outbound=policy)
    engine = LiteLLMEngine(settings, resolver) if resolver else LiteLLMEngine(settings)
    engine.warm()
    return engine


@pytest.fixture
async def guarded() -> AsyncIterator[LiteLLMEngine]:
    engine = await _engine(DENY_2)
    yield engine
    await engine.aclose()


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


def at(base_url: str, **headers: str) -> Any:
    return options_from_headers({"base-url": base_url, "Authorization": "Bearer sk-o", **headers})


async def test_chat_stream_and_embeddings_to_a_refused_address_send_nothing(
    guarded: LiteLLMEngine, upstream: Upstream, upstream_2: Upstream, marker: str
):
    refused = at(upstream_2.base_url)
    with pytest.raises(DestinationRefused, match=r"'127\.0\.0\.2'") as caught:
        await guarded.chat(ChatRequest(model="fake-model", messages=user(marker)), refused)
    assert (caught.value.status, caught.value.code) == (400, "outbound_refused")
    with pytest.raises(DestinationRefused):
        stream = guarded.chat_stream(
            ChatRequest(model="fake-model", messages=user(marker)), refused
        )
        await anext(stream)
    with pytest.raises(DestinationRefused):
        await guarded.embed([marker], "fake-embed-8", refused)
    assert upstream_2.requests.containing(marker) == []

    allowed = at(upstream.base_url)
    reply = await guarded.chat(ChatRequest(model="fake-model", messages=user(marker)), allowed)
    assert reply["choices"][0]["message"]["content"] == f"Echo: {marker}"
    chunks = [
        c
        async for c in guarded.chat_stream(
            ChatRequest(model="fake-model", messages=user(marker)), allowed
        )
    ]
    assert chunks
    assert (await guarded.embed([marker], "fake-embed-8", allowed)).dimensions == 8
    assert len(upstream.requests.containing(marker)) == 3


async def test_every_route_to_a_refused_address_is_refused(
    guarded: LiteLLMEngine, upstream: Upstream, upstream_2: Upstream, marker: str
):
    request = ChatRequest(model="fake-model", messages=user(marker))
    routes = [
        options_from_headers({"LLM-PARAM-api-base": upstream_2.base_url}),
        options_from_headers({"LLM-PARAM-base-url": upstream_2.base_url}),
        at(upstream.base_url, **{"LLM-PARAM-api-base": upstream_2.base_url}),
        at(upstream_2.base_url, **{"custom-llm-provider": "anthropic"}),  # not the OpenAI SDK
        at(upstream_2.base_url.replace("127.0.0.2", "[::ffff:127.0.0.2]")),
    ]
    for options in routes:
        with pytest.raises(DestinationRefused):
            await guarded.chat(request, options)
    with pytest.raises(DestinationRefused):
        await guarded.embed(
            [marker],
            "fake-embed-8",
            options_from_headers({"EMBEDDING-PARAM-api-base": upstream_2.base_url}),
        )
    before = len(upstream_2.requests)
    with pytest.raises(DestinationRefused):
        await guarded.list_models(at(upstream_2.base_url))
    assert len(upstream_2.requests) == before
    assert upstream_2.requests.containing(marker) == []


async def test_a_name_resolving_to_a_refused_address_is_refused(upstream: Upstream, marker: str):
    engine = await _engine(
        OutboundPolicy.from_lists([], ["127.0.0.0/8", "::1"], refuse_private=False)
    )
    try:
        with pytest.raises(DestinationRefused, match="'localhost'"):
            await engine.chat(
                ChatRequest(model="fake-model", messages=user(marker)),
                at(f"http://localhost:{upstream.port}/v1"),
            )
    finally:
        await engine.aclose()
    assert upstream.requests.containing(marker) == []


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
async def test_a_name_rebound_after_the_check_is_refused_at_connect_time(
    upstream_2: Upstream, marker: str, provider: str
):
    # The check before the call sees 127.0.0.1; the connection would go to 127.0.0.2.
    dns = FakeDNS(["127.0.0.1"], ["127.0.0.2"])
    engine = await _engine(DENY_2, dns)
    options = at(f"http://rebind.test:{upstream_2.port}/v1", **{"custom-llm-provider": provider})
    try:
        with pytest.raises(DestinationRefused, match=r"'rebind\.test'"):
            await engine.chat(ChatRequest(model="fake-model", messages=user(marker)), options)
        with pytest.raises(DestinationRefused, match=r"'rebind\.test'"):
            stream = engine.chat_stream(
                ChatRequest(model="fake-model", messages=user(marker)), options
            )
            await anext(stream)
    finally:
        await engine.aclose()
    assert dns.lookups == ["rebind.test"] * 3  # checked before the first call, then per connection
    assert len(upstream_2.requests.where(lambda r: marker in str(r.body))) == 0


async def test_no_policy_checks_nothing(upstream_2: Upstream, marker: str):
    engine = await _engine(None)
    try:
        await engine.chat(
            ChatRequest(model="fake-model", messages=user(marker)), at(upstream_2.base_url)
        )
    finally:
        await engine.aclose()
    assert len(upstream_2.requests.containing(marker)) == 1


@pytest.fixture
def env_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A proxy in the environment that nothing listens on: a client using it would fail."""
    for name in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.3:9")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)


async def test_the_provider_client_judges_each_connection_and_ignores_env_proxies(
    upstream: Upstream, upstream_2: Upstream, env_proxy: None
):
    load_litellm()
    dns = FakeDNS(["127.0.0.1"], ["127.0.0.2"])
    first, second = OutboundGate(DENY_2, dns), OutboundGate(DENY_2, dns)
    try:
        with pytest.raises(OutboundRefused, match=r"'127\.0\.0\.2'"):
            await first.http_client().get(upstream_2.base_url + "/models")
        assert dns.lookups == []  # an IP host is judged as it is
        for _ in range(3):
            reply = await first.http_client().get(f"http://provider.test:{upstream.port}/v1/models")
            assert reply.status_code == 200
        assert dns.lookups == ["provider.test"]  # once per connection, kept alive
        with pytest.raises(OutboundRefused, match=r"'provider\.test'"):
            await second.http_client().get(f"http://provider.test:{upstream.port}/v1/models")
    finally:
        await first.aclose()
        await second.aclose()


async def test_the_direct_relay_streams_on_the_policy_bound_client(
    upstream: Upstream, upstream_2: Upstream, marker: str
):
    """The relay's own sends are judged at connect time: a name rebound to a refused address
    after the check before the call gets nothing, an allowed one streams relayed chunks."""
    dns = FakeDNS(["127.0.0.1"], ["127.0.0.2"], ["127.0.0.1"])
    engine = await _engine(DENY_2, dns)
    request = ChatRequest(model="fake-model", messages=user(marker))
    try:
        with pytest.raises(DestinationRefused, match=r"'rebind\.test'"):
            await anext(engine.chat_stream(request, at(f"http://rebind.test:{upstream.port}/v1")))
        chunks = [c async for c in engine.chat_stream(request, at(upstream.base_url))]
    finally:
        await engine.aclose()
    assert upstream_2.requests.containing(marker) == []
    assert all(isinstance(chunk, StreamChunk) for chunk in chunks)  # the direct relay's
    assert "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert len(upstream.requests.containing(marker)) == 1


class _Redirects(http.server.BaseHTTPRequestHandler):
    """A provider that moved: every POST answers 308 to the same path under `target`."""

    target = ""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(308)
        self.send_header("location", self.target + self.path.removeprefix("/v1"))
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def moved() -> Iterator[type[_Redirects]]:
    handler = type("Moved", (_Redirects,), {})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


async def test_redirects_are_followed_and_each_hop_is_judged(
    guarded: LiteLLMEngine,
    upstream: Upstream,
    upstream_2: Upstream,
    moved: Any,
    marker: str,
):
    request = ChatRequest(model="fake-model", messages=user(marker))
    moved.target = upstream.base_url
    reply = await guarded.chat(request, at(moved.base_url))
    assert reply["choices"][0]["message"]["content"] == f"Echo: {marker}"
    chunks = [c async for c in guarded.chat_stream(request, at(moved.base_url))]
    assert chunks
    moved.target = upstream_2.base_url  # a hop to a refused address
    with pytest.raises(DestinationRefused, match=r"'127\.0\.0\.2'"):
        await guarded.chat(request, at(moved.base_url))
    assert upstream_2.requests.containing(marker) == []
