"""How many vector writes one process keeps in flight: up to a maximum, halved on refusals.

Cassandra 5.0.x refuses concurrent inserts into one vector index beyond its CPUs + 1 threads
(CASSANDRA-21644). A node started by ``scripts/cassandra`` bounds its mutation threads so that it
never does; another node may. Each refused write halves the limit (to 1 at least); every
``GROW_AFTER`` successful writes in a row raise it by one again, up to the maximum.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

GROW_AFTER = 16


class WriteLimit:
    def __init__(self, maximum: int) -> None:
        self.maximum = maximum
        self.limit = maximum
        self._in_flight = 0
        self._streak = 0
        self._changed = asyncio.Condition()

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self._in_flight < self.limit)
            self._in_flight += 1
        try:
            yield
        finally:
            async with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def refused(self) -> None:
        self.limit = max(1, self.limit // 2)
        self._streak = 0

    def succeeded(self) -> None:
        self._streak += 1
        if self._streak >= GROW_AFTER and self.limit < self.maximum:
            self.limit += 1
            self._streak = 0
