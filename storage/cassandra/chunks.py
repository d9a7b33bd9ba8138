"""The chunk index on CQL: per-dimension tables, cosine search fanned out over vector stores.

Embeddings are written as unit vectors (their length in ``norm``), where the vector index's
``dot_product`` is the cosine. Search, per store (concurrently), is one query that returns the
best chunks with their scores from the server:

* a tiny store (rows x dimensions at most ``EXACT_SCAN_FLOATS``, e.g. 65 chunks of 1536 floats or
  1,560 of 64) is scanned whole: one partition, the server scores every row, so the result is
  exact; the texts of the best ``limit`` are then read in one query;
* a larger one asks the SAI index: ``ORDER BY embedding ANN OF ? LIMIT L`` returning texts and
  scores, ``L = limit + ANN_OVERFETCH`` (the graph search is approximate; a few more candidates
  than needed buy recall at little cost), or ``ANN_OVERFETCH_LARGE`` for a store of more than
  ``LARGE_STORE_ROWS`` chunks, whose compacted segments are searched through quantized vectors,
  and for one of at most ``SMALL_STORE_FLOATS``, whose small graph misses more on vectors with
  little structure.

Keyword search reads, per query term, the term's slice of ``chunk_terms`` (``postings.py``):
the chunks holding it with its frequency; it scores them with BM25 and reads the texts of the
best. A store registered before ``chunk_terms`` existed has no postings for its older chunks: it
is searched as before, through the SAI index on the chunk table's ``terms`` map keys, while its
first keyword search starts the backfill of its postings (``backfill.py``) in the background.
Writes are single-partition UNLOGGED batches (chunk rows with their postings: one mutation),
``VECTOR_WRITES_IN_FLIGHT`` at a time.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Collection, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import numpy as np

from storage.base import Chunk, Hit
from storage.cassandra.backfill import backfill_postings
from storage.cassandra.chunk_tables import ChunkCql, ChunkTables
from storage.cassandra.common_terms import CommonTerms
from storage.cassandra.doc_cql import encode
from storage.cassandra.patience import patiently
from storage.cassandra.postings import (
    delete_chunk_params,
    delete_file_params,
    posting_cql,
    put_params,
)
from storage.cassandra.ranking import ChunkRef, bm25, ranked
from storage.cassandra.session import ANN_PROFILE, CqlSession, Params, Row
from storage.cassandra.write_limit import WriteLimit
from storage.errors import StorageUnavailable
from storage.keywords import searchable_terms, text_terms

log = logging.getLogger(__name__)

# Scoring a store whole reads every row's vector through a CQL function: 5-6 ms at 30 chunks of
# 1536 floats, 11-12 at 130, 15-33 at 434, 30-32 at 1,000, where the vector index answered in
# 4-6 ms with recall@10 1.000 against it at each size (bench/search_bench.py measures both). Only
# stores where scoring all is about as cheap stay exact.
EXACT_SCAN_FLOATS = 100_000
# The graph of a small store finds fewer of the true best on unstructured vectors: on uniform
# random ones, recall@10 at 434 x 1536 was 0.885 with 10 more candidates and 1.000 with 40 (7.2
# against 15.5 ms for scoring all). Stores up to this size, scored whole before, ask for 40 more.
SMALL_STORE_FLOATS = 1_000_000
ANN_OVERFETCH = 10
# A store compacted into large segments is searched through product-quantized vectors: at 100,000
# x 1536 after a major compaction, recall@10 was 0.877 with 10 more candidates and 0.979 with 40
# (p50 47 -> 54.5 ms). Stores of 10,000-20,000 chunks measured recall 1.000 with 10.
LARGE_STORE_ROWS = 20_000
ANN_OVERFETCH_LARGE = 40
ANN_MAX_LIMIT = 1000  # Cassandra 5.0 rejects ANN queries with a larger LIMIT
# Rows per single-partition batch: each row is a graph insert on the node, and a batch must end
# within the node's write timeout (2 s) even when the node is starved of CPU.
BATCH_ROWS = 8
# Cassandra 5.0.x fails concurrent inserts into one vector index beyond CPUs + 1 threads
# (CASSANDRA-21644); scripts/cassandra bounds the node's mutation threads to that, so several
# writes can wait in its queue. A node configured otherwise may still refuse some: they are
# retried with backoff, and the limit adapts (``write_limit``).
VECTOR_WRITES_IN_FLIGHT = 4
# A refused chunk write (the node overloaded, or stalled behind a flush) is tried again with
# backoff for this long before ingestion fails; the writes are idempotent.
VECTOR_WRITE_PATIENCE = 60.0
# Keyword search reads at most this many chunks per term and leaves out a term that has more:
# it is so common that it says little about relevance. Lower than SQLite's 2,000: the fallback
# query of stores without postings reads whole rows (embedding included), where 2,000 per term
# timed out on a 10,000-chunk store; postings use the same limit so both rank alike.
TERM_POSTINGS = 501
# A postings backfill that failed is not started again by this process for this long.
BACKFILL_RETRY_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class EncodedChunk:
    key: tuple[str, int]  # file_id, idx
    insert: Params  # the chunk row: unit float32 vector, its norm, the text's term frequencies
    terms: dict[str, int]
    postings: list[Params]  # ``PostingCql.put`` parameters


class CassandraChunkIndex:
    def __init__(self, cql: CqlSession, keyspace: str, *, table_ids: bool = True) -> None:
        self._cql = cql
        self.tables = ChunkTables(cql, keyspace, table_ids=table_ids)
        self.postings = posting_cql(keyspace)
        self._common = CommonTerms()
        self._writes = WriteLimit(VECTOR_WRITES_IN_FLIGHT)
        self._keyspace = keyspace
        self._backfills: dict[tuple[str, str], asyncio.Task[int]] = {}
        self._backfill_failed: dict[tuple[str, str], float] = {}

    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        for chunk in chunks:
            if len(chunk.embedding) != dimensions:
                raise ValueError(
                    f"chunk embedding has {len(chunk.embedding)} floats, not {dimensions}"
                )
        if not chunks:
            return
        q = await self.tables.ensure(dimensions)
        await self.tables.register(tenant, vector_store_id, dimensions)
        rows = await asyncio.to_thread(_encode, tenant, vector_store_id, chunks, dimensions)
        pending: set[asyncio.Future[None]] = set()
        try:
            for first in range(0, len(rows), BATCH_ROWS):
                batch = rows[first : first + BATCH_ROWS]
                await _bounded(pending, self._write_chunks(q, tenant, vector_store_id, batch))
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
            for idx, text, metadata, embedding, norm in page:
                vector = list(embedding)
                if norm is not None:  # stored as a unit vector
                    vector = (np.asarray(embedding, dtype=np.float64) * norm).tolist()
                out.append(Chunk(file_id, int(idx), text, vector, json.loads(metadata)))
        return out

    async def delete_file(self, tenant: str, vector_store_id: str, file_id: str) -> None:
        """Delete the file's chunks and their postings (the terms read from its chunk rows).

        One single-partition batch, so one mutation: the postings never outlive the chunks.
        """
        dimensions = await self.tables.dimensions(tenant, vector_store_id)
        if dimensions is None:
            return
        q = await self.tables.ensure(dimensions)
        rows = 0
        terms: set[str] = set()
        async for page in self._cql.pages(q.file_terms, (tenant, vector_store_id, file_id)):
            rows += len(page)
            for (found,) in page:
                terms.update(found or ())
        batch: list[tuple[str, Params]] = [
            (self.postings.delete_file, params)
            for params in delete_file_params(tenant, vector_store_id, file_id, terms)
        ]
        batch.append((q.delete_file, (tenant, vector_store_id, file_id)))
        await self._cql.batch(batch, logged=False)
        await self.tables.add_count(tenant, vector_store_id, -rows)

    async def delete_store(self, tenant: str, vector_store_id: str) -> None:
        dimensions = await self.tables.dimensions(tenant, vector_store_id)
        if dimensions is None:
            return
        q = await self.tables.ensure(dimensions)
        await self._cql.batch(
            [
                (self.postings.delete_store, (tenant, vector_store_id)),
                (q.delete_store, (tenant, vector_store_id)),
            ],
            logged=False,
        )
        # Counters cannot be re-created once deleted: bring it back to zero instead.
        count = await self.tables.count(tenant, vector_store_id)
        await self.tables.add_count(tenant, vector_store_id, -count)
        await self.tables.forget(tenant, vector_store_id)
        self._common.forget(tenant, vector_store_id)

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
            or not np.isfinite(norm)
            or (file_ids is not None and not file_ids)
        ):
            return []
        unit = (query / norm).astype(np.float32)
        stores = list(dict.fromkeys(vector_store_ids))
        files = sorted(set(file_ids)) if file_ids is not None else None
        per_store = await asyncio.gather(
            *(self._store_hits(tenant, s, unit, limit, files) for s in stores)
        )
        return ranked([hit for found in per_store for hit in found], limit)

    async def keyword_search(
        self,
        tenant: str,
        vector_store_ids: Sequence[str],
        query: str,
        limit: int,
        file_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        terms = searchable_terms(query, limit, vector_store_ids, file_ids)
        if not terms:
            return []
        stores = list(dict.fromkeys(vector_store_ids))
        files = set(file_ids) if file_ids is not None else None
        per_store = await asyncio.gather(
            *(self._keyword_hits(tenant, s, terms, limit, files) for s in stores)
        )
        return ranked([hit for found in per_store for hit in found], limit)

    async def _store_hits(
        self, tenant: str, store: str, unit: np.ndarray, limit: int, files: list[str] | None
    ) -> list[Hit]:
        dimensions = await self.tables.dimensions(tenant, store)
        if dimensions is None or dimensions != len(unit):
            return []
        q = await self.tables.ensure(dimensions)
        vector = unit.tolist()
        rows_in_store = await self.tables.count(tenant, store)
        params: Params
        floats = rows_in_store * dimensions
        if floats <= EXACT_SCAN_FLOATS:
            cql, params = q.exact, (vector, tenant, store)
            if files is not None:
                cql, params = q.exact_files, (vector, tenant, store, files)
            scored = {(f, int(i)): _cosine(s) for f, i, s in await self._cql.rows(cql, params)}
            best = sorted(scored, key=lambda key: (-scored[key], key))[:limit]
            if not best:
                return []
            details = await self._cql.rows(q.details, (tenant, store, best))
            return [
                Hit(store, f, int(i), text, scored[(f, int(i))], json.loads(metadata))
                for f, i, text, metadata in details
            ]
        careful = rows_in_store > LARGE_STORE_ROWS or floats <= SMALL_STORE_FLOATS
        overfetch = ANN_OVERFETCH_LARGE if careful else ANN_OVERFETCH
        wanted = min(ANN_MAX_LIMIT, limit + overfetch)
        cql, params = q.ann, (vector, tenant, store, vector, wanted)
        if files is not None:
            cql, params = q.ann_files, (vector, tenant, store, files, vector, wanted)
        rows = await self._cql.rows(cql, params, profile=ANN_PROFILE)
        return [
            Hit(store, f, int(i), text, _cosine(s), json.loads(metadata))
            for f, i, s, text, metadata in rows
        ]

    async def _keyword_hits(
        self, tenant: str, store: str, terms: list[str], limit: int, files: set[str] | None
    ) -> list[Hit]:
        entry = await self.tables.entry(tenant, store)
        if entry is None:
            return []
        q = await self.tables.ensure(entry.dimensions)

        if not entry.postings:
            self._backfill(tenant, store)

        def read(term: str) -> Awaitable[list[Row]]:
            if entry.postings:
                return self._cql.rows(self.postings.read, (tenant, store, term, TERM_POSTINGS))
            # Registered before chunk_terms: the SAI index on the chunk table's terms map.
            return self._cql.rows(q.term, (term, tenant, store, term, TERM_POSTINGS))

        version, common = self._common.known(tenant, store)
        wanted = [t for t in terms if t not in common]
        term_rows, chunks = await asyncio.gather(
            asyncio.gather(*(read(t) for t in wanted)), self.tables.count(tenant, store)
        )
        if chunks != version and len(wanted) < len(terms):  # the store changed: read them too
            skipped = [t for t in terms if t in common]
            term_rows += await asyncio.gather(*(read(t) for t in skipped))
            wanted += skipped
        # Too common to rank by (as SQLite does): left out.
        too_common = [
            t for t, rows in zip(wanted, term_rows, strict=True) if len(rows) >= TERM_POSTINGS
        ]
        self._common.learn(tenant, store, chunks, too_common)
        postings: dict[str, dict[ChunkRef, int]] = {}
        for term, rows in zip(wanted, term_rows, strict=True):
            if len(rows) >= TERM_POSTINGS:
                continue
            postings[term] = {
                (store, f, int(i)): int(tf or 1) for f, i, tf in rows if files is None or f in files
            }
        scores = bm25(postings, chunks)
        best = sorted(scores, key=lambda ref: (-scores[ref], ref))[:limit]
        if not best:
            return []
        details = await self._cql.rows(q.details, (tenant, store, [(f, i) for _, f, i in best]))
        return [
            Hit(store, f, int(i), text, scores[(store, f, int(i))], json.loads(metadata))
            for f, i, text, metadata in details
        ]

    def _backfill(self, tenant: str, store: str) -> None:
        """Start the backfill of the store's postings, unless this process runs it already
        or saw it fail a short while ago."""
        key = (tenant, store)
        loop = asyncio.get_running_loop()
        if key in self._backfills or loop.time() < self._backfill_failed.get(key, 0.0):
            return
        task = loop.create_task(
            backfill_postings(self._cql, self.tables, self._keyspace, tenant, store)
        )
        self._backfills[key] = task
        task.add_done_callback(partial(self._backfill_ended, key))

    def _backfill_ended(self, key: tuple[str, str], task: asyncio.Task[int]) -> None:
        self._backfills.pop(key, None)
        if task.cancelled():
            return
        error = task.exception()
        if error is not None:
            self._backfill_failed[key] = asyncio.get_running_loop().time() + BACKFILL_RETRY_SECONDS
            log.warning(
                "keyword postings backfill of vector store %s stopped: %s: %s",
                key[1],
                type(error).__name__,
                error,
            )

    async def close(self) -> None:
        """Stop the backfills under way (a later keyword search starts them again)."""
        tasks = list(self._backfills.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _write_chunks(
        self, q: ChunkCql, tenant: str, store: str, rows: Sequence[EncodedChunk]
    ) -> None:
        """One batch: chunk rows, their postings, and the removal of the postings of terms a
        rewritten chunk no longer holds (read from the row it replaces; ingestion deletes a
        file's chunks before writing them again, so this read usually finds nothing). A refused
        read is tried again with the write: both are part of the same attempt."""
        new_terms = {row.key: row.terms for row in rows}

        async def attempt() -> None:
            batch: list[tuple[str, Params]] = []
            for file_id, idx, old in await self._cql.rows(
                q.chunk_terms, (tenant, store, list(new_terms))
            ):
                gone = set(old or ()) - set(new_terms.get((file_id, int(idx)), ()))
                for params in delete_chunk_params(tenant, store, file_id, int(idx), gone):
                    batch.append((self.postings.delete_chunk, params))
            for row in rows:
                batch.append((q.insert, row.insert))
                batch.extend((self.postings.put, put) for put in row.postings)
            await self._cql.batch(batch, logged=False)

        await self._retried(attempt)

    async def _retried(self, attempt: Callable[[], Awaitable[Any]]) -> None:
        """``attempt`` until the node takes it, or ``VECTOR_WRITE_PATIENCE`` has passed; each
        try holds a slot of the process's vector write limit, which refusals lower."""

        async def limited() -> None:
            async with self._writes.slot():
                try:
                    await attempt()
                except StorageUnavailable:
                    self._writes.refused()
                    raise
                self._writes.succeeded()

        await patiently(limited, VECTOR_WRITE_PATIENCE)


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


def _cosine(similarity: float) -> float:
    """The cosine from a ``similarity_*`` function's ``(1 + cos) / 2``."""
    return 2.0 * float(similarity) - 1.0


def _encode(
    tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
) -> list[EncodedChunk]:
    """Per chunk, the parameters of its row and of its postings."""
    vectors = np.asarray([chunk.embedding for chunk in chunks], dtype=np.float64)
    vectors = vectors.reshape(len(chunks), dimensions)
    norms = np.linalg.norm(vectors, axis=1)
    if not np.all(np.isfinite(norms)):
        raise ValueError("chunk embeddings must be finite")
    with np.errstate(divide="ignore", invalid="ignore"):
        units = np.where(norms[:, None] > 0, vectors / norms[:, None], 0.0).astype(np.float32)
    out: list[EncodedChunk] = []
    for chunk, unit, norm in zip(chunks, units, norms, strict=True):
        terms = dict(text_terms(chunk.text))
        row = (
            tenant,
            vector_store_id,
            chunk.file_id,
            chunk.index,
            chunk.text,
            encode(chunk.metadata),  # valid UTF-8 whatever the attributes hold
            unit,
            float(norm),
            terms,
        )
        postings = put_params(tenant, vector_store_id, chunk.file_id, chunk.index, terms)
        out.append(EncodedChunk((chunk.file_id, chunk.index), row, terms, postings))
    return out
