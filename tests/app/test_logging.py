"""Logs carry the request, never a credential: not in access lines, errors or LiteLLM's output."""

from __future__ import annotations

import io
import json
import logging

import httpx

from app.logs import configure

SECRET = "sk-live-logcheck-8f2b1c"


def test_logs_never_contain_header_values(sqlite_server, upstream):
    stream = io.StringIO()
    configure("debug", json_lines=True)
    handler = logging.getLogger().handlers[0]
    handler.stream = stream  # type: ignore[attr-defined]
    try:
        headers = {
            "Authorization": f"Bearer {SECRET}",
            "base-url": upstream.base_url,
            "astra-api-token": SECRET + "-astra",
        }
        with httpx.Client(base_url=sqlite_server.url, headers=headers, timeout=30) as http:
            assert http.post("/v1/assistants", json={"model": "gpt-4o"}).status_code == 200
            http.post("/v1/assistants", json={"model": 5})
            failed = http.post(
                "/v1/chat/completions",
                json={"model": "fake-fail-401", "messages": [{"role": "user", "content": "x"}]},
            )
            assert failed.status_code == 401
            assert SECRET not in failed.text
    finally:
        configure("warning")
    text = stream.getvalue()
    assert "createAssistant" in text  # the access log did record the requests
    assert SECRET not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    assert any(line.get("operation") == "createChatCompletion" for line in lines)
