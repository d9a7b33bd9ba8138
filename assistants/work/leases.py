"""The registry of unfinished work and the leases of the work executing now.

Registry entries live under one reserved tenant, so that one list finds every unfinished unit of
work in a database; leases live with the tenant's data (in astra mode, the tenant's database).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass

from storage.base import Delete, Json, Key, Kind, Put, Store

SYSTEM_TENANT = "__system__"  # real tenants are SHA-256 hex digests, so this never collides
REGISTRY = "work"  # SYSTEM documents of SYSTEM_TENANT: every unit of work not yet finished
LEASES = "lease"  # SYSTEM documents of the tenant: until when each executing unit is held


@dataclass(frozen=True, slots=True)
class WorkRef:
    """One unit of work: its kind (``run``, ``response``, ``ingest``), tenant, id and parent."""

    kind: str
    tenant: str
    id: str
    parent: str = ""

    def entry(self) -> Json:
        return {"id": self.id, "kind": self.kind, "tenant": self.tenant, "parent": self.parent}

    @classmethod
    def of(cls, entry: Json) -> WorkRef:
        return cls(entry["kind"], entry["tenant"], entry["id"], entry.get("parent", ""))


def registry_key(work_id: str) -> Key:
    return Key(SYSTEM_TENANT, Kind.SYSTEM, REGISTRY, work_id)


def lease_key(tenant: str, work_id: str) -> Key:
    return Key(tenant, Kind.SYSTEM, LEASES, work_id)


def lease_put(tenant: str, work_id: str, seconds: float) -> Put:
    doc = {"id": work_id, "until": time.time() + seconds, "pid": os.getpid()}
    return Put(lease_key(tenant, work_id), doc)


def register(ref: WorkRef, lease_seconds: float) -> list[Put]:
    """Writes that make new work known to the sweepers (batch them with the work's own object)."""
    return [Put(registry_key(ref.id), ref.entry()), lease_put(ref.tenant, ref.id, lease_seconds)]


def unregister(ref: WorkRef) -> list[Delete]:
    return [Delete(registry_key(ref.id)), Delete(lease_key(ref.tenant, ref.id))]


async def renew(store: Store, tenant: str, work_id: str, seconds: float) -> None:
    put = lease_put(tenant, work_id, seconds)
    await store.docs.put(put.key, put.doc)


async def drop_lease(store: Store, tenant: str, work_id: str) -> None:
    """The work waits (for tool outputs, say): registered, but nothing executes it."""
    await store.docs.delete(lease_key(tenant, work_id))


async def lease_expired(store: Store, tenant: str, work_id: str) -> bool:
    lease = await store.docs.get(lease_key(tenant, work_id))
    return lease is None or lease.doc["until"] < time.time()
