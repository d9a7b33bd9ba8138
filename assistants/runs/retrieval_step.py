"""file_search in a run: search once with the last user turn, record it as a run step.

The search uses the vector stores of the assistant and of the thread (which holds the stores made
for message attachments). No extra model round trip: the results go into the prompt as sources.
Later rounds of the same run (after tool outputs) reuse the recorded results.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from assistants.context import Ctx
from assistants.ids import now
from assistants.resources.message_content import plain_text
from assistants.resources.tools import vector_store_ids
from assistants.retrieval import search
from assistants.run_state.objects import new_step, present_step
from assistants.runs.prompt import all_children
from assistants.turns.citations import Source
from storage.base import Json, Key, Kind

DEFAULT_RESULTS = 20


def _file_search_tool(run: Json) -> Json | None:
    return next((t for t in run["tools"] if t["type"] == "file_search"), None)


def _sources_from_step(step: Json) -> list[Source]:
    call = step["step_details"]["tool_calls"][0]
    return [
        Source(
            file_id=r["file_id"],
            filename=r["file_name"],
            score=r["score"],
            text="\n".join(c["text"] for c in r.get("content") or []),
        )
        for r in call["file_search"].get("results") or []
    ]


async def _store_ids(ctx: Ctx, run: Json) -> list[str]:
    ids: list[str] = []
    assistant = await ctx.store.docs.get(Key(ctx.tenant, Kind.ASSISTANT, "", run["assistant_id"]))
    if assistant is not None:
        ids += vector_store_ids(assistant.doc.get("tool_resources"))
    thread = await ctx.store.docs.get(Key(ctx.tenant, Kind.THREAD, "", run["thread_id"]))
    if thread is not None:
        ids += vector_store_ids(thread.doc.get("tool_resources"))
    return list(dict.fromkeys(ids))


async def file_search_sources(
    ctx: Ctx, run: Json, publish: Callable[[str, Any], None]
) -> list[Source]:
    tool = _file_search_tool(run)
    if tool is None:
        return []
    steps = await all_children(ctx.store, ctx.tenant, Kind.RUN_STEP, run["id"])
    for step in steps:
        calls = step["step_details"].get("tool_calls") or []
        if calls and calls[0]["type"] == "file_search":
            return _sources_from_step(step)
    store_ids = await _store_ids(ctx, run)
    if not store_ids:
        return []
    messages = await all_children(ctx.store, ctx.tenant, Kind.MESSAGE, run["thread_id"])
    query = next((plain_text(m["content"]) for m in reversed(messages) if m["role"] == "user"), "")
    if not query.strip():
        return []
    options = tool.get("file_search") or {}
    ranking = options.get("ranking_options") or {"ranker": "auto", "score_threshold": 0.0}
    call_id = f"call_{secrets.token_hex(12)}"
    ranking_shown = {
        "ranker": ranking.get("ranker", "auto"),
        "score_threshold": ranking.get("score_threshold", 0.0),
    }
    step = new_step(run, "tool_calls", {"type": "tool_calls", "tool_calls": []})
    key = Key(ctx.tenant, Kind.RUN_STEP, run["id"], step["id"])
    await ctx.store.docs.put(key, step)
    # Streamed as OpenAI does: the step in progress, the call announced in a delta, then done.
    publish("thread.run.step.created", step)
    publish("thread.run.step.in_progress", step)
    announced = {"index": 0, "id": call_id, "type": "file_search", "file_search": {}}
    publish(
        "thread.run.step.delta",
        {
            "id": step["id"],
            "object": "thread.run.step.delta",
            "delta": {"step_details": {"type": "tool_calls", "tool_calls": [announced]}},
        },
    )
    results = await search(
        ctx,
        store_ids,
        query,
        max_num_results=options.get("max_num_results") or DEFAULT_RESULTS,
        filters=None,
        ranking_options=ranking,
        strict=False,
    )
    call = {
        "id": call_id,
        "type": "file_search",
        "file_search": {
            "ranking_options": ranking_shown,
            "results": [
                {
                    "file_id": r.file_id,
                    "file_name": r.filename,
                    "score": r.score,
                    "content": [{"type": "text", "text": c} for c in r.texts],
                }
                for r in results
            ],
        },
    }
    step = {
        **step,
        "status": "completed",
        "completed_at": now(),
        "step_details": {"type": "tool_calls", "tool_calls": [call]},
    }
    await ctx.store.docs.put(key, step)
    publish("thread.run.step.completed", present_step(step, None))
    return _sources_from_step(step)
