"""Chat calls made while LiteLLM is still being imported: plain OpenAI ones are sent at once by
the direct relay, with its retries, error mapping, key scrubbing and outbound policy; the others
wait for LiteLLM. LiteLLM's import is a stand-in (tests/support/litellm_loaders.py): no timing."""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from inference import (
    ChatRequest,
    InferenceError,
    LiteLLMEngine,
    ProviderAuthError,
    ProviderOptions,
)
from inference.errors import DestinationRefused
from outbound import OutboundPolicy
from tests.inference.conftest import FAST, OptionsFactory
from tests.support.litellm_loaders import HeldLoader, UnloadableLoader
from tests.upstream import Upstream

SECRET = "sk-live-0123456789abcdefEARLY"


@pytest.fixture(scope="module")
async def loaded() -> AsyncIterator[LiteLLMEngine]:
    """The direct relay as it is once LiteLLM is loaded: the reference."""
    engine = LiteLLMEngine(FAST)
    engine.warm()
    yield engine
    await engine.aclose()


@pytest.fixture(scope="module")
async def loading() -> AsyncIterator[LiteLLMEngine]:
    """An engine whose LiteLLM never loads: a call that waited for it would fail."""
    engine = LiteLLMEngine(FAST, loader=UnloadableLoader())
    yield engine
    await engine.aclose()


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


async def answer(
    engine: LiteLLMEngine, request: ChatRequest, options: ProviderOptions, stream: bool
) -> str:
    if not stream:
        reply = await engine.chat(request, options)
        return str(reply["choices"][0]["message"]["content"])
    pieces: list[str] = []
    async for chunk in engine.chat_stream(request, options):
        pieces.extend(c["delta"].get("content") or "" for c in chunk["choices"])
    return "".join(pieces)


async def outcome(
    engine: LiteLLMEngine, request: ChatRequest, options: ProviderOptions, stream: bool
) -> tuple[Any, ...]:
    """What a caller sees: the text, or the error's class, status, code, param and message."""
    try:
        return ("text", await answer(engine, request, options, stream))
    except InferenceError as error:
        return (type(error), error.status, error.code, error.param, error.message)


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize(
    "model",
    [
        "fake-model",
        "fake-fail-401",
        "fake-fail-404",
        "fake-fail-429",
        "fake-fail-400",
        "fake-fail-context",
        "fake-fail-503",
        "flaky-2-503",
        "fake-fail-midstream",
        "fake-drop-midstream",
        "fake-model-context-8",
    ],
)
async def test_answers_failures_and_retries_are_the_direct_relays(
    loaded: LiteLLMEngine,
    loading: LiteLLMEngine,
    options_for: OptionsFactory,
    upstream: Upstream,
    marker: str,
    model: str,
    stream: bool,
) -> None:
    results = []
    for engine, word in ((loaded, "loaded"), (loading, "loading")):
        request = ChatRequest(model=model, messages=user(f"{marker} one two {word}"))
        results.append(await outcome(engine, request, options_for(), stream))
    sent = [
        len(upstream.requests.containing(f"{marker} one two {word}"))
        for word in ("loaded", "loading")
    ]

    reference, early = results
    if reference[0] == "text":
        assert early == ("text", reference[1].replace("loaded", "loading"))
    else:
        assert early[:4] == reference[:4]
        assert early[4] == reference[4].replace("loaded", "loading")
    assert sent[0] == sent[1] >= 1


async def test_a_key_in_a_provider_error_is_scrubbed(
    loading: LiteLLMEngine,
    options_for: OptionsFactory,
    marker: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(ProviderAuthError) as caught:
        await loading.chat(
            ChatRequest(model="fake-fail-401", messages=user(marker)), options_for(SECRET)
        )

    error = caught.value
    rendered = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), error.message, rendered, caplog.text):
        assert SECRET not in text
        assert SECRET[:12] not in text


@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_a_refused_destination_gets_nothing(
    options_for: OptionsFactory, upstream_2: Upstream, marker: str, stream: bool
) -> None:
    policy = OutboundPolicy.from_lists([], ["127.0.0.2"], refuse_private=False)
    engine = LiteLLMEngine(replace(FAST, outbound=policy), loader=UnloadableLoader())
    request = ChatRequest(model="fake-model", messages=user(marker))
    options = options_for(**{"base-url": upstream_2.base_url})
    try:
        with pytest.raises(DestinationRefused, match=r"'127\.0\.0\.2'"):
            if stream:
                await anext(engine.chat_stream(request, options))
            else:
                await engine.chat(request, options)
    finally:
        await engine.aclose()
    assert upstream_2.requests.containing(marker) == []


@pytest.mark.parametrize(
    ("model", "params", "headers"),
    [
        ("fake-model", {"reasoning_effort": "low"}, {}),
        ("fake-model", {"user": "u-1"}, {}),
        ("anthropic/fake-model", {}, {"root": "yes"}),
    ],
    ids=["reasoning_effort", "user", "anthropic"],
)
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
async def test_a_call_litellm_must_prepare_waits_for_it_then_is_answered(
    options_for: OptionsFactory,
    upstream: Upstream,
    marker: str,
    model: str,
    params: dict[str, Any],
    headers: dict[str, str],
    stream: bool,
) -> None:
    held = HeldLoader()
    engine = LiteLLMEngine(FAST, loader=held)
    options = (
        options_for(**{"base-url": upstream.root_url, "api-key": "sk-ant"})
        if headers
        else options_for()
    )
    request = ChatRequest(model=model, messages=user(marker), **params)
    try:
        call = asyncio.ensure_future(answer(engine, request, options, stream))
        assert await asyncio.to_thread(held.asked.wait, 10)
        assert not call.done()
        assert upstream.requests.containing(marker) == []
        held.release()
        text = await asyncio.wait_for(call, 30)
    finally:
        held.release()
        await engine.aclose()
    assert text == f"Echo: {marker}"
    assert held.loads >= 1
    assert len(upstream.requests.containing(marker)) == 1
