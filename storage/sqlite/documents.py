"""Documents in one SQLite table, with the filterable attributes copied into indexed columns."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic_core import PydanticSerializationError, to_json

from storage.base import (
    FILTERABLE,
    Delete,
    DeleteChildren,
    Json,
    Key,
    Kind,
    Page,
    PageQuery,
    Put,
    Stored,
    WriteOp,
)
from storage.errors import VersionConflict
from storage.sqlite.database import Database
from storage.sqlite.paging import page_sql, shape_page
from storage.sqlite.schema import ATTRIBUTE_COLUMNS

_COLUMNS = ", ".join(ATTRIBUTE_COLUMNS)
_MARKS = ", ".join("?" for _ in ATTRIBUTE_COLUMNS)
_KEY_WHERE = "tenant = ? AND kind = ? AND parent = ? AND id = ?"
# Ids per statement of `get_many` (SQLite allows 32,766 parameters; a short statement is reused).
_IDS_PER_READ = 100

# No RETURNING: SQLite runs it through a temporary table, which costs a fresh insert more than
# the insert itself (~17 us against ~7 us); the version written is known without it.
_INSERT_NEW = f"""
    INSERT INTO documents (tenant, kind, parent, id, version, {_COLUMNS}, body)
    VALUES (?, ?, ?, ?, 1, {_MARKS}, ?)
    ON CONFLICT (tenant, kind, parent, id) DO NOTHING"""
_UPDATE = f"""
    UPDATE documents
    SET version = version + 1, {", ".join(f"{c} = ?" for c in ATTRIBUTE_COLUMNS)}, body = ?
    WHERE {_KEY_WHERE}"""
_UPDATE_IF = f"{_UPDATE} AND version = ?"
_VERSION = f"SELECT version FROM documents WHERE {_KEY_WHERE}"


class SqliteDocuments:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def get(self, key: Key) -> Stored | None:
        def load(conn: sqlite3.Connection) -> Stored | None:
            row = conn.execute(
                f"SELECT version, body FROM documents WHERE {_KEY_WHERE}", _key(key)
            ).fetchone()
            return None if row is None else Stored(key.id, json.loads(row[1]), row[0])

        return await self._db.read(load)

    async def get_many(
        self, tenant: str, kind: Kind, parent: str, ids: Sequence[str]
    ) -> dict[str, Stored]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}

        def load(conn: sqlite3.Connection) -> dict[str, Stored]:
            found: dict[str, Stored] = {}
            for start in range(0, len(wanted), _IDS_PER_READ):
                part = wanted[start : start + _IDS_PER_READ]
                marks = ", ".join("?" for _ in part)
                rows = conn.execute(
                    "SELECT id, version, body FROM documents "
                    f"WHERE tenant = ? AND kind = ? AND parent = ? AND id IN ({marks})",
                    (tenant, kind.value, parent, *part),
                )
                for doc_id, version, body in rows:
                    found[doc_id] = Stored(doc_id, json.loads(body), version)
            return found

        return await self._db.read(load)

    async def put(self, key: Key, doc: Json, *, expected_version: int | None = None) -> int:
        if expected_version is not None and expected_version < 0:
            raise ValueError("expected_version must be >= 0")
        return await self._db.write(lambda conn: _put(conn, key, doc, expected_version))

    async def delete(self, key: Key) -> bool:
        return await self._db.write(
            lambda conn: (
                conn.execute(f"DELETE FROM documents WHERE {_KEY_WHERE}", _key(key)).rowcount > 0
            )
        )

    async def list(
        self,
        tenant: str,
        kind: Kind,
        parent: str,
        query: PageQuery,
        filters: Mapping[str, str] | None = None,
    ) -> Page:
        filters = dict(filters or {})
        unknown = set(filters) - set(FILTERABLE.get(kind, ()))
        if unknown:
            raise ValueError(f"{kind} documents cannot be filtered on {sorted(unknown)}")
        sql, params = page_sql(tenant, kind.value, parent, query, filters)

        def load(conn: sqlite3.Connection) -> Page:
            items, has_more = shape_page(conn.execute(sql, params).fetchall(), query)
            return Page([Stored(i, json.loads(body), v) for i, v, body in items], has_more)

        return await self._db.read(load)

    async def write(self, ops: Sequence[WriteOp]) -> None:
        if ops:
            await self._db.write(lambda conn: _write(conn, ops))


def _put(conn: sqlite3.Connection, key: Key, doc: Json, expected_version: int | None) -> int:
    """Write `doc` (within the caller's transaction); the version it now has."""
    body, attrs = _encode(key.kind, doc)
    keyed = _key(key)
    if expected_version:
        if conn.execute(_UPDATE_IF, (*attrs, body, *keyed, expected_version)).rowcount == 1:
            return expected_version + 1
    elif conn.execute(_INSERT_NEW, (*keyed, *attrs, body)).rowcount == 1:
        return 1
    elif expected_version is None:  # it exists: overwrite it
        conn.execute(_UPDATE, (*attrs, body, *keyed))
        version: int = conn.execute(_VERSION, keyed).fetchone()[0]
        return version
    raise VersionConflict(f"{key.kind} {key.id} is not at version {expected_version}")


def _write(conn: sqlite3.Connection, ops: Sequence[WriteOp]) -> None:
    for op in ops:
        if isinstance(op, Put):
            _put(conn, op.key, op.doc, None)
        elif isinstance(op, Delete):
            conn.execute(f"DELETE FROM documents WHERE {_KEY_WHERE}", _key(op.key))
        elif isinstance(op, DeleteChildren):
            conn.execute(
                "DELETE FROM documents WHERE tenant = ? AND kind = ? AND parent = ?",
                (op.tenant, op.kind.value, op.parent),
            )
        else:
            raise TypeError(f"unknown write op {op!r}")


def _key(key: Key) -> tuple[str, str, str, str]:
    return (key.tenant, key.kind.value, key.parent, key.id)


def _encode(kind: Kind, doc: Json) -> tuple[str, list[str | None]]:
    filterable = FILTERABLE.get(kind, ())
    attrs: list[str | None] = []
    for column in ATTRIBUTE_COLUMNS:
        value: Any = doc.get(column) if column in filterable else None
        attrs.append(value if isinstance(value, str) else None)
    return _dumps(doc), attrs


def _dumps(doc: Json) -> str:
    try:
        # pydantic-core's encoder: a fifth of json.dumps's CPU for the same compact UTF-8 text.
        return to_json(doc).decode()
    except PydanticSerializationError:
        # A lone surrogate (valid in JSON input, not in UTF-8): keep it as an escape.
        return json.dumps(doc, separators=(",", ":"))
