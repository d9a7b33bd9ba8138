"""One sqlite3 connection confined to its own thread, driven from asyncio.

sqlite3 calls block (disk I/O, waiting on another process's lock for up to ``busy_timeout``), so
every call runs on a thread owned by the connection (``storage.sqlite.lane``); the event loop only
awaits.
Confining a connection to one thread also satisfies sqlite3's ``check_same_thread``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from storage.errors import StorageError, StorageUnavailable
from storage.sqlite.lane import Lane

T = TypeVar("T")

# Error names (sqlite3.Error.sqlite_errorname) that mean "try again later" rather than "bug".
_TRANSIENT = ("SQLITE_BUSY", "SQLITE_LOCKED", "SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN")


class Connection:
    """A connection plus the one thread that may touch it."""

    def __init__(self, path: Path, *, busy_timeout_ms: int, read_only: bool, name: str) -> None:
        self._path = path
        self._busy_timeout_ms = busy_timeout_ms
        self._read_only = read_only
        self._lane = Lane(name)
        self._conn: sqlite3.Connection | None = None
        self._closed = False

    async def open(self) -> None:
        await self._submit(self._open)

    def _open(self) -> None:
        # isolation_level=None: no implicit transactions; writers say BEGIN IMMEDIATE themselves.
        try:
            conn = sqlite3.connect(
                self._path, isolation_level=None, timeout=self._busy_timeout_ms / 1000
            )
        except sqlite3.Error as error:
            raise translate(error) from error
        # NORMAL survives process crashes in WAL mode; only an OS crash can lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        # Truncate the WAL after checkpoints so it does not stay huge after a large blob upload.
        conn.execute("PRAGMA journal_size_limit = 67108864")
        if self._read_only:
            conn.execute("PRAGMA query_only = 1")
        self._conn = conn

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the connection's thread, outside any explicit transaction."""
        return await self._submit(lambda: self._call(fn))

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; an exception rolls it all back."""
        return await self._submit(lambda: self._call(lambda conn: _retried(conn, fn)))

    async def close(self) -> None:
        if self._closed:
            return
        if self._conn is not None:
            await self._submit(self._conn.close)
            self._conn = None
        self._closed = True
        self._lane.stop()

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        if self._conn is None:
            raise StorageUnavailable("the SQLite store is not open")
        try:
            return fn(self._conn)
        except sqlite3.Error as error:
            raise translate(error) from error

    async def _submit(self, fn: Callable[[], T]) -> T:
        if self._closed:
            raise StorageUnavailable("the SQLite store is closed")
        return await self._lane.run(fn)


def _retried(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """The transaction, once more if sqlite3 reported API misuse for it.

    Under parallel ingestion CPython's sqlite3 very rarely reports SQLITE_MISUSE ("bad parameter
    or other API misuse") for a well-formed statement; the transaction was rolled back, so running
    it again is safe, and it succeeds.
    """
    try:
        return in_transaction(conn, fn)
    except sqlite3.InterfaceError:
        return in_transaction(conn, fn)


def in_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    """``fn`` under an immediate (write-locking) transaction, committed only if it returns."""
    # IMMEDIATE takes the write lock up front: a deferred transaction that later upgrades can fail
    # with SQLITE_BUSY without waiting, when another process holds the lock.
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    return result


def translate(error: sqlite3.Error) -> StorageError:
    """A storage error whose message is safe to show; the original stays chained for logs."""
    name = getattr(error, "sqlite_errorname", "") or ""
    if name.startswith(_TRANSIENT):
        return StorageUnavailable("the SQLite store is busy or unavailable", retry_after=1)
    return StorageError("SQLite store error")
