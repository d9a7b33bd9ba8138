"""One keyspace's ``Store``: documents, blobs and chunks over one ``CqlSession``."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cassandra.cluster import Cluster

from storage.base import BlobStore, ChunkIndex, DocumentStore
from storage.cassandra.blobs import CassandraBlobStore
from storage.cassandra.chunks import CassandraChunkIndex
from storage.cassandra.cluster import connect
from storage.cassandra.documents import CassandraDocumentStore
from storage.cassandra.schema import ensure_chunk_table, ensure_schema, existing_chunk_dimensions
from storage.cassandra.session import PROBE_PROFILE, CqlSession
from storage.errors import StorageError

log = logging.getLogger(__name__)

# Chunk tables created at start (the common embedding sizes); others are created on first use.
DEFAULT_CHUNK_DIMENSIONS: tuple[int, ...] = (1536,)


@dataclass(slots=True)
class CassandraStore:
    docs: DocumentStore
    blobs: BlobStore
    chunks: ChunkIndex
    cql: CqlSession
    keyspace: str

    async def close(self) -> None:
        """Stop the store's background work (postings backfills) before its session closes."""
        if isinstance(self.chunks, CassandraChunkIndex):
            await self.chunks.close()

    async def healthy(self) -> bool:
        try:
            await self.cql.one("SELECT release_version FROM system.local", profile=PROBE_PROFILE)
        except StorageError:
            return False
        return True


async def open_store(
    cluster: Cluster,
    keyspace: str,
    replication: Mapping[str, str] | None,
    *,
    chunk_dimensions: Sequence[int] = DEFAULT_CHUNK_DIMENSIONS,
    tenant_auth: bool = False,
) -> CassandraStore:
    """Connect, create the schema (keyspace too unless ``replication`` is None), build the store.

    The driver's connect and DDL calls block, so they run in a worker thread.
    """
    session = await asyncio.to_thread(connect, cluster)
    await asyncio.to_thread(ensure_schema, session, keyspace, replication)
    table_ids = replication is not None
    existing = await asyncio.to_thread(existing_chunk_dimensions, session, keyspace)
    cql = CqlSession(session, tenant_auth=tenant_auth)
    chunks = CassandraChunkIndex(cql, keyspace, table_ids=table_ids)
    # Existing tables too: they get the columns and indexes added since they were made.
    for dimensions in sorted({*chunk_dimensions, *existing}):
        similarity = await asyncio.to_thread(
            ensure_chunk_table, session, keyspace, dimensions, with_id=table_ids
        )
        chunks.tables.known(dimensions, similarity)
    store = CassandraStore(
        docs=CassandraDocumentStore(cql, keyspace, cluster.timestamp_generator),
        blobs=CassandraBlobStore(cql, keyspace),
        chunks=chunks,
        cql=cql,
        keyspace=keyspace,
    )
    log.info("cassandra store ready: keyspace %s, chunk tables %s", keyspace, existing)
    return store
