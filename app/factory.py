"""``create_app()``: the whole server as one ASGI app."""

from __future__ import annotations

from starlette.types import ASGIApp

from app.dispatch import Dispatcher
from app.edge import Edge
from app.gate import Gate
from app.lifespan import shutdown, startup
from app.metrics import Metrics
from app.operations import OperationTable
from app.settings import Settings
from app.state import AppState
from handlers.registry import handlers
from openapi import composed_document

BASE_PATH = "/v1"


def create_app(settings: Settings | None = None, *, owns_process: bool = False) -> ASGIApp:
    settings = settings or Settings.from_env()
    spec, spec_json = composed_document()
    operations = OperationTable.from_spec(spec, BASE_PATH)
    state = AppState(
        settings=settings,
        operations=operations,
        api_keys=settings.api_key_values(),
        owns_process=owns_process,
    )
    gate = Gate(
        Dispatcher(handlers()),
        operations,
        spec,
        validate_responses=settings.validate_responses,
    )
    return Edge(gate, state, Metrics(), spec_json, startup, shutdown)
