"""The numbered events of one response: published live, kept for a later replay.

Every event carries a ``sequence_number`` one above the last. A background response keeps its
events, so ``GET /responses/{id}?stream=true&starting_after=N`` can stream them again: from
memory while it executes here, from its stored log once it has ended.
"""

from __future__ import annotations

from typing import Any

from assistants.work.events import EventHub
from storage.base import Json, Key, Kind

LOGS = "response_events"  # SYSTEM documents of the tenant: the event log of a background response


def log_key(tenant: str, response_id: str) -> Key:
    return Key(tenant, Kind.SYSTEM, LOGS, response_id)


class EventLog:
    def __init__(self, hub: EventHub, response_id: str, keep: bool) -> None:
        self.hub = hub
        self.response_id = response_id
        self.next = 0
        self.kept: list[Json] | None = [] if keep else None

    def make(self, kind: str, **fields: Any) -> Json:
        """The next event, numbered and kept, not yet published."""
        event = {"type": kind, **fields, "sequence_number": self.next}
        self.next += 1
        if self.kept is not None:
            self.kept.append(event)
        return event

    def publish(self, event: Json) -> None:
        self.hub.publish(self.response_id, event["type"], event)

    def emit(self, kind: str, **fields: Any) -> Json:
        event = self.make(kind, **fields)
        self.publish(event)
        return event


class LiveLogs:
    """The logs of the background responses executing in this process, for replays."""

    def __init__(self) -> None:
        self.logs: dict[str, EventLog] = {}
