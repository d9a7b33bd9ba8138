"""Server-sent events in OpenAI's format, relayed from a work's event queue as they happen.

Each event is encoded once, straight to the bytes of its ``event:``/``data:`` frame, and sent as
an ASGI body message. Every stream reads one queue: the work's events, and the stream's own
markers, a ping due and the client gone (put there by one task that waits for the disconnect),
so ending a stream cancels nothing and costs no task group per response. A stream that stays
silent for ``PING_SECONDS`` gets a comment line, so proxies keep it open: one timer per stream
checks for silence, nothing is scheduled per event.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from typing import Any

from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from app.json_out import json_bytes
from assistants.work.events import DONE, Event

PING_SECONDS = 15.0
_PING = b": ping\n\n"
_HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
_MEDIA_TYPE = "text/event-stream"
# Markers the stream puts in its own queue (never published by the work).
_PING_DUE = "\x00ping"
_FAILED = "\x00failed"
_GONE = "\x00gone"


def frame(name: str, data: Any) -> bytes:
    """``event: <name>`` and ``data: <JSON, or the string as it is>``, ended by a blank line."""
    payload = data.encode() if isinstance(data, str) else json_bytes(data)
    if b"\n" in payload or b"\r" in payload:  # only a string can hold one: a line per `data:`
        payload = b"\ndata: ".join(payload.splitlines())
    return b"event: " + name.encode() + b"\ndata: " + payload + b"\n\n"


class _Pinger:
    """Puts a ping marker in the queue each period in which the stream wrote nothing."""

    def __init__(self, queue: asyncio.Queue[Event], period: float) -> None:
        self.written = 0
        self._queue = queue
        self._period = period
        self._checked = 0
        self._loop = asyncio.get_running_loop()
        self._handle = self._loop.call_later(period, self._tick)

    def _tick(self) -> None:
        if self.written == self._checked:
            self._queue.put_nowait(Event(_PING_DUE, None))
        self._checked = self.written
        self._handle = self._loop.call_later(self._period, self._tick)

    def stop(self) -> None:
        self._handle.cancel()


async def _frames(
    queue: asyncio.Queue[Event], send_done: bool, period: float, closed: Callable[[], None]
) -> AsyncGenerator[bytes, None]:
    """The queue's events as frames until ``DONE``; ``closed`` runs when the stream ends, also
    when the client went away. Events already waiting are written together: one write (one
    system call) for all of them, which matters most when the server is busiest."""
    pinger = _Pinger(queue, period)
    try:
        while True:
            event = await queue.get()
            out: list[bytes] = []
            while True:
                name = event.name
                if name == _PING_DUE:
                    if not out:
                        out.append(_PING)
                elif name == _GONE:
                    return
                elif name == _FAILED:
                    if out:
                        yield b"".join(out)
                    raise event.data
                else:
                    pinger.written += 1
                    if name == DONE:
                        if send_done:
                            out.append(frame(name, event.data))
                        if out:
                            yield b"".join(out)
                        return
                    out.append(frame(name, event.data))
                if queue.empty():
                    break
                event = queue.get_nowait()
            yield out[0] if len(out) == 1 else b"".join(out)
    finally:
        pinger.stop()
        closed()


class EventStreamResponse(Response):
    """The frames of a stream that reads ``queue``, ended by the stream itself or by the client
    going away (a ``_GONE`` marker in the queue)."""

    media_type = _MEDIA_TYPE

    def __init__(self, queue: asyncio.Queue[Event], frames: AsyncGenerator[bytes, None]) -> None:
        self.status_code = 200
        self.background = None
        self._queue = queue
        self._frames = frames
        self.init_headers(_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
        watcher = asyncio.get_running_loop().create_task(self._watch(receive))
        try:
            async for piece in self._frames:
                await send({"type": "http.response.body", "body": piece, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except OSError:
            return  # an ASGI 2.4 server reports the client gone so
        finally:
            watcher.cancel()
            await self._frames.aclose()

    async def _watch(self, receive: Receive) -> None:
        while (await receive())["type"] != "http.disconnect":
            pass
        self._queue.put_nowait(Event(_GONE, None))


def run_event_stream(
    queue: asyncio.Queue[Event],
    unsubscribe: Callable[[], None],
    send_done: bool = True,
    ping_seconds: float = PING_SECONDS,
) -> EventStreamResponse:
    """``event: <name>`` / ``data: <json>`` until the work stops executing, then ``done``
    (Assistants streams end with it; Responses streams end with their terminal event)."""
    return EventStreamResponse(queue, _frames(queue, send_done, ping_seconds, unsubscribe))


def json_event_stream(
    events: AsyncIterator[dict[str, Any]], ping_seconds: float = PING_SECONDS
) -> EventStreamResponse:
    """Events that carry their name as ``type`` (Responses), relayed as they come."""
    queue: asyncio.Queue[Event] = asyncio.Queue()

    async def frames() -> AsyncGenerator[bytes, None]:
        async def pump() -> None:
            try:
                async for event in events:
                    queue.put_nowait(Event(event["type"], event))
            except Exception as exc:
                queue.put_nowait(Event(_FAILED, exc))
            else:
                queue.put_nowait(Event(DONE, None))

        task = asyncio.ensure_future(pump())

        def stop_pump() -> None:
            task.cancel()

        async for piece in _frames(queue, False, ping_seconds, stop_pump):
            yield piece

    return EventStreamResponse(queue, frames())
