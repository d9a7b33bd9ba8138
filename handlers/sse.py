"""Server-sent events in OpenAI's format, relayed from a run's event queue as they happen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette.sse import EventSourceResponse

from app.json_out import json_text
from assistants.work.events import DONE, Event


def _dumps(data: Any) -> str:
    return data if isinstance(data, str) else json_text(data)


def run_event_stream(
    queue: asyncio.Queue[Event], unsubscribe: Callable[[], None], send_done: bool = True
) -> EventSourceResponse:
    """``event: <name>`` / ``data: <json>`` until the work stops executing, then ``done``
    (Assistants streams end with it; Responses streams end with their terminal event)."""

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                event = await queue.get()
                if event.name == DONE:
                    if send_done:
                        yield {"event": event.name, "data": _dumps(event.data)}
                    return
                yield {"event": event.name, "data": _dumps(event.data)}
        finally:
            unsubscribe()

    return EventSourceResponse(events(), ping=15, sep="\n")


def json_event_stream(events: AsyncIterator[dict[str, Any]]) -> EventSourceResponse:
    """Events that carry their name as ``type`` (Responses), relayed as they come."""

    async def relay() -> AsyncIterator[dict[str, str]]:
        async for event in events:
            yield {"event": event["type"], "data": _dumps(event)}

    return EventSourceResponse(relay(), ping=15, sep="\n")
