"""One streamed model call: relay its pieces to a sink, stop on cancel, return what it made."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncGenerator
from dataclasses import dataclass
from typing import Any

from assistants.turns.events import (
    ReasoningDelta,
    TextDelta,
    TokenUsage,
    ToolCall,
    ToolCallDelta,
    TurnResult,
    TurnSink,
)
from inference.base import ChatRequest, Inference
from inference.options import ProviderOptions


class TurnCancelled(Exception):
    """The turn was asked to stop; the provider stream is closed."""


@dataclass
class _Draft:
    id: str | None = None
    name: str = ""
    arguments: str = ""


async def run_turn(
    inference: Inference,
    options: ProviderOptions,
    request: ChatRequest,
    sink: TurnSink,
    cancel: asyncio.Event | None = None,
) -> TurnResult:
    """Stream ``request``; raise ``TurnCancelled`` if ``cancel`` is set before the model ends."""
    stream = inference.chat_stream(request, options)
    drafts: dict[int, _Draft] = {}
    result = TurnResult()
    consume = asyncio.ensure_future(_consume(stream, sink, drafts, result))
    if cancel is None:
        await consume
    else:
        stop = asyncio.ensure_future(cancel.wait())
        try:
            done, _ = await asyncio.wait({consume, stop}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stop.cancel()
        if consume not in done:
            consume.cancel()
            await asyncio.gather(consume, return_exceptions=True)
            await stream.aclose()  # the provider connection is released now, not at GC
            raise TurnCancelled()
        consume.result()
    result.tool_calls = _calls(drafts)
    return result


async def _consume(
    stream: AsyncGenerator[dict[str, Any], None],
    sink: TurnSink,
    drafts: dict[int, _Draft],
    result: TurnResult,
) -> None:
    text: list[str] = []
    reasoning: list[str] = []
    try:
        async for chunk in stream:
            usage = chunk.get("usage")
            if usage:
                result.usage = _usage(usage)
            for choice in chunk.get("choices") or ():
                delta = choice.get("delta") or {}
                thought = delta.get("reasoning_content")
                if thought:
                    reasoning.append(thought)
                    await sink.emit(ReasoningDelta(thought))
                piece = delta.get("content")
                if piece:
                    text.append(piece)
                    await sink.emit(TextDelta(piece))
                for call in delta.get("tool_calls") or ():
                    await sink.emit(_tool_delta(call, drafts))
                if choice.get("finish_reason"):
                    result.finish_reason = choice["finish_reason"]
    finally:
        result.text = "".join(text)
        result.reasoning = "".join(reasoning)


def _tool_delta(call: dict[str, Any], drafts: dict[int, _Draft]) -> ToolCallDelta:
    index = int(call.get("index") or 0)
    draft = drafts.setdefault(index, _Draft())
    function = call.get("function") or {}
    call_id = call.get("id")
    if call_id and not draft.id:
        draft.id = call_id
    name = function.get("name") or ""
    arguments = function.get("arguments") or ""
    draft.name += name
    draft.arguments += arguments
    return ToolCallDelta(index, call_id, name, arguments)


def _calls(drafts: dict[int, _Draft]) -> list[ToolCall]:
    """Complete tool calls in the model's order, each with a distinct call id."""
    seen: set[str] = set()
    calls = []
    for index in sorted(drafts):
        draft = drafts[index]
        call_id = draft.id if draft.id and draft.id not in seen else None
        call_id = call_id or f"call_{secrets.token_hex(12)}"
        seen.add(call_id)
        calls.append(ToolCall(call_id, draft.name, draft.arguments or "{}"))
    return calls


def _usage(usage: dict[str, Any]) -> TokenUsage:
    prompt_details = usage.get("prompt_tokens_details") or {}
    completion_details = usage.get("completion_tokens_details") or {}
    return TokenUsage(
        prompt=usage.get("prompt_tokens") or 0,
        completion=usage.get("completion_tokens") or 0,
        cached=prompt_details.get("cached_tokens") or 0,
        reasoning=completion_details.get("reasoning_tokens") or 0,
    )
