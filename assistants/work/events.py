"""In-process fan-out of a unit of work's events to the streams watching it.

The executor publishes each event as it happens; a stream subscribed before the work starts
receives every event in order, with no database polling. A slow or vanished subscriber never blocks
the work: queues are unbounded and dropped on unsubscribe.
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


class EventHub:
    def __init__(self) -> None:
        self._subscribers: dict[str, list[asyncio.Queue[Event]]] = defaultdict(list)

    def subscribe(self, work_id: str) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue()
        self._subscribers[work_id].append(queue)
        return queue

    def unsubscribe(self, work_id: str, queue: asyncio.Queue[Event]) -> None:
        queues = self._subscribers.get(work_id)
        if queues and queue in queues:
            queues.remove(queue)
            if not queues:
                del self._subscribers[work_id]

    def watched(self, work_id: str) -> bool:
        return work_id in self._subscribers

    def publish(self, work_id: str, name: str, data: Any) -> None:
        for queue in self._subscribers.get(work_id, ()):
            queue.put_nowait(Event(name, data))

    def close(self, work_id: str) -> None:
        """The work stopped executing (finished, or waits for input): end its streams."""
        for queue in self._subscribers.get(work_id, ()):
            queue.put_nowait(Event(DONE, "[DONE]"))
