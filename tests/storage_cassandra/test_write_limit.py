"""The adaptive in-flight limit of vector writes (no node needed)."""

from __future__ import annotations

import asyncio

from storage.cassandra.write_limit import GROW_AFTER, WriteLimit


async def test_refusals_halve_the_limit_and_successes_restore_it() -> None:
    limit = WriteLimit(4)
    limit.refused()
    assert limit.limit == 2
    limit.refused()
    limit.refused()
    assert limit.limit == 1
    for _ in range(GROW_AFTER * 5):
        limit.succeeded()
    assert limit.limit == 4


async def test_slots_bound_concurrency() -> None:
    limit = WriteLimit(3)
    busy, peak = 0, 0

    async def work() -> None:
        nonlocal busy, peak
        async with limit.slot():
            busy += 1
            peak = max(peak, busy)
            await asyncio.sleep(0.01)
            busy -= 1

    await asyncio.gather(*(work() for _ in range(12)))
    assert peak == 3
    limit.refused()
    peak = 0
    await asyncio.gather(*(work() for _ in range(12)))
    assert peak == 1
