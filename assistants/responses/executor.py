"""One response executing: file_search, the model's turn, its output items and events.

An adapter over the turn engine: the engine streams the model call; this maps its events to
OpenAI's Responses stream (``response.output_item.*``, ``response.content_part.*``,
``response.output_text.*``, ``response.function_call_arguments.*``, reasoning summaries), each
with its sequence number, and stores the response, its items and the conversation's new items in
one write when it ends.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from dataclasses import dataclass, field
from typing import Any

from assistants.context import Ctx
from assistants.ids import new_id, now
from assistants.items.history import History, is_thread
from assistants.responses.items import FileContents, to_chat
from assistants.responses.mcp_tools import McpTools
from assistants.responses.objects import present, present_item, usage_object
from assistants.responses.search import SearchPlan, run_search
from assistants.responses.settings import chat_request
from assistants.responses.stream_log import EventLog, log_key
from assistants.run_state.thread_lock import release_thread
from assistants.turns.citations import MarkerFilter, Source, sources_block
from assistants.turns.engine import TurnCancelled, run_turn
from assistants.turns.events import (
    ReasoningDelta,
    TextDelta,
    TokenUsage,
    ToolCallDelta,
    TurnEvent,
    TurnResult,
)
from assistants.work.leases import WorkRef, unregister
from inference.errors import BadProviderRequest, ContextLengthExceeded, InferenceError, RateLimited
from storage.base import Json, Key, Kind, Put, WriteOp
from storage.errors import VersionConflict

logger = logging.getLogger("assistants.responses")

KIND = "response"
INTERRUPTED = "The response was interrupted: the server process executing it stopped."
MAX_TOOL_ROUNDS = 16
"""Model turns of one response that the server's own tool calls (MCP) may take."""


def response_key(tenant: str, response_id: str) -> Key:
    return Key(tenant, Kind.RESPONSE, "", response_id)


def work_ref(tenant: str, response_id: str) -> WorkRef:
    return WorkRef(KIND, tenant, response_id)


@dataclass
class Plan:
    """What a response works from, resolved when it was created."""

    history: list[Json]
    input: list[Json]
    conversation: History | None
    store: bool
    include: list[str] = field(default_factory=list)
    files: FileContents = field(default_factory=FileContents)
    search: SearchPlan | None = None
    message_extra: dict[str, Any] = field(default_factory=dict)
    mcp_headers: dict[str, dict[str, str]] = field(default_factory=dict)  # in memory only

    def writes_thread(self) -> str | None:
        """The thread this (stored) response writes into, which it holds while it executes."""
        conversation = self.conversation
        if self.store and conversation is not None and is_thread(conversation.conversation_id):
            return conversation.conversation_id
        return None


class ResponseRun:
    def __init__(
        self, ctx: Ctx, response: Json, plan: Plan, log: EventLog, cancel: asyncio.Event
    ) -> None:
        self.ctx = ctx
        self.response = response
        self.plan = plan
        self.log = log
        self.cancel = cancel
        self.output: list[Json] = response["output"]
        self.sources: list[Source] = []
        self.usage = TokenUsage()
        self.failure: InferenceError | None = None
        self._reasoning: Json | None = None
        self._message: Json | None = None
        self._filter: MarkerFilter | None = None
        self._calls: dict[int, Json] = {}
        self._annotations: list[Json] = []
        self._pieces: list[str] = []  # the open message's text, joined once when it closes
        self.mcp = McpTools(self)
        self._closed: set[int] = set()
        limit = response.get("max_tool_calls")
        self.tool_calls_left: int | None = limit if isinstance(limit, int) else None

    def allow_tool_calls(self, wanted: int) -> int:
        """How many of ``wanted`` built-in tool calls ``max_tool_calls`` still allows (taken)."""
        if self.tool_calls_left is None:
            return wanted
        allowed = min(wanted, self.tool_calls_left)
        self.tool_calls_left -= allowed
        return allowed

    # events ------------------------------------------------------------------------------------

    def _snapshot(self) -> Json:
        return present(self.response, self.plan.include)

    def _index(self, item: Json) -> int:
        return self.output.index(item)

    def present_item(self, item: Json) -> Json:
        return present_item(item, self.plan.include)

    def _item_done(self, item: Json) -> None:
        self.log.emit(
            "response.output_item.done",
            output_index=self._index(item),
            item=self.present_item(item),
        )

    # the response ------------------------------------------------------------------------------

    async def _start(self) -> None:
        """A queued (background) response is stored as in progress, unless a cancel came first."""
        key = response_key(self.ctx.tenant, self.response["id"])
        for _ in range(5):
            stored = await self.ctx.store.docs.get(key)
            if stored is None or stored.doc.get("_cancel"):
                raise TurnCancelled()
            try:
                await self.ctx.store.docs.put(
                    key, {**stored.doc, "status": "in_progress"}, expected_version=stored.version
                )
                return
            except VersionConflict:
                continue

    async def execute(self) -> None:
        self.log.emit("response.created", response=self._snapshot())
        try:
            if self.response["status"] == "queued":
                self.log.emit("response.queued", response=self._snapshot())
                await self._start()
                self.response["status"] = "in_progress"
            self.log.emit("response.in_progress", response=self._snapshot())
            if self.plan.search is not None and self.allow_tool_calls(1):
                self.sources = await run_search(self.ctx, self.plan.search, self)
            await self.mcp.prepare()
            result = await self._turns()
            if result.truncated:
                self._end("incomplete", incomplete_details={"reason": "max_output_tokens"})
            else:
                self._end("completed", completed_at=now())
        except TurnCancelled:
            self._close_open(True)
            self._end("cancelled")
        except InferenceError as exc:
            self.failure = exc
            self._close_open(True)
            self._end("failed", error={"code": _error_code(exc), "message": str(exc)})
        except asyncio.CancelledError:
            raise  # shutting down: the sweeper of another worker fails it after its lease
        except Exception:
            logger.exception("response %s failed", self.response["id"])
            self._close_open(True)
            error = {"code": "server_error", "message": "The server had an error while responding."}
            self._end("failed", error=error)
        await self._persist()

    async def _turns(self) -> TurnResult:
        """Model turns until one needs nothing more of the server (its MCP calls ran)."""
        for _ in range(MAX_TOOL_ROUNDS):
            self._calls = {}
            result = await self._turn()
            self.usage = self.usage + result.usage
            self._close_open(result.truncated)
            if result.truncated:
                return result
            calls = list(self._calls.values())
            run = [c for c in calls if c["type"] == "mcp_call"]
            await self.mcp.run_calls(run)
            if not run or any(c["type"] != "mcp_call" for c in calls):
                return result  # the caller answers a function call or an approval request
        return result

    async def _turn(self) -> TurnResult:
        """One model turn; with ``truncation: auto`` the oldest history goes until it fits."""
        system = "\n\n".join(
            part
            for part in (self.response.get("instructions"), sources_block(self.sources))
            if part
        )
        head = [{"role": "system", "content": system}] if system else []
        history = self.plan.history
        while True:
            items = [*history, *self.plan.input, *self.output]
            messages = head + to_chat(items, self.plan.files)
            request = chat_request(self.response, messages, extra_functions=self.mcp.functions())
            try:
                return await run_turn(
                    self.ctx.inference, self.ctx.options, request, self, self.cancel
                )
            except ContextLengthExceeded:
                # Raised when the stream opens, before any event: safe to try again, shorter.
                if self.response.get("truncation") != "auto" or not history:
                    raise
                history = truncated(history)

    # the turn's events -------------------------------------------------------------------------

    async def emit(self, event: TurnEvent) -> None:
        if isinstance(event, TextDelta):
            self._text(event.text)
        elif isinstance(event, ToolCallDelta):
            self._tool(event)
        elif isinstance(event, ReasoningDelta):
            self._reason(event.text)

    def _reason(self, piece: str) -> None:
        if self._reasoning is None:
            self._reasoning = {
                "id": new_id("rs"),
                "type": "reasoning",
                "summary": [],
                "status": "in_progress",
                "_text": [],
            }
            self.output.append(self._reasoning)
            item = self._reasoning
            shown = {k: v for k, v in item.items() if not k.startswith("_")}
            self.log.emit("response.output_item.added", output_index=self._index(item), item=shown)
            self.log.emit(
                "response.reasoning_summary_part.added",
                item_id=item["id"],
                output_index=self._index(item),
                summary_index=0,
                part={"type": "summary_text", "text": ""},
            )
        self._reasoning["_text"].append(piece)
        self.log.emit(
            "response.reasoning_summary_text.delta",
            item_id=self._reasoning["id"],
            output_index=self._index(self._reasoning),
            summary_index=0,
            delta=piece,
        )

    def _close_reasoning(self) -> None:
        item = self._reasoning
        if item is None:
            return
        self._reasoning = None
        text = "".join(item.pop("_text"))
        index = self._index(item)
        part = {"type": "summary_text", "text": text}
        self.log.emit(
            "response.reasoning_summary_text.done",
            item_id=item["id"],
            output_index=index,
            summary_index=0,
            text=text,
        )
        self.log.emit(
            "response.reasoning_summary_part.done",
            item_id=item["id"],
            output_index=index,
            summary_index=0,
            part=part,
        )
        item.update(summary=[part], status="completed")
        self._item_done(item)

    def _text(self, piece: str) -> None:
        self._close_reasoning()
        if self._message is None:
            self._message = {
                "id": new_id("msg"),
                "type": "message",
                "role": "assistant",
                "status": "in_progress",
                "content": [],
            }
            self._filter = MarkerFilter(self.sources)
            self._annotations = []
            self._pieces = []
            self.output.append(self._message)
            item = self._message
            self.log.emit(
                "response.output_item.added", output_index=self._index(item), item=dict(item)
            )
            item["content"].append(
                {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
            )
            self.log.emit(
                "response.content_part.added",
                item_id=item["id"],
                output_index=self._index(item),
                content_index=0,
                part={"type": "output_text", "text": "", "annotations": [], "logprobs": []},
            )
        assert self._filter is not None
        visible, found = self._filter.feed(piece)
        self._show_text(visible, found)

    def _show_text(self, visible: str, found: list[Json]) -> None:
        item = self._message
        assert item is not None
        part = item["content"][0]
        if visible:
            self._pieces.append(visible)
            self.log.emit(
                "response.output_text.delta",
                item_id=item["id"],
                output_index=self._index(item),
                content_index=0,
                delta=visible,
                logprobs=[],
            )
        for annotation in found:
            part["annotations"].append(annotation)
            self.log.emit(
                "response.output_text.annotation.added",
                item_id=item["id"],
                output_index=self._index(item),
                content_index=0,
                annotation_index=len(part["annotations"]) - 1,
                annotation=annotation,
            )

    def _close_message(self, incomplete: bool) -> None:
        item = self._message
        if item is None:
            return
        assert self._filter is not None
        self._show_text(self._filter.flush(), [])
        self._message = None
        part = item["content"][0]
        part["text"] = "".join(self._pieces)
        index = self._index(item)
        self.log.emit(
            "response.output_text.done",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            text=part["text"],
            logprobs=[],
        )
        self.log.emit(
            "response.content_part.done",
            item_id=item["id"],
            output_index=index,
            content_index=0,
            part=dict(part),
        )
        item["status"] = "incomplete" if incomplete else "completed"
        self._item_done(item)

    def _tool(self, delta: ToolCallDelta) -> None:
        self._close_reasoning()
        self._close_message(False)
        item = self._calls.get(delta.index)
        if item is None:
            taken = {call.get("call_id") for call in self._calls.values()}
            call_id = delta.call_id if delta.call_id and delta.call_id not in taken else None
            item = self.mcp.new_item(delta.name) or {
                "id": new_id("fc"),
                "type": "function_call",
                "call_id": call_id or f"call_{secrets.token_hex(12)}",
                "name": delta.name,
                "arguments": "",
                "status": "in_progress",
            }
            self._calls[delta.index] = item
            self.output.append(item)
            self.log.emit(
                "response.output_item.added", output_index=self._index(item), item=dict(item)
            )
        elif delta.name and item["type"] == "function_call":
            item["name"] += delta.name
        if delta.arguments:
            item["arguments"] += delta.arguments
            if item["type"] in _ARGUMENT_DELTAS:
                self.log.emit(
                    _ARGUMENT_DELTAS[item["type"]],
                    item_id=item["id"],
                    output_index=self._index(item),
                    delta=delta.arguments,
                )

    def _close_calls(self, incomplete: bool) -> None:
        for item in self._calls.values():
            if item.get("status", "in_progress") != "in_progress" or id(item) in self._closed:
                continue
            item["arguments"] = item["arguments"] or "{}"
            if item["type"] == "mcp_approval_request":  # held for the caller: no status
                self._closed.add(id(item))
                self._item_done(item)
                continue
            if item["type"] == "mcp_call":
                self._close_mcp_call(item, incomplete)
                continue
            item["status"] = "completed"
            self.log.emit(
                "response.function_call_arguments.done",
                item_id=item["id"],
                output_index=self._index(item),
                name=item["name"],
                arguments=item["arguments"],
            )
            self._item_done(item)

    def _close_mcp_call(self, item: Json, incomplete: bool) -> None:
        index = self._index(item)
        self.log.emit(
            "response.mcp_call_arguments.done",
            item_id=item["id"],
            output_index=index,
            arguments=item["arguments"],
        )
        if incomplete:  # cancelled or cut: never executed
            item["status"] = "incomplete"
            self._item_done(item)
        else:
            item["status"] = "calling"  # run_calls executes it and ends it
            self.log.emit("response.mcp_call.in_progress", item_id=item["id"], output_index=index)

    def _close_open(self, incomplete: bool) -> None:
        self._close_reasoning()
        self._close_message(incomplete)
        self._close_calls(incomplete)

    # endings -----------------------------------------------------------------------------------

    def _end(self, status: str, **changes: Any) -> None:
        self.response.update(status=status, usage=usage_object(self.usage), **changes)

    async def _persist(self) -> None:
        """Store the ended response (and the conversation's new items), then announce it."""
        status = self.response["status"]
        terminal = (
            self.log.make(_TERMINAL[status], response=self._snapshot())
            if status in _TERMINAL
            else None
        )
        if self.plan.store:
            tenant = self.ctx.tenant
            ops: list[WriteOp] = [Put(response_key(tenant, self.response["id"]), self.response)]
            if self.plan.conversation is not None and status in ("completed", "incomplete"):
                items = [*self.plan.input, *self.output]
                ops += self.plan.conversation.append(items, self.plan.message_extra)
            if self.log.kept is not None:
                log = {"id": self.response["id"], "events": self.log.kept}
                ops.append(Put(log_key(tenant, self.response["id"]), log))
            ops += unregister(work_ref(tenant, self.response["id"]))
            await self.ctx.store.docs.write(ops)
            thread_id = self.plan.writes_thread()
            if thread_id is not None:
                await release_thread(self.ctx, thread_id, self.response["id"])
        if terminal is not None:
            self.log.publish(terminal)


def truncated(history: list[Json]) -> list[Json]:
    """The newer half of ``history``; tool outputs whose call was cut go with it."""
    kept = history[len(history) // 2 + (len(history) % 2) :] if len(history) > 1 else []
    calls = {item["call_id"] for item in kept if item["type"] == "function_call"}
    return [
        item for item in kept if item["type"] != "function_call_output" or item["call_id"] in calls
    ]


_ARGUMENT_DELTAS = {
    "function_call": "response.function_call_arguments.delta",
    "mcp_call": "response.mcp_call_arguments.delta",
}

_TERMINAL = {
    "completed": "response.completed",
    "incomplete": "response.incomplete",
    "failed": "response.failed",
}  # a cancelled response's stream just ends: OpenAI has no event for it


def _error_code(exc: InferenceError) -> str:
    if isinstance(exc, RateLimited):
        return "rate_limit_exceeded"
    if isinstance(exc, BadProviderRequest | ContextLengthExceeded):
        return "invalid_prompt"
    return "server_error"
