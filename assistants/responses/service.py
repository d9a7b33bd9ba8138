"""Operations of the Responses API: create, retrieve (or stream again), delete, cancel, input
items, input token counts and compaction."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.ids import new_id, now
from assistants.items.history import History, is_thread
from assistants.items.order import order_key, ordered_query
from assistants.lookups import deleted
from assistants.pagination import list_response, page_query
from assistants.responses.executor import Plan, ResponseRun, response_key, work_ref
from assistants.responses.inputs import (
    chain_items,
    check_tool_outputs,
    conversation_of,
    file_contents,
    new_items,
)
from assistants.responses.items import (
    compaction_content,
    text_of,
    to_chat,
)
from assistants.responses.lifecycle import settle_if_dead
from assistants.responses.mcp_settings import mcp_headers
from assistants.responses.mcp_tools import check_approvals, check_servers
from assistants.responses.objects import ACTIVE, new_response, present, present_item, usage_object
from assistants.responses.search import plan_search
from assistants.responses.settings import chat_request, resolve
from assistants.responses.stream_log import EventLog, log_key
from assistants.run_state.thread_lock import claim_thread, refuse_if_busy, release_thread
from assistants.turns.events import TokenUsage
from assistants.work.events import Event
from assistants.work.leases import register
from assistants.work.service import WorkService
from inference.base import ChatRequest
from storage.base import Delete, DeleteChildren, Json, Key, Kind, Put, WriteOp
from storage.errors import VersionConflict

CANCEL_WAIT_SECONDS = 10.0


def work_of(ctx: Ctx) -> WorkService:
    service: WorkService = ctx.services["work"]
    return service


@dataclass
class Created:
    """What createResponse answers: the response, or the queue of its stream."""

    response: Json
    queue: asyncio.Queue[Event] | None = None
    include: list[str] | None = None


async def _context(ctx: Ctx, body: dict[str, Any]) -> tuple[list[Json], History | None]:
    if body.get("previous_response_id") and body.get("conversation"):
        raise InvalidInput(
            "Parameters 'previous_response_id' and 'conversation' cannot be used together.",
            param="conversation",
        )
    if body.get("conversation"):
        conversation = await conversation_of(ctx, body["conversation"])
        return await conversation.items(), conversation
    if body.get("previous_response_id"):
        return await chain_items(ctx, body["previous_response_id"]), None
    return [], None


async def _plan(ctx: Ctx, body: dict[str, Any], settings: Json) -> Plan:
    history, conversation = await _context(ctx, body)
    unstored = body.get("store") is False  # a stored response claims the thread instead
    if unstored and conversation is not None and is_thread(conversation.conversation_id):
        await refuse_if_busy(ctx, conversation.conversation_id)
    items = await new_items(ctx, body.get("input"), history)
    if not items and not history:
        raise InvalidInput("Missing required parameter: 'input'.", param="input")
    check_tool_outputs(history + items)
    check_approvals(history + items)
    query = next((text_of(i) for i in reversed(items) if i.get("role") == "user"), "")
    extra: dict[str, Any] = {}
    prompt = body.get("prompt") or {}
    if str(prompt.get("id", "")).startswith("asst_"):
        extra["assistant_id"] = prompt["id"]
    return Plan(
        history=history,
        input=items,
        conversation=conversation,
        store=body.get("store") is not False,
        include=list(body.get("include") or []),
        files=await file_contents(ctx, history + items),
        search=plan_search(settings["tools"], query),
        message_extra=extra,
        mcp_headers=mcp_headers(body.get("tools")),
    )


async def create_response(ctx: Ctx, body: dict[str, Any]) -> Created:
    store = body.get("store") is not False
    if body.get("background") and not store:
        raise InvalidInput("A background response must be stored (store: true).", param="store")
    settings = await resolve(ctx, body)
    await check_servers(settings["tools"], ctx.inference)
    plan = await _plan(ctx, body, settings)
    if plan.conversation is not None:
        settings["conversation"] = {"id": plan.conversation.conversation_id}
    response = new_response(body, settings)
    work = work_of(ctx)
    ref = work_ref(ctx.tenant, response["id"])
    if store:
        ops: list[WriteOp] = [Put(response_key(ctx.tenant, response["id"]), response)]
        ops += [Put(_input_key(ctx, response["id"], item["id"]), item) for item in plan.input]
        ops += register(ref, work.lease_seconds)
        thread_id = plan.writes_thread()
        if thread_id is not None:
            await claim_thread(ctx, thread_id, response["id"])  # its history is written into
        try:
            await ctx.store.docs.write(ops)
        except BaseException:
            if thread_id is not None:
                await release_thread(ctx, thread_id, response["id"])
            raise
    shown = present(response, plan.include)
    log = EventLog(work.events, response["id"], keep=bool(body.get("background")))
    queue = work.events.subscribe(response["id"]) if body.get("stream") else None
    run = ResponseRun(ctx, response, plan, log, asyncio.Event())

    live = _live(ctx)

    async def execute(cancel: asyncio.Event) -> None:
        run.cancel = cancel
        live[response["id"]] = run
        try:
            await run.execute()
        finally:
            live.pop(response["id"], None)

    async def cancel_written() -> bool:
        stored = await ctx.store.docs.get(response_key(ctx.tenant, response["id"]))
        return stored is None or bool(stored.doc.get("_cancel"))

    task = work.start(ctx.store, ref, execute, cancel_written if store else None, leased=store)
    if queue is not None or body.get("background"):
        return Created(shown, queue, plan.include)
    await asyncio.shield(task)
    if run.failure is not None and not run.output:
        raise run.failure  # nothing came of it: answer the provider's error, as chat does
    return Created(present(run.response, plan.include), None, plan.include)


def _input_key(ctx: Ctx, response_id: str, item_id: str) -> Key:
    return Key(ctx.tenant, Kind.INPUT_ITEM, response_id, order_key(item_id))


async def _stored(ctx: Ctx, response_id: str) -> tuple[Json, int]:
    stored = await ctx.store.docs.get(response_key(ctx.tenant, response_id))
    if stored is None:
        raise NotFoundError(f"Response with id '{response_id}' not found.", param="response_id")
    response, version = stored.doc, stored.version
    if response["status"] in ACTIVE and not work_of(ctx).executing(response_id):
        response = await settle_if_dead(ctx.store, ctx.tenant, response, version)
    return response, version


async def get_response(ctx: Ctx, response_id: str, include: list[str] | None) -> Json:
    response, _ = await _stored(ctx, response_id)
    return present(response, include)


async def replay(
    ctx: Ctx, response_id: str, starting_after: int | None, include: list[str] | None
) -> AsyncIterator[Json]:
    """The events of a background response after ``starting_after``, live ones included."""
    response, _ = await _stored(ctx, response_id)
    if not response.get("background"):
        raise InvalidInput(
            "Only responses created with background=true can be streamed again.", param="stream"
        )
    after = -1 if starting_after is None else starting_after
    return _replay(ctx, response_id, after)


async def _replay(ctx: Ctx, response_id: str, after: int) -> AsyncIterator[Json]:
    work = work_of(ctx)
    live: ResponseRun | None = _live(ctx).get(response_id)
    if live is not None and live.log.kept is not None:
        queue = work.events.subscribe(response_id)
        try:
            seen = after
            for event in list(live.log.kept):
                if event["sequence_number"] > seen:
                    seen = event["sequence_number"]
                    yield event
            while True:
                item = await queue.get()
                if not isinstance(item.data, dict):
                    return
                if item.data["sequence_number"] > seen:
                    seen = item.data["sequence_number"]
                    yield item.data
        finally:
            work.events.unsubscribe(response_id, queue)
        return
    while True:
        response, _ = await _stored(ctx, response_id)
        if response["status"] not in ACTIVE:
            break
        await asyncio.sleep(0.25)  # executing on another worker: its log is stored when it ends
    log = await ctx.store.docs.get(log_key(ctx.tenant, response_id))
    for event in log.doc["events"] if log is not None else []:
        if event["sequence_number"] > after:
            yield event


def _live(ctx: Ctx) -> dict[str, ResponseRun]:
    runs: dict[str, ResponseRun] = ctx.services.setdefault("responses.live", {})
    return runs


async def delete_response(ctx: Ctx, response_id: str) -> Json:
    await _stored(ctx, response_id)
    work_of(ctx).request_cancel(response_id)
    await ctx.store.docs.write(
        [
            Delete(response_key(ctx.tenant, response_id)),
            DeleteChildren(ctx.tenant, Kind.INPUT_ITEM, response_id),
            Delete(log_key(ctx.tenant, response_id)),
        ]
    )
    return deleted(response_id, "response")


async def cancel_response(ctx: Ctx, response_id: str) -> Json:
    response, version = await _stored(ctx, response_id)
    if not response.get("background"):
        raise InvalidInput(
            "Only responses created with background=true can be cancelled.", param="response_id"
        )
    if response["status"] not in ACTIVE:
        return present(response)
    work = work_of(ctx)
    running = work.running.get(response_id)
    if running is not None:
        running.cancel.set()
        await asyncio.wait({running.task}, timeout=CANCEL_WAIT_SECONDS)
    else:
        # The worker executing it polls for this flag; a conflict means it changed meanwhile.
        with contextlib.suppress(VersionConflict):
            await ctx.store.docs.put(
                response_key(ctx.tenant, response_id),
                {**response, "_cancel": True},
                expected_version=version,
            )
        deadline = asyncio.get_running_loop().time() + CANCEL_WAIT_SECONDS
        while asyncio.get_running_loop().time() < deadline:
            response, _ = await _stored(ctx, response_id)
            if response["status"] not in ACTIVE:
                break
            await asyncio.sleep(0.1)
    response, _ = await _stored(ctx, response_id)
    return present(response)


async def list_input_items(ctx: Ctx, response_id: str, query: dict[str, Any]) -> Json:
    await _stored(ctx, response_id)
    include = query.get("include")
    query_page = ordered_query(page_query(query))
    page = await ctx.store.docs.list(ctx.tenant, Kind.INPUT_ITEM, response_id, query_page)
    return list_response(page, lambda item: present_item(item, include))


# input tokens and compaction -------------------------------------------------------------------


async def _messages(ctx: Ctx, body: dict[str, Any]) -> tuple[Json, list[dict[str, Any]]]:
    settings = await resolve(ctx, body)
    history, _ = await _context(ctx, body)
    items = await new_items(ctx, body.get("input"), history)
    files = await file_contents(ctx, history + items)
    system = settings.get("instructions")
    head = [{"role": "system", "content": system}] if system else []
    return settings, head + to_chat(history + items, files)


async def count_input_tokens(ctx: Ctx, body: dict[str, Any]) -> Json:
    settings, messages = await _messages(ctx, body)
    response = {**settings, "tool_choice": body.get("tool_choice"), "parallel_tool_calls": None}
    request = chat_request(response, messages)
    tokens = await ctx.inference.count_tokens(request.model, messages, request.tools)
    return {"object": "response.input_tokens", "input_tokens": tokens}


COMPACT_INSTRUCTIONS = (
    "You condense conversations. Summarize the conversation you are given so that it can "
    "continue from the summary alone: keep every fact, decision, open question, name, number and "
    "the user's goals; drop pleasantries. Write the summary only."
)


def _transcript(messages: list[dict[str, Any]]) -> str:
    lines = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            content = "\n".join(p.get("text", "") for p in content if p.get("type") == "text")
        for call in message.get("tool_calls") or []:
            function = call["function"]
            lines.append(f"assistant called {function['name']}({function['arguments']})")
        if content:
            lines.append(f"{message['role']}: {content}")
    return "\n".join(lines)


async def compact(ctx: Ctx, body: dict[str, Any]) -> Json:
    """The model condenses the context into one compaction item, usable as later input."""
    settings, messages = await _messages(ctx, body)
    request = ChatRequest(
        model=settings["model"],
        messages=[
            {"role": "system", "content": COMPACT_INSTRUCTIONS},
            {"role": "user", "content": _transcript(messages)},
        ],
    )
    result = await ctx.inference.chat(request, ctx.options)
    summary = (result["choices"][0]["message"].get("content") or "").strip()
    usage = result.get("usage") or {}
    tokens = TokenUsage(usage.get("prompt_tokens") or 0, usage.get("completion_tokens") or 0)
    item = {
        "id": new_id("cmp"),
        "type": "compaction",
        "encrypted_content": compaction_content(summary),
    }
    return {
        "id": new_id("resp"),
        "object": "response.compaction",
        "created_at": now(),
        "output": [item],
        "usage": usage_object(tokens),
    }
