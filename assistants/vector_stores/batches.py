"""Vector store file batches: create, retrieve, cancel, list their files."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput
from assistants.ids import new_id, now
from assistants.lookups import fetch_doc
from assistants.pagination import page_query, walk
from assistants.vector_stores.attach import FileSpec, add_files
from assistants.vector_stores.counts import empty_counts
from assistants.vector_stores.files import file_spec, list_files, store_doc
from assistants.vector_stores.records import batch_key, public, update_doc
from assistants.vector_stores.recovery import reap_stale
from assistants.vector_stores.transitions import cancel_in, transition
from storage.base import Json, Kind


def _specs(body: dict[str, Any]) -> tuple[list[FileSpec], str]:
    if body.get("file_ids") and body.get("files"):
        raise InvalidInput("Only one of 'file_ids' and 'files' may be given.", param="files")
    if body.get("files"):
        return [file_spec(entry, f"files[{i}]") for i, entry in enumerate(body["files"])], "files"
    shared: dict[str, Any] = {k: body[k] for k in ("attributes", "chunking_strategy") if k in body}
    if not body.get("file_ids"):
        raise InvalidInput("One of 'file_ids' and 'files' is required.", param="file_ids")
    return [file_spec({**shared, "file_id": f}) for f in body["file_ids"]], "file_ids"


async def create_batch(ctx: Ctx, vector_store_id: str, body: dict[str, Any]) -> Json:
    store = await store_doc(ctx, vector_store_id)
    specs, param = _specs(body)
    batch: Json = {
        "id": new_id("vsfb"),
        "object": "vector_store.files_batch",
        "created_at": now(),
        "vector_store_id": vector_store_id,
        "status": "in_progress",
        "file_counts": empty_counts(),
    }
    await add_files(ctx, store, specs, batch=batch, param=param)
    return public(batch)


async def _batch(ctx: Ctx, vector_store_id: str, batch_id: str) -> Json:
    return await fetch_doc(ctx.store, ctx.tenant, Kind.FILE_BATCH, batch_id, vector_store_id)


async def get_batch(ctx: Ctx, vector_store_id: str, batch_id: str) -> Json:
    await store_doc(ctx, vector_store_id)
    batch = await _batch(ctx, vector_store_id, batch_id)
    if batch["status"] == "in_progress":
        await reap_stale(ctx, vector_store_id)
        batch = await _batch(ctx, vector_store_id, batch_id)
    return public(batch)


async def cancel_batch(ctx: Ctx, vector_store_id: str, batch_id: str) -> Json:
    """Stop the batch: its files still in progress become ``cancelled``; finished ones stay."""
    await store_doc(ctx, vector_store_id)
    await _batch(ctx, vector_store_id, batch_id)

    def change(doc: Json) -> Json | None:
        return {**doc, "status": "cancelled"} if doc["status"] == "in_progress" else None

    updated = await update_doc(ctx.store, batch_key(ctx.tenant, vector_store_id, batch_id), change)
    if updated.after is not None:
        pending = {"batch_id": batch_id, "status": "in_progress"}
        files = walk(ctx.store, ctx.tenant, Kind.VECTOR_STORE_FILE, vector_store_id, pending)
        async for item in files:
            moved = await transition(ctx, vector_store_id, item.id, cancel_in(batch_id))
            if moved.after is not None:
                await ctx.store.chunks.delete_file(ctx.tenant, vector_store_id, item.id)
    return public(await _batch(ctx, vector_store_id, batch_id))


async def list_batch_files(
    ctx: Ctx, vector_store_id: str, batch_id: str, query: dict[str, Any]
) -> Json:
    await store_doc(ctx, vector_store_id)
    await _batch(ctx, vector_store_id, batch_id)
    page_query(query)  # limits are checked before any work
    return await list_files(ctx, vector_store_id, query, batch_id=batch_id)
