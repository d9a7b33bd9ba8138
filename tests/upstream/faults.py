"""Fault injection: the failure or delay a request asks for by model name or header."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

_FAIL = re.compile(r"(?:^|[-/_.])fail-(401|404|429|400|context|500|502|503|midstream)(?=$|[-/_.])")
_DROP = re.compile(r"(?:^|[-/_.])drop-midstream(?=$|[-/_.])")
_FLAKY = re.compile(r"(?:^|[-/_.])flaky-(\d+)-(\d{3})(?=$|[-/_.])")
_SLOW = re.compile(r"(?:^|[-/_.])slow-(\d+)(?=$|[-/_.])")
_SLOW_STREAM = re.compile(r"(?:^|[-/_.])slow-stream-(\d+)(?=$|[-/_.])")
_CONTEXT = re.compile(r"(?:^|[-/_.])context-(\d+)(?=$|[-/_.])")
_RETRY_AFTER = re.compile(r"(?:^|[-/_.])retry-after-(\d+(?:\.\d+)?)(?=$|[-/_.])")


@dataclass(frozen=True)
class Faults:
    fail: str | None = (
        None  # "401", "404", "429", "400", "context", "500", "502", "503", "midstream", "drop"
    )
    delay_s: float = 0.0
    chunk_delay_s: float = 0.0
    retry_after: str = "1"

    @property
    def midstream(self) -> bool:
        return self.fail in ("midstream", "drop")


def parse_faults(model: str, headers: Mapping[str, str]) -> Faults:
    """The faults asked for by the model name and `x-upstream-*` headers (headers win)."""
    fail: str | None = None
    if m := _FAIL.search(model):
        fail = m.group(1)
    elif _DROP.search(model):
        fail = "drop"
    header_fail = headers.get("x-upstream-fail")
    if header_fail:
        fail = header_fail.strip().lower()
    delay_ms = _number(headers.get("x-upstream-delay-ms")) or _number(_group(_SLOW, model))
    chunk_ms = _number(headers.get("x-upstream-chunk-delay-ms")) or _number(
        _group(_SLOW_STREAM, model)
    )
    retry_after = headers.get("x-upstream-retry-after") or _group(_RETRY_AFTER, model) or "1"
    return Faults(
        fail=fail, delay_s=delay_ms / 1000, chunk_delay_s=chunk_ms / 1000, retry_after=retry_after
    )


class FlakyCounter:
    """Counts requests per (model, messages): `flaky-<n>-<status>` fails only the first n."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: dict[str, int] = {}

    def status_for(self, model: str, body: Mapping[str, Any]) -> int | None:
        m = _FLAKY.search(model)
        if not m:
            return None
        key = model + json.dumps(body.get("messages", body.get("input")), sort_keys=True)
        with self._lock:
            count = self._seen.get(key, 0) + 1
            self._seen[key] = count
        return int(m.group(2)) if count <= int(m.group(1)) else None


def context_window(model: str) -> int | None:
    """`context-<n>`: the model refuses prompts of more than n tokens (as the fake counts them)."""
    found = _group(_CONTEXT, model)
    return int(found) if found else None


def _group(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(1) if m else None


def _number(value: str | None) -> float:
    try:
        return float(value) if value else 0.0
    except ValueError:
        return 0.0
