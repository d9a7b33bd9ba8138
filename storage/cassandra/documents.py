"""Documents on CQL: reads, versioned writes, and all-or-nothing batches.

Write paths:

* ``put`` (no expected version) and ``write(ops)``: read each target row's state (version, indexed
  attributes, spilled body), then apply every statement in ONE LOGGED BATCH: the document rows,
  their ``doc_index`` lookup rows and the deletions. Versions are ``old + 1``.
* ``put(expected_version=...)``: a lightweight transaction (``INSERT ... IF NOT EXISTS`` for 0,
  ``UPDATE ... IF version = ?`` otherwise). An LWT cannot join a multi-partition batch, so the new
  lookup rows are written before it and the stale ones deleted after it; list reads re-check every
  document against the filter, so a lookup row that is briefly (or, after a crash, forever) stale
  is never visible.
* A row once written by LWT is flagged (``lwt``), and later single-row puts and deletes of it are
  LWTs too: mixing Paxos and plain writes on one row can lose a plain write to a Paxos ballot
  timestamp (or the reverse) under clock skew. ``write(ops)`` batches stay plain writes.
* An LWT whose outcome is unknown (its node died, Paxos timed out or lost a race midway) is run
  again; when that run answers "not applied", the row itself says whether the first one was: it
  holds exactly the text and version this write meant to leave (or, for a delete, nothing).

Cassandra rejects multi-partition batches above ``batch_size_fail_threshold`` (50 KiB by default),
so when a batch would exceed ``BATCH_BUDGET_BYTES`` the largest documents are "spilled": written
first to ``doc_bodies`` (single-partition writes) and referenced by ``body_id`` from the batch.
"""

from __future__ import annotations

import asyncio
import builtins
import logging
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

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
from storage.cassandra.doc_cql import DocCql, attrs_of, decode, doc_cql, encode, pk
from storage.cassandra.listing import Lister
from storage.cassandra.session import CqlSession, Params
from storage.errors import StorageUnavailable, VersionConflict, WriteOutcomeUnknown

log = logging.getLogger(__name__)

BATCH_BUDGET_BYTES = 40_000
ROW_OVERHEAD_BYTES = 100
LWT_RETRIES = 8
LWT_UNKNOWN_PAUSES = (0.05, 0.2, 0.5, 1.0, 2.0)  # then give up (503)


@dataclass(frozen=True, slots=True)
class RowState:
    version: int
    attrs: dict[str, str]
    body_id: uuid.UUID | None
    lwt: bool


@dataclass(slots=True)
class _PutRow:
    key: Key
    text: str
    version: int
    attrs: dict[str, str]
    ts: int
    size: int
    body_id: uuid.UUID | None = None


@dataclass(slots=True)
class _Plan:
    items: list[tuple[str, Params] | _PutRow] = field(default_factory=list)
    partitions: set[tuple[str, ...]] = field(default_factory=set)
    versions: dict[Key, int] = field(default_factory=dict)


class CassandraDocumentStore:
    def __init__(self, cql: CqlSession, keyspace: str, clock: Callable[[], int]) -> None:
        self._cql = cql
        self._q: DocCql = doc_cql(keyspace)
        self._clock = clock
        self._lister = Lister(cql, keyspace, self._q)

    async def get(self, key: Key) -> Stored | None:
        for _ in range(3):
            row = await self._cql.one(self._q.get, (*pk(key), key.id))
            if row is None:
                return None
            text, body_id, version = row
            if text is None and body_id is not None:
                body = await self._cql.one(self._q.body, (*pk(key), key.id, body_id))
                if body is None:  # overwritten between the two reads: read again
                    continue
                text = body[0]
            if text is None or version is None:
                return None
            return Stored(key.id, decode(text), int(version))
        return None

    async def get_many(
        self, tenant: str, kind: Kind, parent: str, ids: Sequence[str]
    ) -> dict[str, Stored]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        found = await self._lister.by_ids((tenant, kind.value, parent), wanted)
        return {stored.id: stored for stored in found}

    async def put(self, key: Key, doc: Json, *, expected_version: int | None = None) -> int:
        if expected_version is not None:
            return await self._compare_and_set(key, doc, expected_version)
        state = await self._state(key)
        if state is not None and state.lwt:
            return await self._put_lwt_row(key, doc, state)
        plan = self._plan([Put(key, doc)], {key: state})
        await self._execute(plan)
        return plan.versions[key]

    async def delete(self, key: Key) -> bool:
        state = await self._state(key)
        if state is None:
            return False
        if state.lwt:
            applied = await self._cas(
                self._q.cas_delete, (*pk(key), key.id), key, lambda row: row is None
            )
            if applied:
                await self._cleanup(key, state, {}, self._clock(), deleted=True)
            return applied
        await self._execute(self._plan([Delete(key)], {key: state}))
        return True

    async def list(
        self,
        tenant: str,
        kind: Kind,
        parent: str,
        query: PageQuery,
        filters: Mapping[str, str] | None = None,
    ) -> Page:
        return await self._lister.page(tenant, kind, parent, query, dict(filters or {}))

    async def write(self, ops: Sequence[WriteOp]) -> None:
        keys = list(dict.fromkeys(op.key for op in ops if isinstance(op, (Put, Delete))))
        states = await asyncio.gather(*(self._state(k) for k in keys))
        await self._execute(self._plan(ops, dict(zip(keys, states, strict=True))))

    # ---------------------------------------------------------------- plain writes

    def _plan(self, ops: Sequence[WriteOp], states: Mapping[Key, RowState | None]) -> _Plan:
        """Statements for ``ops`` in order; each op gets its own, increasing, write timestamp."""
        current = dict(states)
        plan = _Plan()
        q = self._q
        for op in ops:
            ts = self._clock()
            if isinstance(op, DeleteChildren):
                part = (op.tenant, op.kind.value, op.parent)
                plan.items.append((q.delete_partition, (ts, *part)))
                plan.items.append((q.delete_partition_bodies, (ts, *part)))
                plan.partitions.add(("docs", *part))
                for attr in FILTERABLE.get(op.kind, ()):
                    plan.items.append((q.delete_partition_index, (ts, *part, attr)))
                    plan.partitions.add(("index", *part, attr))
                for key in current:
                    if (key.tenant, key.kind, key.parent) == (op.tenant, op.kind, op.parent):
                        current[key] = None
            elif isinstance(op, Delete):
                prev = current.get(op.key)
                if prev is not None:
                    self._plan_delete(plan, op.key, prev, ts)
                current[op.key] = None
            else:
                prev = current.get(op.key)
                version = (prev.version if prev else 0) + 1
                attrs = attrs_of(op.key.kind, op.doc)
                self._plan_index(plan, op.key, prev.attrs if prev else {}, attrs, ts)
                if prev is not None and prev.body_id is not None:
                    plan.items.append((q.delete_body, (ts, *pk(op.key), op.key.id, prev.body_id)))
                text = encode(op.doc)
                size = len(text.encode()) + ROW_OVERHEAD_BYTES
                plan.items.append(_PutRow(op.key, text, version, attrs, ts, size))
                plan.partitions.add(("docs", *pk(op.key)))
                plan.versions[op.key] = version
                current[op.key] = RowState(version, attrs, None, prev.lwt if prev else False)
        return plan

    def _plan_delete(self, plan: _Plan, key: Key, prev: RowState, ts: int) -> None:
        q = self._q
        plan.items.append((q.delete, (ts, *pk(key), key.id)))
        plan.items.append((q.delete_bodies_of, (ts, *pk(key), key.id)))
        plan.partitions.add(("docs", *pk(key)))
        self._plan_index(plan, key, prev.attrs, {}, ts)

    def _plan_index(
        self, plan: _Plan, key: Key, old: Mapping[str, str], new: Mapping[str, str], ts: int
    ) -> None:
        for attr, value in old.items():
            if new.get(attr) != value:
                plan.items.append((self._q.delete_index, (ts, *pk(key), attr, value, key.id)))
                plan.partitions.add(("index", *pk(key), attr))
        for attr, value in new.items():
            if old.get(attr) != value:
                plan.items.append((self._q.insert_index, (*pk(key), attr, value, key.id, ts)))
                plan.partitions.add(("index", *pk(key), attr))

    async def _execute(self, plan: _Plan) -> None:
        rows = [item for item in plan.items if isinstance(item, _PutRow)]
        if len(plan.partitions) > 1:
            await self._spill(rows)
        statements: builtins.list[tuple[str, Params]] = []
        for item in plan.items:
            if isinstance(item, _PutRow):
                text = None if item.body_id else item.text
                attrs = item.attrs or None
                params = (
                    *pk(item.key),
                    item.key.id,
                    text,
                    item.body_id,
                    item.version,
                    attrs,
                    item.ts,
                )
                statements.append((self._q.insert, params))
            else:
                statements.append(item)
        if statements:
            await self._cql.batch(statements, logged=True)

    async def _spill(self, rows: builtins.list[_PutRow]) -> None:
        """Move the largest bodies out of the batch until it fits ``BATCH_BUDGET_BYTES``."""
        total = sum(r.size for r in rows)
        spilled: list[_PutRow] = []
        for row in sorted(rows, key=lambda r: r.size, reverse=True):
            if total <= BATCH_BUDGET_BYTES:
                break
            row.body_id = uuid.uuid1()
            total -= row.size - ROW_OVERHEAD_BYTES
            spilled.append(row)
        await asyncio.gather(
            *(
                self._cql.execute(
                    self._q.insert_body, (*pk(r.key), r.key.id, r.body_id, r.text, r.ts)
                )
                for r in spilled
            )
        )

    # ---------------------------------------------------------------- lightweight transactions

    async def _compare_and_set(self, key: Key, doc: Json, expected: int) -> int:
        text, attrs = encode(doc), attrs_of(key.kind, doc)
        if expected == 0:
            await self._write_index(key, {}, attrs, self._clock())
            applied = await self._insert_if_absent(key, text, attrs)
            if not applied:
                raise VersionConflict(f"{key.kind.value} {key.id} already exists")
            return 1
        state = await self._state(key)
        if state is None or state.version != expected:
            raise VersionConflict(f"{key.kind.value} {key.id} is not at version {expected}")
        version = await self._update_if(key, text, attrs, state)
        if version is None:
            raise VersionConflict(f"{key.kind.value} {key.id} is not at version {expected}")
        return version

    async def _put_lwt_row(self, key: Key, doc: Json, state: RowState | None) -> int:
        text, attrs = encode(doc), attrs_of(key.kind, doc)
        for _ in range(LWT_RETRIES):
            if state is None:
                await self._write_index(key, {}, attrs, self._clock())
                if await self._insert_if_absent(key, text, attrs):
                    return 1
            else:
                version = await self._update_if(key, text, attrs, state)
                if version is not None:
                    return version
            state = await self._state(key)
        raise StorageUnavailable("too many concurrent writes to one document; retry later", 1)

    async def _update_if(
        self, key: Key, text: str, attrs: dict[str, str], state: RowState
    ) -> int | None:
        """``UPDATE ... IF version = state.version``; the new version, or None if it lost."""
        await self._write_index(key, state.attrs, attrs, self._clock())
        version = state.version + 1
        applied = await self._cas(
            self._q.cas_update,
            (text, version, attrs or None, *pk(key), key.id, state.version),
            key,
            lambda row: row == (text, version),
        )
        if not applied:
            return None
        await self._cleanup(key, state, attrs, self._clock())
        return version

    async def _insert_if_absent(self, key: Key, text: str, attrs: dict[str, str]) -> bool:
        return await self._cas(
            self._q.cas_insert,
            (*pk(key), key.id, text, attrs or None),
            key,
            lambda row: row == (text, 1),
        )

    async def _cas(
        self,
        cql: str,
        params: Params,
        key: Key,
        ours: Callable[[tuple[str | None, int] | None], bool],
    ) -> bool:
        """Run one LWT: was it applied? ``ours(row)``: the row is what this write leaves."""
        unknown = False
        for pause in (*LWT_UNKNOWN_PAUSES, None):
            try:
                applied, _ = await self._cql.conditional(cql, params)
            except WriteOutcomeUnknown:
                if pause is None:
                    raise
                log.info("LWT outcome unknown; running it again")
                unknown = True
                await asyncio.sleep(pause)
                continue
            if applied or not unknown:
                return applied
            return ours(await self._text_and_version(key))
        raise AssertionError("unreachable")

    async def _text_and_version(self, key: Key) -> tuple[str | None, int] | None:
        row = await self._cql.one(self._q.get, (*pk(key), key.id))
        if row is None or row[2] is None:
            return None
        return row[0], int(row[2])

    async def _write_index(
        self, key: Key, old: Mapping[str, str], new: Mapping[str, str], ts: int
    ) -> None:
        inserts = [
            self._cql.execute(self._q.insert_index, (*pk(key), a, v, key.id, ts))
            for a, v in new.items()
            if old.get(a) != v
        ]
        await asyncio.gather(*inserts)

    async def _cleanup(
        self,
        key: Key,
        old: RowState,
        new_attrs: Mapping[str, str],
        ts: int,
        *,
        deleted: bool = False,
    ) -> None:
        """After an LWT: drop lookup rows of values the document no longer has, and old bodies."""
        work = [
            self._cql.execute(self._q.delete_index, (ts, *pk(key), a, v, key.id))
            for a, v in old.attrs.items()
            if new_attrs.get(a) != v
        ]
        if deleted:
            work.append(self._cql.execute(self._q.delete_bodies_of, (ts, *pk(key), key.id)))
        elif old.body_id is not None:
            work.append(self._cql.execute(self._q.delete_body, (ts, *pk(key), key.id, old.body_id)))
        await asyncio.gather(*work)

    async def _state(self, key: Key) -> RowState | None:
        row = await self._cql.one(self._q.state, (*pk(key), key.id))
        if row is None or row[0] is None:
            return None
        version, attrs, body_id, lwt = row
        return RowState(int(version), dict(attrs or {}), body_id, bool(lwt))
