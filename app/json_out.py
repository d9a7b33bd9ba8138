"""JSON for responses and events that UTF-8 can always carry.

Encoded by pydantic-core (Rust; ~5x faster than ``json.dumps`` for a typical object), compact
and UTF-8, as ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))`` writes it (a float
may be written another way with the same value: ``1e-05`` as ``0.00001``).

A lone surrogate (``"\\ud800"``) is valid in a JSON string but cannot be encoded as UTF-8. Bodies
with one are refused at the door, yet one may still come from storage (written before that check)
or from a provider: it then goes out as its ``\\u`` escape instead of failing the response.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

_COMPACT = (",", ":")


def json_bytes(value: Any) -> bytes:
    try:
        return to_json(value)
    except PydanticSerializationError:
        # A lone surrogate; or a value JSON cannot carry, for which json.dumps raises TypeError.
        return json.dumps(value, separators=_COMPACT).encode()


def json_text(value: Any) -> str:
    return json_bytes(value).decode()
