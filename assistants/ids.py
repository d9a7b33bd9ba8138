"""Object ids that sort in creation order: ``<prefix>_<12 hex ms><4 hex sequence><8 hex random>``.

Storage lists documents in id order, so time-ordered ids make "newest first" a plain index read.
Within one process ids are strictly increasing; across processes, ids of the same millisecond
may interleave, which only blurs order within that millisecond.
"""

from __future__ import annotations

import random
import threading
import time


class IdGenerator:
    def __init__(self) -> None:
        # Ids are not secrets (tenancy guards every object), so a seeded PRNG suffices; the OS
        # entropy call costs far more per id on a busy machine.
        self._random = random.Random()
        self._lock = threading.Lock()
        self._last_ms = 0
        self._sequence = 0

    def new(self, prefix: str) -> str:
        with self._lock:
            now = time.time_ns() // 1_000_000
            if now <= self._last_ms:
                self._sequence += 1
                if self._sequence > 0xFFFF:
                    self._last_ms += 1
                    self._sequence = 0
            else:
                self._last_ms = now
                self._sequence = 0
            stamp, sequence = self._last_ms, self._sequence
            noise = self._random.getrandbits(32)
        return f"{prefix}_{stamp:012x}{sequence:04x}{noise:08x}"


_generator = IdGenerator()


def new_id(prefix: str) -> str:
    return _generator.new(prefix)


def now() -> int:
    """Unix time in seconds, as every ``created_at`` of the API."""
    return int(time.time())
