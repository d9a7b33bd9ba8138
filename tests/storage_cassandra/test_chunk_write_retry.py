"""Chunk writes ride out a node that refuses them for a while (a flush stall), then give up."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from storage.cassandra import chunks
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


def test_a_write_refused_many_times_in_a_short_stall_is_written(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real_sleep = asyncio.sleep

    async def no_wait(seconds: float) -> None:
        await real_sleep(0)

    monkeypatch.setattr(chunks.asyncio, "sleep", no_wait)  # the backoff, not the time budget
    cql = RefusingCql(refusals=20)  # more refusals than the old 8 attempts allowed
    asyncio.run(_index(cql)._write([("INSERT ...", ())]))
    assert cql.calls == 21


def test_a_write_refused_past_the_patience_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chunks, "VECTOR_WRITE_PATIENCE", 0.3)
    cql = RefusingCql(refusals=None)
    with pytest.raises(StorageUnavailable):
        asyncio.run(asyncio.wait_for(_index(cql)._write([("INSERT ...", ())]), 10))
    assert cql.calls >= 2
