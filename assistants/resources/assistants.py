"""Assistants: create, retrieve, modify, delete, list."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.ids import new_id, now
from assistants.lookups import deleted, fetch
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query
from assistants.resources.tool_resources import resolve_tool_resources
from assistants.resources.tools import checked_sampling, checked_tools
from storage.base import Json, Key, Kind

_OPTIONAL = ("name", "description", "instructions", "reasoning_effort")


def _key(ctx: Ctx, assistant_id: str) -> Key:
    return Key(ctx.tenant, Kind.ASSISTANT, "", assistant_id)


async def create_assistant(ctx: Ctx, body: dict[str, Any]) -> Json:
    checked_sampling(body)
    assistant: Json = {
        "id": new_id("asst"),
        "object": "assistant",
        "created_at": now(),
        "name": body.get("name"),
        "description": body.get("description"),
        "model": body["model"],
        "instructions": body.get("instructions"),
        "tools": checked_tools(body.get("tools")),
        "tool_resources": await resolve_tool_resources(ctx, body.get("tool_resources")) or {},
        "metadata": checked_metadata(body.get("metadata")),
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "response_format": body.get("response_format", "auto"),
    }
    if body.get("reasoning_effort") is not None:
        assistant["reasoning_effort"] = body["reasoning_effort"]
    await ctx.store.docs.put(_key(ctx, assistant["id"]), assistant)
    return assistant


async def get_assistant(ctx: Ctx, assistant_id: str) -> Json:
    return (await fetch(ctx.store, ctx.tenant, Kind.ASSISTANT, assistant_id)).doc


async def modify_assistant(ctx: Ctx, assistant_id: str, body: dict[str, Any]) -> Json:
    stored = await fetch(ctx.store, ctx.tenant, Kind.ASSISTANT, assistant_id)
    checked_sampling(body)
    assistant = dict(stored.doc)
    for field in (*_OPTIONAL, "model", "temperature", "top_p", "response_format"):
        if field in body:
            assistant[field] = body[field]
    if "tools" in body:
        assistant["tools"] = checked_tools(body["tools"])
    if "tool_resources" in body:
        assistant["tool_resources"] = (
            await resolve_tool_resources(ctx, body["tool_resources"]) or {}
        )
    if "metadata" in body:
        assistant["metadata"] = checked_metadata(body["metadata"])
    await ctx.store.docs.put(_key(ctx, assistant_id), assistant)
    return assistant


async def delete_assistant(ctx: Ctx, assistant_id: str) -> Json:
    await fetch(ctx.store, ctx.tenant, Kind.ASSISTANT, assistant_id)
    await ctx.store.docs.delete(_key(ctx, assistant_id))
    return deleted(assistant_id, "assistant")


async def list_assistants(ctx: Ctx, query: dict[str, Any]) -> Json:
    page = await ctx.store.docs.list(ctx.tenant, Kind.ASSISTANT, "", page_query(query))
    return list_response(page)
