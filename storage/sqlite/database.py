"""A SQLite file opened by this process: one writer connection and a few reader connections.

WAL mode lets readers proceed while a write is in progress, so reads go to whichever reader
connection is idle; all of this process's writes go through the single writer connection, which
serialises them without contending for the file lock among themselves. Other processes opening the
same file coordinate through SQLite's own locks (``busy_timeout``).
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from storage.errors import StorageError
from storage.sqlite.connection import Connection
from storage.sqlite.schema import check_filterable, migrate

T = TypeVar("T")


class Database:
    def __init__(self, path: Path, *, busy_timeout_ms: int = 5000, readers: int = 2) -> None:
        self.path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._writer = Connection(
            path, busy_timeout_ms=busy_timeout_ms, read_only=False, name="sqlite-writer"
        )
        self._readers = [
            Connection(
                path, busy_timeout_ms=busy_timeout_ms, read_only=True, name=f"sqlite-reader{i}"
            )
            for i in range(readers)
        ]
        self._idle: asyncio.Queue[Connection] = asyncio.Queue()
        self.schema_version_found = 0

    async def open(self) -> None:
        """Create the folder and file if needed, migrate the schema, open the readers."""
        check_filterable()
        try:
            await asyncio.to_thread(self.path.parent.mkdir, parents=True, exist_ok=True)
        except OSError as error:
            raise StorageError(
                f"cannot create the folder of the SQLite file {self.path}: {error.strerror}"
            ) from error
        await self._writer.open()
        self.schema_version_found = await self._writer.run(
            lambda conn: migrate(conn, self._busy_timeout_ms)
        )
        for reader in self._readers:
            await reader.open()
            self._idle.put_nowait(reader)

    async def read(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` on an idle reader connection (each statement sees the latest commit)."""
        reader = await self._idle.get()
        try:
            return await reader.run(fn)
        finally:
            self._idle.put_nowait(reader)

    async def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` in one write transaction: all of its changes commit, or none."""
        return await self._writer.transaction(fn)

    async def close(self) -> None:
        for reader in self._readers:
            await reader.close()
        await self._writer.close()
