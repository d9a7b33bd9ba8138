"""Choose and build the storage backend from the store URL, importing only the driver it needs."""

from __future__ import annotations

from storage.base import StoreProvider
from storage.settings import (
    AstraSettings,
    CassandraSettings,
    SqliteSettings,
    StoreSettings,
    parse_store_url,
)


def open_store(url: str) -> StoreProvider:
    """A provider for ``url`` (not started yet: the caller awaits ``start()`` in its lifespan)."""
    return provider_for(parse_store_url(url))


def provider_for(settings: StoreSettings) -> StoreProvider:
    if isinstance(settings, SqliteSettings):
        from storage.sqlite.provider import SqliteProvider

        return SqliteProvider(settings)
    if isinstance(settings, CassandraSettings):
        from storage.cassandra.provider import CassandraProvider

        return CassandraProvider(settings)
    if isinstance(settings, AstraSettings):
        from storage.astra.provider import AstraProvider

        return AstraProvider(settings)
    raise TypeError(f"unsupported store settings {type(settings).__name__}")
