"""Domain services that live as long as the process: durable work and its sweeper."""

from __future__ import annotations

from app.state import AppState
from assistants.responses.executor import KIND as RESPONSE_WORK
from assistants.responses.lifecycle import ResponseSettler
from assistants.runs.lifecycle import KIND as RUN_WORK
from assistants.runs.lifecycle import RunSettler
from assistants.work.service import SERVICE as WORK
from assistants.work.service import WorkService


async def start_services(state: AppState) -> None:
    work = WorkService(lease_seconds=state.settings.run_lease_seconds)
    work.settlers[RUN_WORK] = RunSettler()
    work.settlers[RESPONSE_WORK] = ResponseSettler()
    state.services[WORK] = work
    provider = state.store_provider
    if provider is not None and not state.settings.store.startswith("astra"):
        # One database holds every tenant's work: this worker sweeps it all. In astra mode
        # each tenant has its own database; work there is settled when next read.
        work.start_sweeper(await provider.for_request(None, None))
    if provider is not None:
        from assistants.vector_stores.recovery import resume_pending_ingestion

        # Ingestion interrupted by a stopped worker ends failed, never stuck in progress.
        await resume_pending_ingestion(provider, state.spawn)


async def stop_services(state: AppState) -> None:
    work = state.services.get(WORK)
    if work is not None:
        await work.stop()
