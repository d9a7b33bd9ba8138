"""File chunks with float32 embeddings, searched by exact cosine similarity with numpy.

A search reads each requested vector store's embeddings in the tie-break order (vector store id,
file id, chunk index) inside one read transaction, so that the scores and the final lookup of the
winners see the same snapshot. A store's embeddings are kept in memory as one matrix while its
version (``chunk_versions``) stands (``storage.sqlite.vectors``), so a search is one BLAS product
per store; a store too large for the cache is scanned from the file in batches. Keyword search
is FTS5's ``bm25`` over ``chunks_fts``.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from storage.base import Chunk, Hit
from storage.keywords import searchable_terms
from storage.sqlite.database import Database
from storage.sqlite.topk import CosineTopK, exact_norm, to_float32
from storage.sqlite.vectors import (
    MatrixCache,
    bump_version,
    load_matrix,
    store_rows,
    store_version,
)

# Rows per numpy batch of an uncached scan: ~12 MiB of 1536-float embeddings.
SEARCH_BATCH = 2048
DEFAULT_CACHE_BYTES = 1024 * 1024 * 1024
# Keyword search leaves out terms held by more chunks than this: ranking every chunk that holds a
# very common word costs more than it tells (Cassandra reads at most as many postings per term).
MAX_TERM_CHUNKS = 2000

_UPSERT = """
    INSERT INTO chunks
        (tenant, vector_store_id, file_id, idx, dimensions, norm, embedding, text, metadata)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, vector_store_id, file_id, idx) DO UPDATE SET
        dimensions = excluded.dimensions, norm = excluded.norm, embedding = excluded.embedding,
        text = excluded.text, metadata = excluded.metadata"""


class SqliteChunks:
    def __init__(self, db: Database, *, cache_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self._db = db
        self._cache = MatrixCache(cache_bytes)

    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        if not chunks:
            return
        # Encoding (exact norms of every embedding) is CPU work: keep it off the event loop.
        rows = await asyncio.to_thread(_encode, tenant, vector_store_id, chunks, dimensions)
        await self._db.write(lambda conn: _insert(conn, tenant, vector_store_id, rows))

    async def file_chunks(self, tenant: str, vector_store_id: str, file_id: str) -> list[Chunk]:
        def load(conn: sqlite3.Connection) -> list[Chunk]:
            rows = conn.execute(
                "SELECT idx, embedding, text, metadata FROM chunks"
                " WHERE tenant = ? AND vector_store_id = ? AND file_id = ? ORDER BY idx",
                (tenant, vector_store_id, file_id),
            )
            return [
                Chunk(file_id, idx, text, _decode(embedding).tolist(), json.loads(metadata))
                for idx, embedding, text, metadata in rows
            ]

        return await self._db.read(load)

    async def delete_file(self, tenant: str, vector_store_id: str, file_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            found = conn.execute(
                "DELETE FROM chunks WHERE tenant = ? AND vector_store_id = ? AND file_id = ?",
                (tenant, vector_store_id, file_id),
            )
            if found.rowcount:
                bump_version(conn, tenant, vector_store_id)

        await self._db.write(delete)

    async def delete_store(self, tenant: str, vector_store_id: str) -> None:
        def delete(conn: sqlite3.Connection) -> None:
            conn.execute(
                "DELETE FROM chunks WHERE tenant = ? AND vector_store_id = ?",
                (tenant, vector_store_id),
            )
            bump_version(conn, tenant, vector_store_id)

        await self._db.write(delete)
        self._cache.forget(tenant, vector_store_id)

    async def search(
        self,
        tenant: str,
        vector_store_ids: Sequence[str],
        embedding: Sequence[float],
        limit: int,
        file_ids: Collection[str] | None = None,
    ) -> list[Hit]:
        top = CosineTopK(embedding, limit)
        if not vector_store_ids or (file_ids is not None and not file_ids):
            return []
        stores = sorted(set(vector_store_ids))
        files = None if file_ids is None else sorted(set(file_ids))
        return await self._db.read(lambda conn: self._search(conn, tenant, stores, files, top))

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
        stores = json.dumps(sorted(set(vector_store_ids)))
        files = None if file_ids is None else json.dumps(sorted(set(file_ids)))
        sql = (
            "SELECT c.vector_store_id, c.file_id, c.idx, c.text, c.metadata, bm25(chunks_fts)"
            " FROM chunks_fts JOIN chunks AS c ON c.rowid = chunks_fts.rowid"
            " WHERE chunks_fts MATCH ? AND c.tenant = ?"
            " AND c.vector_store_id IN (SELECT value FROM json_each(?))"
            + (" AND c.file_id IN (SELECT value FROM json_each(?))" if files is not None else "")
            + " ORDER BY bm25(chunks_fts), c.vector_store_id, c.file_id, c.idx LIMIT ?"
        )

        def run(conn: sqlite3.Connection) -> list[Hit]:
            usable = _selective(conn, terms)
            if not usable:
                return []
            match = " OR ".join(f'"{term}"' for term in usable)  # letters and digits only
            params: list[Any] = [match, tenant, stores]
            if files is not None:
                params.append(files)
            params.append(limit)
            return [
                # bm25() is lower for better matches
                Hit(store, file_id, idx, text, -float(rank), json.loads(metadata))
                for store, file_id, idx, text, metadata, rank in conn.execute(sql, params)
            ]

        return await self._db.read(run)

    def _search(
        self,
        conn: sqlite3.Connection,
        tenant: str,
        stores: list[str],
        files: list[str] | None,
        top: CosineTopK,
    ) -> list[Hit]:
        conn.execute("BEGIN")
        try:
            ordinal = 0
            for store in stores:
                version = store_version(conn, tenant, store)
                key = (tenant, store, top.dimensions)
                matrix = self._cache.get(key, version)
                if matrix is None:
                    rows = store_rows(conn, tenant, store, top.dimensions)
                    if not self._cache.fits(rows, top.dimensions):
                        ordinal += _scan(conn, tenant, store, files, top, ordinal)
                        continue
                    matrix = load_matrix(conn, tenant, store, top.dimensions, version, rows)
                    self._cache.put(key, matrix)
                if files is None:
                    top.offer(matrix.keys, matrix.norms, matrix.vectors, ordinal, fast=True)
                else:
                    picked = matrix.rows_of(files)
                    if len(picked):
                        top.offer_rows(matrix.keys, matrix.norms, matrix.vectors, picked, ordinal)
                ordinal += len(matrix.keys)
            return _hits(conn, top.best())
        finally:
            # A read-only snapshot: ending it by rollback also works when a cursor is still open.
            conn.execute("ROLLBACK")


def _selective(conn: sqlite3.Connection, terms: list[str]) -> list[str]:
    """The query terms held by at most ``MAX_TERM_CHUNKS`` chunks of the file (all tenants)."""
    marks = ", ".join("?" for _ in terms)
    counts = dict(
        conn.execute(f"SELECT term, doc FROM chunks_fts_terms WHERE term IN ({marks})", terms)
    )
    return [t for t in terms if 0 < counts.get(t, 0) <= MAX_TERM_CHUNKS]


def _scan(
    conn: sqlite3.Connection,
    tenant: str,
    store: str,
    files: list[str] | None,
    top: CosineTopK,
    ordinal: int,
) -> int:
    """Offer a store's chunks batch by batch from the file; return how many were offered."""
    sql = (
        "SELECT rowid, norm, embedding FROM chunks"
        " WHERE tenant = ? AND vector_store_id = ? AND dimensions = ?"
        + (" AND file_id IN (SELECT value FROM json_each(?))" if files is not None else "")
        + " ORDER BY file_id, idx"
    )
    params: list[Any] = [tenant, store, top.dimensions]
    if files is not None:
        params.append(json.dumps(files))
    cursor = conn.execute(sql, params)
    offered = 0
    while rows := cursor.fetchmany(SEARCH_BATCH):
        keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
        norms = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
        vectors = _decode(b"".join(r[2] for r in rows)).reshape(len(rows), top.dimensions)
        top.offer(keys, norms, vectors, ordinal + offered)
        offered += len(rows)
    return offered


def _hits(conn: sqlite3.Connection, best: list[tuple[int, float]]) -> list[Hit]:
    if not best:
        return []
    marks = ", ".join("?" for _ in best)
    rows = {
        row[0]: row[1:]
        for row in conn.execute(
            "SELECT rowid, vector_store_id, file_id, idx, text, metadata FROM chunks"
            f" WHERE rowid IN ({marks})",
            [key for key, _ in best],
        )
    }
    hits = []
    for key, score in best:
        store, file_id, idx, text, metadata = rows[key]
        hits.append(Hit(store, file_id, idx, text, score, json.loads(metadata)))
    return hits


def _insert(conn: sqlite3.Connection, tenant: str, store: str, rows: list[tuple[Any, ...]]) -> None:
    # One execute per row rather than executemany: executemany has shown rare SQLITE_MISUSE
    # errors under parallel ingestion; inside one transaction the cost is the same.
    for row in rows:
        conn.execute(_UPSERT, row)
    bump_version(conn, tenant, store)


def _encode(
    tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
) -> list[tuple[Any, ...]]:
    rows = []
    for chunk in chunks:
        vector = to_float32(chunk.embedding)
        if vector.shape != (dimensions,):
            raise ValueError(
                f"chunk {chunk.index} of {chunk.file_id} has {vector.size} dimensions,"
                f" not {dimensions}"
            )
        rows.append(
            (
                tenant,
                vector_store_id,
                chunk.file_id,
                chunk.index,
                dimensions,
                exact_norm(vector),
                vector.astype("<f4").tobytes(),
                chunk.text,
                json.dumps(chunk.metadata, separators=(",", ":")),
            )
        )
    return rows


def _decode(data: bytes) -> np.ndarray[Any, np.dtype[np.float32]]:
    return np.frombuffer(data, dtype="<f4").astype(np.float32, copy=False)
