"""Items: what a response reads and writes, in OpenAI's shapes, and how a model sees them.

Input arrives as a string or a list of items (easy messages, typed messages, function calls and
their outputs, reasoning, earlier output items, references to stored items, compaction items).
``stored_items`` turns it into the stored item shape, each with an id of this server (time-ordered,
so that a list in id order is the input's order).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any

from assistants.errors import InvalidInput
from assistants.ids import new_id
from storage.base import Json

PREFIXES = {
    "message": "msg",
    "function_call": "fc",
    "function_call_output": "fco",
    "file_search_call": "fs",
    "reasoning": "rs",
    "compaction": "cmp",
    "mcp_list_tools": "mcpl",
    "mcp_call": "mcp",
    "mcp_approval_request": "mcpr",
    "mcp_approval_response": "mcpa",
}
ROLES = ("user", "assistant", "system", "developer")
MAX_INPUT_ITEMS = 2048


def _text_part(role: str, text: str) -> Json:
    if role == "assistant":
        return {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    return {"type": "input_text", "text": text}


def _content(role: str, content: Any, param: str) -> list[Json]:
    if isinstance(content, str):
        return [_text_part(role, content)]
    parts: list[Json] = []
    for index, part in enumerate(content):
        kind = part.get("type")
        where = f"{param}[{index}]"
        if kind in ("input_text", "output_text"):
            if role == "assistant" or kind == "input_text":
                parts.append(_text_part(role, part.get("text", "")))
            else:
                parts.append({"type": "input_text", "text": part.get("text", "")})
        elif kind == "refusal":
            parts.append({"type": "refusal", "refusal": part.get("refusal", "")})
        elif kind == "input_image":
            if not part.get("image_url") and not part.get("file_id"):
                raise InvalidInput(
                    f"Invalid '{where}': an input_image needs an image_url or a file_id.",
                    param=where,
                )
            parts.append(
                {
                    "type": "input_image",
                    "image_url": part.get("image_url"),
                    "file_id": part.get("file_id"),
                    "detail": part.get("detail") or "auto",
                }
            )
        elif kind == "input_file":
            if not any(part.get(k) for k in ("file_id", "file_data", "file_url")):
                raise InvalidInput(
                    f"Invalid '{where}': an input_file needs a file_id, file_data or file_url.",
                    param=where,
                )
            parts.append({k: v for k, v in part.items() if v is not None})
        else:
            raise InvalidInput(
                f"Invalid '{where}.type': content of type '{kind}' is not supported here.",
                param=f"{where}.type",
            )
    return parts


def message_item(role: str, content: Any, param: str = "input", status: str = "completed") -> Json:
    if role not in ROLES:
        raise InvalidInput(f"Invalid '{param}.role': '{role}'.", param=f"{param}.role")
    return {
        "id": new_id("msg"),
        "type": "message",
        "role": role,
        "status": status,
        "content": _content(role, content, f"{param}.content"),
    }


def _output_text(output: Any) -> Any:
    if isinstance(output, str):
        return output
    return [dict(part) for part in output]


def stored_item(item: Json, param: str) -> Json:
    """One input item in its stored shape (not ``item_reference``: see ``resolve``)."""
    kind = item.get("type") or ("message" if "role" in item else None)
    if kind == "message":
        return message_item(item["role"], item["content"], param)
    if kind == "function_call":
        return {
            "id": new_id("fc"),
            "type": "function_call",
            "call_id": item["call_id"],
            "name": item["name"],
            "arguments": item.get("arguments") or "",
            "status": "completed",
        }
    if kind == "function_call_output":
        return {
            "id": new_id("fco"),
            "type": "function_call_output",
            "call_id": item["call_id"],
            "output": _output_text(item["output"]),
            "status": "completed",
        }
    if kind == "reasoning":
        return {
            "id": new_id("rs"),
            "type": "reasoning",
            "summary": list(item.get("summary") or []),
            "content": list(item.get("content") or []),
            "encrypted_content": item.get("encrypted_content"),
            "status": "completed",
        }
    if kind == "file_search_call":
        return {
            "id": new_id("fs"),
            "type": "file_search_call",
            "status": item.get("status") or "completed",
            "queries": list(item.get("queries") or []),
            "results": item.get("results"),
        }
    if kind == "compaction":
        summary_of(item["encrypted_content"], param)  # refuse what this server did not write
        return {
            "id": new_id("cmp"),
            "type": "compaction",
            "encrypted_content": item["encrypted_content"],
        }
    if kind in ("mcp_list_tools", "mcp_call", "mcp_approval_request", "mcp_approval_response"):
        stored = {k: v for k, v in item.items() if k != "id"}
        return {"id": new_id(PREFIXES[kind]), **stored}
    raise InvalidInput(
        f"Invalid '{param}.type': items of type '{kind}' are not supported by this server.",
        param=f"{param}.type",
    )


def input_list(value: Any) -> list[Json]:
    """The request's ``input`` as a list of raw items."""
    if value is None:
        return []
    if isinstance(value, str):
        return [{"type": "message", "role": "user", "content": value}]
    if len(value) > MAX_INPUT_ITEMS:
        raise InvalidInput(
            f"Invalid 'input': at most {MAX_INPUT_ITEMS} items, got {len(value)}.", param="input"
        )
    return list(value)


# compaction ------------------------------------------------------------------------------------

_COMPACTION_MARK = "assistants-server/compaction/v1:"


def compaction_content(summary: str) -> str:
    """The opaque ``encrypted_content`` of a compaction item: the summary, encoded."""
    return base64.b64encode((_COMPACTION_MARK + summary).encode()).decode()


def summary_of(encrypted: str, param: str = "input") -> str:
    try:
        text = base64.b64decode(encrypted.encode(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        text = ""
    if not text.startswith(_COMPACTION_MARK):
        raise InvalidInput(
            f"Invalid '{param}.encrypted_content': not a compaction item of this server.",
            param=f"{param}.encrypted_content",
        )
    return text[len(_COMPACTION_MARK) :]


# items as chat messages --------------------------------------------------------------------------

ChatMessage = dict[str, Any]


def _chat_content(parts: list[Json], files: FileContents) -> Any:
    out: list[Json] = []
    for part in parts:
        kind = part["type"]
        if kind in ("input_text", "output_text"):
            out.append({"type": "text", "text": part["text"]})
        elif kind == "refusal":
            out.append({"type": "text", "text": part["refusal"]})
        elif kind == "input_image":
            url = part.get("image_url") or files.images.get(part.get("file_id") or "")
            if url:
                out.append(
                    {"type": "image_url", "image_url": {"url": url, "detail": part["detail"]}}
                )
        elif kind == "input_file":
            text = files.texts.get(part.get("file_id") or "")
            if text:
                out.append({"type": "text", "text": text})
    if all(p["type"] == "text" for p in out):
        return "\n".join(p["text"] for p in out)
    return out


@dataclass(frozen=True, slots=True)
class FileContents:
    """Stored files that input items name: images as data URLs, other files as their text
    (wrapped in a ``<file name="...">`` block)."""

    images: dict[str, str] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)


def to_chat(items: list[Json], files: FileContents | None = None) -> list[ChatMessage]:
    """Items as chat messages: tool calls grouped per assistant turn, reasoning left out.

    An MCP call the server ran is a tool call with its result; a refused approval request, one
    whose result says so; MCP tool listings and pending requests are not shown.
    """
    files = files or FileContents()
    messages: list[ChatMessage] = []
    requests = {i["id"]: i for i in items if i["type"] == "mcp_approval_request"}
    for item in items:
        kind = item["type"]
        if kind == "message":
            role = "system" if item["role"] == "developer" else item["role"]
            messages.append({"role": role, "content": _chat_content(item["content"], files)})
        elif kind == "function_call":
            call = {
                "id": item["call_id"],
                "type": "function",
                "function": {"name": item["name"], "arguments": item["arguments"] or "{}"},
            }
            last = messages[-1] if messages else None
            if last is not None and last["role"] == "assistant" and last.get("tool_calls"):
                last["tool_calls"].append(call)
            else:
                messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
        elif kind == "function_call_output":
            output = item["output"]
            text = output if isinstance(output, str) else _chat_content(output, files)
            messages.append({"role": "tool", "tool_call_id": item["call_id"], "content": text})
        elif kind == "compaction":
            summary = summary_of(item["encrypted_content"])
            messages.append(
                {"role": "user", "content": f"Summary of the conversation so far:\n{summary}"}
            )
        elif kind == "mcp_call" and (item.get("output") is not None or item.get("error")):
            _tool_round(messages, item["id"], item, _mcp_result(item))
        elif kind == "mcp_approval_response" and not item.get("approve"):
            request = requests.get(item.get("approval_request_id") or "")
            if request is not None:
                _tool_round(messages, request["id"], request, DENIED)
    return messages


DENIED = "The user did not approve this tool call; it was not run."


def _mcp_result(item: Json) -> str:
    if item.get("error"):
        return f"Error: {item['error']}"
    return str(item["output"])


def _tool_round(messages: list[ChatMessage], call_id: str, item: Json, result: str) -> None:
    """An MCP call the server ran (or one the user refused) as a tool call and its result."""
    call = {
        "id": call_id,
        "type": "function",
        "function": {"name": item["name"], "arguments": item.get("arguments") or "{}"},
    }
    messages.append({"role": "assistant", "content": None, "tool_calls": [call]})
    messages.append({"role": "tool", "tool_call_id": call_id, "content": result})


def text_of(item: Json) -> str:
    """The plain text of a message item."""
    if item.get("type") != "message":
        return ""
    return "\n".join(
        part.get("text", "")
        for part in item["content"]
        if part["type"] in ("input_text", "output_text")
    )
