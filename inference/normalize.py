"""LiteLLM response objects as plain OpenAI-shaped dicts, without LiteLLM's extra null fields."""

from __future__ import annotations

import base64
from typing import Any

# LiteLLM-only keys; `reasoning_content` and the like are kept when a provider sets them.
_LITELLM_KEYS = ("provider_specific_fields", "citations", "moderation", "obfuscation")


def _dump(obj: Any) -> dict[str, Any]:
    if isinstance(obj, dict):
        return obj
    dumped: dict[str, Any] = obj.model_dump(exclude_none=True)
    return dumped


def _strip(d: dict[str, Any]) -> None:
    for key in _LITELLM_KEYS:
        d.pop(key, None)


def completion_dict(response: Any) -> dict[str, Any]:
    """A `chat.completion` dict; choices always have `finish_reason`, `logprobs`, `content`."""
    out = _dump(response)
    _strip(out)
    for choice in out.get("choices", ()):
        _strip(choice)
        choice.setdefault("finish_reason", None)
        choice.setdefault("logprobs", None)
        message = choice.get("message")
        if isinstance(message, dict):
            _strip(message)
            message.setdefault("content", None)
    return out


def chunk_dict(chunk: Any) -> dict[str, Any]:
    """A `chat.completion.chunk` dict; choices always carry `finish_reason` and a `delta`.

    The delta that opens the message (with `role`) carries `refusal: null`, as OpenAI's does.
    """
    out = _dump(chunk)
    _strip(out)
    for choice in out.get("choices", ()):
        _strip(choice)
        choice.setdefault("finish_reason", None)
        delta = choice.setdefault("delta", {})
        if isinstance(delta, dict):
            _strip(delta)
            if "role" in delta:
                delta.setdefault("refusal", None)
    return out


def embedding_vectors(response: Any) -> list[tuple[int, list[float]]]:
    """(index, vector) pairs from an embedding response (an object, or a provider's JSON body)
    whose items may be dicts or objects, and vectors floats or base64 float32."""
    data = response.get("data") if isinstance(response, dict) else getattr(response, "data", None)
    pairs: list[tuple[int, list[float]]] = []
    for position, item in enumerate(data or []):
        if isinstance(item, dict):
            index, vector = item.get("index", position), item["embedding"]
        else:
            index, vector = getattr(item, "index", position), item.embedding
        pairs.append((int(index), _floats(vector)))
    return pairs


def _floats(vector: Any) -> list[float]:
    if isinstance(vector, str):
        import numpy as np  # on first use: it adds 0.2 s to every start

        decoded: list[float] = np.frombuffer(base64.b64decode(vector), dtype="<f4").tolist()
        return decoded
    return list(vector)


def usage_dict(response: Any) -> dict[str, int]:
    if isinstance(response, dict):
        usage = response.get("usage") or {}
        prompt = int(usage.get("prompt_tokens", 0) or 0)
        total = int(usage.get("total_tokens", 0) or prompt)
    else:
        usage = getattr(response, "usage", None)
        prompt = int(getattr(usage, "prompt_tokens", 0) or 0)
        total = int(getattr(usage, "total_tokens", 0) or prompt)
    return {"prompt_tokens": prompt, "total_tokens": total}
