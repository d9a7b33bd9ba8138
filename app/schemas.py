"""The spec's schemas for validators: `$ref`s kept and resolved through one registry.

Inlining the references (as Connexion did) makes OpenAI's recursive schemas cyclic, which the
Rust validator cannot compile, so every request fell back to the Python one. Here a schema keeps
its references, pointing into the spec's components registered once under `SPEC_URI`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jsonschema_rs
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

SPEC_URI = "urn:assistants:openapi"
_LOCAL = "#/"


@dataclass(frozen=True, slots=True)
class Registries:
    """The spec's components for both validators: Rust (fast path) and Python (explanations)."""

    rust: Any
    python: Registry[Any]


class SpecSchemas:
    """Schemas of one spec, made self-contained for validation."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._document = {"components": spec.get("components", {})}
        self._registries: Registries | None = None

    @property
    def registries(self) -> Registries:
        if self._registries is None:
            resource = Resource.from_contents(self._document, default_specification=DRAFT202012)
            self._registries = Registries(
                rust=jsonschema_rs.Registry([(SPEC_URI, self._document)]),
                python=Registry().with_resource(SPEC_URI, resource),  # type: ignore[call-arg]
            )
        return self._registries

    def resolve(self, schema: Any) -> Any:
        """`schema` itself, or what its `$ref` points at (followed until a schema without one).

        For walks over a schema outside the validators (``app.json_body``, ``app.uploads``).
        """
        seen = 0
        while isinstance(schema, dict) and isinstance(schema.get("$ref"), str) and seen < 32:
            ref: str = schema["$ref"]
            if ref.startswith(SPEC_URI):
                ref = ref[len(SPEC_URI) :]
            if not ref.startswith(_LOCAL):
                return schema
            node: Any = self._document
            for part in ref[len(_LOCAL) :].split("/"):
                node = node.get(part.replace("~1", "/").replace("~0", "~")) if node else None
            if node is None:
                return schema
            schema, seen = node, seen + 1
        return schema

    @staticmethod
    def standalone(schema: Any) -> Any:
        """A copy of `schema` whose local `$ref`s (`#/components/...`) name the registry."""
        if isinstance(schema, dict):
            return {
                key: (
                    SPEC_URI + value
                    if key == "$ref" and isinstance(value, str) and value.startswith(_LOCAL)
                    else SpecSchemas.standalone(value)
                )
                for key, value in schema.items()
            }
        if isinstance(schema, list):
            return [SpecSchemas.standalone(item) for item in schema]
        return schema
