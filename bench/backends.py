"""Opening a throwaway store for a bench, on either backend."""

from __future__ import annotations

import asyncio
import os
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path

from storage.base import StoreProvider
from storage.settings import CassandraSettings, SqliteSettings, parse_store_url


async def open_backend(
    name: str, label: str = "bench", cassandra_options: str = "", keyspace: str | None = None
) -> tuple[StoreProvider, Callable[[], Awaitable[None]]]:
    """A fresh store of the backend (a temporary SQLite file, or a new keyspace on the node at
    CASSANDRA_HOST/CASSANDRA_PORT; ``keyspace`` names an existing one instead) and the coroutine
    that removes it."""
    if name == "sqlite":
        from storage.sqlite import SqliteProvider

        folder = tempfile.TemporaryDirectory(prefix=f"{label}-")

        async def drop_folder() -> None:
            folder.cleanup()

        return SqliteProvider(SqliteSettings(path=Path(folder.name) / "bench.db")), drop_folder
    from storage.cassandra import CassandraProvider

    host = os.environ.get("CASSANDRA_HOST", "127.0.0.1")
    port = os.environ.get("CASSANDRA_PORT", "9042")
    keyspace = keyspace or f"{label.replace('-', '_')}_{uuid.uuid4().hex[:10]}"
    url = f"cassandra://{host}:{port}/{keyspace}?replication=SimpleStrategy:1{cassandra_options}"
    settings = parse_store_url(url)
    assert isinstance(settings, CassandraSettings)

    async def drop_keyspace() -> None:
        from cassandra.cluster import Cluster

        cluster = Cluster([host], port=int(port))
        try:
            session = await asyncio.to_thread(cluster.connect)
            await asyncio.to_thread(
                session.execute, f"DROP KEYSPACE IF EXISTS {keyspace}", timeout=120
            )
        finally:
            await asyncio.to_thread(cluster.shutdown)

    return CassandraProvider(settings, chunk_dimensions=()), drop_keyspace
