"""Driver sessions per (token, database): a bounded LRU whose entries also expire after a TTL.

Opening a session (bundle download, TLS handshake, schema check) takes seconds, so concurrent first
requests for one key share a single open. An evicted or expired session is shut down after a grace
period, so requests still running on it can finish; the TTL also bounds how long a revoked token
keeps a working session.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from cassandra.cluster import Cluster

from storage.cassandra.store import CassandraStore

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (token hash, database id)
Opener = Callable[[], Awaitable[tuple[CassandraStore, Cluster]]]


@dataclass(frozen=True, slots=True)
class _Entry:
    store: CassandraStore
    cluster: Cluster
    expires: float


class SessionCache:
    def __init__(self, max_size: int, ttl: float, grace: float) -> None:
        self._max_size = max_size
        self._ttl = ttl
        self._grace = grace
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._opening: dict[Key, asyncio.Future[_Entry]] = {}
        self._closing: set[asyncio.Task[None]] = set()

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: Key) -> bool:
        return key in self._entries

    async def get(self, key: Key, opener: Opener) -> CassandraStore:
        entry = self._entries.get(key)
        if entry is not None:
            if entry.expires > time.monotonic():
                self._entries.move_to_end(key)
                return entry.store
            self.drop(key)
        pending = self._opening.get(key)
        if pending is not None:
            return (await asyncio.shield(pending)).store
        future: asyncio.Future[_Entry] = asyncio.get_running_loop().create_future()
        self._opening[key] = future
        try:
            store, cluster = await opener()
        except BaseException as exc:
            future.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            future.exception()  # retrieved: there may be no other waiter
            raise
        finally:
            self._opening.pop(key, None)
        entry = _Entry(store, cluster, time.monotonic() + self._ttl)
        self._entries[key] = entry
        future.set_result(entry)
        while len(self._entries) > self._max_size:
            self.drop(next(iter(self._entries)))
        return store

    def drop(self, key: Key) -> None:
        """Forget a session and shut it down after the grace period."""
        entry = self._entries.pop(key, None)
        if entry is not None:
            task = asyncio.create_task(self._shutdown(entry, self._grace))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)

    async def close(self) -> None:
        entries = list(self._entries.values())
        self._entries.clear()
        await asyncio.gather(
            *(self._shutdown(e, 0) for e in entries),
            *self._closing,
            return_exceptions=True,
        )

    @staticmethod
    async def _shutdown(entry: _Entry, grace: float) -> None:
        if grace:
            await asyncio.sleep(grace)
        await entry.store.close()
        await asyncio.to_thread(entry.cluster.shutdown)
