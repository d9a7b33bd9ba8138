"""Apache Cassandra 5 storage backend; ``storage.astra`` reuses it for Astra DB."""

from storage.cassandra.provider import CassandraProvider
from storage.cassandra.store import CassandraStore

__all__ = ["CassandraProvider", "CassandraStore"]
