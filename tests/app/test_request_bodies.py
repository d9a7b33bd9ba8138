"""Request bodies a careless or hostile client sends: each gets a clear 400, never a 500."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest

from tests.app.test_http_surface import assert_envelope

JSON = {"content-type": "application/json"}


@pytest.fixture
def http(sqlite_server, upstream):
    """A client of its own tenant, so each test sees only what it created."""
    headers = {
        "Authorization": f"Bearer sk-bodies-{uuid.uuid4().hex}",
        "base-url": upstream.base_url,
    }
    with httpx.Client(base_url=sqlite_server.url, headers=headers, timeout=60) as client:
        yield client


def nested_arrays(levels: int) -> str:
    return "[" * levels + "]" * levels


def compound_filter(levels: int) -> dict:
    spec: dict = {"type": "eq", "key": "a", "value": "b"}
    for _ in range(levels):
        spec = {"type": "and", "filters": [spec]}
    return spec


@pytest.mark.parametrize("levels", [65, 900, 10_000])
def test_deep_nesting_is_400(http, levels):
    body = '{"model":"gpt-4o","metadata":' + nested_arrays(levels) + "}"
    error = assert_envelope(http.post("/v1/assistants", content=body, headers=JSON), 400)
    assert "nest" in error["message"] and "64" in error["message"]
    assert http.get("/v1/assistants").json()["data"] == []


def test_nesting_inside_strings_does_not_count(http):
    name = nested_arrays(100)
    response = http.post("/v1/assistants", json={"model": "gpt-4o", "name": name[:256]})
    assert response.status_code == 200, response.text
    http.delete(f"/v1/assistants/{response.json()['id']}")


@pytest.mark.parametrize("levels", [40, 250])
def test_deep_search_filters_are_400(http, levels):
    store = http.post("/v1/vector_stores", json={"name": "filters"}).json()
    body = json.dumps({"query": "q", "filters": compound_filter(levels)})
    response = http.post(f"/v1/vector_stores/{store['id']}/search", content=body, headers=JSON)
    error = assert_envelope(response, 400, response.json()["error"]["param"])
    assert "nest" in error["message"]


def test_filters_within_the_limits_are_searched(http):
    store = http.post("/v1/vector_stores", json={"name": "filters"}).json()
    response = http.post(
        f"/v1/vector_stores/{store['id']}/search",
        json={"query": "q", "filters": compound_filter(16)},
    )
    assert response.status_code == 200, response.text
    assert response.json()["data"] == []


def test_a_10_mb_value_is_not_echoed(http):
    huge = "x" * (10 * 1024 * 1024)
    response = http.post("/v1/assistants", json={"model": "gpt-4o", "name": huge})
    error = assert_envelope(response, 400, "name")
    assert len(response.content) < 1000
    assert "256" in error["message"]


def test_a_long_unknown_field_is_not_echoed(http):
    response = http.post("/v1/assistants", json={"model": "gpt-4o", "k" * 100_000: 1})
    error = assert_envelope(response, 400, response.json()["error"]["param"])
    assert len(response.content) < 1000
    assert error["message"].startswith("Unrecognized request argument supplied: kkk")
    assert "…" in error["message"]


@pytest.mark.parametrize(
    "body",
    [
        {"model": "gpt-4o", "temperature": "t" * 100_000},
        {
            "model": "gpt-4o",
            "tools": [{"type": "file_search", "file_search": {"max_num_results": "y" * 90_000}}],
        },
        {"model": "gpt-4o", "response_format": {"type": "z" * 100_000}},
        {"model": ["m" * 100_000]},
    ],
)
def test_invalid_values_are_quoted_short(http, body):
    response = http.post("/v1/assistants", json=body)
    assert response.status_code == 400, response.text[:300]
    assert len(response.content) < 1000


def test_a_long_unknown_id_is_not_echoed(http):
    response = http.post("/v1/threads/runs", json={"assistant_id": "asst_" + "9" * 1_000_000})
    assert_envelope(response, 404, "assistant_id")
    assert len(response.content) < 1000


def test_create_thread_without_a_body(http):
    for response in (
        http.post("/v1/threads"),
        http.post("/v1/threads", content=b"", headers=JSON),
    ):
        assert response.status_code == 200, response.text
        thread = response.json()
        assert thread["object"] == "thread" and thread["metadata"] == {}


def test_a_json_null_body_is_still_refused(http):
    assert_envelope(http.post("/v1/threads", content=b"null", headers=JSON), 400)


def test_a_required_body_is_still_required(http):
    error = assert_envelope(http.post("/v1/assistants", content=b"", headers=JSON), 400)
    assert "required" in error["message"]


def test_integer_valued_floats_are_integers(http):
    file_id = http.post(
        "/v1/files", files={"file": ("a.txt", b"some text")}, data={"purpose": "assistants"}
    ).json()["id"]
    store = http.post(
        "/v1/vector_stores",
        content=json.dumps({"name": "floats", "expires_after": {"anchor": "last_active_at",
                                                               "days": 2.0}}),
        headers=JSON,
    )  # fmt: skip
    assert store.status_code == 200, store.text
    assert store.json()["expires_after"] == {"anchor": "last_active_at", "days": 2}
    store_id = store.json()["id"]
    body = {
        "file_id": file_id,
        "chunking_strategy": {
            "type": "static",
            "static": {"max_chunk_size_tokens": 816.0, "chunk_overlap_tokens": 4e2},
        },
    }
    created = http.post(
        f"/v1/vector_stores/{store_id}/files", content=json.dumps(body), headers=JSON
    )
    assert created.status_code == 200, created.text
    assert created.json()["chunking_strategy"]["static"] == {
        "max_chunk_size_tokens": 816,
        "chunk_overlap_tokens": 400,
    }
    assert b"816.0" not in created.content
    search = http.post(
        f"/v1/vector_stores/{store_id}/search",
        content=b'{"query": "text", "max_num_results": 3.0}',
        headers=JSON,
    )
    assert search.status_code == 200, search.text
    assistant = http.post(
        "/v1/assistants",
        content=b'{"model":"gpt-4o","temperature":1.0,'
        b'"tools":[{"type":"file_search","file_search":{"max_num_results":7.0}}]}',
        headers=JSON,
    ).json()
    assert assistant["tools"][0]["file_search"]["max_num_results"] == 7
    assert isinstance(assistant["temperature"], float)


def test_a_fractional_float_is_not_an_integer(http):
    store = http.post("/v1/vector_stores", json={"name": "floats"}).json()
    body = b'{"query": "text", "max_num_results": 3.5}'
    response = http.post(f"/v1/vector_stores/{store['id']}/search", content=body, headers=JSON)
    assert_envelope(response, 400, "max_num_results")


def test_a_file_field_without_a_filename_is_400(http):
    response = http.post(
        "/v1/files", files={"file": (None, b"hello")}, data={"purpose": "assistants"}
    )
    error = assert_envelope(response, 400, "file")
    assert "filename" in error["message"]
    assert http.get("/v1/files").json()["data"] == []


def test_a_lone_surrogate_is_named(http):
    response = http.post(
        "/v1/assistants", content=b'{"model":"gpt-4o","name":"a\\ud800b"}', headers=JSON
    )
    error = assert_envelope(response, 400, "name")
    assert "Unicode" in error["message"]
    response = http.post(
        "/v1/assistants",
        content=b'{"model":"gpt-4o","metadata":{"k\\udfff":"v"}}',
        headers=JSON,
    )
    assert_envelope(response, 400, "metadata")
    assert http.get("/v1/assistants").json()["data"] == []


def test_escaped_surrogate_pairs_are_text(http):
    response = http.post(
        "/v1/assistants",
        content=b'{"model":"gpt-4o","name":"smile \\ud83d\\ude00","description":"\\\\ud800"}',
        headers=JSON,
    )
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "smile \U0001f600"
    assert response.json()["description"] == "\\ud800"
    http.delete(f"/v1/assistants/{response.json()['id']}")


@pytest.mark.parametrize(
    "content_type", ["application/json;charset=bogus", "application/json; charset=nope"]
)
def test_an_unknown_charset_is_400(http, content_type):
    body = json.dumps({"model": "gpt-4o", "name": "charset"})
    response = http.post("/v1/assistants", content=body, headers={"content-type": content_type})
    error = assert_envelope(response, 400)
    assert "charset" in error["message"]
    assert http.get("/v1/assistants").json()["data"] == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json; charset=utf-16",
        "application/json;charset=UTF-16",
        'application/json; Charset="utf-16"',
    ],
)
def test_the_declared_charset_decodes_the_body(http, content_type):
    body = json.dumps({"model": "gpt-4o", "name": "naïve ☕"}, ensure_ascii=False).encode("utf-16")
    response = http.post("/v1/assistants", content=body, headers={"content-type": content_type})
    assert response.status_code == 200, response.text
    assert response.json()["name"] == "naïve ☕"


def test_a_lone_surrogate_is_400_in_any_charset(http):
    body = '{"model": "gpt-4o", "name": "bad \\ud800 here"}'.encode("utf-16")
    headers = {"content-type": "application/json; charset=utf-16"}
    response = http.post("/v1/assistants", content=body, headers=headers)
    assert "surrogate" in assert_envelope(response, 400, "name")["message"]
    assert http.get("/v1/assistants").json()["data"] == []
