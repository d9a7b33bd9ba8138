"""The HTTP surface every operation shares: errors, routing, auth, request ids, metrics."""

from __future__ import annotations

import httpx
import pytest

AUTH = {"Authorization": "Bearer sk-surface-test"}


@pytest.fixture(scope="module")
def http(sqlite_server):
    with httpx.Client(base_url=sqlite_server.url, headers=AUTH, timeout=30) as client:
        yield client


def assert_envelope(response: httpx.Response, status: int, param: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["message"]
    assert error["param"] == param
    return error


def test_health_answers_without_credentials(sqlite_server):
    response = httpx.get(sqlite_server.url + "/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_unimplemented_operation_is_501(http):
    error = assert_envelope(http.post("/v1/images/generations", json={"prompt": "a cat"}), 501)
    assert "createImage" in error["message"]
    assert error["code"] == "not_implemented"


def test_wrong_type_names_the_field(http):
    error = assert_envelope(http.post("/v1/assistants", json={"model": 12}), 400, "model")
    assert error["type"] == "invalid_request_error"


def test_unknown_field_is_rejected(http):
    response = http.post("/v1/assistants", json={"model": "gpt-4o", "colour": "blue"})
    error = assert_envelope(response, 400, "colour")
    assert "colour" in error["message"]


def test_missing_required_field(http):
    assert_envelope(http.post("/v1/assistants", json={"name": "x"}), 400, "model")


def test_nested_field_path_is_reported(http):
    body = {"model": "gpt-4o", "tools": [{"type": "function", "function": {"name": 3}}]}
    error = assert_envelope(http.post("/v1/assistants", json=body), 400, "tools[0].function.name")
    assert error["type"] == "invalid_request_error"


def test_bad_json(http):
    response = http.post(
        "/v1/assistants", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert "parse the JSON body" in assert_envelope(response, 400)["message"]


def test_wrong_content_type(http):
    response = http.post(
        "/v1/assistants", content=b"model=gpt-4o", headers={"content-type": "text/plain"}
    )
    assert "Content-type" in assert_envelope(response, 400)["message"]


def test_bad_query_parameter(http):
    assert_envelope(http.get("/v1/assistants", params={"limit": "many"}), 400, "limit")


def test_unknown_route_is_404(http):
    error = assert_envelope(http.get("/v1/no/such/thing"), 404)
    assert "/v1/no/such/thing" in error["message"]


def test_wrong_method_is_405_with_allow(http):
    response = http.put("/v1/assistants")
    assert_envelope(response, 405)
    assert response.headers["allow"] == "GET, POST"
    response = http.patch("/v1/threads/thread_abc")
    assert_envelope(response, 405)
    assert response.headers["allow"] == "DELETE, GET, POST"


def test_missing_credentials_is_401(sqlite_server):
    response = httpx.get(sqlite_server.url + "/v1/assistants")
    error = assert_envelope(response, 401)
    assert error["code"] == "invalid_api_key"


def test_every_response_has_a_request_id(http):
    ids = {http.get("/v1/health").headers["x-request-id"] for _ in range(3)}
    ids.add(http.get("/v1/nope").headers["x-request-id"])
    assert len(ids) == 4
    assert all(value.startswith("req_") for value in ids)


def test_served_spec_is_the_composed_one(http):
    spec = http.get("/v1/openapi.json").json()
    operations = {
        op["operationId"]
        for item in spec["paths"].values()
        for method, op in item.items()
        if isinstance(op, dict) and "operationId" in op
    }
    assert {"createAssistant", "getHealth", "listThreads", "createRun"} <= operations
    assert len(operations) > 250


def test_metrics_count_the_operation(http):
    http.post("/v1/assistants", json={"model": 12})
    http.post("/v1/assistants", json={"model": 12})
    text = http.get("/metrics").text
    line = next(
        line
        for line in text.splitlines()
        if line.startswith("assistants_requests_total{")
        and 'operation="createAssistant"' in line
        and 'status="400"' in line
    )
    assert float(line.rsplit(" ", 1)[1]) >= 2
    assert "assistants_request_duration_seconds_bucket" in text
    assert "sk-surface-test" not in text
