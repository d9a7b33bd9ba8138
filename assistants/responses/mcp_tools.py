"""The MCP tools of one response: listed (or reused), offered to the model, called or held.

For each ``mcp`` tool the response lists the server's tools once per chain or conversation (an
earlier ``mcp_list_tools`` item of that server is reused) and offers the allowed ones to the model
as functions. A call of one becomes an ``mcp_call`` item the server executes (concurrently with the
turn's other calls), or, when the tool needs approval, an ``mcp_approval_request`` that ends the
response; the caller's ``mcp_approval_response`` (approve: true) in a later request runs it. A
refused call never runs.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from assistants.errors import InvalidInput
from assistants.ids import new_id
from assistants.responses.mcp_client import McpError, McpServer, call_tool, list_tools
from assistants.responses.mcp_settings import allowed, needs_approval
from outbound import OutboundPolicy, check_url
from storage.base import Json

if TYPE_CHECKING:
    from assistants.responses.executor import ResponseRun

_UNSAFE = re.compile(r"[^A-Za-z0-9_-]")


@dataclass(frozen=True)
class Offered:
    tool: Json  # the response's mcp tool
    name: str  # the MCP tool's own name
    function: Json  # as the model sees it


def outbound_policy(inference: Any) -> OutboundPolicy | None:
    """The operator's outbound policy, which the inference settings carry."""
    settings = getattr(inference, "settings", None)
    policy = getattr(settings, "outbound", None)
    return policy if isinstance(policy, OutboundPolicy) else None


async def check_servers(tools: list[Json], inference: Any) -> None:
    """Refuse (400) an MCP server_url that the outbound policy refuses, before any connection."""
    policy = outbound_policy(inference)
    if policy is None:
        return
    for tool in tools:
        if tool["type"] == "mcp":
            await check_url(policy, tool["server_url"])


def check_approvals(context: list[Json]) -> None:
    """Every mcp_approval_response answers an mcp_approval_request that comes before it."""
    requests: set[str] = set()
    for item in context:
        if item["type"] == "mcp_approval_request":
            requests.add(item["id"])
        elif (
            item["type"] == "mcp_approval_response"
            and item.get("approval_request_id") not in requests
        ):
            raise InvalidInput(
                f"No MCP approval request found with id '{item.get('approval_request_id')}'.",
                param="input",
            )


class McpTools:
    def __init__(self, run: ResponseRun) -> None:
        self.run = run
        self.offered: dict[str, Offered] = {}
        tools = run.response["tools"]
        self.tools = [t for t in tools if t["type"] == "mcp"]
        self._taken = {t["name"] for t in tools if t["type"] == "function"}

    # the tools ---------------------------------------------------------------------------------

    def _server(self, tool: Json) -> McpServer:
        ctx = self.run.ctx
        return McpServer(
            label=tool["server_label"],
            url=tool["server_url"],
            policy=outbound_policy(ctx.inference),
            timeout=ctx.config.mcp_timeout_seconds,
            headers=self.run.plan.mcp_headers.get(tool["server_label"], {}),
        )

    async def prepare(self) -> None:
        """List (or reuse) each server's tools, then run the calls the caller just approved."""
        known = [*self.run.plan.history, *self.run.plan.input]
        for tool in self.tools:
            label = tool["server_label"]
            listed = next(
                (
                    i
                    for i in reversed(known)
                    if i["type"] == "mcp_list_tools"
                    and i.get("server_label") == label
                    and not i.get("error")
                ),
                None,
            )
            if listed is None:
                listed = await self._list(tool)
            for entry in listed.get("tools") or []:
                if allowed(tool, entry["name"]):
                    self._offer(tool, entry)
        await self._approved(known)

    async def _list(self, tool: Json) -> Json:
        log, output = self.run.log, self.run.output
        item: Json = {
            "id": new_id("mcpl"),
            "type": "mcp_list_tools",
            "server_label": tool["server_label"],
            "tools": [],
            "error": None,
        }
        output.append(item)
        index = output.index(item)
        log.emit("response.output_item.added", output_index=index, item=dict(item))
        log.emit("response.mcp_list_tools.in_progress", item_id=item["id"], output_index=index)
        try:
            tools = await list_tools(self._server(tool))
            item["tools"] = [t for t in tools if allowed(tool, t["name"])]
            log.emit("response.mcp_list_tools.completed", item_id=item["id"], output_index=index)
        except McpError as exc:
            item["error"] = str(exc)
            log.emit("response.mcp_list_tools.failed", item_id=item["id"], output_index=index)
        log.emit("response.output_item.done", output_index=index, item=dict(item))
        return item

    def _offer(self, tool: Json, entry: Json) -> None:
        name = _UNSAFE.sub("_", entry["name"])[:64] or "tool"
        if name in self._taken or name in self.offered:
            name = _UNSAFE.sub("_", f"{tool['server_label']}__{entry['name']}")[:64]
        self._taken.add(name)
        function: Json = {"type": "function", "name": name, "parameters": entry["input_schema"]}
        if entry.get("description"):
            function["description"] = entry["description"]
        self.offered[name] = Offered(tool, entry["name"], function)

    def functions(self) -> list[Json]:
        if self.run.tool_calls_left == 0:
            return []  # max_tool_calls reached: the model answers with what it has
        return [offered.function for offered in self.offered.values()]

    # the model's calls -------------------------------------------------------------------------

    def new_item(self, name: str) -> Json | None:
        """The item of the model's call of ``name``: an mcp_call or an approval request."""
        offered = self.offered.get(name)
        if offered is None:
            return None
        label = offered.tool["server_label"]
        if needs_approval(offered.tool, offered.name):
            return {
                "id": new_id("mcpr"),
                "type": "mcp_approval_request",
                "server_label": label,
                "name": offered.name,
                "arguments": "",
            }
        return {
            "id": new_id("mcp"),
            "type": "mcp_call",
            "server_label": label,
            "name": offered.name,
            "arguments": "",
            "output": None,
            "error": None,
            "approval_request_id": None,
            "status": "in_progress",
        }

    async def run_calls(self, items: list[Json]) -> None:
        """Execute the mcp_call items (concurrently), then show their outcomes in order."""
        if not items:
            return
        allowed = self.run.allow_tool_calls(len(items))
        outcomes = await asyncio.gather(*(self._call(item) for item in items[:allowed]))
        refused = (
            None,
            f"Not called: max_tool_calls ({self.run.response['max_tool_calls']}) reached.",
        )
        outcomes += [refused] * (len(items) - allowed)
        for item, (output, error) in zip(items, outcomes, strict=True):
            index = self.run.output.index(item)
            if error is None:
                item.update(output=output, status="completed")
                event = "response.mcp_call.completed"
            else:
                item.update(error=error, status="failed")
                event = "response.mcp_call.failed"
            self.run.log.emit(event, item_id=item["id"], output_index=index)
            self.run.log.emit("response.output_item.done", output_index=index, item=dict(item))

    async def _call(self, item: Json) -> tuple[str | None, str | None]:
        tool = next((t for t in self.tools if t["server_label"] == item["server_label"]), None)
        if tool is None:
            return None, f"MCP server '{item['server_label']}' is not among this request's tools."
        try:
            arguments = json.loads(item["arguments"] or "{}")
        except ValueError:
            return None, "The tool call's arguments are not valid JSON."
        if not isinstance(arguments, dict):
            return None, "The tool call's arguments are not a JSON object."
        try:
            return await call_tool(self._server(tool), item["name"], arguments), None
        except McpError as exc:
            return None, str(exc)

    async def _approved(self, known: list[Json]) -> None:
        """Run the calls approved in this request's input (not the refused, nor one run already)."""
        requests = {i["id"]: i for i in known if i["type"] == "mcp_approval_request"}
        ran = {i.get("approval_request_id") for i in known if i["type"] == "mcp_call"}
        calls: list[Json] = []
        for answer in self.run.plan.input:
            if answer["type"] != "mcp_approval_response" or not answer.get("approve"):
                continue
            request = requests.get(answer.get("approval_request_id") or "")
            if request is None or request["id"] in ran:
                continue
            ran.add(request["id"])
            item = {
                "id": new_id("mcp"),
                "type": "mcp_call",
                "server_label": request["server_label"],
                "name": request["name"],
                "arguments": request["arguments"],
                "output": None,
                "error": None,
                "approval_request_id": request["id"],
                "status": "in_progress",
            }
            self.run.output.append(item)
            index = self.run.output.index(item)
            self.run.log.emit("response.output_item.added", output_index=index, item=dict(item))
            self.run.log.emit(
                "response.mcp_call.in_progress", item_id=item["id"], output_index=index
            )
            item["status"] = "calling"
            calls.append(item)
        await self.run_calls(calls)
