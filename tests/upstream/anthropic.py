"""Anthropic's Messages API (``POST /v1/messages``) on the fake provider, JSON or SSE.

The request is read as the equivalent OpenAI chat request, so the reply follows the same rules
(echo, tool outputs, `call <name>` tool use, `max_tokens`, `stop_sequences`, faults by model
name); it is written back in Anthropic's shapes: `content` blocks (`text`, `tool_use`),
`stop_reason` (`end_turn`, `tool_use`, `max_tokens`), and for a stream the events
`message_start`, `content_block_start`, `content_block_delta` (`text_delta`, `input_json_delta`),
`content_block_stop`, `message_delta`, `message_stop` (with a `ping` after the start).
Errors use Anthropic's envelope `{"type": "error", "error": {"type", "message"}}`.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

from starlette.responses import JSONResponse

from tests.upstream.completions import CutStream
from tests.upstream.faults import Faults
from tests.upstream.replies import Reply

_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use"}
_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    503: "overloaded_error",
}


def openai_body(body: dict[str, Any]) -> dict[str, Any]:
    """The OpenAI chat request equivalent to an Anthropic Messages request."""
    messages: list[dict[str, Any]] = []
    system = body.get("system")
    if system:
        messages.append({"role": "system", "content": _text(system)})
    for message in body.get("messages") or []:
        messages.extend(_openai_messages(message))
    out: dict[str, Any] = {"model": body.get("model"), "messages": messages}
    tools = body.get("tools") or []
    if tools:
        out["tools"] = [
            {
                "type": "function",
                "function": {
                    "name": t.get("name"),
                    "description": t.get("description", ""),
                    "parameters": t.get("input_schema") or {},
                },
            }
            for t in tools
        ]
    choice = body.get("tool_choice") or {}
    kind = choice.get("type")
    if kind == "any":
        out["tool_choice"] = "required"
    elif kind == "tool":
        out["tool_choice"] = {"type": "function", "function": {"name": choice.get("name")}}
    elif kind == "none":
        out["tool_choice"] = "none"
    if choice.get("disable_parallel_tool_use"):
        out["parallel_tool_calls"] = False
    if body.get("stop_sequences"):
        out["stop"] = body["stop_sequences"]
    if isinstance(body.get("max_tokens"), int):
        out["max_tokens"] = body["max_tokens"]
    return out


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    return " ".join(
        b.get("text", "") for b in content or [] if isinstance(b, dict) and b.get("type") == "text"
    )


def _openai_messages(message: dict[str, Any]) -> list[dict[str, Any]]:
    role, content = message.get("role"), message.get("content")
    if isinstance(content, str):
        return [{"role": role, "content": content}]
    blocks = [b for b in content or [] if isinstance(b, dict)]
    results = [b for b in blocks if b.get("type") == "tool_result"]
    if results:
        return [
            {"role": "tool", "tool_call_id": b.get("tool_use_id"), "content": _text(b["content"])}
            for b in results
        ]
    out: dict[str, Any] = {"role": role, "content": _text(blocks)}
    uses = [b for b in blocks if b.get("type") == "tool_use"]
    if uses:
        out["tool_calls"] = [
            {
                "id": b.get("id"),
                "type": "function",
                "function": {"name": b.get("name"), "arguments": json.dumps(b.get("input"))},
            }
            for b in uses
        ]
    return [out]


def _blocks(reply: Reply) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    if reply.content:
        blocks.append({"type": "text", "text": reply.content})
    for call in reply.tool_calls:
        blocks.append(
            {
                "type": "tool_use",
                "id": "toolu_" + call.id.removeprefix("call_"),
                "name": call.name,
                "input": json.loads(call.arguments),
            }
        )
    return blocks


def message_body(reply: Reply, model: str) -> dict[str, Any]:
    return {
        "id": f"msg_{uuid.uuid4().hex[:24]}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": _blocks(reply),
        "stop_reason": _STOP[reply.finish_reason],
        "stop_sequence": None,
        "usage": {"input_tokens": reply.prompt_tokens, "output_tokens": reply.completion_tokens},
    }


def _event(name: str, data: dict[str, Any]) -> bytes:
    return f"event: {name}\ndata: {json.dumps(data)}\n\n".encode()


async def message_stream(reply: Reply, model: str, faults: Faults) -> AsyncIterator[bytes]:
    """The SSE events of a streamed reply: text word by word, tool input in 8-character pieces."""
    start = message_body(reply, model)
    start.update(content=[], stop_reason=None)
    start["usage"] = {"input_tokens": reply.prompt_tokens, "output_tokens": 1}
    yield _event("message_start", {"type": "message_start", "message": start})
    yield _event("ping", {"type": "ping"})
    sent = 0
    for index, block in enumerate(_blocks(reply)):
        opening: dict[str, Any]
        if block["type"] == "text":
            opening = {"type": "text", "text": ""}
            words = block["text"].split(" ")
            pieces = [w if i == len(words) - 1 else w + " " for i, w in enumerate(words)]
            deltas = [{"type": "text_delta", "text": piece} for piece in pieces]
        else:
            opening = {**block, "input": {}}
            arguments = json.dumps(block["input"])
            deltas = [
                {"type": "input_json_delta", "partial_json": arguments[i : i + 8]}
                for i in range(0, len(arguments), 8)
            ]
        yield _event(
            "content_block_start",
            {"type": "content_block_start", "index": index, "content_block": opening},
        )
        for delta in deltas:
            if faults.chunk_delay_s:
                await asyncio.sleep(faults.chunk_delay_s)
            if faults.midstream and sent == 3:
                if faults.fail == "drop":
                    raise CutStream("injected connection drop")
                failure = anthropic_error_body(529, "The upstream failed mid-stream (injected).")
                yield _event("error", failure)
                return
            sent += 1
            yield _event(
                "content_block_delta",
                {"type": "content_block_delta", "index": index, "delta": delta},
            )
        yield _event("content_block_stop", {"type": "content_block_stop", "index": index})
    yield _event(
        "message_delta",
        {
            "type": "message_delta",
            "delta": {"stop_reason": _STOP[reply.finish_reason], "stop_sequence": None},
            "usage": {"output_tokens": reply.completion_tokens},
        },
    )
    yield _event("message_stop", {"type": "message_stop"})


def anthropic_error_body(status: int, message: str) -> dict[str, Any]:
    kind = "overloaded_error" if status == 529 else _ERROR_TYPES.get(status, "api_error")
    return {"type": "error", "error": {"type": kind, "message": message}}


def anthropic_error(openai_error: JSONResponse) -> JSONResponse:
    """An OpenAI-shaped fault response of the fake, in Anthropic's envelope (same status)."""
    body = json.loads(bytes(openai_error.body))
    message = body["error"]["message"]
    if body["error"].get("code") == "context_length_exceeded":
        message = "prompt is too long: 4096 tokens > 128 maximum"
    headers = {k: v for k, v in openai_error.headers.items() if k == "retry-after"}
    status = openai_error.status_code
    return JSONResponse(anthropic_error_body(status, message), status_code=status, headers=headers)
