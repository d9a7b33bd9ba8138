"""The chunk index on CQL: per-dimension tables, cosine search fanned out over vector stores.

Search, per store (concurrently), produces scored candidates ``(score, store, file, index)``:

* a small store (rows x dimensions at most ``EXACT_SCAN_FLOATS``, e.g. 650 chunks of 1536 floats
  or 15,000 of 64) is scanned whole: one partition, the server computes ``similarity_cosine`` for
  every row (about 40 ns per float here), so the result is exact;
* a larger store asks the SAI index: ``ORDER BY embedding ANN OF ? LIMIT L`` with ``L`` well above
  ``limit`` (at most 1000, the server's cap). SAI's graph search is approximate: on 2,000 random
  64-dim vectors it misses true top-10 members in most queries, which is why small stores are
  scanned instead.

Candidates of all stores are merged; the best ``limit`` (plus near ties) are read back with their
embeddings and re-scored exactly in float64, ties broken by (store, file, index).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Collection, Coroutine, Sequence
from typing import Any

import numpy as np

from storage.base import Chunk, Hit
from storage.cassandra.chunk_tables import ChunkCql, ChunkTables
from storage.cassandra.doc_cql import encode
from storage.cassandra.ranking import Candidate, exact_score, finalists, ranked
from storage.cassandra.session import ANN_PROFILE, CqlSession, Params
from storage.errors import StorageUnavailable

log = logging.getLogger(__name__)

EXACT_SCAN_FLOATS = 1_000_000
ANN_OVERFETCH = 10
ANN_MIN_CANDIDATES = 100
ANN_MAX_LIMIT = 1000  # Cassandra 5.0 rejects ANN queries with a larger LIMIT
BATCH_BYTES = 64 * 1024  # a few rows per request: each costs a graph insert on the server
# Cassandra 5.0.x fails concurrent inserts into one vector index beyond a small per-node limit
# ("Number of outstanding pooled objects has gone beyond the limit", CASSANDRA-21644): keep few
# vector writes in flight and retry the rare rejected one.
VECTOR_WRITES_IN_FLIGHT = 2
VECTOR_WRITE_ATTEMPTS = 8


class CassandraChunkIndex:
    def __init__(self, cql: CqlSession, keyspace: str, *, table_ids: bool = True) -> None:
        self._cql = cql
        self.tables = ChunkTables(cql, keyspace, table_ids=table_ids)
        self._writes = asyncio.Semaphore(VECTOR_WRITES_IN_FLIGHT)

    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        for chunk in chunks:
            if len(chunk.embedding) != dimensions:
                raise ValueError(
                    f"chunk embedding has {len(chunk.embedding)} floats, not {dimensions}"
                )
        q = await self.tables.ensure(dimensions)
        await self.tables.register(tenant, vector_store_id, dimensions)
        row_bytes = dimensions * 4 + 64
        batch: list[tuple[str, Params]] = []
        size = 0
        pending: set[asyncio.Future[None]] = set()
        try:
            for chunk in chunks:
                vector = np.asarray(chunk.embedding, dtype=np.float32).tolist()
                metadata = encode(chunk.metadata)  # valid UTF-8 whatever the attributes hold
                params = (
                    tenant,
                    vector_store_id,
                    chunk.file_id,
                    chunk.index,
                    chunk.text,
                    metadata,
                    vector,
                )
                batch.append((q.insert, params))
                size += row_bytes + len(chunk.text) + len(metadata)
                if size >= BATCH_BYTES:
                    await _bounded(pending, self._write(batch))
                    batch, size = [], 0
            if batch:
                await _bounded(pending, self._write(batch))
            while pending:
                await _settle_one(pending)
        except BaseException:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            raise
        await self.tables.add_count(tenant, vector_store_id, len(chunks))

    async def file_chunks(self, tenant: str, vector_store_id: str, file_id: str) -> list[Chunk]:
        dimensions = await self.tables.dimensions(tenant, vector_store_id)
        if dimensions is None:
            return []
        q = await self.tables.ensure(dimensions)
        out: list[Chunk] = []
        async for page in self._cql.pages(q.file_rows, (tenant, vector_store_id, file_id)):
            for idx, text, metadata, embedding in page:
                out.append(Chunk(file_id, int(idx), text, list(embedding), json.loads(metadata)))
        return out

    async def delete_file(self, tenant: str, vector_store_id: str, file_id: str) -> None:
        dimensions = await self.tables.dimensions(tenant, vector_store_id)
        if dimensions is None:
            return
        q = await self.tables.ensure(dimensions)
        rows = await self._cql.rows(q.file_indexes, (tenant, vector_store_id, file_id))
        await self._cql.execute(q.delete_file, (tenant, vector_store_id, file_id))
        await self.tables.add_count(tenant, vector_store_id, -len(rows))

    async def delete_store(self, tenant: str, vector_store_id: str) -> None:
        dimensions = await self.tables.dimensions(tenant, vector_store_id)
        if dimensions is None:
            return
        q = await self.tables.ensure(dimensions)
        await self._cql.execute(q.delete_store, (tenant, vector_store_id))
        # Counters cannot be re-created once deleted: bring it back to zero instead.
        count = await self.tables.count(tenant, vector_store_id)
        await self.tables.add_count(tenant, vector_store_id, -count)
        await self.tables.forget(tenant, vector_store_id)

    async def search(
        self,
        tenant: str,
        vector_store_ids: Sequence[str],
        embedding: Sequence[float],
        limit: int,
        file_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        query = np.asarray(embedding, dtype=np.float64)
        norm = float(np.linalg.norm(query))
        if (
            limit < 1
            or not vector_store_ids
            or norm == 0.0
            or (file_ids is not None and not file_ids)
        ):
            return []
        stores = list(dict.fromkeys(vector_store_ids))
        files = sorted(set(file_ids)) if file_ids is not None else None
        per_store = await asyncio.gather(
            *(self._candidates(tenant, s, query, limit, files) for s in stores)
        )
        candidates = [c for found in per_store for c in found]
        chosen = finalists(candidates, limit)
        hits = await asyncio.gather(*(self._finalist(tenant, c, query / norm) for c in chosen))
        return ranked([h for h in hits if h is not None], limit)

    async def _candidates(
        self,
        tenant: str,
        store: str,
        query: np.ndarray,
        limit: int,
        files: list[str] | None,
    ) -> list[Candidate]:
        dimensions = await self.tables.dimensions(tenant, store)
        if dimensions is None or dimensions != len(query):
            return []
        q = await self.tables.ensure(dimensions)
        vector = query.astype(np.float32).tolist()
        rows_in_store = await self.tables.count(tenant, store)
        params: Params
        if rows_in_store * dimensions <= EXACT_SCAN_FLOATS:
            cql, params = q.exact, (vector, tenant, store)
            if files is not None:
                cql, params = (q.exact_files, (vector, tenant, store, files))
            rows = await self._cql.rows(cql, params)
        else:
            wanted = min(ANN_MAX_LIMIT, max(limit * ANN_OVERFETCH, ANN_MIN_CANDIDATES))
            cql, params = (q.ann, (vector, tenant, store, vector, wanted))
            if files is not None:
                cql, params = (q.ann_files, (vector, tenant, store, files, vector, wanted))
            rows = await self._cql.rows(cql, params, profile=ANN_PROFILE)
        # similarity_cosine is (1 + cos) / 2
        return [Candidate(2.0 * float(s) - 1.0, store, f, int(i), q) for f, i, s in rows]

    async def _finalist(self, tenant: str, c: Candidate, unit_query: np.ndarray) -> Hit | None:
        q: ChunkCql = c.cql
        row = await self._cql.one(q.finalist, (tenant, c.store, c.file_id, c.index))
        if row is None:  # deleted since it was scored
            return None
        text, metadata, embedding = row
        score = exact_score(np.asarray(embedding, dtype=np.float64), unit_query)
        return Hit(c.store, c.file_id, c.index, text, score, json.loads(metadata))

    async def _write(self, batch: list[tuple[str, Params]]) -> None:
        for attempt in range(VECTOR_WRITE_ATTEMPTS):
            async with self._writes:
                try:
                    await self._cql.batch(batch, logged=False)
                    return
                except StorageUnavailable:
                    if attempt == VECTOR_WRITE_ATTEMPTS - 1:
                        raise
            await asyncio.sleep(min(2.0, 0.05 * 2**attempt))


async def _bounded(pending: set[asyncio.Future[None]], work: Coroutine[Any, Any, None]) -> None:
    """Start ``work``, first waiting while twice the in-flight limit is already pending."""
    try:
        while len(pending) >= 2 * VECTOR_WRITES_IN_FLIGHT:
            await _settle_one(pending)
    except BaseException:
        work.close()
        raise
    pending.add(asyncio.ensure_future(work))


async def _settle_one(pending: set[asyncio.Future[None]]) -> None:
    done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
    for task in done:
        pending.discard(task)
        task.result()
