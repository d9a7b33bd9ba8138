"""The embedded store: one SQLite file serving every tenant of one operator."""

from __future__ import annotations

import logging

from storage.base import BlobStore, ChunkIndex, DocumentStore
from storage.errors import StorageError
from storage.settings import SqliteSettings
from storage.sqlite.blobs import SqliteBlobs
from storage.sqlite.chunks import SqliteChunks
from storage.sqlite.database import Database
from storage.sqlite.documents import SqliteDocuments
from storage.sqlite.schema import LATEST_VERSION

log = logging.getLogger(__name__)


class SqliteStore:
    """The ``Store`` of one SQLite file; every key's ``tenant`` column keeps tenants apart."""

    def __init__(self, db: Database) -> None:
        self.docs: DocumentStore = SqliteDocuments(db)
        self.blobs: BlobStore = SqliteBlobs(db)
        self.chunks: ChunkIndex = SqliteChunks(db)


class SqliteProvider:
    """``StoreProvider`` for ``sqlite://`` URLs; ``for_request`` always returns the one store."""

    def __init__(self, settings: SqliteSettings) -> None:
        self.settings = settings
        self._db = Database(
            settings.path, busy_timeout_ms=settings.busy_timeout_ms, readers=settings.readers
        )
        self._store = SqliteStore(self._db)
        self._started = False

    async def start(self) -> None:
        try:
            await self._db.open()
        except BaseException:
            await self._db.close()
            raise
        self._started = True
        dropped = await SqliteBlobs(self._db).collect_abandoned()
        if dropped:
            log.info("removed %d abandoned blob uploads", dropped)
        if self._db.schema_version_found < LATEST_VERSION:
            log.info(
                "sqlite schema at %s migrated from v%d to v%d",
                self.settings.path,
                self._db.schema_version_found,
                LATEST_VERSION,
            )

    async def for_request(self, astra_token: str | None, astra_db_id: str | None) -> SqliteStore:
        if not self._started:
            raise StorageError("the SQLite store has not been started")
        return self._store

    async def healthy(self) -> bool:
        if not self._started:
            return False
        try:
            await self._db.read(lambda conn: conn.execute("SELECT 1").fetchone())
        except StorageError:
            return False
        return True

    async def close(self) -> None:
        if self._started:
            self._started = False
            await self._db.close()
