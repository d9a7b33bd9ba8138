"""``AstraProvider``: each request's ``astra-api-token`` selects the tenant's own Astra database.

Flow per request: resolve the database (``resolver``: cached a minute per token), then the session
for (token, database) from the LRU+TTL ``SessionCache``; a first use downloads the secure connect
bundle (cached on disk by database id), connects with ``PlainTextAuthProvider("token", token)``
and checks the schema (tables only: Astra creates keyspaces through the DevOps API).

The connect step is injectable (``connector``) so tests can point the same code at a local node.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

import httpx
from cassandra import ProtocolVersion
from cassandra.auth import PlainTextAuthProvider
from cassandra.cluster import Cluster

from storage.astra.devops import DevOpsClient
from storage.astra.resolver import ActiveDatabase, DatabaseResolver, token_key
from storage.astra.sessions import SessionCache
from storage.base import Store
from storage.cassandra.cluster import new_cluster
from storage.cassandra.store import DEFAULT_CHUNK_DIMENSIONS, CassandraStore, open_store
from storage.cassandra.translate import translate
from storage.errors import StorageUnavailable, TenantAuthError
from storage.settings import AstraSettings

log = logging.getLogger(__name__)

# (token, database id, bundle path) -> a Cluster, not yet connected.
Connector = Callable[[str, str, Path], Awaitable[Cluster]]


def bundle_connector(settings: AstraSettings) -> Connector:
    async def connect(token: str, db_id: str, bundle: Path) -> Cluster:
        # Cluster(cloud=...) reads the bundle and calls its metadata service: not on the loop.
        return await asyncio.to_thread(
            new_cluster,
            consistency=settings.consistency,
            serial_consistency="LOCAL_SERIAL",
            timeout=settings.timeout,
            bundle=bundle,
            auth_provider=PlainTextAuthProvider("token", token),
            protocol_version=ProtocolVersion.V4,
        )

    return connect


class AstraProvider:
    def __init__(
        self,
        settings: AstraSettings,
        *,
        connector: Connector | None = None,
        bundle_dir: Path | None = None,
        http: httpx.AsyncClient | None = None,
        chunk_dimensions: Sequence[int] = DEFAULT_CHUNK_DIMENSIONS,
    ) -> None:
        self._settings = settings
        self._connector = connector or bundle_connector(settings)
        self._bundle_dir = bundle_dir or Path(tempfile.gettempdir()) / "assistants-astra-bundles"
        self._http = http
        self._owns_http = http is None
        self._chunk_dimensions = tuple(chunk_dimensions)
        self._devops: DevOpsClient | None = None
        self._resolver: DatabaseResolver | None = None
        self._sessions = SessionCache(
            settings.session_cache_size, settings.session_ttl, grace=2 * settings.timeout
        )
        self._bundle_locks: dict[str, asyncio.Lock] = {}

    async def start(self) -> None:
        if self._resolver is not None:
            return
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._settings.timeout)
        self._devops = DevOpsClient(self._settings.devops_url, self._http)
        self._resolver = DatabaseResolver(self._devops, self._settings)

    async def for_request(self, astra_token: str | None, astra_db_id: str | None) -> Store:
        if self._resolver is None:
            raise StorageUnavailable("the Astra provider is not started", retry_after=5)
        if not astra_token:
            raise TenantAuthError("astra mode needs the astra-api-token header")
        db = await self._resolver.resolve(astra_token, astra_db_id or None)
        key = (token_key(astra_token), db.id)
        try:
            return await self._sessions.get(key, lambda: self._open(astra_token, db))
        except TenantAuthError:
            self._resolver.forget(astra_token)
            raise

    async def healthy(self) -> bool:
        return self._resolver is not None

    async def close(self) -> None:
        await self._sessions.close()
        if self._owns_http and self._http is not None:
            await self._http.aclose()
        self._http = None
        self._resolver = None

    @property
    def open_sessions(self) -> int:
        return len(self._sessions)

    def bundle_path(self, db_id: str) -> Path:
        return self._bundle_dir / f"{db_id}.zip"

    async def _open(self, token: str, db: ActiveDatabase) -> tuple[CassandraStore, Cluster]:
        bundle = await self._bundle(token, db.id)
        cluster = await self._connector(token, db.id, bundle)
        try:
            store = await open_store(
                cluster,
                self._settings.keyspace,
                None,
                chunk_dimensions=self._chunk_dimensions,
                tenant_auth=True,
            )
        except BaseException as exc:
            await asyncio.to_thread(cluster.shutdown)
            if not isinstance(exc, Exception):
                raise
            error = translate(exc, tenant_auth=True)
            if not isinstance(error, TenantAuthError):
                # Maybe a stale bundle (rotated certificates): fetch a fresh one next time.
                self.bundle_path(db.id).unlink(missing_ok=True)
            raise error from None
        log.info("connected to Astra database %s", db.id)
        return store, cluster

    async def _bundle(self, token: str, db_id: str) -> Path:
        path = self.bundle_path(db_id)
        if path.exists():
            return path
        devops = self._devops
        if devops is None:
            raise StorageUnavailable("the Astra provider is not started", retry_after=5)
        async with self._bundle_locks.setdefault(db_id, asyncio.Lock()):
            if not path.exists():
                url = await devops.bundle_url(token, db_id)
                await devops.download(url, path)
        return path


__all__ = ["AstraProvider", "Connector", "bundle_connector"]
