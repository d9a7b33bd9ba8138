"""The gate: one routing pass to every operation, compiled validators, checked answers."""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator

from app.dispatch import Dispatcher
from app.edge import Edge
from app.gate import Gate
from app.metrics import Metrics
from app.operations import OperationTable
from app.settings import Settings
from app.state import AppState
from app.validation import compiled
from handlers.registry import handlers
from openapi import composed_spec


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return composed_spec()


@pytest.fixture(scope="module")
def table(spec: dict[str, Any]) -> OperationTable:
    return OperationTable.from_spec(spec)


def test_every_operation_is_reached_by_its_own_path(table: OperationTable) -> None:
    for info in table.by_id.values():
        path = "/v1" + re.sub(r"\{[^}]+\}", "id_1", info.path)
        routed = table.route(info.method, path)
        assert routed.info is info, (info.method, path)
        assert set(routed.params.values()) <= {"id_1"}


def test_a_path_without_parameters_wins_over_a_template(table: OperationTable) -> None:
    routed = table.route("POST", "/v1/threads/runs")
    assert routed.info is not None and routed.info.operation_id == "createThreadAndRun"
    routed = table.route("POST", "/v1/threads/thread_1")
    assert routed.info is not None and routed.info.operation_id == "modifyThread"
    assert routed.params == {"thread_id": "thread_1"}


def test_unknown_paths_and_methods(table: OperationTable) -> None:
    assert table.route("GET", "/v1/nothing/here").allowed == frozenset()
    assert table.route("PUT", "/v1/assistants").allowed == {"GET", "POST"}


def test_implemented_bodies_compile_to_the_fast_validator(
    spec: dict[str, Any], table: OperationTable
) -> None:
    gate = Gate(Dispatcher({}), table, spec, validate_responses=True)
    for operation_id in handlers():
        checks = gate.checks(table.by_id[operation_id])
        for validator in checks.bodies.values():
            assert compiled(validator.schema, Draft202012Validator)._rust is not None, operation_id


async def test_an_answer_that_breaks_the_spec_is_a_logged_500(
    spec: dict[str, Any], table: OperationTable, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken_health(call: Any) -> Any:
        return {"status": 3, "store": "sqlite", "worker": 1}

    settings = Settings()
    state = AppState(settings=settings, operations=table, api_keys=frozenset())
    gate = Gate(Dispatcher({"getHealth": broken_health}), table, spec, validate_responses=True)
    app = Edge(gate, state, Metrics(), b"{}", _no_hook, _no_hook)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        with caplog.at_level(logging.ERROR, logger="assistants.dispatch"):
            response = await client.get("/v1/health")

    assert response.status_code == 500
    assert response.json()["error"]["type"] == "server_error"
    assert "status" not in response.json()["error"]["message"]
    assert "getHealth" in caplog.text and "does not conform" in caplog.text


@pytest.mark.parametrize("authorization", ["Basic abc", "Bearer", "bearer  ", ""])
async def test_anything_but_a_bearer_credential_is_401(
    spec: dict[str, Any], table: OperationTable, authorization: str
) -> None:
    state = AppState(settings=Settings(), operations=table, api_keys=frozenset())
    gate = Gate(Dispatcher({}), table, spec, validate_responses=True)
    app = Edge(gate, state, Metrics(), b"{}", _no_hook, _no_hook)
    headers = {"authorization": authorization} if authorization else {}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/assistants", headers=headers)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


async def _no_hook(state: AppState) -> None:
    return None


def test_head_is_answered_as_get(table: OperationTable) -> None:
    routed = table.route("HEAD", "/v1/assistants")
    assert routed.info is not None and routed.info.operation_id == "listAssistants"


async def test_a_trailing_slash_redirects_to_the_path_without_it(
    spec: dict[str, Any], table: OperationTable
) -> None:
    state = AppState(settings=Settings(), operations=table, api_keys=frozenset())
    gate = Gate(Dispatcher({}), table, spec, validate_responses=True)
    app = Edge(gate, state, Metrics(), b"{}", _no_hook, _no_hook)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/v1/assistants/?limit=2")
        unknown = await client.get("/v1/nothing/")

    assert response.status_code == 307
    assert response.headers["location"] == "http://test/v1/assistants?limit=2"
    assert unknown.status_code == 404
