"""File bytes as fixed-size parts, written so that a blob is visible only once complete.

A write registers a new *generation* in ``blob_uploads``, commits its parts one small transaction
at a time (an upload can be slow; holding the write lock for its whole duration would stall every
other writer), then publishes it in one transaction that points ``blobs`` at the new generation
and drops the old one's parts. If the upload fails, its parts are deleted; if the process dies
mid-upload, ``collect_abandoned`` removes the leftovers at the next start.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator
from functools import partial

from storage.errors import BlobNotFound
from storage.sqlite.database import Database

PART_SIZE = 1024 * 1024
# An upload older than this is considered abandoned by a dead process.
ABANDONED_AFTER_SECONDS = 24 * 3600


class SqliteBlobs:
    def __init__(self, db: Database, part_size: int = PART_SIZE) -> None:
        self._db = db
        self._part_size = part_size

    async def write(self, tenant: str, blob_id: str, chunks: AsyncIterator[bytes]) -> int:
        generation = await self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO blob_uploads (tenant, blob_id, started_at) VALUES (?, ?, ?)"
                " RETURNING generation",
                (tenant, blob_id, time.time()),
            ).fetchone()[0]
        )
        try:
            size, parts = await self._write_parts(generation, chunks)
            await self._db.write(
                lambda conn: _publish(conn, tenant, blob_id, generation, size, parts)
            )
        except BaseException:
            # Shielded so that a cancelled upload still removes its parts.
            await asyncio.shield(self._db.write(lambda conn: _drop_generation(conn, generation)))
            raise
        return size

    async def _write_parts(self, generation: int, chunks: AsyncIterator[bytes]) -> tuple[int, int]:
        buffer = bytearray()
        size = parts = 0
        async for chunk in chunks:
            buffer += chunk
            size += len(chunk)
            offset = 0
            with memoryview(buffer) as view:
                while len(buffer) - offset >= self._part_size:
                    part = bytes(view[offset : offset + self._part_size])
                    await self._put_part(generation, parts, part)
                    offset += self._part_size
                    parts += 1
            # One move of the remainder per input chunk, not one per part.
            del buffer[:offset]
        if buffer:
            await self._put_part(generation, parts, bytes(buffer))
            parts += 1
        return size, parts

    async def _put_part(self, generation: int, seq: int, data: bytes) -> None:
        await self._db.write(
            lambda conn: conn.execute(
                "INSERT INTO blob_parts (generation, seq, data) VALUES (?, ?, ?)",
                (generation, seq, data),
            )
        )

    async def read(self, tenant: str, blob_id: str) -> AsyncIterator[bytes]:
        row = await self._db.read(
            lambda conn: conn.execute(
                "SELECT generation, parts FROM blobs WHERE tenant = ? AND blob_id = ?",
                (tenant, blob_id),
            ).fetchone()
        )
        if row is None:
            raise BlobNotFound(f"no stored bytes for {blob_id}")
        generation, parts = row
        for seq in range(parts):
            part = await self._db.read(partial(_part, generation=generation, seq=seq))
            if part is None:
                # Deleted or replaced while being read.
                raise BlobNotFound(f"the bytes of {blob_id} were removed while being read")
            yield part

    async def delete(self, tenant: str, blob_id: str) -> None:
        await self._db.write(lambda conn: _unpublish(conn, tenant, blob_id))

    async def collect_abandoned(self, older_than: float = ABANDONED_AFTER_SECONDS) -> int:
        """Delete the parts of uploads that never finished; return how many uploads were dropped."""
        return await self._db.write(lambda conn: _collect(conn, time.time() - older_than))


def _part(conn: sqlite3.Connection, generation: int, seq: int) -> bytes | None:
    row = conn.execute(
        "SELECT data FROM blob_parts WHERE generation = ? AND seq = ?", (generation, seq)
    ).fetchone()
    return None if row is None else bytes(row[0])


def _publish(
    conn: sqlite3.Connection, tenant: str, blob_id: str, generation: int, size: int, parts: int
) -> None:
    _unpublish(conn, tenant, blob_id)
    conn.execute(
        "INSERT INTO blobs (tenant, blob_id, generation, size, parts) VALUES (?, ?, ?, ?, ?)",
        (tenant, blob_id, generation, size, parts),
    )
    conn.execute("DELETE FROM blob_uploads WHERE generation = ?", (generation,))


def _unpublish(conn: sqlite3.Connection, tenant: str, blob_id: str) -> None:
    row = conn.execute(
        "DELETE FROM blobs WHERE tenant = ? AND blob_id = ? RETURNING generation", (tenant, blob_id)
    ).fetchone()
    if row is not None:
        conn.execute("DELETE FROM blob_parts WHERE generation = ?", (row[0],))


def _drop_generation(conn: sqlite3.Connection, generation: int) -> None:
    # No upload row means the generation was published (the caller was cancelled after the commit).
    if conn.execute(
        "DELETE FROM blob_uploads WHERE generation = ? RETURNING generation", (generation,)
    ).fetchone():
        conn.execute("DELETE FROM blob_parts WHERE generation = ?", (generation,))


def _collect(conn: sqlite3.Connection, cutoff: float) -> int:
    stale = [
        g
        for (g,) in conn.execute(
            "SELECT generation FROM blob_uploads WHERE started_at < ?", (cutoff,)
        )
    ]
    for generation in stale:
        _drop_generation(conn, generation)
    return len(stale)
