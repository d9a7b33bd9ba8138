"""Importing LiteLLM lazily (it takes seconds) and configuring it once: offline, quiet, no leaks."""

from __future__ import annotations

import logging
import os
import threading
from types import ModuleType
from typing import Any, Protocol

_lock = threading.Lock()
_loaded: list[ModuleType] = []  # a one-element cache, process-global like Python's module cache

# Set before the first import so that LiteLLM uses its bundled cost map and configs, never fetching.
_OFFLINE_ENV = {
    "LITELLM_LOCAL_MODEL_COST_MAP": "True",
    "LITELLM_LOCAL_ANTHROPIC_BETA_HEADERS": "True",
    "LITELLM_OFFLINE_MODE": "true",
}
_LITELLM_LOGGERS = ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy")


class LiteLLMLoader(Protocol):
    """Where an engine gets LiteLLM: the process's import, or a stand-in that holds it (tests)."""

    def is_loaded(self) -> bool:
        """True once `load()` answers at once."""
        ...

    def load(self) -> ModuleType:
        """LiteLLM, imported and configured (blocking, seconds on first use)."""
        ...


class ProcessLoader:
    """The one LiteLLM import of this process (`load_litellm`)."""

    def is_loaded(self) -> bool:
        return is_loaded()

    def load(self) -> ModuleType:
        return load_litellm()


def is_loaded() -> bool:
    return bool(_loaded)


def load_litellm() -> ModuleType:
    """Import and configure LiteLLM on first use (thread-safe); later calls return it at once."""
    if _loaded:
        return _loaded[0]
    with _lock:
        if _loaded:
            return _loaded[0]
        for name, value in _OFFLINE_ENV.items():
            # Setup-time defaults an operator may override; nothing writes the env per request.
            os.environ.setdefault(name, value)
        import litellm

        _configure(litellm)
        _loaded.append(litellm)
        return litellm


def warm_in_background(loader: LiteLLMLoader) -> threading.Thread:
    """Start `loader.load()` in a daemon thread so that requests do not pay for the import."""
    thread = threading.Thread(target=loader.load, name="litellm-warm", daemon=True)
    thread.start()
    return thread


def _configure(litellm: Any) -> None:
    # The "Give Feedback / Get Help" banner is printed on every exception.
    litellm.suppress_debug_info = True
    # Keeps request/response bodies out of any logging callback an operator enables.
    litellm.turn_off_message_logging = True
    # Models whose provider has no native tool calling get the functions described in the
    # prompt (LiteLLM's function-calling support) instead of the request failing.
    litellm.add_function_to_prompt = True
    if "LITELLM_LOG" not in os.environ:
        # LiteLLM attaches its own DEBUG-level stream handler, so a root logger at DEBUG would
        # make it print every request; its loggers' level is the one switch covering that handler.
        for name in _LITELLM_LOGGERS:
            logging.getLogger(name).setLevel(logging.WARNING)
