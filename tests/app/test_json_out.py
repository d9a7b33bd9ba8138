"""Response JSON (``app.json_out``): compact UTF-8 as json.dumps writes it, always encodable."""

from __future__ import annotations

import json
from typing import Any

from app.json_out import json_bytes, json_text

DOC: dict[str, Any] = {
    "id": "asst_1",
    "name": "café ☕ 😀",
    "instructions": 'quote " backslash \\ newline \n tab \t nul \x00 del \x7f sep \u2028',
    "tools": [{"type": "function", "function": {"name": "f", "parameters": {}}}],
    "metadata": {},
    "description": None,
    "temperature": 1.0,
    "top_p": 0.25,
    "created_at": 1_700_000_000,
    "big": 10**30,
    "flags": [True, False],
}


def test_compact_utf8_as_json_dumps_writes_it() -> None:
    expected = json.dumps(DOC, ensure_ascii=False, separators=(",", ":")).encode()
    assert json_bytes(DOC) == expected
    assert json_text(DOC) == expected.decode()


def test_a_lone_surrogate_goes_out_as_its_escape() -> None:
    doc = {"text": "bad \ud800 here", "name": "café"}
    out = json_bytes(doc)
    assert b"\\ud800" in out
    assert json.loads(out) == doc
    assert json.loads(json_text(doc)) == doc
