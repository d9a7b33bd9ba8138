"""Chat completions, embeddings and models through the openai SDK, via LiteLLM to the upstream.

Chat runs against both of the upstream's APIs (the `provider` fixture): OpenAI's, relayed
directly, and Anthropic's Messages API, translated by LiteLLM's `anthropic` provider.
"""

from __future__ import annotations

import asyncio
import base64
import json
import uuid

import httpx
import numpy as np
import openai
import pytest

from tests.upstream.embeddings import embed_text


def _sdk(server, base_url: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url + "/v1",
        api_key="sk-chat-" + uuid.uuid4().hex,
        default_headers={"base-url": base_url},
        max_retries=0,
    )


@pytest.fixture
def chat(sqlite_server, upstream, provider):
    with _sdk(sqlite_server, provider.base_url(upstream)) as sdk:
        yield sdk


@pytest.fixture
def openai_chat(sqlite_server, upstream):
    """Embeddings and model lists: the upstream serves them on its OpenAI API only."""
    with _sdk(sqlite_server, upstream.base_url) as sdk:
        yield sdk


TOOLS = [
    {
        "type": "function",
        "function": {
            "name": name,
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
    for name in ("get_weather", "get_time")
]


def test_plain_completion(chat, provider):
    reply = chat.chat.completions.create(
        model=provider.model("gpt-4o-mini"), messages=[{"role": "user", "content": "hi there"}]
    )
    assert reply.choices[0].message.content == "Echo: hi there"
    assert reply.choices[0].finish_reason == "stop"
    assert reply.usage.total_tokens > 0


def test_messages_carry_annotations_and_refusal(openai_chat, upstream):
    chat = openai_chat  # the stream below goes to the OpenAI API: the direct relay
    for body in (
        {"messages": [{"role": "user", "content": "hi there"}]},
        {"messages": [{"role": "user", "content": "call get_weather city=Oslo"}], "tools": TOOLS},
    ):
        raw = chat.chat.completions.with_raw_response.create(model="gpt-4o-mini", **body)
        message = raw.http_response.json()["choices"][0]["message"]
        assert message["annotations"] == [] and message["refusal"] is None
        assert raw.parse().choices[0].message.annotations == []
    stream = httpx.post(
        f"{chat.base_url}chat/completions",
        headers={"Authorization": f"Bearer {chat.api_key}", "base-url": upstream.base_url},
        json={
            "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "a b"}],
            "stream": True,
        },
        timeout=30,
    )
    events = [
        json.loads(line[6:]) for line in stream.text.splitlines() if line.startswith("data: {")
    ]
    deltas = [event["choices"][0]["delta"] for event in events if event["choices"]]
    assert deltas[0]["role"] == "assistant" and deltas[0]["refusal"] is None
    assert all("refusal" not in delta and "annotations" not in delta for delta in deltas[1:])


def test_tool_calls_parallel_with_distinct_ids(chat, provider):
    reply = chat.chat.completions.create(
        model=provider.model("gpt-4o-mini"),
        messages=[{"role": "user", "content": "call get_weather and get_time city=Oslo"}],
        tools=TOOLS,
    )
    calls = reply.choices[0].message.tool_calls
    assert [c.function.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.id for c in calls}) == 2
    assert json.loads(calls[0].function.arguments) == {"city": "Oslo"}
    assert reply.choices[0].finish_reason == "tool_calls"


def test_json_schema_response_format(chat, provider):
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "string"}, "count": {"type": "integer"}},
        "required": ["answer", "count"],
        "additionalProperties": False,
    }
    reply = chat.chat.completions.create(
        model=provider.model("gpt-4o-mini"),
        messages=[{"role": "user", "content": "structured please"}],
        response_format={
            "type": "json_schema",
            "json_schema": {"name": "out", "schema": schema, "strict": True},
        },
    )
    parsed = json.loads(reply.choices[0].message.content)
    assert set(parsed) == {"answer", "count"} and isinstance(parsed["count"], int)


def test_streaming_with_usage(chat, provider):
    stream = chat.chat.completions.create(
        model=provider.model("gpt-4o-mini"),
        messages=[{"role": "user", "content": "one two three"}],
        stream=True,
        stream_options={"include_usage": True},
    )
    chunks = list(stream)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "Echo: one two three"
    assert len([c for c in chunks if c.choices and c.choices[0].delta.content]) >= 4
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_midstream_failure_ends_with_an_error(chat, provider):
    stream = chat.chat.completions.create(
        model=provider.model("fake-fail-midstream"),
        messages=[{"role": "user", "content": "a b c d e f g"}],
        stream=True,
    )
    with pytest.raises(openai.APIError):
        for _ in stream:
            pass


@pytest.mark.parametrize(
    ("model", "error", "status"),
    [
        ("fake-fail-401", openai.AuthenticationError, 401),
        ("fake-fail-404", openai.NotFoundError, 404),
        ("fake-fail-429-retry-after-1", openai.RateLimitError, 429),
        ("fake-fail-context", openai.BadRequestError, 400),
        ("fake-fail-503", openai.APIStatusError, 502),
    ],
)
def test_provider_errors_are_mapped(chat, provider, model, error, status):
    with pytest.raises(error) as raised:
        chat.chat.completions.create(
            model=provider.model(model), messages=[{"role": "user", "content": "x"}]
        )
    assert raised.value.status_code == status
    body = raised.value.body
    assert set(body) >= {"message", "type", "code"}
    assert "sk-chat-" not in body["message"]
    if status == 429:
        assert raised.value.response.headers.get("retry-after")
    if model == "fake-fail-context":
        assert body["code"] == "context_length_exceeded"


def test_streaming_error_before_first_byte_has_a_status(chat, provider):
    with pytest.raises(openai.AuthenticationError):
        chat.chat.completions.create(
            model=provider.model("fake-fail-401"),
            messages=[{"role": "user", "content": "x"}],
            stream=True,
        )


def test_embeddings_float_and_base64_with_dimensions(openai_chat):
    chat = openai_chat
    floats = chat.embeddings.create(
        model="text-embedding-3-small", input=["red apple", "green apple"], dimensions=64
    )
    assert [d.index for d in floats.data] == [0, 1]
    assert len(floats.data[0].embedding) == 64
    raw = chat.embeddings.with_raw_response.create(
        model="text-embedding-3-small", input="red apple", dimensions=64, encoding_format="base64"
    )
    encoded = raw.http_response.json()["data"][0]["embedding"]
    decoded = np.frombuffer(base64.b64decode(encoded), dtype="<f4")
    assert np.allclose(decoded, floats.data[0].embedding, atol=1e-6)
    # The SDK's default (base64 on the wire, decoded by the SDK) gives the same vector.
    default = chat.embeddings.create(
        model="text-embedding-3-small", input="red apple", dimensions=64
    )
    assert np.allclose(default.data[0].embedding, floats.data[0].embedding, atol=1e-6)


def _embedding_calls(upstream, key: str) -> list:
    return upstream.requests.where(lambda r: r.path == "/v1/embeddings" and r.api_key == key)


def test_vectors_come_from_the_provider_as_base64_and_reach_the_client_unchanged(
    openai_chat, upstream
):
    texts = ["harbour ferry at dawn", "orchard blossom and frost", "a third, longer text " * 20]
    floats = openai_chat.embeddings.create(
        model="text-embedding-3-small", input=texts, encoding_format="float"
    )
    sent = _embedding_calls(upstream, openai_chat.api_key)
    assert [call.body.get("encoding_format") for call in sent] == ["base64"]
    assert sent[0].body["input"] == texts
    for item, text in zip(floats.data, texts, strict=True):
        expected = np.asarray(embed_text(text, 1536), dtype="<f4")  # the provider's float32
        assert np.array_equal(np.asarray(item.embedding, dtype="<f4"), expected)
    assert floats.usage.prompt_tokens == sum(len(t.split()) for t in texts)


def test_a_provider_without_base64_vectors_is_asked_for_floats(openai_chat, upstream):
    first = openai_chat.embeddings.create(model="fake-floats-only-64", input=["red apple"])
    second = openai_chat.embeddings.create(model="fake-floats-only-64", input=["green apple"])
    sent = [
        call.body.get("encoding_format") for call in _embedding_calls(upstream, openai_chat.api_key)
    ]
    # Refused once, then asked for floats straight away.
    assert sent == ["base64", None, None]
    assert np.allclose(first.data[0].embedding, embed_text("red apple", 64), atol=1e-6)
    assert np.allclose(second.data[0].embedding, embed_text("green apple", 64), atol=1e-6)


def test_models_list_and_retrieve(openai_chat):
    chat = openai_chat
    ids = [m.id for m in chat.models.list()]
    assert "gpt-4o" in ids
    assert chat.models.retrieve("gpt-4o").id == "gpt-4o"
    with pytest.raises(openai.NotFoundError):
        chat.models.retrieve("no-such-model-xyz")


async def test_fifty_keys_never_cross(sqlite_server, upstream):
    keys = [f"sk-conc-{i}-{uuid.uuid4().hex[:8]}" for i in range(50)]

    async def one(key: str) -> str:
        async with openai.AsyncOpenAI(
            base_url=sqlite_server.url + "/v1",
            api_key="server-side-tenant",
            default_headers={"base-url": upstream.base_url, "api-key": key},
            max_retries=0,
        ) as sdk:
            reply = await sdk.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": f"who {key}"}]
            )
            return reply.choices[0].message.content

    replies = await asyncio.gather(*(one(k) for k in keys))
    assert replies == [f"Echo: who {k}" for k in keys]
    seen = {}
    for request in upstream.requests:
        text = json.dumps(request.body)
        for key in keys:
            if f"who {key}" in text:
                seen[key] = request.api_key
    assert seen == {k: k for k in keys}


def test_a_stream_is_relayed_as_the_provider_wrote_it(sqlite_server, upstream):
    """Each chunk leaves as the provider's own JSON text: nothing is rebuilt on the way."""
    body = {
        "model": "gpt-4o-mini",
        "stream": True,
        "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": "relay these words"}],
    }

    def data_lines(url: str, headers: dict[str, str]) -> list[str]:
        with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as response:
            assert response.status_code == 200
            return [line[6:] for line in response.iter_lines() if line.startswith("data: ")]

    direct = data_lines(upstream.base_url + "/chat/completions", {})
    relayed = data_lines(
        sqlite_server.url + "/v1/chat/completions",
        {"authorization": "Bearer sk-relay-test", "base-url": upstream.base_url},
    )

    def same_stream(lines: list[str]) -> list[str]:
        first = json.loads(lines[0])  # each stream has its own id and creation time
        return [
            line.replace(first["id"], "ID").replace(f'"created": {first["created"]}', "CREATED")
            for line in lines
        ]

    assert same_stream(relayed) == same_stream(direct)
    assert direct[-1] == "[DONE]" and len(direct) > 4
