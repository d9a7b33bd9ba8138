"""File chunks with float32 embeddings, searched by exact cosine similarity with numpy.

A search scans the chunks of each requested vector store through the primary key (so in
vector store id, file id, chunk index order - the tie-break order) in batches, inside one read
transaction so that the scan and the final lookup of the winners see the same snapshot.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
from collections.abc import Collection, Sequence
from typing import Any

import numpy as np

from storage.base import Chunk, Hit
from storage.sqlite.database import Database
from storage.sqlite.topk import CosineTopK, exact_norm, to_float32

# Rows per numpy batch: ~12 MiB of 1536-float embeddings, so a search's memory stays flat.
SEARCH_BATCH = 2048

_UPSERT = """
    INSERT INTO chunks
        (tenant, vector_store_id, file_id, idx, dimensions, norm, embedding, text, metadata)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
    ON CONFLICT (tenant, vector_store_id, file_id, idx) DO UPDATE SET
        dimensions = excluded.dimensions, norm = excluded.norm, embedding = excluded.embedding,
        text = excluded.text, metadata = excluded.metadata"""


class SqliteChunks:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add(
        self, tenant: str, vector_store_id: str, chunks: Sequence[Chunk], dimensions: int
    ) -> None:
        if not chunks:
            return
        # Encoding (exact norms of every embedding) is CPU work: keep it off the event loop.
        rows = await asyncio.to_thread(_encode, tenant, vector_store_id, chunks, dimensions)
        await self._db.write(lambda conn: _insert(conn, rows))

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
        await self._db.write(
            lambda conn: conn.execute(
                "DELETE FROM chunks WHERE tenant = ? AND vector_store_id = ? AND file_id = ?",
                (tenant, vector_store_id, file_id),
            )
        )

    async def delete_store(self, tenant: str, vector_store_id: str) -> None:
        await self._db.write(
            lambda conn: conn.execute(
                "DELETE FROM chunks WHERE tenant = ? AND vector_store_id = ?",
                (tenant, vector_store_id),
            )
        )

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
        files = None if file_ids is None else json.dumps(sorted(set(file_ids)))
        return await self._db.read(lambda conn: _search(conn, tenant, stores, files, top))


def _search(
    conn: sqlite3.Connection, tenant: str, stores: list[str], files: str | None, top: CosineTopK
) -> list[Hit]:
    sql = (
        "SELECT rowid, norm, embedding FROM chunks"
        " WHERE tenant = ? AND vector_store_id = ? AND dimensions = ?"
        + (" AND file_id IN (SELECT value FROM json_each(?))" if files is not None else "")
        + " ORDER BY file_id, idx"
    )
    conn.execute("BEGIN")
    try:
        ordinal = 0
        for store in stores:
            params: list[Any] = [tenant, store, top.dimensions]
            if files is not None:
                params.append(files)
            cursor = conn.execute(sql, params)
            while rows := cursor.fetchmany(SEARCH_BATCH):
                keys = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
                norms = np.fromiter((r[1] for r in rows), dtype=np.float64, count=len(rows))
                vectors = _decode(b"".join(r[2] for r in rows)).reshape(len(rows), top.dimensions)
                top.offer(keys, norms, vectors, ordinal)
                ordinal += len(rows)
        return _hits(conn, top.best())
    finally:
        # A read-only snapshot: ending it by rollback also works when a cursor is still open.
        conn.execute("ROLLBACK")


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


def _insert(conn: sqlite3.Connection, rows: list[tuple[Any, ...]]) -> None:
    # One execute per row rather than executemany: executemany has shown rare SQLITE_MISUSE
    # errors under parallel ingestion; inside one transaction the cost is the same.
    for row in rows:
        conn.execute(_UPSERT, row)


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
