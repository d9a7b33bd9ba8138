"""The retry policy: which errors are retried, how long it waits, and its bounds."""

from __future__ import annotations

import time

import pytest

from inference import (
    BadProviderRequest,
    InferenceError,
    InferenceSettings,
    ProviderUnavailable,
    RateLimited,
)
from inference.retry import backoff_seconds, call_with_retries

SETTINGS = InferenceSettings(
    max_retries=3, retry_backoff=0.01, retry_backoff_max=0.02, retry_after_cap=0.03
)


class Flaky:
    def __init__(self, *errors: InferenceError) -> None:
        self.errors = list(errors)
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return "ok"


def test_retry_after_is_honoured_up_to_the_cap() -> None:
    assert backoff_seconds(SETTINGS, 1, RateLimited("x", retry_after=0.02)) == 0.02
    assert backoff_seconds(SETTINGS, 1, RateLimited("x", retry_after=60)) == 0.03


def test_exponential_backoff_is_jittered_and_capped() -> None:
    settings = InferenceSettings(retry_backoff=1.0, retry_backoff_max=3.0)
    assert 0.5 <= backoff_seconds(settings, 1, ProviderUnavailable("x")) <= 1.0
    assert 1.0 <= backoff_seconds(settings, 2, ProviderUnavailable("x")) <= 2.0
    assert backoff_seconds(settings, 5, ProviderUnavailable("x")) == 3.0


async def test_success_after_retryable_failures() -> None:
    attempt = Flaky(RateLimited("slow down"), ProviderUnavailable("boom"))

    assert await call_with_retries(SETTINGS, attempt) == "ok"
    assert attempt.calls == 3


async def test_gives_up_after_max_retries_with_the_last_error() -> None:
    attempt = Flaky(*(ProviderUnavailable(f"boom {i}") for i in range(10)))

    with pytest.raises(ProviderUnavailable, match="boom 3"):
        await call_with_retries(SETTINGS, attempt)
    assert attempt.calls == SETTINGS.max_retries + 1


async def test_non_retryable_errors_are_raised_at_once() -> None:
    attempt = Flaky(BadProviderRequest("no"))

    with pytest.raises(BadProviderRequest):
        await call_with_retries(SETTINGS, attempt)
    assert attempt.calls == 1


async def test_the_budget_bounds_the_total_time() -> None:
    settings = InferenceSettings(max_retries=50, retry_after_cap=0.05, retry_budget=0.2)
    attempt = Flaky(*(RateLimited("x", retry_after=0.05) for _ in range(50)))
    started = time.monotonic()

    with pytest.raises(RateLimited):
        await call_with_retries(settings, attempt)
    assert time.monotonic() - started < 0.5
    assert 2 <= attempt.calls <= 6
