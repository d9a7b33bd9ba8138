"""Idempotent writes a busy node refused, tried again with backoff for a while.

A node stalled behind a flush (or short of connection capacity: the driver's ``ConnectionBusy``)
refuses or times out requests for seconds; failing the whole file's upload or ingestion for that
would be wrong when sending the same write again is harmless. Only writes that are safe to send
twice come here: plain inserts, updates and deletes, never an LWT or a counter update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_delay, wait_exponential

from storage.errors import StorageUnavailable

T = TypeVar("T")

MAX_BACKOFF = 2.0


async def _sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


async def patiently(attempt: Callable[[], Awaitable[T]], patience: float) -> T:
    """``attempt()`` until the node takes it, or ``patience`` seconds have passed (then its last
    refusal is raised); the pause between tries doubles from 50 ms up to ``MAX_BACKOFF``."""
    retrying = AsyncRetrying(
        retry=retry_if_exception_type(StorageUnavailable),
        stop=stop_after_delay(patience),
        wait=wait_exponential(multiplier=0.05, max=MAX_BACKOFF),
        sleep=_sleep,
        reraise=True,
    )
    async for trying in retrying:
        with trying:
            return await attempt()
    raise AssertionError("unreachable: tenacity re-raises the last refusal")
