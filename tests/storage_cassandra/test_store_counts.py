"""A vector store's chunk count is a hint: a counter update the node fails loses no chunks."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from storage.cassandra.chunk_tables import ChunkTables
from storage.errors import StorageUnavailable


class FailingCounterCql:
    async def execute(self, statement: str, params: Any) -> None:
        # As a counter write led by a node that is restarting: WriteFailure, outcome unknown.
        raise StorageUnavailable("the database failed the request; retry later")


def test_a_failed_count_update_does_not_fail_the_write_it_follows(
    caplog: pytest.LogCaptureFixture,
) -> None:
    tables = ChunkTables(FailingCounterCql(), "ks")  # type: ignore[arg-type]
    with caplog.at_level(logging.WARNING):
        asyncio.run(tables.add_count("tenant", "vs_1", 8))
    assert "chunk count of vector store vs_1 not updated" in caplog.text
