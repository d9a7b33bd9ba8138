"""Requests of OpenAI's chat API, as received by the server, turned into ``ChatRequest``s."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from inference.base import ChatRequest

_NAMED = frozenset(f.name for f in fields(ChatRequest)) - {"extra"}
# Fields of OpenAI's request that only OpenAI's own service understands, or that the server
# handles itself; they are not passed to other providers.
_SERVER_ONLY = frozenset({"stream", "store", "metadata", "service_tier"})


def chat_request_from_body(body: dict[str, Any]) -> ChatRequest:
    named = {k: v for k, v in body.items() if k in _NAMED and v is not None}
    extra = {
        k: v for k, v in body.items() if k not in _NAMED and k not in _SERVER_ONLY and v is not None
    }
    return ChatRequest(**named, extra=extra)


def openai_completion(result: dict[str, Any]) -> dict[str, Any]:
    """Fill the fields OpenAI always sends (and its SDKs read) that other providers omit."""
    completion = dict(result)
    completion.setdefault("object", "chat.completion")
    choices = []
    for index, choice in enumerate(completion.get("choices") or []):
        choice = dict(choice)
        choice.setdefault("index", index)
        choice.setdefault("logprobs", None)
        choice["finish_reason"] = choice.get("finish_reason") or "stop"
        message = dict(choice.get("message") or {})
        message.setdefault("role", "assistant")
        message.setdefault("content", None)
        message.setdefault("refusal", None)
        message.setdefault("annotations", [])
        choice["message"] = message
        choices.append(choice)
    completion["choices"] = choices
    return completion
