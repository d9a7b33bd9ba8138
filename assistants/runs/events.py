"""In-process fan-out of a run's events to the streams watching it.

The executor publishes each event as it happens; a streaming response subscribed before the run
starts receives every event in order, with no database polling. A slow or vanished subscriber
never blocks the run: queues are unbounded and dropped on unsubscribe.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

DONE = "done"


@dataclass(frozen=True, slots=True)
class Event:
    name: str
    data: Any  # a JSON-able object, or "[DONE]"


class RunEvents:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[asyncio.Queue[Event]]] = defaultdict(list)

    def subscribe(self, run_id: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers[run_id].append(queue)
        return queue

    def unsubscribe(self, run_id: str, queue: asyncio.Queue[Event]) -> None:
        queues = self._subscribers.get(run_id)
        if queues and queue in queues:
            queues.remove(queue)
            if not queues:
                del self._subscribers[run_id]

    def publish(self, run_id: str, name: str, data: Any) -> None:
        for queue in self._subscribers.get(run_id, ()):
            queue.put_nowait(Event(name, data))

    def close(self, run_id: str) -> None:
        """The run stopped executing (finished, or waits for tool outputs): end its streams."""
        for queue in self._subscribers.get(run_id, ()):
            queue.put_nowait(Event(DONE, "[DONE]"))
