"""Vector store files: attach, retrieve, update attributes, detach, list, parsed content."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.ingest import ChunkingParams
from assistants.lookups import deleted, fetch_doc
from assistants.pagination import list_response, page_query
from assistants.vector_stores.attach import FileSpec, add_files
from assistants.vector_stores.records import file_key, public, update_doc
from assistants.vector_stores.recovery import reap_stale
from assistants.vector_stores.transitions import remove_file
from storage.base import Json, Kind, Page

MAX_ATTRIBUTES = 16
MAX_KEY = 64
MAX_STRING = 512


def checked_attributes(attributes: Any, param: str = "attributes") -> dict[str, Any]:
    """OpenAI's limits: 16 pairs; keys up to 64 characters; strings up to 512, numbers, booleans."""
    if attributes is None:
        return {}
    if not isinstance(attributes, dict):
        raise InvalidInput(f"Invalid '{param}': expected an object.", param=param)
    if len(attributes) > MAX_ATTRIBUTES:
        raise InvalidInput(
            f"Invalid '{param}': at most {MAX_ATTRIBUTES} properties, got {len(attributes)}.",
            param=param,
        )
    for key, value in attributes.items():
        if len(key) > MAX_KEY:
            raise InvalidInput(
                f"Invalid '{param}': keys are at most {MAX_KEY} characters.", param=param
            )
        if isinstance(value, str):
            if len(value) > MAX_STRING:
                raise InvalidInput(
                    f"Invalid '{param}.{key}': strings are at most {MAX_STRING} characters.",
                    param=param,
                )
        elif not isinstance(value, int | float | bool):
            raise InvalidInput(
                f"Invalid '{param}.{key}': expected a string, number or boolean.", param=param
            )
    return dict(attributes)


def file_spec(entry: dict[str, Any], param: str = "") -> FileSpec:
    prefix = f"{param}." if param else ""
    return FileSpec(
        file_id=entry["file_id"],
        attributes=checked_attributes(entry.get("attributes"), f"{prefix}attributes"),
        params=ChunkingParams.from_strategy(entry.get("chunking_strategy")),
    )


async def store_doc(ctx: Ctx, vector_store_id: str) -> Json:
    return await fetch_doc(ctx.store, ctx.tenant, Kind.VECTOR_STORE, vector_store_id)


async def attached(ctx: Ctx, vector_store_id: str, file_id: str) -> Json:
    found = await ctx.store.docs.get(file_key(ctx.tenant, vector_store_id, file_id))
    if found is None or found.doc.get("_deleted"):
        raise NotFoundError.of("vector store file", file_id)
    return found.doc


async def create_vector_store_file(ctx: Ctx, vector_store_id: str, body: dict[str, Any]) -> Json:
    store = await store_doc(ctx, vector_store_id)
    docs = await add_files(ctx, store, [file_spec(body)], param="file_id")
    return public(docs[0])


async def get_vector_store_file(ctx: Ctx, vector_store_id: str, file_id: str) -> Json:
    await store_doc(ctx, vector_store_id)
    doc = await attached(ctx, vector_store_id, file_id)
    if doc["status"] == "in_progress":
        await reap_stale(ctx, vector_store_id)
        doc = await attached(ctx, vector_store_id, file_id)
    return public(doc)


async def update_vector_store_file(
    ctx: Ctx, vector_store_id: str, file_id: str, body: dict[str, Any]
) -> Json:
    await store_doc(ctx, vector_store_id)
    attributes = checked_attributes(body.get("attributes"))

    def change(doc: Json) -> Json | None:
        return None if doc.get("_deleted") else {**doc, "attributes": attributes}

    updated = await update_doc(ctx.store, file_key(ctx.tenant, vector_store_id, file_id), change)
    if updated.after is None:
        raise NotFoundError.of("vector store file", file_id)
    return public(updated.after)


async def delete_vector_store_file(ctx: Ctx, vector_store_id: str, file_id: str) -> Json:
    await store_doc(ctx, vector_store_id)
    if not await remove_file(ctx, vector_store_id, file_id):
        raise NotFoundError.of("vector store file", file_id)
    return deleted(file_id, "vector_store.file")


async def list_files(
    ctx: Ctx, vector_store_id: str, query: dict[str, Any], batch_id: str | None = None
) -> Json:
    """The files of a store (or of one of its batches), optionally of one status."""
    store = await store_doc(ctx, vector_store_id)
    if store["file_counts"]["in_progress"]:
        await reap_stale(ctx, vector_store_id)
    filters = {"status": query["filter"]} if query.get("filter") else {}
    if batch_id is not None:
        filters["batch_id"] = batch_id
    page = await ctx.store.docs.list(
        ctx.tenant, Kind.VECTOR_STORE_FILE, vector_store_id, page_query(query), filters or None
    )
    # A file whose deletion was interrupted half-way is no longer part of the store.
    shown = Page([item for item in page.items if not item.doc.get("_deleted")], page.has_more)
    return list_response(shown, public)


async def file_content(ctx: Ctx, vector_store_id: str, file_id: str) -> Json:
    """The parsed text of a file, as the chunks it was indexed in."""
    await store_doc(ctx, vector_store_id)
    await attached(ctx, vector_store_id, file_id)
    chunks = await ctx.store.chunks.file_chunks(ctx.tenant, vector_store_id, file_id)
    return {
        "object": "vector_store.file_content.page",
        "data": [{"type": "text", "text": chunk.text} for chunk in chunks],
        "has_more": False,
        "next_page": None,
    }
