"""``CassandraProvider``: one operator-configured cluster, one session, one ``Store``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from cassandra.cluster import Cluster

from storage.base import Store
from storage.cassandra.cluster import cluster_for
from storage.cassandra.store import DEFAULT_CHUNK_DIMENSIONS, CassandraStore, open_store
from storage.cassandra.translate import translate
from storage.errors import StorageUnavailable
from storage.settings import CassandraSettings

log = logging.getLogger(__name__)


class CassandraProvider:
    """Owns the driver ``Cluster``; ``for_request`` always answers the same store.

    Tenants share the keyspace: every partition key starts with the tenant.
    """

    def __init__(
        self,
        settings: CassandraSettings,
        *,
        chunk_dimensions: Sequence[int] = DEFAULT_CHUNK_DIMENSIONS,
    ) -> None:
        self._settings = settings
        self._chunk_dimensions = tuple(chunk_dimensions)
        self._cluster: Cluster | None = None
        self._store: CassandraStore | None = None

    @property
    def store(self) -> CassandraStore:
        if self._store is None:
            raise StorageUnavailable("the database connection is not started", retry_after=5)
        return self._store

    async def start(self) -> None:
        if self._store is not None:
            return
        cluster = cluster_for(self._settings)
        try:
            self._store = await open_store(
                cluster,
                self._settings.keyspace,
                self._settings.replication,
                chunk_dimensions=self._chunk_dimensions,
            )
        except BaseException as exc:
            await asyncio.to_thread(cluster.shutdown)
            if isinstance(exc, Exception):
                raise translate(exc) from None
            raise
        self._cluster = cluster

    async def for_request(self, astra_token: str | None, astra_db_id: str | None) -> Store:
        return self.store

    async def healthy(self) -> bool:
        return self._store is not None and await self._store.healthy()

    async def close(self) -> None:
        cluster, store, self._cluster, self._store = self._cluster, self._store, None, None
        if store is not None:
            await store.close()
        if cluster is not None:
            await asyncio.to_thread(cluster.shutdown)
