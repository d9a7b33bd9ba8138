"""What the composed spec says about each operation, precomputed once for the request path."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openapi.fixes import STREAMING_OPERATIONS, operations


@dataclass(frozen=True, slots=True)
class QueryParam:
    name: str
    schema: dict[str, Any]
    is_array: bool
    default: Any


@dataclass(frozen=True, slots=True)
class OperationInfo:
    operation_id: str
    method: str
    path: str
    query: tuple[QueryParam, ...]
    streams: bool


@dataclass
class OperationTable:
    by_id: dict[str, OperationInfo]
    _paths: list[tuple[re.Pattern[str], set[str]]] = field(default_factory=list)

    @classmethod
    def from_spec(cls, spec: dict, base_path: str = "/v1") -> OperationTable:
        by_id: dict[str, OperationInfo] = {}
        methods: dict[str, set[str]] = {}
        components = spec.get("components", {}).get("parameters", {})
        for path, method, operation in operations(spec):
            op_id = operation.get("operationId")
            methods.setdefault(path, set()).add(method.upper())
            if not op_id:
                continue
            query = []
            for parameter in operation.get("parameters", []):
                if "$ref" in parameter:
                    parameter = components.get(parameter["$ref"].rsplit("/", 1)[-1], {})
                if parameter.get("in") != "query":
                    continue
                schema = parameter.get("schema", {})
                query.append(
                    QueryParam(
                        name=parameter["name"],
                        schema=schema,
                        is_array=schema.get("type") == "array",
                        default=schema.get("default"),
                    )
                )
            by_id[op_id] = OperationInfo(
                op_id, method.upper(), path, tuple(query), op_id in STREAMING_OPERATIONS
            )
        table = cls(by_id)
        for path, allowed in methods.items():
            pattern = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(base_path + path))
            table._paths.append((re.compile(pattern + "$"), allowed))
        return table

    def allowed_methods(self, path: str) -> set[str] | None:
        """The methods the spec defines for a concrete path, or None if no path matches."""
        found: set[str] | None = None
        for pattern, allowed in self._paths:
            if pattern.match(path):
                found = (found or set()) | allowed
        return found


def query_values(info: OperationInfo, getlist: Callable[[str], list[str]]) -> dict[str, Any]:
    """Typed query parameters with the spec's defaults (validation has already run)."""
    values: dict[str, Any] = {}
    for param in info.query:
        raw = getlist(param.name)
        if not raw and param.is_array:
            raw = getlist(param.name + "[]")  # the openai SDKs send arrays as name[]=
        if not raw:
            if param.default is not None:
                values[param.name] = param.default
            continue
        if param.is_array:
            values[param.name] = [_typed(v, param.schema.get("items", {})) for v in raw]
        else:
            values[param.name] = _typed(raw[-1], param.schema)
    return values


def _typed(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        return int(raw)
    if "number" in kinds:
        return float(raw)
    if "boolean" in kinds:
        return raw.lower() == "true"
    return raw
