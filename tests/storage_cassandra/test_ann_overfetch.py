"""How many candidates an ANN search asks the index for, by the store's size.

Measured on a 100,000 x 1536 store after a major compaction (bench/vector_bench.py --reuse):
recall@10 0.877 with 10 more candidates than asked, 0.979 with 40; stores of 10,000-20,000 chunks
measured 1.000 with 10. The compaction takes half an hour, so the suite checks the query sent.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.cassandra.chunk_tables import chunk_cql
from storage.cassandra.chunks import CassandraChunkIndex


class AnnCql:
    def __init__(self) -> None:
        self.limits: list[int] = []

    async def rows(self, statement: str, params: Any, profile: Any = None) -> list[Any]:
        assert "ANN OF" in statement
        self.limits.append(params[-1])
        return []


@pytest.mark.parametrize(
    ("rows", "expected"),
    [(15_000, 30), (20_000, 30), (20_001, 60), (100_000, 60)],
)
def test_a_large_store_is_asked_for_more_candidates(
    monkeypatch: pytest.MonkeyPatch, rows: int, expected: int
) -> None:
    cql = AnnCql()
    index = CassandraChunkIndex(cql, "ks")  # type: ignore[arg-type]

    async def dimensions(tenant: str, store: str) -> int:
        return 1536

    async def ensure(dimensions: int) -> Any:
        return chunk_cql("ks", dimensions)

    async def count(tenant: str, store: str) -> int:
        return rows

    monkeypatch.setattr(index.tables, "dimensions", dimensions)
    monkeypatch.setattr(index.tables, "ensure", ensure)
    monkeypatch.setattr(index.tables, "count", count)
    asyncio.run(index.search("t", ["vs_1"], [1.0] * 1536, 20))
    assert cql.limits == [expected]
