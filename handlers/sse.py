"""Server-sent events in OpenAI's format, relayed from a run's event queue as they happen."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

from sse_starlette.sse import EventSourceResponse

from app.json_out import json_text
from assistants.runs.events import DONE, Event


def _dumps(data: Any) -> str:
    return data if isinstance(data, str) else json_text(data)


def run_event_stream(
    queue: asyncio.Queue[Event], unsubscribe: Callable[[], None]
) -> EventSourceResponse:
    """``event: <name>`` / ``data: <json>`` until the run stops executing, then ``done``."""

    async def events() -> AsyncIterator[dict[str, str]]:
        try:
            while True:
                event = await queue.get()
                yield {"event": event.name, "data": _dumps(event.data)}
                if event.name == DONE:
                    return
        finally:
            unsubscribe()

    return EventSourceResponse(events(), ping=15, sep="\n")
