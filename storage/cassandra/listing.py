"""Paginated lists: OpenAI's cursor semantics as clustering-column slices.

* ``after=X``: the ids after X in the requested order: one forward slice from X.
* ``before=X``: the ids before X in the requested order: a slice walking away from X (opposite
  order), reversed afterwards so the page still comes in the requested order.
* ``limit + 1`` rows are read; the extra one only says ``has_more``.

A filtered list slices the ``doc_index`` partition of one attribute ``(value, id)``, then reads the
documents with one ``id IN ?`` query on their partition and re-checks every filter against the
document itself, so stale lookup rows (see ``documents``) are skipped, never shown.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, replace

from storage.base import Kind, Page, PageQuery, Stored
from storage.cassandra.doc_cql import PK, DocCql, attrs_of, check_filters, decode
from storage.cassandra.session import CqlSession, Row

# When several filters are given, slice the index of the most selective one, check the others.
SELECTIVITY = ("run_id", "batch_id", "purpose", "status")
# Ids per `IN` query of `by_ids` (each key of an `IN` is a lookup the coordinator makes).
IDS_PER_READ = 100


@dataclass(frozen=True, slots=True)
class Scan:
    descending: bool  # CQL ORDER BY id DESC
    gt: str | None  # id > gt
    lt: str | None  # id < lt
    reverse: bool  # rows come nearest-the-cursor first; reverse into the requested order

    def advance(self, last_id: str) -> Scan:
        return replace(self, lt=last_id) if self.descending else replace(self, gt=last_id)

    def bounds(self) -> tuple[str, ...]:
        return tuple(b for b in (self.gt, self.lt) if b is not None)


def plan_scan(query: PageQuery) -> Scan:
    ascending = query.order == "asc"
    if query.after is not None:
        if ascending:
            return Scan(False, query.after, query.before, False)
        return Scan(True, query.before, query.after, False)
    if query.before is not None:
        if ascending:
            return Scan(True, None, query.before, True)
        return Scan(False, query.before, None, True)
    return Scan(not ascending, None, None, False)


class Lister:
    def __init__(self, cql: CqlSession, keyspace: str, q: DocCql) -> None:
        self._cql = cql
        self._ks = keyspace
        self._q = q

    async def page(
        self, tenant: str, kind: Kind, parent: str, query: PageQuery, filters: dict[str, str]
    ) -> Page:
        check_filters(kind, filters)
        if query.limit < 1:
            return Page([], False)
        scan = plan_scan(query)
        want = query.limit + 1
        part = (tenant, kind.value, parent)
        if filters:
            items = await self._filtered(part, kind, scan, want, filters)
        else:
            rows = await self._cql.rows(self._docs_slice(scan), (*part, *scan.bounds(), want))
            items = await self._resolve(part, rows)
        has_more = len(items) > query.limit
        items = items[: query.limit]
        if scan.reverse:
            items.reverse()
        return Page(items, has_more)

    async def _filtered(
        self,
        part: tuple[str, str, str],
        kind: Kind,
        scan: Scan,
        want: int,
        filters: dict[str, str],
    ) -> list[Stored]:
        attr = min(filters, key=lambda a: SELECTIVITY.index(a) if a in SELECTIVITY else 99)
        found: list[Stored] = []
        while len(found) < want:
            need = want - len(found)
            params = (*part, attr, filters[attr], *scan.bounds(), need)
            ids = [r[0] for r in await self._cql.rows(self._index_slice(scan), params)]
            if not ids:
                break
            by_id = {s.id: s for s in await self.by_ids(part, ids)}
            for doc_id in ids:
                stored = by_id.get(doc_id)
                if stored is not None and _matches(kind, stored, filters):
                    found.append(stored)
            if len(ids) < need:
                break
            scan = scan.advance(ids[-1])
        return found

    async def by_ids(self, part: tuple[str, str, str], ids: list[str]) -> list[Stored]:
        """The documents of these ids in one partition that exist: one query (and one more for
        spilled bodies) per `IDS_PER_READ`, those concurrently."""
        parts = [ids[i : i + IDS_PER_READ] for i in range(0, len(ids), IDS_PER_READ)]
        found = await asyncio.gather(
            *(self._cql.rows(self._q.get_many, (*part, some)) for some in parts)
        )
        resolved = await asyncio.gather(*(self._resolve(part, rows) for rows in found))
        return [stored for group in resolved for stored in group]

    async def _resolve(self, part: tuple[str, str, str], rows: list[Row]) -> list[Stored]:
        """Rows ``(id, doc, body_id, version)`` as documents; spilled bodies in one query."""
        spilled = [r[0] for r in rows if r[1] is None and r[2] is not None]
        bodies: dict[tuple[str, object], str] = {}
        if spilled:
            for doc_id, body_id, text in await self._cql.rows(self._q.bodies, (*part, spilled)):
                bodies[(doc_id, body_id)] = text
        out: list[Stored] = []
        missing: list[int] = []
        for doc_id, text, body_id, version in rows:
            if text is None and body_id is not None:
                text = bodies.get((doc_id, body_id))
            if text is None or version is None:
                missing.append(len(out))
                out.append(Stored(doc_id, {}, -1))
                continue
            out.append(Stored(doc_id, decode(text), int(version)))
        if missing:
            # A body replaced between our two reads: read those documents again, one by one.
            again = await asyncio.gather(*(self._get(part, out[i].id) for i in missing))
            for i, stored in zip(missing, again, strict=True):
                out[i] = stored if stored is not None else out[i]
        return [s for s in out if s.version >= 0]

    async def _get(self, part: tuple[str, str, str], doc_id: str) -> Stored | None:
        row = await self._cql.one(self._q.get, (*part, doc_id))
        if row is None or row[2] is None:
            return None
        text, body_id, version = row
        if text is None and body_id is not None:
            body = await self._cql.one(self._q.body, (*part, doc_id, body_id))
            text = body[0] if body else None
        return None if text is None else Stored(doc_id, decode(text), int(version))

    def _docs_slice(self, scan: Scan) -> str:
        order = "DESC" if scan.descending else "ASC"
        return (
            f"SELECT id, doc, body_id, version FROM {self._ks}.docs WHERE {PK}{_range(scan)} "
            f"ORDER BY id {order} LIMIT ?"
        )

    def _index_slice(self, scan: Scan) -> str:
        order = "DESC" if scan.descending else "ASC"
        return (
            f"SELECT id FROM {self._ks}.doc_index WHERE {PK} AND attr = ? AND value = ?"
            f"{_range(scan)} ORDER BY value {order}, id {order} LIMIT ?"
        )


def _range(scan: Scan) -> str:
    text = ""
    if scan.gt is not None:
        text += " AND id > ?"
    if scan.lt is not None:
        text += " AND id < ?"
    return text


def _matches(kind: Kind, stored: Stored, filters: Mapping[str, str]) -> bool:
    attrs = attrs_of(kind, stored.doc)
    return all(attrs.get(a) == v for a, v in filters.items())
