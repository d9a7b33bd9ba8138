"""Time-ordered ids shaped like the app's: ``prefix_<12 hex ms><12 hex counter>``, increasing."""

from __future__ import annotations

import itertools
import time


class IdMaker:
    def __init__(self) -> None:
        self._last_ms = 0
        self._counter = itertools.count(1)

    def __call__(self, prefix: str) -> str:
        self._last_ms = max(self._last_ms, int(time.time() * 1000))
        return f"{prefix}_{self._last_ms:012x}{next(self._counter):012x}"
