"""Vector stores: create, retrieve, modify, delete, list; and the stores threads get for files.

Each store records the embedding model of the request that created it (``embedding-model``
header), else the model its first file was uploaded with (astra-assistants sends the header on
upload only), else the server default: every file of the store is embedded with it, and so is
every query that searches it.
"""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.ids import new_id, now
from assistants.ingest import ChunkingParams
from assistants.lookups import deleted, fetch
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query
from assistants.vector_stores.attach import FileSpec, add_files, check_files
from assistants.vector_stores.counts import empty_counts
from assistants.vector_stores.records import expires_at, present_store, store_key, update_doc
from assistants.vector_stores.recovery import reap_stale
from storage.base import Delete, DeleteChildren, Json, Key, Kind

THREAD_STORE_EXPIRY = {"anchor": "last_active_at", "days": 7}


def _checked_expiry(expires_after: Any) -> Json | None:
    if expires_after is None:
        return None
    return {"anchor": "last_active_at", "days": int(expires_after["days"])}


async def _embedding_model(ctx: Ctx, file_ids: list[str]) -> str:
    requested = getattr(ctx.options, "embedding_model", None)
    if requested:
        return str(requested)
    if file_ids:
        first = await fetch(ctx.store, ctx.tenant, Kind.FILE, file_ids[0], param="file_ids[0]")
        if first.doc.get("embedding_model"):
            return str(first.doc["embedding_model"])
    return ctx.embedding_model


async def create_vector_store(ctx: Ctx, body: dict[str, Any]) -> Json:
    body = body or {}
    file_ids = list(body.get("file_ids") or [])
    params = ChunkingParams.from_strategy(body.get("chunking_strategy"))
    await check_files(ctx, file_ids, "file_ids")
    created = now()
    expiry = _checked_expiry(body.get("expires_after"))
    store: Json = {
        "id": new_id("vs"),
        "object": "vector_store",
        "created_at": created,
        "name": body.get("name") or "",
        "usage_bytes": 0,
        "file_counts": empty_counts(),
        "status": "completed",
        "expires_at": expires_at(expiry, created),
        "last_active_at": created,
        "metadata": checked_metadata(body.get("metadata")),
        "_embedding_model": await _embedding_model(ctx, file_ids),
    }
    if expiry is not None:
        store["expires_after"] = expiry
    if body.get("description") is not None:
        store["_description"] = body["description"]
    await ctx.store.docs.put(store_key(ctx.tenant, store["id"]), store)
    if file_ids:
        await add_files(ctx, store, [FileSpec(f, {}, params) for f in file_ids])
        store = (await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, store["id"])).doc
    return present_store(store)


async def get_vector_store(ctx: Ctx, vector_store_id: str) -> Json:
    store = (await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)).doc
    if store["file_counts"]["in_progress"]:
        await reap_stale(ctx, vector_store_id)
        store = (await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)).doc
    return present_store(store)


async def modify_vector_store(ctx: Ctx, vector_store_id: str, body: dict[str, Any]) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)
    metadata = checked_metadata(body["metadata"]) if "metadata" in body else None

    def change(doc: Json) -> Json:
        if "name" in body:
            doc["name"] = body["name"] or ""
        if "expires_after" in body:
            expiry = _checked_expiry(body["expires_after"])
            doc.pop("expires_after", None)
            if expiry is not None:
                doc["expires_after"] = expiry
            doc["expires_at"] = expires_at(expiry, doc["last_active_at"] or doc["created_at"])
        if metadata is not None:
            doc["metadata"] = metadata
        return doc

    updated = await update_doc(ctx.store, store_key(ctx.tenant, vector_store_id), change)
    if updated.after is None:
        await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)  # gone meanwhile
    assert updated.after is not None
    return present_store(updated.after)


async def delete_vector_store(ctx: Ctx, vector_store_id: str) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)
    await ctx.store.docs.write(
        [
            Delete(store_key(ctx.tenant, vector_store_id)),
            DeleteChildren(ctx.tenant, Kind.VECTOR_STORE_FILE, vector_store_id),
            DeleteChildren(ctx.tenant, Kind.FILE_BATCH, vector_store_id),
        ]
    )
    # Running jobs of its files find their documents gone and stop at their next check.
    await ctx.store.chunks.delete_store(ctx.tenant, vector_store_id)
    return deleted(vector_store_id, "vector_store")


async def list_vector_stores(ctx: Ctx, query: dict[str, Any]) -> Json:
    page = await ctx.store.docs.list(ctx.tenant, Kind.VECTOR_STORE, "", page_query(query))
    return list_response(page, present_store)


async def touch(ctx: Ctx, vector_store_id: str) -> None:
    """Mark a store used now (searches, runs): ``last_active_at`` and so its expiry move."""
    moment = now()

    def change(doc: Json) -> Json | None:
        if (doc.get("last_active_at") or 0) >= moment:
            return None
        doc["last_active_at"] = moment
        doc["expires_at"] = expires_at(doc.get("expires_after"), moment)
        return doc

    await update_doc(ctx.store, store_key(ctx.tenant, vector_store_id), change)


async def _thread_store(ctx: Ctx, thread_id: str) -> Json:
    """The thread's own vector store, made on first use and recorded in its tool_resources."""
    thread_key = Key(ctx.tenant, Kind.THREAD, "", thread_id)
    thread = (await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)).doc
    for store_id in _search_store_ids(thread)[:1]:
        found = await ctx.store.docs.get(store_key(ctx.tenant, store_id))
        if found is not None:
            return found.doc
    created = await create_vector_store(ctx, {"expires_after": THREAD_STORE_EXPIRY})
    previous: list[str] = []

    def change(doc: Json) -> Json | None:
        nonlocal previous
        previous = _search_store_ids(doc)
        if previous and previous != _search_store_ids(thread):
            return None  # another request gave the thread a store meanwhile: use that one
        resources = dict(doc.get("tool_resources") or {})
        resources["file_search"] = {"vector_store_ids": [created["id"]]}
        doc["tool_resources"] = resources
        return doc

    updated = await update_doc(ctx.store, thread_key, change)
    if updated.after is None:
        await delete_vector_store(ctx, created["id"])
        if updated.before is None:
            await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)  # the thread is gone
        return (await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, previous[0])).doc
    return (await fetch(ctx.store, ctx.tenant, Kind.VECTOR_STORE, created["id"])).doc


def _search_store_ids(thread: Json) -> list[str]:
    resources = thread.get("tool_resources") or {}
    return list((resources.get("file_search") or {}).get("vector_store_ids") or [])


async def attach_files_to_thread(ctx: Ctx, thread_id: str, file_ids: list[str]) -> None:
    """Files attached to a message for file_search go into the thread's vector store."""
    store = await _thread_store(ctx, thread_id)
    await add_files(
        ctx, store, [FileSpec(file_id, {}, ChunkingParams()) for file_id in dict.fromkeys(file_ids)]
    )
