"""JSON request bodies as this server accepts them: bounded nesting, valid Unicode, true integers.

Python's ``json`` accepts what UTF-8 cannot carry (a lone surrogate escape such as ``"\\ud800"``,
which later fails when stored or answered) and nests as deep as the interpreter's stack allows
(then raises ``RecursionError``); it also reads ``NaN`` and ``Infinity``, which JSON does not
have. All are refused here with 400 before any handler runs. And JSON Schema counts ``816.0``
as an integer: where the operation's schema wants an integer, the handler receives ``816``.

Each check costs a C-speed scan of the raw bytes; the Python walks run only when that scan finds
something to look at.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from app.errors import InvalidRequest
from app.schema_errors import param_path

MAX_DEPTH = 64

NOT_JSON = (
    "We could not parse the JSON body of your request. (HINT: This likely means you aren't using "
    "your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not "
    "valid JSON.)"
)
TOO_DEEP = f"The JSON body of your request nests deeper than {MAX_DEPTH} levels."

# Any surrogate escape: a cheap pre-check; the exact check runs only when one is present.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_KEEP = b'[]{}"'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_STEP = {ord("["): 1, ord("{"): 1, ord("]"): -1, ord("}"): -1}


@dataclass
class ParsedBody:
    value: Any
    # Whether any number was written as a float with an integral value (``816.0``, ``4e2``).
    integral_floats: bool = False


def parse_body(raw: bytes, encoding: str = "utf-8") -> ParsedBody:
    """The body's value, or ``InvalidRequest`` for what this server does not accept."""
    parsed = ParsedBody(None)

    def number(text: str) -> float:
        value = float(text)
        if value.is_integer():
            parsed.integral_floats = True
        return value

    try:
        text = raw.decode(encoding)
    except LookupError:  # no such charset, or not one for text (``base64``)
        raise InvalidRequest(
            f"Unsupported charset in the Content-Type header: {encoding[:40]!r}. "
            "Send JSON as UTF-8."
        ) from None
    except UnicodeDecodeError:
        raise InvalidRequest(NOT_JSON) from None
    try:
        parsed.value = json.loads(text, parse_float=number, parse_constant=_not_json)
    except RecursionError:
        raise InvalidRequest(TOO_DEEP) from None
    except ValueError:
        raise InvalidRequest(NOT_JSON) from None
    if codecs.lookup(encoding).name != "utf-8":
        # The checks below read UTF-8 bytes: those of the decoded text. A lone surrogate (some
        # charsets decode to one) cannot be UTF-8, and is refused as an escaped one is.
        try:
            raw = text.encode()
        except UnicodeEncodeError:
            _refuse_lone_surrogates(parsed.value)
            raise InvalidRequest(NOT_JSON) from None
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth_of(raw) > MAX_DEPTH:
        raise InvalidRequest(TOO_DEEP)
    if _SURROGATE_ESCAPE.search(raw):
        _refuse_lone_surrogates(parsed.value)
    return parsed


def _not_json(constant: str) -> None:
    """``NaN`` and ``Infinity``, which Python's json accepts and JSON does not."""
    raise ValueError(f"{constant} is not JSON")


def depth_of(raw: bytes) -> int:
    """How deep the brackets of a valid JSON text nest (brackets inside strings do not count)."""
    # Escapes go first (``\\`` pairs, then ``\"``), so every quote left delimits a string; the
    # even parts between quotes are outside strings.
    unescaped = raw.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.translate(None, _DROP).split(b'"')[::2])
    return max(accumulate(_STEP[b] for b in outside), default=0)


def _strings(value: Any) -> Iterator[tuple[list[Any], str]]:
    """Every string of a parsed body with its path; a key's path is that of its object."""
    stack: list[tuple[list[Any], Any]] = [([], value)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, str):
            yield path, node
        elif isinstance(node, dict):
            for key, item in node.items():
                yield path, key
                stack.append(([*path, key], item))
        elif isinstance(node, list):
            stack.extend(([*path, index], item) for index, item in enumerate(node))


def _refuse_lone_surrogates(value: Any) -> None:
    try:
        json.dumps(value, ensure_ascii=False).encode()
        return
    except UnicodeEncodeError:
        pass  # find where, to name it
    for path, text in _strings(value):
        if text.isascii():
            continue
        try:
            text.encode()
        except UnicodeEncodeError:
            where = param_path(path)
            subject = f"the value of '{where}'" if where else "the body"
            raise InvalidRequest(
                f"Invalid Unicode in {subject}: it contains a lone surrogate (such as \\ud800), "
                "which is not a character. Send text as valid UTF-8.",
                param=where,
            ) from None


Resolve = Callable[[Any], Any]
"""What a schema's ``$ref`` points at (the schema itself when it has none)."""


def _unresolved(schema: Any) -> Any:
    return schema


def integers_as_int(value: Any, schema: Any, resolve: Resolve = _unresolved) -> Any:
    """``value`` with each integral float that ``schema`` types as an integer made an ``int``.

    Branches (``anyOf``/``oneOf``/``allOf``) and ``$ref``s (through ``resolve``) are all
    followed; a float becomes an int only where some branch says ``integer`` and none says
    ``number``.
    """
    return _convert(value, _branches(schema, resolve), resolve)


def _branches(schema: Any, resolve: Resolve) -> list[dict]:
    found: list[dict] = []
    seen: set[int] = set()
    stack = [schema]
    while stack:
        node = resolve(stack.pop())
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        found.append(node)
        for key in ("anyOf", "oneOf", "allOf"):
            stack.extend(node.get(key) or ())
    return found


def _types(schema: dict) -> set[str]:
    kind = schema.get("type")
    return set(kind) if isinstance(kind, list) else {kind} if isinstance(kind, str) else set()


def _convert(value: Any, schemas: list[dict], resolve: Resolve) -> Any:
    if isinstance(value, float):
        types = set().union(*map(_types, schemas)) if schemas else set()
        if "integer" in types and "number" not in types and value.is_integer():
            return int(value)
        return value
    if isinstance(value, dict):
        return {
            key: _convert(item, _branches_of_property(schemas, key, resolve), resolve)
            for key, item in value.items()
        }
    if isinstance(value, list):
        items = [s["items"] for s in schemas if isinstance(s.get("items"), dict)]
        below = [b for schema in items for b in _branches(schema, resolve)]
        return [_convert(item, below, resolve) for item in value]
    return value


def _branches_of_property(schemas: list[dict], key: str, resolve: Resolve) -> list[dict]:
    found: list[dict] = []
    for schema in schemas:
        below = (schema.get("properties") or {}).get(key)
        if below is None and isinstance(schema.get("additionalProperties"), dict):
            below = schema["additionalProperties"]
        if below is not None:
            found += _branches(below, resolve)
    return found
