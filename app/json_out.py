"""JSON for responses and events that UTF-8 can always carry.

A lone surrogate (``"\\ud800"``) is valid in a JSON string but cannot be encoded as UTF-8. Bodies
with one are refused at the door, yet one may still come from storage (written before that check)
or from a provider: it then goes out as its ``\\u`` escape instead of failing the response.
"""

from __future__ import annotations

import json
from typing import Any

_COMPACT = (",", ":")


def json_bytes(value: Any) -> bytes:
    text = json.dumps(value, ensure_ascii=False, separators=_COMPACT)
    try:
        return text.encode()
    except UnicodeEncodeError:
        return json.dumps(value, separators=_COMPACT).encode()


def json_text(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, separators=_COMPACT)
    if not text.isascii():
        try:
            text.encode()
        except UnicodeEncodeError:
            return json.dumps(value, separators=_COMPACT)
    return text
