"""Astra DB mode: per-request tenant databases, reached through the Cassandra backend."""

from storage.astra.provider import AstraProvider

__all__ = ["AstraProvider"]
