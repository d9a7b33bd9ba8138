"""The direct relay: OpenAI-compatible calls sent by the server itself, LiteLLM preparing them."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from assistants.turns.engine import run_turn
from assistants.turns.events import ReasoningDelta, TextDelta, ToolCallDelta, TurnEvent
from inference import ChatRequest, InferenceSettings, LiteLLMEngine, options_from_headers
from inference.chunks import MalformedChunk, StreamChunk, relayed_chunk
from inference.errors import ContextLengthExceeded
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


class _Recorder:
    """A turn sink that keeps every event."""

    def __init__(self) -> None:
        self.events: list[TurnEvent] = []

    async def emit(self, event: TurnEvent) -> None:
        self.events.append(event)


WEATHER_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    for name in ("get_weather", "get_time")
]


@pytest.mark.parametrize("model", ["fake-model", "fake-model-reasoning-field"])
async def test_the_turn_engine_reads_reasoning_and_usage_from_relayed_chunks(
    direct: LiteLLMEngine, options_for: OptionsFactory, marker: str, model: str
) -> None:
    """`reasoning_content` (DeepSeek, vLLM) or `reasoning` (Groq, Cerebras): LiteLLM's path
    reads both as reasoning, so the relayed chunks must too."""
    sink = _Recorder()
    request = ChatRequest(
        model=model,
        messages=user(f"{marker} why"),
        reasoning_effort="low",
        stream_options={"include_usage": True},
        extra={"prompt_cache_key": "tenant-cache"},
    )
    result = await run_turn(direct, options_for(), request, sink)

    thought = f"Thinking (low) about {marker} why"
    assert result.reasoning.strip() == thought
    assert "".join(e.text for e in sink.events if isinstance(e, ReasoningDelta)) == result.reasoning
    assert result.text == f"Echo: {marker} why"
    assert "".join(e.text for e in sink.events if isinstance(e, TextDelta)) == result.text
    assert result.finish_reason == "stop"
    assert result.usage.prompt > 0 and result.usage.cached == result.usage.prompt
    assert result.usage.reasoning == len(thought.split())


async def test_the_turn_engine_gets_parallel_tool_calls_with_distinct_ids(
    direct: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    sink = _Recorder()
    request = ChatRequest(
        model="fake-model",
        messages=user(f"{marker} call get_weather and get_time city=Oslo"),
        tools=WEATHER_TOOLS,
    )
    result = await run_turn(direct, options_for(), request, sink)

    assert [call.name for call in result.tool_calls] == ["get_weather", "get_time"]
    assert len({call.call_id for call in result.tool_calls}) == 2
    assert all(json.loads(call.arguments) == {"city": "Oslo"} for call in result.tool_calls)
    assert {e.index for e in sink.events if isinstance(e, ToolCallDelta)} == {0, 1}
    assert result.finish_reason == "tool_calls"


async def test_a_prompt_over_the_context_window_is_context_length_exceeded(
    direct: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(model="fake-model-context-8", messages=user(f"{marker} " + "word " * 40))
    with pytest.raises(ContextLengthExceeded):
        await run_turn(direct, options_for(), request, _Recorder())


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        # JSON that Python's json module reads but the fast parser refuses: relayed all the same.
        (b'{"choices":[{"index":0,"delta":{"content":"\\ud83d"},"finish_reason":null}]}', "\ud83d"),
        (
            b'{"choices":[{"index":0,"delta":{"content":"ok"},"finish_reason":null}],"x":1e999}',
            "ok",
        ),
    ],
)
def test_a_chunk_only_pythons_json_reads_is_relayed_unchanged(
    payload: bytes, expected: str
) -> None:
    chunk = relayed_chunk(payload, first=False)
    assert chunk["choices"][0]["delta"]["content"] == expected
    assert chunk.raw == payload


def test_an_event_that_is_not_json_is_malformed() -> None:
    with pytest.raises(MalformedChunk):
        relayed_chunk(b'{"choices": [', first=False)
