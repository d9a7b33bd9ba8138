"""OpenAI's attribute filters (``ComparisonFilter``, ``CompoundFilter``) as predicates.

Comparisons are type-aware: a boolean never equals a number, and ``gt``/``gte``/``lt``/``lte``
compare two numbers or two strings, anything else being false. A file without the attribute
matches only ``ne`` and ``nin``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from typing import Any

from assistants.errors import InvalidInput

Attributes = dict[str, Any]
Predicate = Callable[[Attributes], bool]

_ORDERED: dict[str, Callable[[Any, Any], bool]] = {
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}
_COMPARISONS = ("eq", "ne", "in", "nin", *_ORDERED)
MAX_DEPTH = 16


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return "string" if isinstance(value, str) else "other"


def _same(a: Any, b: Any) -> bool:
    return _kind(a) == _kind(b) and a == b


def _comparison(spec: dict[str, Any], param: str) -> Predicate:
    op, key, value = spec.get("type", "eq"), spec.get("key"), spec.get("value")
    if not isinstance(key, str):
        raise InvalidInput(f"Invalid '{param}.key': expected a string.", param=f"{param}.key")
    listed = op in ("in", "nin")
    if listed != isinstance(value, list) or (not listed and _kind(value) == "other"):
        wanted = "an array" if listed else "a string, number or boolean"
        raise InvalidInput(f"Invalid '{param}.value': expected {wanted}.", param=f"{param}.value")
    if op == "eq":
        return lambda attrs: key in attrs and _same(attrs[key], value)
    if op == "ne":
        return lambda attrs: not (key in attrs and _same(attrs[key], value))
    choices: list[Any] = value if isinstance(value, list) else []
    if op == "in":
        return lambda attrs: key in attrs and any(_same(attrs[key], v) for v in choices)
    if op == "nin":
        return lambda attrs: not (key in attrs and any(_same(attrs[key], v) for v in choices))
    compare = _ORDERED[op]

    def ordered(attrs: Attributes) -> bool:
        if key not in attrs:
            return False
        have = attrs[key]
        kind = _kind(have)
        return kind in ("number", "string") and kind == _kind(value) and compare(have, value)

    return ordered


def compile_filter(spec: Any, param: str = "filters", depth: int = 0) -> Predicate:
    """A predicate over a file's attributes; ``InvalidInput`` names what is malformed."""
    if not isinstance(spec, dict):
        raise InvalidInput(f"Invalid '{param}': expected an object.", param=param)
    if depth > MAX_DEPTH:
        raise InvalidInput(f"Invalid '{param}': filters nest too deeply.", param=param)
    kind = spec.get("type", "eq")
    if kind in ("and", "or"):
        items = spec.get("filters")
        if not isinstance(items, list):
            raise InvalidInput(f"Invalid '{param}.filters': expected an array.", param=param)
        parts = [
            compile_filter(item, f"{param}.filters[{i}]", depth + 1) for i, item in enumerate(items)
        ]
        if kind == "and":
            return lambda attrs: all(part(attrs) for part in parts)
        return lambda attrs: any(part(attrs) for part in parts)
    if kind not in _COMPARISONS:
        raise InvalidInput(f"Invalid '{param}.type': unknown filter {kind!r}.", param=param)
    return _comparison(spec, param)
