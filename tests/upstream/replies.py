"""What the fake model answers: echo text, tool outputs, tool calls or JSON (see __init__)."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from tests.upstream.structured import json_content, tool_arguments

_CALL = re.compile(
    r"\bcall\s+([A-Za-z0-9_\-]+(?:\s*(?:,|\band\b)\s*[A-Za-z0-9_\-]+)*)", re.IGNORECASE
)
_SPLIT = re.compile(r"\s*(?:,|\band\b)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class ToolCall:
    id: str
    name: str
    arguments: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }


@dataclass(frozen=True)
class Reply:
    content: str | None
    finish_reason: str
    tool_calls: list[ToolCall] = field(default_factory=list)
    prompt_tokens: int = 0
    reasoning: str = ""  # streamed as `reasoning_content` before the answer
    reasoning_field: str = "reasoning_content"  # `reasoning` for Groq, Cerebras, newer vLLM
    cached: bool = False  # the prompt counts as read from the provider's cache (`prompt_cache_key`)

    @property
    def completion_tokens(self) -> int:
        if self.tool_calls:
            return sum(len(c.arguments.split()) + 1 for c in self.tool_calls)
        return len((self.content or "").split())

    def usage(self) -> dict[str, Any]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
            "prompt_tokens_details": {"cached_tokens": self.prompt_tokens if self.cached else 0},
            "completion_tokens_details": {"reasoning_tokens": len(self.reasoning.split())},
        }


def message_text(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            p.get("text", "") for p in content if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def build_reply(body: dict[str, Any]) -> Reply:
    messages: list[dict[str, Any]] = body.get("messages") or []
    prompt_tokens = sum(len(message_text(m).split()) + 3 for m in messages)
    last_user = next((message_text(m) for m in reversed(messages) if m.get("role") == "user"), "")
    if messages and messages[-1].get("role") == "tool":
        outputs = "; ".join(_trailing_tool_outputs(messages))
        # A tool output that itself says "call <name>" asks for another round of tool calls.
        again = _tool_calls(body, outputs)
        if again:
            return Reply(
                content=None,
                finish_reason="tool_calls",
                tool_calls=again,
                prompt_tokens=prompt_tokens,
            )
        return _limit(f"Tool outputs: {outputs}", body, prompt_tokens)
    calls = _tool_calls(body, last_user)
    if calls:
        return Reply(
            content=None, finish_reason="tool_calls", tool_calls=calls, prompt_tokens=prompt_tokens
        )
    fmt = body.get("response_format") or {}
    if fmt.get("type") in ("json_schema", "json_object"):
        content = json.dumps(json_content(fmt, last_user))
        return Reply(content=content, finish_reason="stop", prompt_tokens=prompt_tokens)
    reply = _limit(f"Echo: {last_user}{_citation(messages)}", body, prompt_tokens)
    if body.get("reasoning_effort"):
        # Like a reasoning model that shows its thinking (reasoning_content), then answers.
        return replace(reply, reasoning=f"Thinking ({body['reasoning_effort']}) about {last_user}")
    return reply


_MARKER = re.compile(r"【\d+:\d+†[^】]*】")


def _citation(messages: list[dict[str, Any]]) -> str:
    """Like a model given file_search sources, cite the first one by its marker."""
    system = " ".join(message_text(m) for m in messages if m.get("role") == "system")
    found = _MARKER.search(system)
    return f" {found.group(0)}" if found else ""


def _trailing_tool_outputs(messages: list[dict[str, Any]]) -> list[str]:
    outputs: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        outputs.append(message_text(message))
    return list(reversed(outputs))


def _limit(text: str, body: dict[str, Any], prompt_tokens: int) -> Reply:
    finish = "stop"
    for stop in _stops(body.get("stop")):
        at = text.find(stop)
        if at >= 0:
            text = text[:at]
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    words = text.split(" ")
    if isinstance(limit, int) and 0 < limit < len(words):
        text, finish = " ".join(words[:limit]), "length"
    return Reply(content=text, finish_reason=finish, prompt_tokens=prompt_tokens)


def _stops(stop: Any) -> list[str]:
    if isinstance(stop, str):
        return [stop]
    return [s for s in stop or [] if isinstance(s, str) and s]


def _tool_calls(body: dict[str, Any], text: str) -> list[ToolCall]:
    functions = {
        t["function"]["name"]: t["function"]
        for t in body.get("tools") or []
        if t.get("type") == "function" and isinstance(t.get("function"), dict)
    }
    choice = body.get("tool_choice")
    if not functions or choice == "none":
        return []
    names = _named_calls(text, functions)
    if isinstance(choice, dict):
        forced = (choice.get("function") or {}).get("name")
        names = [forced] if isinstance(forced, str) and forced in functions else []
    elif choice == "required" and not names:
        names = [next(iter(functions))]
    if body.get("parallel_tool_calls") is False:
        names = names[:1]
    return [
        ToolCall(
            id=f"call_{uuid.uuid4().hex[:24]}",
            name=n,
            arguments=json.dumps(tool_arguments(functions[n], text)),
        )
        for n in names
    ]


def _named_calls(text: str, functions: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for match in _CALL.finditer(text):
        for name in _SPLIT.split(match.group(1)):
            if name in functions and name not in names:
                names.append(name)
    return names
