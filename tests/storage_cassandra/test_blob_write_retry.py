"""File uploads ride out a node that refuses writes for a while (busy connection, flush stall)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from storage.cassandra import blobs
from storage.cassandra.blobs import PART_SIZE, CassandraBlobStore
from storage.errors import StorageUnavailable


class RefusingCql:
    """Refuses each insert (every part, and the manifest) ``refusals`` times before taking it, or
    always with ``None``; keeps what it took."""

    def __init__(self, refusals: int | None) -> None:
        self.refusals = refusals
        self.refused: dict[Any, int] = {}
        self.parts: dict[int, bytes] = {}
        self.manifest: tuple[Any, ...] | None = None

    async def execute(self, statement: str, params: tuple[Any, ...]) -> None:
        key = (statement, params[:5] if "blob_parts" in statement else params)
        times = self.refused.get(key, 0)
        if self.refusals is None or times < self.refusals:
            self.refused[key] = times + 1
            raise StorageUnavailable("the database failed the request; retry later")
        if "blob_parts" in statement:
            self.parts[params[4]] = params[5]
        elif statement.lstrip().startswith("INSERT"):
            self.manifest = params

    async def one(self, statement: str, params: tuple[Any, ...]) -> None:
        return None


async def _pieces(data: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(data), 64 * 1024):
        yield data[start : start + 64 * 1024]


@pytest.mark.usefixtures("no_backoff")
def test_parts_and_manifest_refused_a_few_times_are_stored() -> None:
    data = bytes(range(256)) * (PART_SIZE * 3 // 256 + 10)  # 3 full parts and a short one
    cql = RefusingCql(refusals=5)
    store = CassandraBlobStore(cql, "ks")  # type: ignore[arg-type]
    size = asyncio.run(store.write("t", "file-1", _pieces(data)))
    assert size == len(data)
    assert b"".join(cql.parts[seq] for seq in sorted(cql.parts)) == data
    assert cql.manifest is not None and cql.manifest[3:5] == (len(data), 4)


def test_a_write_refused_past_the_patience_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(blobs, "WRITE_PATIENCE", 0.3)
    cql = RefusingCql(refusals=None)
    store = CassandraBlobStore(cql, "ks")  # type: ignore[arg-type]
    with pytest.raises(StorageUnavailable):
        asyncio.run(asyncio.wait_for(store.write("t", "file-1", _pieces(b"x" * 1000)), 10))
    assert cql.manifest is None
