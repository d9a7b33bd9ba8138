"""Schema violations as OpenAI words them: the field's path as ``param``, the value quoted short.

jsonschema's own messages start with the whole offending value (a 10 MB string comes back
whole); these say what is wrong and quote at most a clipped prefix of the value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from jsonschema import ValidationError

from app.errors import InvalidRequest
from assistants.errors import clipped, clipped_schema_message

_SIZES = {
    "maxLength": ("string too long", "a string with maximum length", "a string"),
    "minLength": ("string too short", "a string with minimum length", "a string"),
    "maxItems": ("array too long", "an array with maximum length", "an array"),
    "minItems": ("array too short", "an array with minimum length", "an array"),
    "maxProperties": ("too many properties", "an object with at most", "an object with"),
    "minProperties": ("too few properties", "an object with at least", "an object with"),
}


def param_path(path: Iterable[Any]) -> str | None:
    """``["tools", 0, "function"]`` -> ``tools[0].function``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return clipped(text, 200) or None


def _size_message(error: ValidationError, where: str) -> str:
    problem, expected, got = _SIZES[str(error.validator)]
    size = len(error.instance)
    if error.validator in ("maxProperties", "minProperties"):
        return (
            f"Invalid '{where}': {problem}. Expected {expected} {error.validator_value} "
            f"properties, but got {got} {size} properties instead."
        )
    return (
        f"Invalid '{where}': {problem}. Expected {expected} {error.validator_value}, "
        f"but got {got} with length {size} instead."
    )


def describe(error: ValidationError) -> str:
    """jsonschema's message with the instance it starts with quoted short."""
    return clipped_schema_message(error.message, error.instance)


def invalid_from(error: ValidationError) -> InvalidRequest:
    """OpenAI-style message and ``param`` for a schema violation."""
    path = list(error.absolute_path)
    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        known = error.schema.get("properties") or {} if isinstance(error.schema, dict) else {}
        extra = next((str(key) for key in instance if key not in known), "?")
        return InvalidRequest(
            f"Unrecognized request argument supplied: {clipped(extra)}",
            param=clipped(param_path([*path, extra]) or extra),
        )
    if error.validator == "required" and isinstance(instance, dict):
        wanted = error.validator_value if isinstance(error.validator_value, list) else []
        name = next((str(key) for key in wanted if key not in instance), "?")
        where = param_path([*path, name])
        return InvalidRequest(f"Missing required parameter: '{where}'.", param=where)
    where = param_path(path)
    if where and error.validator in _SIZES and hasattr(instance, "__len__"):
        return InvalidRequest(_size_message(error, where), param=where)
    prefix = f"Invalid value for '{where}': " if where else "Invalid request body: "
    return InvalidRequest(prefix + describe(error), param=where)
