"""File bytes on CQL: 1 MiB parts, published by a manifest row written last.

Each write gets a fresh generation (a timeuuid). Its parts go to ``blob_parts`` partitions of
``PARTS_PER_BUCKET`` parts each (64 MiB: big files never make one huge partition), with at most
``WRITE_CONCURRENCY`` parts in flight, so memory stays near ``(WRITE_CONCURRENCY + 1) * PART_SIZE``
whatever the file size. Only when every part is stored does the ``blobs`` manifest point at the
generation; a failed write deletes its parts and leaves the previous manifest (if any) untouched.
Reads follow the manifest and prefetch one part ahead.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from storage.cassandra.patience import patiently
from storage.cassandra.session import CqlSession
from storage.errors import BlobNotFound, StorageError

log = logging.getLogger(__name__)

PART_SIZE = 1 << 20
PARTS_PER_BUCKET = 64
WRITE_CONCURRENCY = 4
# A part or manifest write the node refused (busy, or stalled behind a flush) is sent again for
# this long before the upload fails: the same insert twice writes the same cells.
WRITE_PATIENCE = 60.0


class CassandraBlobStore:
    def __init__(self, cql: CqlSession, keyspace: str) -> None:
        self._cql = cql
        ks = keyspace
        self._manifest_get = (
            f"SELECT gen, size, parts FROM {ks}.blobs WHERE tenant = ? AND blob_id = ?"
        )
        self._manifest_put = (
            f"INSERT INTO {ks}.blobs (tenant, blob_id, gen, size, parts, part_size) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        self._manifest_delete = f"DELETE FROM {ks}.blobs WHERE tenant = ? AND blob_id = ?"
        self._part_put = (
            f"INSERT INTO {ks}.blob_parts (tenant, blob_id, gen, bucket, seq, data) "
            "VALUES (?, ?, ?, ?, ?, ?)"
        )
        self._part_get = (
            f"SELECT data FROM {ks}.blob_parts "
            "WHERE tenant = ? AND blob_id = ? AND gen = ? AND bucket = ? AND seq = ?"
        )
        self._bucket_delete = (
            f"DELETE FROM {ks}.blob_parts "
            "WHERE tenant = ? AND blob_id = ? AND gen = ? AND bucket = ?"
        )

    async def write(self, tenant: str, blob_id: str, chunks: AsyncIterator[bytes]) -> int:
        gen = uuid.uuid1()
        pending: set[asyncio.Future[Any]] = set()
        buffer = bytearray()
        size = seq = 0
        try:
            async for piece in chunks:
                buffer += piece
                size += len(piece)
                while len(buffer) >= PART_SIZE:
                    await self._submit(
                        pending, (tenant, blob_id, gen, seq, bytes(buffer[:PART_SIZE]))
                    )
                    del buffer[:PART_SIZE]
                    seq += 1
            if buffer:
                await self._submit(pending, (tenant, blob_id, gen, seq, bytes(buffer)))
                seq += 1
                buffer = bytearray()
            await _drain(pending)
            old = await patiently(
                lambda: self._cql.one(self._manifest_get, (tenant, blob_id)), WRITE_PATIENCE
            )
            manifest = (tenant, blob_id, gen, size, seq, PART_SIZE)
            await patiently(lambda: self._cql.execute(self._manifest_put, manifest), WRITE_PATIENCE)
        except BaseException:
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
            await self._drop_parts(tenant, blob_id, gen, seq)
            raise
        if old is not None and old[0] != gen:
            await self._drop_parts(tenant, blob_id, old[0], int(old[2]))
        return size

    async def read(self, tenant: str, blob_id: str) -> AsyncIterator[bytes]:
        manifest = await self._cql.one(self._manifest_get, (tenant, blob_id))
        if manifest is None:
            raise BlobNotFound(f"no stored bytes for {blob_id}")
        gen, _size, parts = manifest
        upcoming: asyncio.Task[bytes] | None = None
        try:
            for seq in range(int(parts)):
                current = upcoming or asyncio.ensure_future(self._part(tenant, blob_id, gen, seq))
                upcoming = None
                if seq + 1 < parts:
                    upcoming = asyncio.ensure_future(self._part(tenant, blob_id, gen, seq + 1))
                yield await current
        finally:
            if upcoming is not None:
                upcoming.cancel()
                await asyncio.gather(upcoming, return_exceptions=True)

    async def delete(self, tenant: str, blob_id: str) -> None:
        manifest = await self._cql.one(self._manifest_get, (tenant, blob_id))
        if manifest is None:
            return
        await self._cql.execute(self._manifest_delete, (tenant, blob_id))
        await self._drop_parts(tenant, blob_id, manifest[0], int(manifest[2]))

    async def _part(self, tenant: str, blob_id: str, gen: uuid.UUID, seq: int) -> bytes:
        row = await self._cql.one(
            self._part_get, (tenant, blob_id, gen, seq // PARTS_PER_BUCKET, seq)
        )
        if row is None or row[0] is None:
            raise BlobNotFound(f"the stored bytes of {blob_id} were deleted while being read")
        return bytes(row[0])

    async def _submit(
        self, pending: set[asyncio.Future[Any]], part: tuple[str, str, uuid.UUID, int, bytes]
    ) -> None:
        while len(pending) >= WRITE_CONCURRENCY:
            done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                pending.discard(task)
                task.result()
        tenant, blob_id, gen, seq, data = part
        params = (tenant, blob_id, gen, seq // PARTS_PER_BUCKET, seq, data)
        put = patiently(lambda: self._cql.execute(self._part_put, params), WRITE_PATIENCE)
        pending.add(asyncio.ensure_future(put))

    async def _drop_parts(self, tenant: str, blob_id: str, gen: uuid.UUID, parts: int) -> None:
        """Delete the partitions of one generation; a failure leaves unreadable garbage only."""
        buckets = range((parts + PARTS_PER_BUCKET - 1) // PARTS_PER_BUCKET) if parts else range(1)
        try:
            await asyncio.gather(
                *(
                    self._cql.execute(self._bucket_delete, (tenant, blob_id, gen, b))
                    for b in buckets
                )
            )
        except StorageError as exc:
            log.warning("could not delete the parts of an unpublished blob: %s", exc)


async def _drain(pending: set[asyncio.Future[Any]]) -> None:
    while pending:
        done, _ = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            pending.discard(task)
            task.result()
