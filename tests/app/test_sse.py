"""Server-sent event streams of runs and responses, read as a client reads them over ASGI."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import Response

from assistants.work.events import DONE, Event
from handlers.sse import frame, json_event_stream, run_event_stream


async def _read(response: Response, *, stop_after: int | None = None) -> list[bytes]:
    """The body pieces, in order, as they are sent; with ``stop_after``, the client goes away
    after that many pieces."""
    pieces: list[bytes] = []
    gone = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body" and message["body"]:
            pieces.append(message["body"])
            if stop_after is not None and len(pieces) >= stop_after:
                gone.set()

    scope = {"type": "http", "asgi": {"spec_version": "2.3"}}
    await asyncio.wait_for(response(scope, receive, send), 10)
    return pieces


def test_each_event_is_one_frame_with_its_name_and_json_data() -> None:
    async def scenario() -> list[bytes]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        queue.put_nowait(Event("thread.run.created", {"id": "run_1", "note": "é"}))
        queue.put_nowait(Event("thread.message.delta", {"delta": {"content": "a\nb"}}))
        queue.put_nowait(Event(DONE, "[DONE]"))
        return await _read(run_event_stream(queue, lambda: None))

    assert b"".join(asyncio.run(scenario())) == b"".join(
        [
            'event: thread.run.created\ndata: {"id":"run_1","note":"é"}\n\n'.encode(),
            b'event: thread.message.delta\ndata: {"delta":{"content":"a\\nb"}}\n\n',
            b"event: done\ndata: [DONE]\n\n",
        ]
    )


def test_events_waiting_together_are_written_at_once_and_later_ones_as_they_come() -> None:
    async def scenario() -> list[bytes]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        for name in ("thread.run.created", "thread.run.queued", "thread.run.in_progress"):
            queue.put_nowait(Event(name, {}))

        async def later() -> None:
            await asyncio.sleep(0.05)
            queue.put_nowait(Event("thread.message.delta", {}))
            await asyncio.sleep(0.05)
            queue.put_nowait(Event(DONE, "[DONE]"))

        task = asyncio.ensure_future(later())
        pieces = await _read(run_event_stream(queue, lambda: None))
        await task
        return pieces

    assert asyncio.run(scenario()) == [
        b"event: thread.run.created\ndata: {}\n\n"
        b"event: thread.run.queued\ndata: {}\n\n"
        b"event: thread.run.in_progress\ndata: {}\n\n",
        b"event: thread.message.delta\ndata: {}\n\n",
        b"event: done\ndata: [DONE]\n\n",
    ]


def test_a_string_with_line_breaks_is_sent_as_one_data_line_per_line() -> None:
    assert frame("x", "one\ntwo\r\nthree") == b"event: x\ndata: one\ndata: two\ndata: three\n\n"


def test_a_responses_stream_ends_with_its_terminal_event_not_done() -> None:
    async def scenario() -> list[bytes]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        queue.put_nowait(Event("response.completed", {"type": "response.completed"}))
        queue.put_nowait(Event(DONE, "[DONE]"))
        return await _read(run_event_stream(queue, lambda: None, send_done=False))

    pieces = asyncio.run(scenario())
    assert pieces == [b'event: response.completed\ndata: {"type":"response.completed"}\n\n']


def test_a_silent_stream_gets_keep_alive_comments_and_a_busy_one_does_not() -> None:
    async def scenario(gap: float) -> list[bytes]:
        queue: asyncio.Queue[Event] = asyncio.Queue()

        async def work() -> None:
            for i in range(3):
                await asyncio.sleep(gap)
                queue.put_nowait(Event("tick", {"i": i}))
            queue.put_nowait(Event(DONE, "[DONE]"))

        task = asyncio.ensure_future(work())
        pieces = await _read(run_event_stream(queue, lambda: None, ping_seconds=0.1))
        await task
        return pieces

    silent = b"".join(asyncio.run(scenario(0.35)))  # a ping may share a write with an event
    assert silent.count(b": ping\n\n") >= 3
    assert silent.replace(b": ping\n\n", b"") == b"".join(
        [
            *(f'event: tick\ndata: {{"i":{i}}}\n\n'.encode() for i in range(3)),
            b"event: done\ndata: [DONE]\n\n",
        ]
    )
    busy = b"".join(asyncio.run(scenario(0.02)))
    assert b": ping\n\n" not in busy


def test_the_subscription_ends_when_the_client_goes_away() -> None:
    closed: list[float] = []

    async def scenario() -> list[bytes]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        queue.put_nowait(Event("thread.run.created", {"id": "run_1"}))
        # The work never finishes: only the client's leaving ends the stream.
        response = run_event_stream(queue, lambda: closed.append(time.monotonic()))
        return await _read(response, stop_after=1)

    pieces = asyncio.run(scenario())
    assert pieces == [b'event: thread.run.created\ndata: {"id":"run_1"}\n\n']
    assert len(closed) == 1


def test_a_replayed_stream_relays_events_under_their_type_then_stops() -> None:
    async def events() -> AsyncIterator[dict[str, Any]]:
        yield {"type": "response.created", "sequence_number": 0}
        await asyncio.sleep(0.01)
        yield {"type": "response.completed", "sequence_number": 1}

    pieces = asyncio.run(_read(json_event_stream(events())))
    assert pieces == [
        b'event: response.created\ndata: {"type":"response.created","sequence_number":0}\n\n',
        b'event: response.completed\ndata: {"type":"response.completed","sequence_number":1}\n\n',
    ]


def test_a_replay_that_fails_midway_ends_the_stream_with_the_error() -> None:
    async def events() -> AsyncIterator[dict[str, Any]]:
        yield {"type": "response.created"}
        raise RuntimeError("storage went away")

    async def scenario() -> tuple[list[bytes], BaseException | None]:
        pieces: list[bytes] = []

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(60)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and message["body"]:
                pieces.append(message["body"])

        try:
            await json_event_stream(events())({"type": "http"}, receive, send)
        except BaseException as exc:  # the error the server sees
            return pieces, exc
        return pieces, None

    pieces, error = asyncio.run(scenario())
    assert pieces == [b'event: response.created\ndata: {"type":"response.created"}\n\n']
    assert error is not None and "storage went away" in repr(error)


def test_a_send_refused_because_the_client_left_ends_the_stream_quietly() -> None:
    """ASGI 2.4 servers report a client gone by raising OSError from ``send``."""
    closed: list[bool] = []

    async def scenario() -> None:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        queue.put_nowait(Event("thread.run.created", {"id": "run_1"}))

        async def receive() -> dict[str, Any]:
            await asyncio.sleep(60)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body":
                raise OSError("client gone")

        response = run_event_stream(queue, lambda: closed.append(True))
        scope = {"type": "http", "asgi": {"spec_version": "2.4"}}
        await asyncio.wait_for(response(scope, receive, send), 5)

    asyncio.run(scenario())
    assert closed == [True]
