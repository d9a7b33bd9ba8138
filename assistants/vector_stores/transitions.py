"""Status changes of vector store files, each applied once and reflected in the counts."""

from __future__ import annotations

from collections.abc import Callable

from assistants.context import Ctx
from assistants.vector_stores.counts import account
from assistants.vector_stores.records import Updated, file_key, membership_key, update_doc
from storage.base import Delete, Json


async def transition(
    ctx: Ctx, vector_store_id: str, file_id: str, change: Callable[[Json], Json | None]
) -> Updated:
    """Compare-and-set a vector store file, then move the counts of its store and batch."""
    updated = await update_doc(ctx.store, file_key(ctx.tenant, vector_store_id, file_id), change)
    if updated.after is not None:
        await account(ctx, vector_store_id, updated.before, updated.after)
    return updated


def settle(
    job_id: str, status: str, usage_bytes: int = 0, last_error: Json | None = None
) -> Callable[[Json], Json | None]:
    """The end of an ingestion job, if the file still waits for this very job."""

    def change(doc: Json) -> Json | None:
        if doc.get("_job") != job_id or doc["status"] != "in_progress" or doc.get("_deleted"):
            return None
        doc.update(status=status, usage_bytes=usage_bytes, last_error=last_error)
        return doc

    return change


def cancel_in(batch_id: str) -> Callable[[Json], Json | None]:
    def change(doc: Json) -> Json | None:
        if doc.get("batch_id") != batch_id or doc["status"] != "in_progress" or doc.get("_deleted"):
            return None
        doc.update(status="cancelled", last_error=None)
        return doc

    return change


async def remove_file(ctx: Ctx, vector_store_id: str, file_id: str) -> bool:
    """Detach a file from a store: its document, its chunks, its share of the counts.

    The document is first marked deleted by compare-and-set, so a job finishing at the same moment
    cannot count the file again; then it is removed. Returns whether the file was attached.
    """

    def mark(doc: Json) -> Json | None:
        return None if doc.get("_deleted") else {**doc, "_deleted": True}

    updated = await update_doc(ctx.store, file_key(ctx.tenant, vector_store_id, file_id), mark)
    if updated.before is None:
        return False
    if updated.after is not None:
        await account(ctx, vector_store_id, updated.before, None)
    await ctx.store.docs.write(
        [
            Delete(file_key(ctx.tenant, vector_store_id, file_id)),
            Delete(membership_key(ctx.tenant, file_id, vector_store_id)),
        ]
    )
    await ctx.store.chunks.delete_file(ctx.tenant, vector_store_id, file_id)
    return True
