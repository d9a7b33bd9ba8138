"""Bounded retries with backoff for rate limits and provider failures, honouring `retry-after`."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

from inference.errors import InferenceError, RateLimited
from inference.settings import InferenceSettings

T = TypeVar("T")


def is_retryable(exc: BaseException) -> bool:
    return isinstance(exc, InferenceError) and exc.retryable


def backoff_seconds(settings: InferenceSettings, attempt: int, exc: BaseException | None) -> float:
    """The wait before the next attempt: the capped `retry-after`, else jittered exponential."""
    if isinstance(exc, RateLimited) and exc.retry_after is not None:
        return min(exc.retry_after, settings.retry_after_cap)
    exponential = settings.retry_backoff * (2 ** max(attempt - 1, 0))
    return min(exponential * random.uniform(0.5, 1.0), settings.retry_backoff_max)


def retrying(settings: InferenceSettings, *, done: int = 0, spent: float = 0.0) -> AsyncRetrying:
    """`async for attempt in retrying(s): with attempt: ...`; re-raises the last error.

    `done` attempts already failed and `spent` seconds went by before this loop starts.
    """

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        return backoff_seconds(settings, state.attempt_number + done, exc)

    return AsyncRetrying(
        retry=retry_if_exception(is_retryable),
        stop=stop_after_attempt(settings.max_retries + 1 - done)
        | stop_after_delay(settings.retry_budget - spent),
        wait=wait,
        reraise=True,
    )


async def call_with_retries(settings: InferenceSettings, attempt: Callable[[], Awaitable[T]]) -> T:
    """Await `attempt()`, retrying retryable `InferenceError`s within the settings' bounds."""
    started = time.monotonic()
    # The first try skips tenacity's bookkeeping (~40 us): almost every call succeeds at once.
    try:
        return await attempt()
    except InferenceError as exc:
        pause = backoff_seconds(settings, 1, exc)
        spent = time.monotonic() - started
        if not exc.retryable or settings.max_retries < 1 or spent + pause > settings.retry_budget:
            raise
        await asyncio.sleep(pause)
    async for retry in retrying(settings, done=1, spent=time.monotonic() - started):
        with retry:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last error")
