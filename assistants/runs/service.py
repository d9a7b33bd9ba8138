"""Run operations of the API: create (and with a new thread), read, list, modify, cancel,
submit tool outputs, run steps."""

from __future__ import annotations

from typing import Any

from assistants.context import Ctx
from assistants.errors import ConflictError, InvalidInput, NotFoundError, quoted
from assistants.ids import now
from assistants.lookups import fetch
from assistants.metadata import checked_metadata
from assistants.pagination import list_response, page_query
from assistants.resources.messages import check_message_files, message_key, new_message
from assistants.resources.threads import build_thread, store_thread
from assistants.resources.tools import checked_sampling, checked_tools
from assistants.run_state.lifecycle import (
    cancel,
    registration,
    settle_if_dead,
    work_of,
)
from assistants.run_state.objects import ACTIVE, new_run, present_step
from assistants.run_state.thread_lock import claim_thread
from assistants.runs.executor import start_round
from assistants.runs.prompt import all_children
from assistants.work.leases import renew
from assistants.work.service import WorkService
from storage.base import Key, Kind, Put
from storage.errors import VersionConflict

MAX_ADDITIONAL_MESSAGES = 32


def work(ctx: Ctx) -> WorkService:
    return work_of(ctx)


def run_key(ctx: Ctx, thread_id: str, run_id: str) -> Key:
    return Key(ctx.tenant, Kind.RUN, thread_id, run_id)


async def _prepare_run(ctx: Ctx, thread_id: str, body: dict[str, Any]) -> dict[str, Any]:
    assistant = await fetch(
        ctx.store, ctx.tenant, Kind.ASSISTANT, body["assistant_id"], param="assistant_id"
    )
    checked_sampling(body)
    tools = checked_tools(body["tools"]) if body.get("tools") is not None else None
    run = new_run(
        thread_id, assistant.doc, body, tools if tools is not None else assistant.doc["tools"]
    )
    run["metadata"] = checked_metadata(body.get("metadata"))
    return run


async def _launch(
    ctx: Ctx, run: dict[str, Any], extra: list[Any], stream: bool, thread: dict | None = None
) -> Any:
    """Store the run (with ``extra`` writes), start it, and return its event queue if streamed."""
    service = work(ctx)
    ops = [Put(run_key(ctx, run["thread_id"], run["id"]), run), *extra]
    ops += registration(ctx.tenant, run, service.lease_seconds)
    await ctx.store.docs.write(ops)
    queue = service.events.subscribe(run["id"]) if stream else None
    if queue is not None:
        if thread is not None:
            service.events.publish(run["id"], "thread.created", thread)
        service.events.publish(run["id"], "thread.run.created", run)
        service.events.publish(run["id"], "thread.run.queued", run)
    await start_round(ctx, run, version=1)  # a new document's first version
    return queue


async def create_run(ctx: Ctx, thread_id: str, body: dict[str, Any]) -> tuple[dict, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    run = await _prepare_run(ctx, thread_id, body)
    additional = body.get("additional_messages") or []
    if len(additional) > MAX_ADDITIONAL_MESSAGES:
        raise InvalidInput(
            "Invalid 'additional_messages': at most 32.", param="additional_messages"
        )
    messages = [
        new_message(ctx, thread_id, m, f"additional_messages[{i}]")
        for i, m in enumerate(additional)
    ]
    for index, message in enumerate(messages):
        await check_message_files(ctx, message, f"additional_messages[{index}]")
    await claim_thread(ctx, thread_id, run["id"])
    extra = [Put(message_key(ctx, thread_id, m["id"]), m) for m in messages]
    queue = await _launch(ctx, run, extra, bool(body.get("stream")))
    return run, queue


async def create_thread_and_run(ctx: Ctx, body: dict[str, Any]) -> tuple[dict, Any, dict]:
    thread_body = dict(body.get("thread") or {})
    if body.get("tool_resources") is not None:
        thread_body["tool_resources"] = body["tool_resources"]
    thread, messages = await build_thread(ctx, thread_body)
    run = await _prepare_run(ctx, thread["id"], body)
    await store_thread(ctx, thread, messages)
    await claim_thread(ctx, thread["id"], run["id"])
    queue = await _launch(ctx, run, [], bool(body.get("stream")), thread)
    return run, queue, thread


async def get_run(ctx: Ctx, thread_id: str, run_id: str) -> dict[str, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    stored = await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
    if stored.doc["status"] in ACTIVE and not work(ctx).executing(run_id):
        return await settle_if_dead(ctx.store, ctx.tenant, stored.doc, stored.version)
    return stored.doc


async def list_runs(ctx: Ctx, thread_id: str, query: dict[str, Any]) -> dict[str, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    page = await ctx.store.docs.list(ctx.tenant, Kind.RUN, thread_id, page_query(query))
    return list_response(page)


async def modify_run(ctx: Ctx, thread_id: str, run_id: str, body: dict[str, Any]) -> dict:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    for _ in range(5):
        stored = await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
        run = dict(stored.doc)
        if "metadata" in body:
            run["metadata"] = checked_metadata(body["metadata"])
        try:
            await ctx.store.docs.put(
                run_key(ctx, thread_id, run_id), run, expected_version=stored.version
            )
            return run
        except VersionConflict:
            continue
    raise ConflictError("The run changed while it was being modified; retry.")


async def cancel_run(ctx: Ctx, thread_id: str, run_id: str) -> dict[str, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
    return await cancel(ctx, thread_id, run_id)


async def submit_tool_outputs(
    ctx: Ctx, thread_id: str, run_id: str, body: dict[str, Any]
) -> tuple[dict, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    stored = await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
    run = await settle_if_dead(ctx.store, ctx.tenant, stored.doc, stored.version)
    if run["status"] != "requires_action":
        raise ConflictError(
            f'Runs in status "{run["status"]}" do not accept tool outputs.', param="run_id"
        )
    expected = [c["id"] for c in run["required_action"]["submit_tool_outputs"]["tool_calls"]]
    outputs = {}
    for index, item in enumerate(body["tool_outputs"]):
        call_id = item.get("tool_call_id")
        param = f"tool_outputs[{index}].tool_call_id"
        if call_id not in expected:
            raise InvalidInput(
                f"Invalid '{param}': no tool call {quoted(call_id)} awaits an output in this run.",
                param=param,
            )
        if call_id in outputs:
            raise InvalidInput(
                f"Invalid '{param}': duplicate tool_call_id {quoted(call_id)}; submit one output "
                "per tool call.",
                param=param,
            )
        outputs[call_id] = item.get("output") or ""
    missing = [call_id for call_id in expected if call_id not in outputs]
    if missing:
        raise InvalidInput(
            f"Expected tool outputs for call_ids {expected}, got {list(outputs)}.",
            param="tool_outputs",
        )
    step = await _tool_step(ctx, run, expected)
    finished = now()
    calls = []
    for call in step["step_details"]["tool_calls"]:
        function = {**call["function"], "output": outputs.get(call["id"])}
        calls.append({**call, "function": function})
    step = {
        **step,
        "status": "completed",
        "completed_at": finished,
        "step_details": {"type": "tool_calls", "tool_calls": calls},
    }
    queued = {**run, "status": "queued", "required_action": None}
    service = work(ctx)
    await renew(ctx.store, ctx.tenant, run_id, service.lease_seconds)
    try:
        version = await ctx.store.docs.put(
            run_key(ctx, thread_id, run_id), queued, expected_version=stored.version
        )
    except VersionConflict:
        raise ConflictError("The run changed while tool outputs were submitted; retry.") from None
    await ctx.store.docs.put(Key(ctx.tenant, Kind.RUN_STEP, run_id, step["id"]), step)
    queue = service.events.subscribe(run_id) if body.get("stream") else None
    if queue is not None:
        service.events.publish(run_id, "thread.run.step.completed", step)
        service.events.publish(run_id, "thread.run.queued", queued)
    await start_round(ctx, queued, version)
    return queued, queue


async def _tool_step(ctx: Ctx, run: dict[str, Any], call_ids: list[str]) -> dict[str, Any]:
    for step in reversed(await all_children(ctx.store, ctx.tenant, Kind.RUN_STEP, run["id"])):
        calls = step["step_details"].get("tool_calls") or []
        if step["status"] == "in_progress" and {c["id"] for c in calls} >= set(call_ids):
            return step
    raise NotFoundError("The tool call step of this run was not found.")


async def list_steps(
    ctx: Ctx, thread_id: str, run_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
    page = await ctx.store.docs.list(ctx.tenant, Kind.RUN_STEP, run_id, page_query(query))
    include = query.get("include[]")
    return list_response(page, lambda step: present_step(step, include))


async def get_step(
    ctx: Ctx, thread_id: str, run_id: str, step_id: str, query: dict[str, Any]
) -> dict[str, Any]:
    await fetch(ctx.store, ctx.tenant, Kind.THREAD, thread_id)
    await fetch(ctx.store, ctx.tenant, Kind.RUN, run_id, thread_id)
    step = await fetch(ctx.store, ctx.tenant, Kind.RUN_STEP, step_id, run_id)
    return present_step(step.doc, query.get("include[]"))
