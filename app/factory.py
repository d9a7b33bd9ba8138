"""``create_app()``: the whole server as one ASGI app."""

from __future__ import annotations

import json

from starlette.types import ASGIApp

from app.connexion_glue import SpecMiddleware, add_error_handlers, middlewares
from app.dispatch import Dispatcher
from app.edge import Edge
from app.lifespan import shutdown, startup
from app.metrics import Metrics
from app.operations import OperationTable
from app.settings import Settings
from app.state import AppState
from handlers.registry import handlers
from openapi import composed_spec
from openapi.fixes import for_connexion

BASE_PATH = "/v1"


def create_app(settings: Settings | None = None) -> ASGIApp:
    settings = settings or Settings.from_env()
    spec = composed_spec()
    state = AppState(
        settings=settings,
        operations=OperationTable.from_spec(spec, BASE_PATH),
        api_keys=settings.api_key_values(),
    )
    connexion_app = SpecMiddleware(
        Dispatcher(handlers()), middlewares=middlewares(settings.validate_responses)
    )
    connexion_app.add_spec(
        for_connexion(spec), base_path=BASE_PATH, validate_responses=settings.validate_responses
    )
    add_error_handlers(connexion_app)
    spec_json = json.dumps(spec, separators=(",", ":")).encode()
    return Edge(connexion_app, state, Metrics(), spec_json, startup, shutdown)
