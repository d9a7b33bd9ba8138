"""The chunk tables' vector index: its graph-build parameters, where the node allows them."""

from __future__ import annotations

import asyncio
from typing import Any

from cassandra import InvalidRequest
from cassandra.cluster import Session

from storage.cassandra import schema
from storage.cassandra.store import CassandraStore

# What Cassandra 5.0 answers when the node was started without
# -Dcassandra.sai.vector.allow_custom_parameters=true.
REFUSAL = (
    "Construction beam width cannot be set without enabling SAI_VECTOR_ALLOW_CUSTOM_PARAMETERS"
)


class RefusingNode:
    """The real session, except that index options beyond the defaults are refused."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self.refused = 0

    def execute(self, cql: str, *args: Any, **kwargs: Any) -> Any:
        if "construction_beam_width" in cql:
            self.refused += 1
            raise InvalidRequest(REFUSAL)
        return self._session.execute(cql, *args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


async def index_options(store: CassandraStore, dimensions: int) -> dict[str, str]:
    row = await store.cql.one(
        "SELECT options FROM system_schema.indexes"
        " WHERE keyspace_name = ? AND table_name = ? AND index_name = ?",
        (store.keyspace, f"chunks_d{dimensions}", f"chunks_d{dimensions}_embedding"),
    )
    assert row is not None
    return dict(row[0])


async def test_the_vector_index_searches_fewer_candidates_per_insert(
    cql_store: CassandraStore,
) -> None:
    """scripts/cassandra starts the node allowing it, so the index takes the lower beam width."""
    await cql_store.chunks.tables.ensure(7)  # type: ignore[attr-defined]
    options = await index_options(cql_store, 7)
    assert options["construction_beam_width"] == "40"
    assert options["similarity_function"] == "dot_product"


async def test_a_node_refusing_the_parameters_gets_its_default_index(
    cql_store: CassandraStore,
) -> None:
    node = RefusingNode(cql_store.cql.driver_session)
    similarity = await asyncio.to_thread(
        schema.ensure_chunk_table,
        node,  # type: ignore[arg-type]
        cql_store.keyspace,
        9,
    )
    assert node.refused == 1 and similarity == "dot_product"
    options = await index_options(cql_store, 9)
    assert "construction_beam_width" not in options
    assert options["similarity_function"] == "dot_product"
