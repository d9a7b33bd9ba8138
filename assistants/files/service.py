"""Files: upload, retrieve, list, delete.

An upload streams from the request's spooled temporary file into blob storage in 1 MiB pieces,
never holding the whole file in memory. The client's filename is only ever a label (never a
path). ``embedding_model`` records the model the uploader asked for (the astra-assistants client
reads it back). Expired files (``expires_after``) behave as deleted and are removed when seen.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, BinaryIO

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.ids import new_id, now
from assistants.pagination import list_response, page_query, walk
from assistants.vector_stores.records import membership_key
from assistants.vector_stores.transitions import remove_file
from storage.base import Json, Key, Kind, Page

PIECE_BYTES = 1024 * 1024
MAX_LIST_LIMIT = 10_000
BATCH_EXPIRY_SECONDS = 30 * 86_400  # OpenAI's default for purpose=batch
MAX_FILENAME = 1024


def file_key(tenant: str, file_id: str) -> Key:
    return Key(tenant, Kind.FILE, "", file_id)


def new_file_id() -> str:
    # OpenAI's files are "file-..."; the time-ordered part keeps listing in creation order.
    return "file-" + new_id("file").split("_", 1)[1]


async def read_pieces(source: BinaryIO, size: int = PIECE_BYTES) -> AsyncIterator[bytes]:
    """A (possibly disk-backed) file object as an async stream, reads kept off the event loop."""
    await asyncio.to_thread(source.seek, 0)
    while piece := await asyncio.to_thread(source.read, size):
        yield piece


def _expiry(created: int, purpose: str, expires_after: Any) -> int | None:
    if expires_after:
        return created + int(expires_after["seconds"])
    return created + BATCH_EXPIRY_SECONDS if purpose == "batch" else None


async def create_file(
    ctx: Ctx, source: BinaryIO, filename: str, purpose: str, expires_after: Any = None
) -> Json:
    filename = (filename or "").strip() or "upload"
    if len(filename) > MAX_FILENAME:
        raise InvalidInput(f"The filename is longer than {MAX_FILENAME} characters.", param="file")
    file_id = new_file_id()
    created = now()
    size = await ctx.store.blobs.write(ctx.tenant, file_id, read_pieces(source))
    file: Json = {
        "id": file_id,
        "object": "file",
        "bytes": size,
        "created_at": created,
        "filename": filename,
        "purpose": purpose,
        "status": "processed",
        "embedding_model": ctx.embedding_model,
    }
    expires_at = _expiry(created, purpose, expires_after)
    if expires_at is not None:
        file["expires_at"] = expires_at
    try:
        await ctx.store.docs.put(file_key(ctx.tenant, file_id), file)
    except BaseException:
        await asyncio.shield(ctx.store.blobs.delete(ctx.tenant, file_id))
        raise
    return file


def _expired(file: Json) -> bool:
    return file.get("expires_at") is not None and now() >= file["expires_at"]


async def get_file(ctx: Ctx, file_id: str) -> Json:
    found = await ctx.store.docs.get(file_key(ctx.tenant, file_id))
    if found is None:
        raise NotFoundError.of("file", file_id)
    if _expired(found.doc):
        await _remove(ctx, file_id)
        raise NotFoundError.of("file", file_id)
    return found.doc


async def list_files(ctx: Ctx, query: dict[str, Any]) -> Json:
    filters = {"purpose": query["purpose"]} if query.get("purpose") else None
    page = await ctx.store.docs.list(
        ctx.tenant, Kind.FILE, "", page_query(query, MAX_LIST_LIMIT), filters
    )
    live = [item for item in page.items if not _expired(item.doc)]
    for item in page.items:
        if _expired(item.doc):
            await _remove(ctx, item.id)
    return list_response(Page(live, page.has_more))


async def delete_file(ctx: Ctx, file_id: str) -> Json:
    """Delete a file, its bytes, and remove it from every vector store, as OpenAI does."""
    await get_file(ctx, file_id)
    await _remove(ctx, file_id)
    return {"id": file_id, "object": "file", "deleted": True}


async def _remove(ctx: Ctx, file_id: str) -> None:
    parent = membership_key(ctx.tenant, file_id, "").parent
    async for item in walk(ctx.store, ctx.tenant, Kind.SYSTEM, parent):
        await remove_file(ctx, item.id, file_id)
        await ctx.store.docs.delete(membership_key(ctx.tenant, file_id, item.id))
    await ctx.store.docs.delete(file_key(ctx.tenant, file_id))
    await ctx.store.blobs.delete(ctx.tenant, file_id)
