"""CPU per event stream of the server's own SSE response against Starlette's StreamingResponse.

Both send the same pre-encoded frames of the same queue (``handlers.sse``); the baseline wraps them
in ``StreamingResponse``, as the server did before, which runs each stream in an anyio task group
that listens for the client's disconnect. Streams are driven in-process over ASGI with a send that
keeps nothing (no sockets: only the response's own work), in alternating rounds; medians printed.
A short stream (a run's opening events and a few deltas) shows the per-stream cost; a long one,
that nothing is added per event.

Usage: python bench/sse_overhead.py [--streams 2000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.responses import Response, StreamingResponse  # noqa: E402

from assistants.work.events import DONE, Event  # noqa: E402
from handlers import sse  # noqa: E402

SCOPE = {"type": "http", "asgi": {"spec_version": "2.3"}}
DELTA = {
    "id": "msg_abc123",
    "object": "thread.message.delta",
    "delta": {"content": [{"index": 0, "type": "text", "text": {"value": " word"}}]},
}


def ours(queue: asyncio.Queue[Event]) -> Response:
    return sse.run_event_stream(queue, lambda: None)


def starlette(queue: asyncio.Queue[Event]) -> Response:
    frames = sse._frames(queue, True, sse.PING_SECONDS, lambda: None)
    return StreamingResponse(frames, media_type="text/event-stream", headers=sse._HEADERS)


async def one_stream(make: Callable[[asyncio.Queue[Event]], Response], events: int) -> None:
    queue: asyncio.Queue[Event] = asyncio.Queue()
    forever = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await forever.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        return None

    async def publish() -> None:
        for _ in range(events):
            queue.put_nowait(Event("thread.message.delta", DELTA))
            await asyncio.sleep(0)  # one event per wake-up, as a relayed token arrives
        queue.put_nowait(Event(DONE, "[DONE]"))

    await asyncio.gather(make(queue)(SCOPE, receive, send), publish())


async def cpu_per_stream(
    make: Callable[[asyncio.Queue[Event]], Response], streams: int, events: int
) -> float:
    started = time.process_time()
    for first in range(0, streams, 100):
        await asyncio.gather(*(one_stream(make, events) for _ in range(min(100, streams - first))))
    return (time.process_time() - started) / streams * 1e6


async def main(args: argparse.Namespace) -> None:
    for events in (8, 200):
        streams = args.streams if events < 100 else max(100, args.streams // 10)
        await cpu_per_stream(ours, 200, events)  # warm-up
        await cpu_per_stream(starlette, 200, events)
        new: list[float] = []
        old: list[float] = []
        for _ in range(args.rounds):
            new.append(await cpu_per_stream(ours, streams, events))
            old.append(await cpu_per_stream(starlette, streams, events))
        a, b = statistics.median(new), statistics.median(old)
        print(
            f"{events:4d} events/stream: ours {a:7.1f} us, StreamingResponse {b:7.1f} us "
            f"per stream ({b - a:+.1f} us, {b / a:.2f}x)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--streams", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=7)
    asyncio.run(main(parser.parse_args()))
