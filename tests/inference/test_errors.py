"""Provider failures surface as `inference.errors`, after bounded retries, with keys scrubbed."""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import pytest

from inference import (
    BadProviderRequest,
    ChatRequest,
    ContextLengthExceeded,
    InferenceError,
    InferenceSettings,
    LiteLLMEngine,
    ModelNotFound,
    ProviderAuthError,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    options_from_headers,
)
from tests.inference.conftest import FAST, OptionsFactory
from tests.upstream import Upstream

SECRET = "sk-live-0123456789abcdefSECRET"


def user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


async def chat_error(
    engine: LiteLLMEngine, options_for: OptionsFactory, model: str, marker: str
) -> InferenceError:
    with pytest.raises(InferenceError) as caught:
        await engine.chat(ChatRequest(model=model, messages=user(marker)), options_for())
    return caught.value


async def test_401_is_provider_auth_error_without_the_key(
    engine: LiteLLMEngine,
    options_for: OptionsFactory,
    marker: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="LiteLLM")  # its own debug logging must not leak either
    with pytest.raises(ProviderAuthError) as caught:
        await engine.chat(
            ChatRequest(model="fake-fail-401", messages=user(marker)), options_for(SECRET)
        )

    error = caught.value
    assert (error.status, error.code) == (401, "invalid_api_key")
    assert "Incorrect API key provided" in error.message
    rendered = "".join(traceback.format_exception(error))
    for text in (str(error), repr(error), error.message, rendered, caplog.text):
        assert SECRET not in text
        assert SECRET[:12] not in text


async def test_404_is_model_not_found(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    error = await chat_error(engine, options_for, "fake-fail-404", marker)

    assert isinstance(error, ModelNotFound)
    assert (error.status, error.code, error.param) == (404, "model_not_found", "model")


async def test_unknown_model_without_base_url_is_model_not_found(
    engine: LiteLLMEngine, marker: str
) -> None:
    with pytest.raises(ModelNotFound) as caught:
        await engine.chat(
            ChatRequest(model="no-such-model-xyz", messages=user(marker)), options_from_headers({})
        )

    assert "no-such-model-xyz" in caught.value.message


async def test_429_is_retried_then_rate_limited_with_retry_after(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    started = time.monotonic()
    error = await chat_error(engine, options_for, "fake-fail-429-retry-after-7", marker)

    assert isinstance(error, RateLimited)
    assert (error.status, error.code, error.retry_after) == (429, "rate_limit_exceeded", 7.0)
    assert len(upstream.requests.containing(marker)) == FAST.max_retries + 1
    assert time.monotonic() - started < 2  # retry-after honoured only up to the (test) cap


async def test_context_length_exceeded(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    error = await chat_error(engine, options_for, "fake-fail-context", marker)

    assert isinstance(error, ContextLengthExceeded)
    assert (error.status, error.code, error.param) == (400, "context_length_exceeded", "messages")
    assert len(upstream.requests.containing(marker)) == 1  # not retried


async def test_400_is_bad_provider_request_with_param(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str
) -> None:
    error = await chat_error(engine, options_for, "fake-fail-400", marker)

    assert isinstance(error, BadProviderRequest)
    assert (error.status, error.param) == (400, "messages")


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_retried_then_provider_unavailable(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str, status: int
) -> None:
    error = await chat_error(engine, options_for, f"fake-fail-{status}", marker)

    assert isinstance(error, ProviderUnavailable)
    assert (error.status, error.code) == (502, "upstream_error")
    assert len(upstream.requests.containing(marker)) == FAST.max_retries + 1


async def test_transient_5xx_recovers_within_the_retries(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    result = await engine.chat(
        ChatRequest(model="flaky-2-503", messages=user(marker)), options_for()
    )

    assert result["choices"][0]["message"]["content"] == f"Echo: {marker}"
    assert len(upstream.requests.containing(marker)) == 3


async def test_slow_provider_times_out_without_retrying(
    options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    engine = LiteLLMEngine(InferenceSettings(timeout=0.3, max_retries=2, retry_backoff=0.01))
    started = time.monotonic()
    with pytest.raises(ProviderTimeout) as caught:
        await engine.chat(ChatRequest(model="fake-slow-2000", messages=user(marker)), options_for())

    await engine.aclose()
    assert (caught.value.status, caught.value.code) == (504, "upstream_timeout")
    assert time.monotonic() - started < 1.5
    assert len(upstream.requests.containing(marker)) == 1


async def test_slow_first_token_of_a_stream_times_out(
    options_for: OptionsFactory, marker: str
) -> None:
    engine = LiteLLMEngine(InferenceSettings(timeout=0.3, max_retries=0))
    request = ChatRequest(model="fake-slow-2000", messages=user(marker))
    with pytest.raises(ProviderTimeout):
        async for _ in engine.chat_stream(request, options_for()):
            pass
    await engine.aclose()


@pytest.mark.parametrize("model", ["fake-fail-midstream", "fake-drop-midstream"])
async def test_midstream_failure_raises_from_the_iterator_after_chunks(
    engine: LiteLLMEngine, options_for: OptionsFactory, marker: str, model: str
) -> None:
    request = ChatRequest(model=model, messages=user(f"{marker} two three four five"))
    received: list[str] = []
    with pytest.raises(ProviderUnavailable):
        async for chunk in engine.chat_stream(request, options_for()):
            received.append(chunk["choices"][0]["delta"].get("content") or "")

    assert [r for r in received if r] == ["Echo: ", f"{marker} ", "two "]


async def test_stream_open_errors_are_raised_before_any_chunk(
    engine: LiteLLMEngine, options_for: OptionsFactory, upstream: Upstream, marker: str
) -> None:
    request = ChatRequest(model="fake-fail-503", messages=user(marker))
    received = []
    with pytest.raises(ProviderUnavailable):
        async for chunk in engine.chat_stream(request, options_for()):
            received.append(chunk)

    assert received == []
    assert len(upstream.requests.containing(marker)) == FAST.max_retries + 1
