"""Domain services that live as long as the process: durable work and its sweeper."""

from __future__ import annotations

from app.state import AppState
from assistants.context import DomainConfig
from assistants.responses.executor import KIND as RESPONSE_WORK
from assistants.responses.lifecycle import ResponseSettler
from assistants.run_state.lifecycle import KIND as RUN_WORK
from assistants.run_state.lifecycle import RunSettler
from assistants.vector_stores.fair import FairGate
from assistants.vector_stores.isolate import ProcessLimits
from assistants.vector_stores.jobs import SERVICE as INGESTION
from assistants.vector_stores.jobs import Worker
from assistants.vector_stores.recovery import KIND as INGEST_WORK
from assistants.vector_stores.recovery import IngestSettler
from assistants.work.service import SERVICE as WORK
from assistants.work.service import WorkService


async def start_services(state: AppState) -> None:
    work = WorkService(lease_seconds=state.settings.run_lease_seconds)
    work.settlers[RUN_WORK] = RunSettler()
    work.settlers[RESPONSE_WORK] = ResponseSettler()
    config = DomainConfig(
        default_embedding_model=state.settings.default_embedding_model,
        run_lease_seconds=state.settings.run_lease_seconds,
    )
    work.settlers[INGEST_WORK] = IngestSettler(state.inference, state.services, config)
    state.services[WORK] = work
    settings = state.settings
    cpu = settings.ingest_cpu_seconds
    state.services[INGESTION] = Worker(
        gate=FairGate(settings.ingest_parallel),
        process=ProcessLimits(cpu, settings.ingest_memory_mb * 1024 * 1024, cpu * 1.5 + 5),
    )
    provider = state.store_provider
    if provider is not None and not state.settings.store.startswith("astra"):
        # One database holds every tenant's work: this worker sweeps it all. In astra mode
        # each tenant has its own database; work there is settled when next read.
        work.start_sweeper(await provider.for_request(None, None))


async def stop_services(state: AppState) -> None:
    work = state.services.get(WORK)
    if work is not None:
        await work.stop()
    ingestion = state.services.get(INGESTION)
    if isinstance(ingestion, Worker):
        await ingestion.children.aclose()
