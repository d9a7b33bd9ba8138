"""Chunk writes ride out a node that refuses them for a while (a flush stall), then give up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.base import Chunk
from storage.cassandra import chunks
from storage.cassandra.chunk_tables import chunk_cql
from storage.cassandra.chunks import CassandraChunkIndex
from storage.errors import StorageUnavailable


class RefusingCql:
    """Answers ``batch`` with StorageUnavailable ``refusals`` times, then accepts."""

    def __init__(self, refusals: int | None) -> None:
        self.refusals = refusals
        self.calls = 0

    async def batch(self, statements: Any, logged: bool) -> None:
        self.calls += 1
        if self.refusals is None or self.calls <= self.refusals:
            raise StorageUnavailable("the node is overloaded")


def _index(cql: RefusingCql) -> CassandraChunkIndex:
    return CassandraChunkIndex(cql, "ks")  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_backoff")
def test_a_write_refused_many_times_in_a_short_stall_is_written() -> None:
    cql = RefusingCql(refusals=20)  # more refusals than the old 8 attempts allowed
    index = _index(cql)
    asyncio.run(index._retried(lambda: cql.batch([("INSERT ...", ())], logged=False)))
    assert cql.calls == 21


def test_a_write_refused_past_the_patience_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "VECTOR_WRITE_PATIENCE", 0.3)
    cql = RefusingCql(refusals=None)
    with pytest.raises(StorageUnavailable):
        index = _index(cql)
        write = index._retried(lambda: cql.batch([("INSERT ...", ())], logged=False))
        asyncio.run(asyncio.wait_for(write, 10))
    assert cql.calls >= 2


class ReadRefusingCql(RefusingCql):
    """Also refuses the read of the rows a batch replaces, ``read_refusals`` times."""

    def __init__(self, read_refusals: int) -> None:
        super().__init__(refusals=0)
        self.read_refusals = read_refusals
        self.reads = 0

    async def rows(self, statement: str, params: Any) -> list[Any]:
        self.reads += 1
        if self.reads <= self.read_refusals:
            raise StorageUnavailable("the database is unreachable; retry later")
        return []


@pytest.mark.usefixtures("no_backoff")
def test_a_refused_read_of_the_replaced_rows_is_tried_again_with_the_write() -> None:
    cql = ReadRefusingCql(read_refusals=2)  # a node killed under load, the coordinator gone
    index = _index(cql)
    encoded = chunks._encode("tenant", "vs_1", [Chunk("file_1", 0, "a text", [1.0, 0.0])], 2)
    asyncio.run(index._write_chunks(chunk_cql("ks", 2), "tenant", "vs_1", encoded))
    assert cql.reads == 3 and cql.calls == 1
