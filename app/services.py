"""Domain services that live as long as the process (the run manager and its sweeper)."""

from __future__ import annotations

from app.state import AppState
from assistants.runs.manager import RunManager


async def start_services(state: AppState) -> None:
    manager = RunManager(lease_seconds=state.settings.run_lease_seconds)
    state.services["runs"] = manager
    provider = state.store_provider
    if provider is not None and not state.settings.store.startswith("astra"):
        # One database holds every tenant's runs: this worker sweeps them all. In astra mode
        # each tenant has its own database; runs there are settled when next read.
        manager.start_sweeper(await provider.for_request(None, None))
    if provider is not None:
        from assistants.vector_stores.recovery import resume_pending_ingestion

        # Ingestion interrupted by a stopped worker ends failed, never stuck in progress.
        await resume_pending_ingestion(provider, state.spawn)


async def stop_services(state: AppState) -> None:
    manager = state.services.get("runs")
    if manager is not None:
        await manager.stop()
