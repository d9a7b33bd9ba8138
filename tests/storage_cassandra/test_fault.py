"""The node hangs, then dies, under load, and comes back: one provider fails fast, then serves.

Runs its own node (``scripts/cassandra`` on free ports and a temporary data folder), never the
shared one. About 75 s, mostly the two node starts.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from storage.base import DocumentStore, Key, Kind, PageQuery
from storage.cassandra.provider import CassandraProvider
from storage.errors import StorageError, StorageUnavailable
from storage.settings import CassandraSettings
from tests.storage_cassandra.node import PrivateNode, require_tools

pytestmark = [pytest.mark.slow, pytest.mark.cassandra, pytest.mark.timeout(300)]

TIMEOUT = 5.0  # the provider's request timeout
FAIL_WITHIN = 15.0  # a request must have its answer this soon, whatever the node does
RECOVER_WITHIN = 60.0  # after the node answers CQL again, the provider must serve within this


@dataclass(frozen=True, slots=True)
class Outcome:
    ended: float
    took: float
    error: StorageError | None


async def worker(docs: DocumentStore, thread: str, stop: asyncio.Event, log: list[Outcome]) -> None:
    """Write and read one thread's messages in a loop, logging every outcome."""
    i = 0
    while not stop.is_set():
        key = Key("tenant-fault", Kind.MESSAGE, thread, f"msg_{i:06d}")
        began = time.monotonic()
        error: StorageError | None = None
        try:
            await docs.put(key, {"id": key.id, "n": i})
            await docs.get(key)
        except StorageError as exc:
            error = exc
        log.append(Outcome(time.monotonic(), time.monotonic() - began, error))
        i += 1
        if error is not None:
            await asyncio.sleep(0.05)


class Load:
    """Eight concurrent request loops on one provider."""

    def __init__(self, docs: DocumentStore) -> None:
        self.log: list[Outcome] = []
        self._stop = asyncio.Event()
        self._tasks = [
            asyncio.create_task(worker(docs, f"thread_{n}", self._stop, self.log)) for n in range(8)
        ]

    async def finish(self) -> list[Outcome]:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.log

    def failures_since(self, moment: float) -> list[Outcome]:
        return [o for o in self.log if o.error is not None and o.ended >= moment]


async def serving_again(docs: DocumentStore, key: Key) -> float:
    began = time.monotonic()
    while True:
        try:
            await docs.get(key)
            return time.monotonic() - began
        except StorageUnavailable:
            assert time.monotonic() - began < RECOVER_WITHIN, "the provider did not reconnect"
            await asyncio.sleep(0.25)


def check_failures(failures: list[Outcome], within: float) -> float:
    assert failures, "no request noticed the fault"
    assert all(isinstance(o.error, StorageUnavailable) for o in failures)
    # Safe messages: no driver text, hosts or traces.
    assert all("127.0.0.1" not in str(o.error) and "Error" not in str(o.error) for o in failures)
    slowest = max(o.took for o in failures)
    assert slowest < within, f"a request took {slowest:.1f}s to fail"
    return slowest


async def test_node_hangs_dies_and_comes_back(tmp_path: Path) -> None:
    require_tools()
    node = PrivateNode(tmp_path / "node")
    started_in = node.start()
    settings = CassandraSettings(
        hosts=("127.0.0.1",), port=node.port, keyspace="fault_test", timeout=TIMEOUT
    )
    provider = CassandraProvider(settings, chunk_dimensions=())
    try:
        await provider.start()
        docs = (await provider.for_request(None, None)).docs
        before = Key("tenant-fault", Kind.THREAD, "", "thread_before")
        await docs.put(before, {"id": before.id, "ok": True})

        # 1. The node hangs (SIGSTOP): requests in flight and new ones time out after TIMEOUT.
        load = Load(docs)
        await asyncio.sleep(1.0)
        assert load.log and all(o.error is None for o in load.log)
        frozen_at = time.monotonic()
        os.kill(node.pid(), signal.SIGSTOP)
        try:
            await asyncio.sleep(TIMEOUT + 3.0)
        finally:
            os.kill(node.pid(), signal.SIGCONT)
        hung_slowest = check_failures(load.failures_since(frozen_at), TIMEOUT + 3.0)
        await load.finish()
        thawed_in = await serving_again(docs, before)

        # 2. The node stops: requests in flight and new ones fail at once.
        load = Load(docs)
        await asyncio.sleep(1.0)
        down_at = time.monotonic()
        stopped_in = await asyncio.to_thread(node.stop)
        await asyncio.sleep(1.0)
        await load.finish()
        down_slowest = check_failures(load.failures_since(down_at), FAIL_WITHIN)
        began = time.monotonic()
        with pytest.raises(StorageUnavailable) as caught:
            await docs.get(before)
        down_answer = time.monotonic() - began
        assert down_answer < FAIL_WITHIN and caught.value.retry_after is not None
        assert not await provider.healthy()

        # 3. The node is back: the SAME provider serves, with the data written before.
        restarted_in = await asyncio.to_thread(node.start)
        recovered_in = await serving_again(docs, before)
        found = await docs.get(before)
        assert found is not None and found.doc == {"id": before.id, "ok": True}
        after = Key("tenant-fault", Kind.MESSAGE, "thread_after", "msg_000001")
        assert await docs.put(after, {"id": after.id}) == 1
        page = await docs.list("tenant-fault", Kind.MESSAGE, "thread_after", PageQuery())
        assert [item.id for item in page.items] == [after.id]
        assert await provider.healthy()
        print(
            f"\nfault timings: node start {started_in:.1f}s; hung node: slowest failing request "
            f"{hung_slowest:.2f}s, serving {thawed_in:.2f}s after SIGCONT; stopped node: "
            f"stop took {stopped_in:.1f}s, slowest failing request {down_slowest:.2f}s, request "
            f"while down {down_answer * 1000:.1f}ms; restart {restarted_in:.1f}s, serving again "
            f"{recovered_in:.2f}s after CQL answered"
        )
    finally:
        await provider.close()
        await asyncio.to_thread(node.stop)
