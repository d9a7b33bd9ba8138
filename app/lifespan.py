"""Start and stop what the process holds: the store, the inference engine, background work."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from dataclasses import replace
from typing import TYPE_CHECKING

from app.state import AppState

if TYPE_CHECKING:
    from inference.litellm_engine import LiteLLMEngine

logger = logging.getLogger("assistants.lifespan")

WARM_DELAY = 0.25
"""Seconds after start-up before LiteLLM starts loading: uvicorn listens as soon as start-up
returns, so the import (seconds of CPU, in a thread) stays out of the way of start-up itself."""
WARM_POLL = 0.1
"""Seconds between looks at whether LiteLLM's import has finished."""


async def startup(state: AppState) -> None:
    from inference.litellm_engine import LiteLLMEngine
    from inference.settings import InferenceSettings
    from storage.factory import open_store

    provider = open_store(state.settings.store)
    await provider.start()
    state.store_provider = provider
    inference_settings = InferenceSettings.from_env(os.environ)
    engine = LiteLLMEngine(
        replace(
            inference_settings,
            models=tuple(state.settings.models) or inference_settings.models,
            default_embedding_model=state.settings.default_embedding_model,
            outbound=state.settings.outbound_policy(),
        )
    )
    state.inference = engine
    state.spawn(_warm_when_listening(engine, freeze_heap=state.owns_process), name="litellm-warm")
    from app.services import start_services

    await start_services(state)


async def shutdown(state: AppState) -> None:
    from app.services import stop_services

    await stop_services(state)
    for task in list(state.background):
        task.cancel()
    if state.background:
        await asyncio.wait(state.background, timeout=5)
    if state.inference is not None:
        await state.inference.aclose()
    if state.store_provider is not None:
        await state.store_provider.close()


async def _warm_when_listening(engine: LiteLLMEngine, *, freeze_heap: bool) -> None:
    """Load LiteLLM in the background once the server listens, before the first model call;
    then, with `freeze_heap`, keep what start-up loaded out of the garbage collector's walks."""
    await asyncio.sleep(WARM_DELAY)
    thread = engine.warm_in_background()  # a daemon thread: a stopping server does not wait for it
    if not freeze_heap:
        return
    while thread.is_alive():
        await asyncio.sleep(WARM_POLL)
    # Start-up leaves ~397,000 objects (most of them LiteLLM's) that live as long as the process.
    # A full collection walks every one with the event loop stopped: 241-253 ms (bench/gc_pause.py),
    # and ~700 streamed runs of bench/run_stream.py met 8 of them (68-345 ms). Frozen, they are
    # left out of collections for good.
    gc.freeze()
