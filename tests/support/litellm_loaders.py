"""Stand-ins for the LiteLLM import (`inference.loader.LiteLLMLoader`), to test calls made while
a fresh server is still importing it, without racing a real seconds-long import."""

from __future__ import annotations

import threading
from types import ModuleType

from inference.loader import load_litellm

HOLD_LIMIT = 60.0
"""Seconds a held `load()` waits for `release()` before failing the call that asked."""


class HeldLoader:
    """LiteLLM still importing until `release()`: `load()` blocks until then (in the engine's
    worker thread), and records that a call asked for it."""

    def __init__(self) -> None:
        self._released = threading.Event()
        self.asked = threading.Event()
        self.loads = 0

    def hold(self) -> None:
        """Back to "importing": the next calls see LiteLLM as not loaded."""
        self._released.clear()
        self.asked.clear()
        self.loads = 0

    def release(self) -> None:
        self._released.set()

    def is_loaded(self) -> bool:
        return self._released.is_set()

    def load(self) -> ModuleType:
        self.asked.set()
        if not self._released.wait(HOLD_LIMIT):
            raise TimeoutError("a call waited for LiteLLM, which the test never released")
        self.loads += 1
        return load_litellm()


class UnloadableLoader:
    """LiteLLM never loads: a call that needs it fails at once (the early path must not)."""

    def is_loaded(self) -> bool:
        return False

    def load(self) -> ModuleType:
        raise AssertionError("this call waited for LiteLLM")
