"""The upstream's record of the requests it received, shared by its server thread and the tests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the upstream saw it; header names are lower-cased."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    received_at: float = field(default_factory=time.time)

    @property
    def api_key(self) -> str | None:
        """The credential the request carried: the bearer token, else the `api-key` header (or
        Anthropic's `x-api-key`)."""
        auth = self.headers.get("authorization", "")
        if auth[:7].lower() == "bearer ":
            return auth[7:].strip() or None
        return self.headers.get("api-key") or self.headers.get("x-api-key")

    @property
    def model(self) -> str | None:
        return self.body.get("model") if isinstance(self.body, dict) else None

    def text(self) -> str:
        """All message text of a chat request (or the embedding input), joined by newlines."""
        if not isinstance(self.body, dict):
            return ""
        if "messages" in self.body:
            parts: list[str] = []
            for message in self.body["messages"]:
                content = message.get("content")
                if isinstance(content, str):
                    parts.append(content)
                elif isinstance(content, list):
                    parts.extend(p.get("text", "") for p in content if isinstance(p, dict))
            return "\n".join(parts)
        data = self.body.get("input")
        return data if isinstance(data, str) else "\n".join(str(x) for x in data or [])


class RequestLog:
    """A thread-safe, append-only list of `RecordedRequest`s (tests may `clear()` it)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: list[RecordedRequest] = []

    def append(self, item: RecordedRequest) -> None:
        with self._lock:
            self._items.append(item)

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._items)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def where(self, predicate: Callable[[RecordedRequest], bool]) -> list[RecordedRequest]:
        return [r for r in self.snapshot() if predicate(r)]

    def containing(self, text: str) -> list[RecordedRequest]:
        """The requests whose message text (or embedding input) contains `text`."""
        return self.where(lambda r: text in r.text())

    def __iter__(self) -> Iterator[RecordedRequest]:
        return iter(self.snapshot())

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def __getitem__(self, index: int) -> RecordedRequest:
        with self._lock:
            return self._items[index]
