"""CQL texts for documents, and the codec between API objects and rows.

All non-LWT writes carry ``USING TIMESTAMP ?`` so that, inside one logged batch, deletions can be
ordered before insertions (a tombstone wins a tie with a write of the same timestamp).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from storage.base import FILTERABLE, Json, Key, Kind

PK = "tenant = ? AND kind = ? AND parent = ?"


@dataclass(frozen=True, slots=True)
class DocCql:
    get: str
    state: str
    get_many: str
    body: str
    bodies: str
    insert: str
    insert_body: str
    delete: str
    delete_body: str
    delete_bodies_of: str
    insert_index: str
    delete_index: str
    delete_partition: str
    delete_partition_bodies: str
    delete_partition_index: str
    cas_insert: str
    cas_update: str
    cas_delete: str


def doc_cql(ks: str) -> DocCql:
    return DocCql(
        get=f"SELECT doc, body_id, version FROM {ks}.docs WHERE {PK} AND id = ?",
        state=f"SELECT version, attrs, body_id, lwt FROM {ks}.docs WHERE {PK} AND id = ?",
        get_many=f"SELECT id, doc, body_id, version FROM {ks}.docs WHERE {PK} AND id IN ?",
        body=f"SELECT doc FROM {ks}.doc_bodies WHERE {PK} AND id = ? AND body_id = ?",
        bodies=f"SELECT id, body_id, doc FROM {ks}.doc_bodies WHERE {PK} AND id IN ?",
        insert=(
            f"INSERT INTO {ks}.docs (tenant, kind, parent, id, doc, body_id, version, attrs) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
        ),
        insert_body=(
            f"INSERT INTO {ks}.doc_bodies (tenant, kind, parent, id, body_id, doc) "
            "VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
        ),
        delete=f"DELETE FROM {ks}.docs USING TIMESTAMP ? WHERE {PK} AND id = ?",
        delete_body=(
            f"DELETE FROM {ks}.doc_bodies USING TIMESTAMP ? WHERE {PK} AND id = ? AND body_id = ?"
        ),
        delete_bodies_of=f"DELETE FROM {ks}.doc_bodies USING TIMESTAMP ? WHERE {PK} AND id = ?",
        insert_index=(
            f"INSERT INTO {ks}.doc_index (tenant, kind, parent, attr, value, id) "
            "VALUES (?, ?, ?, ?, ?, ?) USING TIMESTAMP ?"
        ),
        delete_index=(
            f"DELETE FROM {ks}.doc_index USING TIMESTAMP ? "
            f"WHERE {PK} AND attr = ? AND value = ? AND id = ?"
        ),
        delete_partition=f"DELETE FROM {ks}.docs USING TIMESTAMP ? WHERE {PK}",
        delete_partition_bodies=f"DELETE FROM {ks}.doc_bodies USING TIMESTAMP ? WHERE {PK}",
        delete_partition_index=(
            f"DELETE FROM {ks}.doc_index USING TIMESTAMP ? WHERE {PK} AND attr = ?"
        ),
        cas_insert=(
            f"INSERT INTO {ks}.docs (tenant, kind, parent, id, doc, version, attrs, lwt) "
            "VALUES (?, ?, ?, ?, ?, 1, ?, true) IF NOT EXISTS"
        ),
        cas_update=(
            f"UPDATE {ks}.docs SET doc = ?, body_id = null, version = ?, attrs = ?, lwt = true "
            f"WHERE {PK} AND id = ? IF version = ?"
        ),
        cas_delete=f"DELETE FROM {ks}.docs WHERE {PK} AND id = ? IF EXISTS",
    )


def pk(key: Key) -> tuple[str, str, str]:
    return (key.tenant, key.kind.value, key.parent)


def encode(doc: Json) -> str:
    """Compact JSON that is valid UTF-8 (a lone surrogate is kept as a ``\\udXXX`` escape)."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    try:
        text.encode()
    except UnicodeEncodeError:
        return json.dumps(doc, separators=(",", ":"))
    return text


def decode(text: str) -> Json:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise ValueError("stored document is not a JSON object")
    return value


def attrs_of(kind: Kind, doc: Json) -> dict[str, str]:
    """The FILTERABLE attributes of ``doc`` that hold strings (others are not indexed)."""
    found: dict[str, str] = {}
    for name in FILTERABLE.get(kind, ()):
        value = doc.get(name)
        if isinstance(value, str):
            found[name] = value
    return found


def check_filters(kind: Kind, filters: dict[str, str]) -> None:
    allowed = FILTERABLE.get(kind, ())
    unknown = sorted(set(filters) - set(allowed))
    if unknown:
        raise ValueError(f"{kind.value} lists cannot be filtered on {', '.join(unknown)}")
