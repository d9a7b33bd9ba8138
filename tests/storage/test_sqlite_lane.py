"""The thread each SQLite connection runs its calls on (``storage.sqlite.lane``)."""

from __future__ import annotations

import asyncio
import threading
from functools import partial

import pytest

from storage.sqlite.lane import Lane


async def test_calls_run_in_order_on_one_thread_off_the_loop() -> None:
    lane = Lane("test-lane")
    seen: list[tuple[int, int]] = []

    def record(n: int) -> int:
        seen.append((n, threading.get_ident()))
        return n * 10

    try:
        results = await asyncio.gather(*(lane.run(partial(record, n)) for n in range(50)))
    finally:
        lane.stop()
    assert results == [n * 10 for n in range(50)]
    assert [n for n, _ in seen] == list(range(50))
    threads = {ident for _, ident in seen}
    assert len(threads) == 1 and threading.get_ident() not in threads


async def test_an_error_reaches_the_caller_and_the_lane_goes_on() -> None:
    lane = Lane("test-lane")

    def fail() -> None:
        raise LookupError("no such row")

    try:
        with pytest.raises(LookupError, match="no such row"):
            await lane.run(fail)
        assert await lane.run(lambda: "still here") == "still here"
    finally:
        lane.stop()


async def test_a_call_cancelled_before_it_started_never_runs() -> None:
    lane = Lane("test-lane")
    release = threading.Event()
    ran: list[str] = []
    try:
        blocking = asyncio.create_task(lane.run(lambda: release.wait(5)))
        queued = asyncio.create_task(lane.run(lambda: ran.append("queued")))
        await asyncio.sleep(0.05)  # both sent; the first one holds the thread
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        release.set()
        assert await blocking is True
        assert await lane.run(lambda: "after") == "after"
    finally:
        lane.stop()
    assert ran == []


async def test_stop_ends_the_thread_after_the_calls_sent_before() -> None:
    lane = Lane("test-lane")
    assert await lane.run(threading.current_thread) is not None
    thread = lane._thread
    assert thread is not None and thread.is_alive()
    lane.stop()
    thread.join(5)
    assert not thread.is_alive()
