"""Idempotent writes a busy node refused, tried again with backoff for a while.

A node stalled behind a flush (or short of connection capacity: the driver's ``ConnectionBusy``)
refuses or times out requests for seconds; failing the whole file's upload or ingestion for that
would be wrong when sending the same write again is harmless. Only writes that are safe to send
twice come here: plain inserts, updates and deletes, never an LWT or a counter update.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from storage.errors import StorageUnavailable

T = TypeVar("T")

MAX_BACKOFF = 2.0


async def patiently(attempt: Callable[[], Awaitable[T]], patience: float) -> T:
    """``attempt()`` until the node takes it, or ``patience`` seconds have passed (then its last
    refusal is raised); the pause between tries doubles from 50 ms up to ``MAX_BACKOFF``."""
    deadline = time.monotonic() + patience
    tries = 0
    while True:
        try:
            return await attempt()
        except StorageUnavailable:
            if time.monotonic() >= deadline:
                raise
        await asyncio.sleep(min(MAX_BACKOFF, 0.05 * 2 ** min(tries, 6)))
        tries += 1
