"""JSON the fake model writes: structured output from a schema, tool-call arguments from text."""

from __future__ import annotations

import json
import re
from typing import Any

_PAIR = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=(\"[^\"]*\"|\S+?)(?=[\s,;]|$)")


def json_content(response_format: dict[str, Any], text: str) -> Any:
    """A value valid for a `json_schema` response format, or `{"echo": text}` for `json_object`."""
    if response_format.get("type") == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        return placeholder(schema, text)
    return {"echo": text}


def tool_arguments(function: dict[str, Any], text: str) -> dict[str, Any]:
    """`key=value` pairs of the text naming the function's properties, placeholders for the rest."""
    schema = function.get("parameters") or {}
    properties: dict[str, Any] = schema.get("properties") or {}
    pairs = {key: _parse_value(value) for key, value in _PAIR.findall(text)}
    arguments = {key: value for key, value in pairs.items() if key in properties}
    for key in schema.get("required") or []:
        if key not in arguments:
            arguments[key] = placeholder(properties.get(key) or {}, text)
    return arguments


def placeholder(schema: dict[str, Any], text: str) -> Any:
    """A small value of the schema's type (strings get `text`)."""
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            return placeholder(schema[key][0], text)
    kind = schema.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object":
        properties: dict[str, Any] = schema.get("properties") or {}
        keys = schema.get("required") or list(properties)
        return {key: placeholder(properties.get(key) or {}, text) for key in keys}
    if kind == "array":
        items = schema.get("items") or {}
        return [placeholder(items, text) for _ in range(schema.get("minItems", 0))]
    if kind in ("integer", "number"):
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return text


def _parse_value(raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        return raw
