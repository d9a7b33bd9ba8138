"""Responses: ``/v1/responses`` (create, retrieve or stream again, delete, cancel, input items,
input token counts, compaction)."""

from __future__ import annotations

from typing import Any

from app.call import Call
from assistants.responses import service
from handlers.registry import operation
from handlers.sse import json_event_stream, run_event_stream


def _include(call: Call) -> list[str] | None:
    return call.query.get("include")


@operation("createResponse")
async def create_response(call: Call) -> Any:
    ctx = await call.ctx()
    created = await service.create_response(ctx, call.body)
    if created.queue is None:
        return created.response
    events = service.work_of(ctx).events
    queue, response_id = created.queue, created.response["id"]
    return run_event_stream(queue, lambda: events.unsubscribe(response_id, queue), send_done=False)


@operation("getResponse")
async def get_response(call: Call) -> Any:
    ctx = await call.ctx()
    response_id = call.path["response_id"]
    if call.query.get("stream"):
        after = call.query.get("starting_after")
        events = await service.replay(ctx, response_id, after, _include(call))
        return json_event_stream(events)
    return await service.get_response(ctx, response_id, _include(call))


@operation("deleteResponse")
async def delete_response(call: Call) -> Any:
    return await service.delete_response(await call.ctx(), call.path["response_id"])


@operation("cancelResponse")
async def cancel_response(call: Call) -> Any:
    return await service.cancel_response(await call.ctx(), call.path["response_id"])


@operation("listInputItems")
async def list_input_items(call: Call) -> Any:
    return await service.list_input_items(await call.ctx(), call.path["response_id"], call.query)


@operation("Getinputtokencounts")
async def count_input_tokens(call: Call) -> Any:
    return await service.count_input_tokens(await call.ctx(), call.body or {})


@operation("Compactconversation")
async def compact(call: Call) -> Any:
    return await service.compact(await call.ctx(), call.body or {})
