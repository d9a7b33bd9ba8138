"""The ``mcp`` tool of a create request: checked, and shown without its headers.

``headers`` (credentials for that MCP server, often) are kept apart: `mcp_headers` takes them from
the request for the response's execution in memory; the stored and shown tool has ``headers:
null``. A background response that another worker takes over after a restart has no headers.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from assistants.errors import InvalidInput
from storage.base import Json

_LABEL = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,63}")
APPROVALS = ("always", "never")


def _names(value: Any, param: str) -> list[str] | None:
    """A list of tool names, or ``{"tool_names": [...]}``, as a list (None: no filter)."""
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("tool_names")
        if value is None:
            return None
    if not isinstance(value, list) or not all(isinstance(n, str) for n in value):
        raise InvalidInput(f"Invalid '{param}': expected a list of tool names.", param=param)
    return list(value)


def _approval(value: Any, param: str) -> Any:
    if value is None:
        return "always"  # OpenAI's default
    if isinstance(value, str):
        if value not in APPROVALS:
            raise InvalidInput(
                f"Invalid '{param}': expected 'always', 'never' or a filter.", param=param
            )
        return value
    if not isinstance(value, dict) or set(value) - set(APPROVALS):
        raise InvalidInput(
            f"Invalid '{param}': expected 'always', 'never' or a filter.", param=param
        )
    shown: Json = {}
    for key in APPROVALS:
        names = _names(value.get(key), f"{param}.{key}")
        if names is not None:
            shown[key] = {"tool_names": names}
    return shown


def mcp_tool(tool: Json, param: str) -> Json:
    """The tool as stored and shown (no headers)."""
    label = tool.get("server_label")
    if not isinstance(label, str) or not _LABEL.fullmatch(label):
        raise InvalidInput(
            f"Invalid '{param}.server_label': a letter, then up to 63 letters, digits, _ or -.",
            param=f"{param}.server_label",
        )
    url = tool.get("server_url")
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(
            f"Invalid '{param}.server_url': expected an http(s) URL.", param=f"{param}.server_url"
        )
    if tool.get("connector_id"):
        raise InvalidInput(
            f"Invalid '{param}.connector_id': connectors are not supported by this server.",
            param=f"{param}.connector_id",
        )
    headers = tool.get("headers")
    if headers is not None and not (
        isinstance(headers, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in headers.items())
    ):
        raise InvalidInput(
            f"Invalid '{param}.headers': expected string names and values.",
            param=f"{param}.headers",
        )
    allowed = _names(tool.get("allowed_tools"), f"{param}.allowed_tools")
    shown: Json = {
        "type": "mcp",
        "server_label": label,
        "server_url": url,
        "allowed_tools": allowed,
        "require_approval": _approval(tool.get("require_approval"), f"{param}.require_approval"),
        "headers": None,
    }
    if isinstance(tool.get("server_description"), str):
        shown["server_description"] = tool["server_description"]
    return shown


def mcp_headers(tools: Any) -> dict[str, dict[str, str]]:
    """The headers of each MCP tool of a (checked) request, by server label."""
    return {
        tool["server_label"]: dict(tool["headers"])
        for tool in tools or []
        if tool.get("type") == "mcp" and tool.get("headers")
    }


def needs_approval(tool: Json, name: str) -> bool:
    rule = tool["require_approval"]
    if isinstance(rule, str):
        return bool(rule == "always")
    if name in ((rule.get("never") or {}).get("tool_names") or ()):
        return False
    if name in ((rule.get("always") or {}).get("tool_names") or ()):
        return True
    return True  # a tool neither list names: OpenAI's default, ask


def allowed(tool: Json, name: str) -> bool:
    names = tool.get("allowed_tools")
    return names is None or name in names
