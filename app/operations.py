"""What the composed spec says about each operation, precomputed once for the request path: the
operations by id, and the router that finds a request's operation in one pass."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openapi.fixes import STREAMING_OPERATIONS, operations

_PARAM = re.compile(r"^\{([^}]+)\}$")


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
    spec: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    """The operation's object in the spec (`$ref`s unresolved)."""
    parameters: tuple[dict[str, Any], ...] = ()
    """Its parameters, references to the spec's components resolved."""


@dataclass(frozen=True, slots=True)
class Routed:
    """Where a request goes: its operation and path parameters; or, with `info` None, the
    methods its path allows (none when no path of the spec matches)."""

    info: OperationInfo | None
    params: dict[str, str]
    allowed: frozenset[str] = frozenset()


Methods = dict[str, OperationInfo]
Template = tuple[str | None, ...]
"""A templated path's segments: the literal text, or None where a parameter goes."""


@dataclass
class OperationTable:
    by_id: dict[str, OperationInfo]
    _static: dict[str, Methods] = field(default_factory=dict)
    _templated: dict[int, list[tuple[Template, tuple[str, ...], Methods]]] = field(
        default_factory=dict
    )

    @classmethod
    def from_spec(cls, spec: dict, base_path: str = "/v1") -> OperationTable:
        by_id: dict[str, OperationInfo] = {}
        table = cls(by_id)
        components = spec.get("components", {}).get("parameters", {})
        for path, method, operation in operations(spec):
            op_id = operation.get("operationId")
            if not op_id:
                continue
            parameters = tuple(
                components.get(p["$ref"].rsplit("/", 1)[-1], {}) if "$ref" in p else p
                for p in operation.get("parameters", [])
            )
            query = [
                QueryParam(
                    name=p["name"],
                    schema=p.get("schema", {}),
                    is_array=p.get("schema", {}).get("type") == "array",
                    default=p.get("schema", {}).get("default"),
                )
                for p in parameters
                if p.get("in") == "query"
            ]
            info = OperationInfo(
                op_id,
                method.upper(),
                path,
                tuple(query),
                op_id in STREAMING_OPERATIONS,
                spec=operation,
                parameters=parameters,
            )
            by_id[op_id] = info
            table._add(base_path + path, info)
        return table

    def _add(self, path: str, info: OperationInfo) -> None:
        if "{" not in path:
            self._static.setdefault(path, {})[info.method] = info
            return
        segments = path.split("/")
        found = [_PARAM.match(segment) for segment in segments]
        template = tuple(None if m else segment for m, segment in zip(found, segments, strict=True))
        names = tuple(m.group(1) for m in found if m)
        routes = self._templated.setdefault(len(segments), [])
        for known, _, methods in routes:
            if known == template:
                methods[info.method] = info
                return
        routes.append((template, names, {info.method: info}))

    def route(self, method: str, path: str) -> Routed:
        """The operation for a request: a path without parameters first, then the templated
        paths in the spec's order."""
        allowed: set[str] = set()
        methods = self._static.get(path)
        if methods is not None:
            info = _for(methods, method)
            if info is not None:
                return Routed(info, {})
            allowed.update(methods)
        segments = path.split("/")
        for template, names, methods in self._templated.get(len(segments), ()):
            values = _match(template, segments)
            if values is None:
                continue
            info = _for(methods, method)
            if info is not None:
                return Routed(info, dict(zip(names, values, strict=True)))
            allowed.update(methods)
        return Routed(None, {}, frozenset(allowed))

    def knows(self, path: str) -> bool:
        """Whether some operation of the spec has this path (with any method)."""
        routed = self.route("GET", path)
        return routed.info is not None or bool(routed.allowed)

    def allowed_methods(self, path: str) -> set[str] | None:
        """The methods the spec defines for a concrete path, or None if no path matches."""
        allowed = self.route("", path).allowed
        return set(allowed) if allowed else None


def _for(methods: Methods, method: str) -> OperationInfo | None:
    """The operation for a method; HEAD is answered as GET (without the body)."""
    info = methods.get(method)
    if info is None and method == "HEAD":
        return methods.get("GET")
    return info


def _match(template: Template, segments: list[str]) -> list[str] | None:
    """The parameter values of a path that fits the template (a value is never empty)."""
    values = []
    for expected, segment in zip(template, segments, strict=True):
        if expected is None:
            if not segment:
                return None
            values.append(segment)
        elif expected != segment:
            return None
    return values


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
