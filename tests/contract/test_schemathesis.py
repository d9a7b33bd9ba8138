"""schemathesis over every implemented operation, on both storage backends: no 5xx, and every
response conforms to the spec (the served, composed one)."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from handlers.registry import handlers
from openapi import composed_spec

IMPLEMENTED = sorted(op for op in handlers() if op != "getHealth")
schema = schemathesis.openapi.from_dict(composed_spec()).include(operation_id=IMPLEMENTED)


def test_every_implemented_operation_is_covered():
    covered = {op.ok().definition.raw.get("operationId") for op in schema.get_all_operations()}
    assert covered == set(IMPLEMENTED)


@pytest.fixture
def auth_headers(upstream) -> dict[str, str]:
    return {"Authorization": f"Bearer sk-fuzz-{uuid.uuid4().hex}", "base-url": upstream.base_url}


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_api_conforms(case, live_server, auth_headers):
    case.call_and_validate(
        base_url=live_server.url + "/v1",
        headers=auth_headers,
        checks=[not_a_server_error, response_schema_conformance],
        timeout=30,
    )
