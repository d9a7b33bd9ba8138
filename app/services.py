"""Domain services that live as long as the process (run executor, ingestion workers)."""

from __future__ import annotations

from app.state import AppState


async def start_services(state: AppState) -> None:
    """Nothing yet beyond the store and inference engine."""


async def stop_services(state: AppState) -> None:
    """Nothing yet."""
