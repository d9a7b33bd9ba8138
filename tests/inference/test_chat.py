"""Chat through the real LiteLLM path to the fake upstream: text, tools, JSON, streams."""

from __future__ import annotations

import json
from typing import Any

from inference import ChatRequest, LiteLLMEngine
from tests.inference.conftest import OptionsFactory
from tests.upstream import Upstream

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
            "required": ["city"],
        },
    },
}
TIME = {"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


async def test_plain_chat_returns_an_openai_completion(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    result = await engine.chat(
        ChatRequest(model="fake-model", messages=user(marker)), options_for()
    )

    assert result["object"] == "chat.completion"
    choice = result["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": f"Echo: {marker}"}
    assert choice["finish_reason"] == "stop"
    assert result["usage"]["completion_tokens"] == 2
    assert "provider_specific_fields" not in choice
    (sent,) = upstream.requests.containing(marker)
    assert sent.model == "fake-model"
    assert sent.api_key == "sk-test-key"


async def test_only_set_parameters_reach_the_provider(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    # `user` reaches only models in LiteLLM's OpenAI catalog: it drops it for unknown ones.
    request = ChatRequest(
        model="gpt-4o-mini", messages=user(marker), temperature=0.2, seed=7, stop=["zzz"], user="u1"
    )
    await engine.chat(request, options_for())

    (sent,) = upstream.requests.containing(marker)
    assert {k: sent.body[k] for k in ("temperature", "seed", "stop", "user")} == {
        "temperature": 0.2,
        "seed": 7,
        "stop": ["zzz"],
        "user": "u1",
    }
    for unset in ("top_p", "tools", "response_format", "max_tokens", "n", "logprobs"):
        assert unset not in sent.body


async def test_llm_param_headers_become_provider_arguments(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    options = options_for(**{"LLM-PARAM-top-p": "0.5", "LLM-PARAM-max-tokens": "1"})
    result = await engine.chat(ChatRequest(model="fake-model", messages=user(marker)), options)

    (sent,) = upstream.requests.containing(marker)
    assert sent.body["top_p"] == 0.5
    assert result["choices"][0]["finish_reason"] == "length"


async def test_max_tokens_truncates_with_finish_reason_length(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(model="fake-model", messages=user(f"{marker} a b c d"), max_tokens=3)
    result = await engine.chat(request, options_for())

    assert result["choices"][0]["message"]["content"] == f"Echo: {marker} a"
    assert result["choices"][0]["finish_reason"] == "length"


async def test_tool_call(engine: LiteLLMEngine, options_for: OptionsFactory, marker: str) -> None:
    request = ChatRequest(
        model="fake-model", messages=user(f"{marker} call get_weather city=Paris"), tools=[WEATHER]
    )
    result = await engine.chat(request, options_for())

    choice = result["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    (call,) = choice["message"]["tool_calls"]
    assert call["type"] == "function"
    assert call["id"].startswith("call_")
    assert call["function"]["name"] == "get_weather"
    assert json.loads(call["function"]["arguments"]) == {"city": "Paris"}


async def test_parallel_tool_calls_have_distinct_ids(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(
        model="fake-model",
        messages=user(f"{marker} call get_weather and get_time"),
        tools=[WEATHER, TIME],
    )
    result = await engine.chat(request, options_for())

    calls = result["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert len({c["id"] for c in calls}) == 2


async def test_forced_tool_choice_calls_that_function(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(
        model="fake-model",
        messages=user(marker),
        tools=[WEATHER, TIME],
        tool_choice={"type": "function", "function": {"name": "get_time"}},
    )
    result = await engine.chat(request, options_for())

    (call,) = result["choices"][0]["message"]["tool_calls"]
    assert call["function"]["name"] == "get_time"


async def test_tool_outputs_are_answered(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
    }
    messages = [
        *user(f"{marker} call get_weather"),
        {"role": "assistant", "content": None, "tool_calls": [call]},
        {"role": "tool", "tool_call_id": "call_1", "content": "sunny 21C"},
    ]
    result = await engine.chat(
        ChatRequest(model="fake-model", messages=messages, tools=[WEATHER]), options_for()
    )

    assert result["choices"][0]["message"]["content"] == "Tool outputs: sunny 21C"


async def test_json_schema_response_format(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    schema = {
        "type": "object",
        "properties": {"title": {"type": "string"}, "score": {"type": "integer"}},
        "required": ["title", "score"],
        "additionalProperties": False,
    }
    request = ChatRequest(
        model="fake-model",
        messages=user(marker),
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "review", "schema": schema, "strict": True},
        },
    )
    result = await engine.chat(request, options_for())

    assert json.loads(result["choices"][0]["message"]["content"]) == {"title": marker, "score": 1}


async def test_stream_relays_word_chunks_and_usage(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(
        model="fake-model",
        messages=user(f"{marker} b c"),
        stream_options={"include_usage": True},
    )
    chunks = [c async for c in engine.chat_stream(request, options_for())]

    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    deltas = [c["choices"][0]["delta"].get("content") for c in chunks if c["choices"]]
    assert "".join(d or "" for d in deltas) == f"Echo: {marker} b c"
    assert [d for d in deltas if d] == ["Echo: ", f"{marker} ", "b ", "c"]
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"
    assert chunks[-1]["usage"]["completion_tokens"] == 4


async def test_stream_relays_tool_call_deltas(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(
        model="fake-model",
        messages=user(f"{marker} call get_weather and get_time city=Oslo"),
        tools=[WEATHER, TIME],
    )
    chunks = [c async for c in engine.chat_stream(request, options_for())]

    calls: dict[int, dict[str, str]] = {}
    for chunk in chunks:
        deltas = chunk["choices"][0]["delta"].get("tool_calls") if chunk["choices"] else None
        for delta in deltas or []:
            call = calls.setdefault(delta["index"], {"id": "", "name": "", "arguments": ""})
            call["id"] = delta.get("id") or call["id"]
            call["name"] += (delta.get("function") or {}).get("name") or ""
            call["arguments"] += (delta.get("function") or {}).get("arguments") or ""
    assert [calls[i]["name"] for i in sorted(calls)] == ["get_weather", "get_time"]
    assert json.loads(calls[0]["arguments"]) == {"city": "Oslo"}
    assert len({c["id"] for c in calls.values()}) == 2
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"


async def test_stream_closed_early_releases_the_provider(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    request = ChatRequest(model="fake-slow-stream-50", messages=user(f"{marker} " + "w " * 40))
    stream = engine.chat_stream(request, options_for())
    first = await anext(stream)
    await stream.aclose()

    assert first["object"] == "chat.completion.chunk"
