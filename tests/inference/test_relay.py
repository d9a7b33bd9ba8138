"""The direct relay: OpenAI-compatible calls sent by the server itself, LiteLLM preparing them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from inference import ChatRequest, InferenceSettings, LiteLLMEngine, options_from_headers
from inference.chunks import StreamChunk
from tests.inference.conftest import FAST, OptionsFactory
from tests.upstream import Upstream


@pytest.fixture(scope="module")
async def direct() -> AsyncIterator[LiteLLMEngine]:
    engine = LiteLLMEngine(FAST)
    engine.warm()
    yield engine
    await engine.aclose()


def user(text: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


async def test_chunks_keep_the_provider_json_text(
    direct: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(model="fake-model", messages=user(f"{marker} b"))
    chunks = [c async for c in direct.chat_stream(request, options_for())]

    for chunk in chunks:
        assert isinstance(chunk, StreamChunk)
        assert chunk.raw is not None and json.loads(chunk.raw) == chunk
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"


async def test_a_cookie_set_by_the_provider_is_never_sent_back(
    direct: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    first = options_for("sk-tenant-a")
    await direct.chat(
        ChatRequest(
            model="fake-model",
            messages=user(f"{marker} a"),
            extra={"extra_headers": {"x-upstream-set-cookie": "tenant-a-session"}},
        ),
        first,
    )
    await direct.chat(
        ChatRequest(model="fake-model", messages=user(f"{marker} b")), options_for("sk-tenant-b")
    )

    seen = upstream.requests.containing(marker)
    assert len(seen) == 2
    assert "cookie" not in seen[1].headers


async def test_providers_with_their_own_wire_format_go_through_litellm(
    direct: LiteLLMEngine, upstream: Upstream, marker: str
) -> None:
    options = options_from_headers({"base-url": upstream.root_url, "api-key": "sk-ant-test"})
    request = ChatRequest(model="anthropic/fake-model", messages=user(f"{marker} c"))
    chunks = [c async for c in direct.chat_stream(request, options)]

    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == f"Echo: {marker} c"
    (sent,) = upstream.requests.containing(marker)
    assert sent.path == "/v1/messages" and sent.api_key == "sk-ant-test"


def test_the_relay_setting_is_checked() -> None:
    assert InferenceSettings.from_env({"ASSISTANTS_LLM_RELAY": "LiteLLM"}).relay == "litellm"
    with pytest.raises(ValueError, match="ASSISTANTS_LLM_RELAY"):
        InferenceSettings.from_env({"ASSISTANTS_LLM_RELAY": "fast"})


@pytest.mark.parametrize("model", ["fake-model", "hosted_vllm/fake-model", "openai/fake-model"])
async def test_openai_compatible_routes_are_relayed_directly(
    direct: LiteLLMEngine, upstream: Upstream, marker: str, model: str
) -> None:
    options = options_from_headers({"base-url": upstream.base_url, "api-key": "sk-vllm"})
    request = ChatRequest(model=model, messages=user(f"{marker} d"))
    chunks = [c async for c in direct.chat_stream(request, options)]

    assert all(isinstance(c, StreamChunk) for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks if c["choices"])
    assert text == f"Echo: {marker} d"
    (sent,) = upstream.requests.containing(marker)
    assert sent.model == "fake-model" and sent.api_key == "sk-vllm"
