"""A stored response as durable work: settled (failed) when its worker died."""

from __future__ import annotations

from assistants.ids import now
from assistants.responses.executor import INTERRUPTED, response_key
from assistants.responses.objects import ACTIVE
from assistants.work.leases import WorkRef, lease_expired
from assistants.work.service import Settled
from storage.base import Json, Store
from storage.errors import VersionConflict


async def settle_if_dead(store: Store, tenant: str, response: Json, version: int) -> Json:
    """Fail (or, if a cancel was asked, cancel) an active response whose lease ran out."""
    if response["status"] not in ACTIVE or not await lease_expired(store, tenant, response["id"]):
        return response
    if response.get("_cancel"):
        settled = {**response, "status": "cancelled"}
    else:
        error = {"code": "server_error", "message": INTERRUPTED}
        settled = {**response, "status": "failed", "error": error}
    settled["_ended_at"] = now()
    try:
        await store.docs.put(
            response_key(tenant, response["id"]), settled, expected_version=version
        )
    except VersionConflict:
        return response
    return settled


class ResponseSettler:
    async def settle(self, store: Store, work: WorkRef) -> Settled:
        stored = await store.docs.get(response_key(work.tenant, work.id))
        if stored is None or stored.doc["status"] not in ACTIVE:
            return Settled.FINISHED
        settled = await settle_if_dead(store, work.tenant, stored.doc, stored.version)
        return Settled.ACTIVE if settled["status"] in ACTIVE else Settled.FINISHED
