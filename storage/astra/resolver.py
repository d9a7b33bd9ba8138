"""Which Astra database serves a token: found by name (or given), created, resumed, or waited for.

Nothing here sleeps or polls: a database that is not ACTIVE yet answers ``DatabaseNotReady`` with a
``retry_after`` (the server turns it into 503 + Retry-After), after starting whatever will make it
ready: creating it, adding the keyspace, or waking it from hibernation. Astra documents no "resume"
call; any request to the database wakes it, and the DevOps keyspace call (the one the service this
project replaces used) is such a request that is also harmless: it ensures our keyspace.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import time
from dataclasses import dataclass

from storage.astra.devops import Database, DevOpsClient
from storage.errors import DatabaseNotReady, StorageError, StorageUnavailable, TenantAuthError
from storage.settings import AstraSettings

log = logging.getLogger(__name__)

LOOKUP_TTL_SECONDS = 60.0
# Seconds to tell the client to wait, by database status.
RETRY_AFTER = {
    "HIBERNATED": 30,
    "HIBERNATING": 30,
    "RESUMING": 15,
    "PENDING": 60,
    "PREPARING": 60,
    "PREPARED": 30,
    "INITIALIZING": 30,
    "MAINTENANCE": 10,
    "ASSOCIATING": 10,
    "RESIZING": 30,
    "PARKING": 60,
    "PARKED": 60,
    "UNPARKING": 30,
    "DECOMMISSIONING": 60,
    "DEGRADED": 15,
    "SYNCHRONIZING": 15,
    "UNKNOWN": 30,
}
GONE = frozenset({"TERMINATING", "TERMINATED"})
_DB_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")


@dataclass(frozen=True, slots=True)
class ActiveDatabase:
    id: str
    name: str


def token_key(token: str) -> str:
    """A cache key for a token that is not the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


class DatabaseResolver:
    def __init__(self, devops: DevOpsClient, settings: AstraSettings) -> None:
        self._devops = devops
        self._settings = settings
        self._cache: dict[tuple[str, str], tuple[float, ActiveDatabase]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._resumed: dict[str, float] = {}  # db id -> when another resume may be triggered

    async def resolve(self, token: str, db_id: str | None) -> ActiveDatabase:
        """The tenant's ACTIVE database (with our keyspace), or ``DatabaseNotReady``."""
        if db_id is not None and not _DB_ID.match(db_id):
            raise TenantAuthError("the astra-db-id header is not a database id")
        cache_key = (token_key(token), db_id or "")
        hit = self._cache.get(cache_key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        lock = self._locks.setdefault(cache_key[0], asyncio.Lock())
        async with lock:  # one lookup (and at most one create) per token at a time
            hit = self._cache.get(cache_key)
            if hit is not None and hit[0] > time.monotonic():
                return hit[1]
            db = await (self._by_id(token, db_id) if db_id else self._by_name(token))
            active = await self._ready(token, db)
            self._cache[cache_key] = (time.monotonic() + LOOKUP_TTL_SECONDS, active)
            return active

    def forget(self, token: str, db_id: str | None = None) -> None:
        """Drop cached lookups for a token (after its database refused a connection)."""
        key = token_key(token)
        for cached in [k for k in self._cache if k[0] == key]:
            if db_id is None or cached[1] in ("", db_id):
                del self._cache[cached]

    async def _by_id(self, token: str, db_id: str) -> Database:
        db = await self._devops.get_database(token, db_id)
        if db is None or db.get("status") in GONE:
            raise TenantAuthError("the astra-api-token has no database with that astra-db-id")
        return db

    async def _by_name(self, token: str) -> Database:
        name = self._settings.db_name
        found = [
            db
            for db in await self._devops.list_databases(token)
            if (db.get("info") or {}).get("name") == name
        ]
        live = [db for db in found if db.get("status") not in GONE]
        if live:
            # Several databases of that name: prefer an ACTIVE one, else the oldest.
            live.sort(key=lambda db: (db.get("status") != "ACTIVE", str(db.get("creationTime"))))
            return live[0]
        if found:
            raise DatabaseNotReady(
                f"database {name} is being terminated; retry later", retry_after=60
            )
        s = self._settings
        db_id = await self._devops.create_database(
            token, name, s.keyspace, s.region, s.cloud_provider
        )
        raise DatabaseNotReady(f"creating database {name} ({db_id}); retry later", retry_after=60)

    async def _ready(self, token: str, db: Database) -> ActiveDatabase:
        db_id = str(db.get("id", ""))
        info = db.get("info") or {}
        status = str(db.get("status", "UNKNOWN")).upper()
        if status == "ACTIVE":
            keyspaces = {info.get("keyspace"), *(info.get("keyspaces") or ())}
            keyspaces.update(info.get("additionalKeyspaces") or ())
            if self._settings.keyspace not in keyspaces:
                await self._add_keyspace(token, db_id)
                raise DatabaseNotReady(
                    f"adding keyspace {self._settings.keyspace}; retry later", retry_after=10
                )
            return ActiveDatabase(db_id, str(info.get("name", "")))
        if status == "HIBERNATED" and self._resumed.get(db_id, 0.0) < time.monotonic():
            log.info("resuming hibernated Astra database %s", db_id)
            self._resumed[db_id] = time.monotonic() + RETRY_AFTER["HIBERNATED"]
            await self._add_keyspace(token, db_id)
        if status == "ERROR":
            raise StorageUnavailable(f"database {db_id} is in an error state", retry_after=60)
        raise DatabaseNotReady(
            f"database {db_id} is {status.lower()}; retry later",
            retry_after=RETRY_AFTER.get(status, 30),
        )

    async def _add_keyspace(self, token: str, db_id: str) -> None:
        """Ask for our keyspace (which also wakes a hibernated database)."""
        try:
            await self._devops.create_keyspace(token, db_id, self._settings.keyspace)
        except (TenantAuthError, StorageUnavailable):
            raise
        except StorageError as exc:
            # e.g. "database is not in a valid state": the database is changing state already.
            log.info("Astra keyspace request for %s not accepted: %s", db_id, exc)
