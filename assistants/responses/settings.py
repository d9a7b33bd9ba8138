"""What a create request asks of the model: tools, tool choice, text format, sampling, prompt.

Checks the request the way OpenAI does and resolves ``prompt`` (an assistant id: OpenAI maps
assistants to prompts) into model, instructions and tools. The result is stored on the response
and turned into the chat request of each turn.
"""

from __future__ import annotations

import re
from typing import Any

from assistants.context import Ctx
from assistants.errors import InvalidInput, NotFoundError
from assistants.resources.tools import checked_function, checked_sampling
from assistants.resources.tools import vector_store_ids as assistant_store_ids
from assistants.responses.mcp_settings import mcp_tool
from assistants.retrieval.fusion import parse_ranking
from inference.base import ChatRequest
from storage.base import Json, Key, Kind

SUPPORTED_TOOLS = ("function", "file_search", "mcp")
_VARIABLE = re.compile(r"\{\{\s*([A-Za-z0-9_.-]+)\s*\}\}")


def _function_tool(tool: Json, param: str) -> Json:
    checked_function(tool, param)  # the same checks as Assistants' function tools
    return {
        "type": "function",
        "name": tool["name"],
        "description": tool.get("description"),
        "parameters": tool.get("parameters"),
        "strict": tool.get("strict", True) if tool.get("strict") is not None else True,
    }


def _file_search_tool(tool: Json, param: str) -> Json:
    ids = tool.get("vector_store_ids") or []
    limit = tool.get("max_num_results")
    if limit is not None and not 1 <= limit <= 50:
        raise InvalidInput(
            f"Invalid '{param}.max_num_results': must be between 1 and 50.",
            param=f"{param}.max_num_results",
        )
    # Checked now, so that options the search would refuse are a 400, not a failed response.
    parse_ranking(tool.get("ranking_options"), f"{param}.ranking_options")
    shown: Json = {"type": "file_search", "vector_store_ids": list(ids)}
    for key in ("max_num_results", "filters", "ranking_options"):
        if tool.get(key) is not None:
            shown[key] = tool[key]
    shown.setdefault("filters", None)
    shown.setdefault("ranking_options", {"ranker": "auto", "score_threshold": 0.0})
    return shown


def checked_tools(tools: Any) -> list[Json]:
    checked: list[Json] = []
    names: set[str] = set()
    labels: set[str] = set()
    for index, tool in enumerate(tools or []):
        param = f"tools[{index}]"
        kind = tool.get("type")
        if kind == "function":
            function = _function_tool(tool, param)
            if function["name"] in names:
                raise InvalidInput(
                    f"Invalid '{param}.name': duplicate function name '{function['name']}'.",
                    param=f"{param}.name",
                )
            names.add(function["name"])
            checked.append(function)
        elif kind == "file_search":
            checked.append(_file_search_tool(tool, param))
        elif kind == "mcp":
            shown = mcp_tool(tool, param)
            if shown["server_label"] in labels:
                raise InvalidInput(
                    f"Invalid '{param}.server_label': duplicate server_label "
                    f"'{shown['server_label']}'.",
                    param=f"{param}.server_label",
                )
            labels.add(shown["server_label"])
            checked.append(shown)
        else:
            raise InvalidInput(
                f"Invalid '{param}.type': tools of type '{kind}' are not supported by this "
                f"server (supported: {', '.join(SUPPORTED_TOOLS)}).",
                param=f"{param}.type",
            )
    return checked


def _text_format(text: Any) -> Json:
    fmt = (text or {}).get("format") or {"type": "text"}
    if fmt.get("type") == "json_schema" and not isinstance(fmt.get("schema"), dict):
        raise InvalidInput(
            "Invalid 'text.format.schema': a json_schema format needs a schema.",
            param="text.format.schema",
        )
    shown: Json = {"format": dict(fmt)}
    if (text or {}).get("verbosity"):
        shown["verbosity"] = text["verbosity"]
    return shown


def response_format(text: Json) -> Json | None:
    fmt = text["format"]
    if fmt["type"] == "json_object":
        return {"type": "json_object"}
    if fmt["type"] == "json_schema":
        schema: Json = {"name": fmt.get("name") or "response", "schema": fmt["schema"]}
        if fmt.get("strict") is not None:
            schema["strict"] = fmt["strict"]
        if fmt.get("description"):
            schema["description"] = fmt["description"]
        return {"type": "json_schema", "json_schema": schema}
    return None


def _variables(text: str, variables: Json, param: str = "prompt.variables") -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            return match.group(0)
        given = variables[name]
        if isinstance(given, str):
            return given
        if isinstance(given, dict) and given.get("type") == "input_text":
            return str(given.get("text", ""))
        raise InvalidInput(
            f"Invalid '{param}.{name}': only text variables are supported.", param=f"{param}.{name}"
        )

    return _VARIABLE.sub(value, text)


def _assistant_tools(assistant: Json) -> list[Json]:
    tools: list[Json] = []
    stores = assistant_store_ids(assistant.get("tool_resources"))
    for tool in assistant.get("tools") or []:
        if tool["type"] == "function":
            function = tool["function"]
            tools.append(
                {
                    "type": "function",
                    "name": function["name"],
                    "description": function.get("description"),
                    "parameters": function.get("parameters"),
                    "strict": bool(function.get("strict")),
                }
            )
        elif tool["type"] == "file_search":
            options = tool.get("file_search") or {}
            shown: Json = {"type": "file_search", "vector_store_ids": stores, "filters": None}
            if options.get("max_num_results"):
                shown["max_num_results"] = options["max_num_results"]
            shown["ranking_options"] = options.get("ranking_options") or {
                "ranker": "auto",
                "score_threshold": 0.0,
            }
            tools.append(shown)
    return tools


async def resolve(ctx: Ctx, body: dict[str, Any]) -> Json:
    """Model, instructions, tools, text format and sampling of a create request, checked."""
    checked_sampling(body)
    prompt = body.get("prompt")
    assistant: Json | None = None
    if prompt:
        prompt_id = prompt["id"]
        stored = await ctx.store.docs.get(Key(ctx.tenant, Kind.ASSISTANT, "", prompt_id))
        if stored is None:
            raise NotFoundError(f"Prompt with id '{prompt_id}' not found.", param="prompt.id")
        assistant = stored.doc
    model = body.get("model") or (assistant or {}).get("model")
    if not model:
        raise InvalidInput("Missing required parameter: 'model'.", param="model")
    instructions = body.get("instructions")
    if instructions is None and assistant is not None:
        variables = (prompt or {}).get("variables") or {}
        instructions = _variables(assistant.get("instructions") or "", variables)
    tools = checked_tools(body.get("tools"))
    if assistant is not None and body.get("tools") is None:
        tools = _assistant_tools(assistant)
    reasoning = body.get("reasoning")
    return {
        "model": model,
        "instructions": instructions,
        "tools": tools,
        "text": _text_format(body.get("text")),
        "reasoning": reasoning,
        "temperature": _pick(body, assistant, "temperature", 1.0),
        "top_p": _pick(body, assistant, "top_p", 1.0),
    }


def _pick(body: dict[str, Any], assistant: Json | None, field: str, default: float) -> Any:
    if body.get(field) is not None:
        return body[field]
    if assistant is not None and assistant.get(field) is not None:
        return assistant[field]
    return default


def _tool_choice(choice: Any, functions: list[Json]) -> tuple[Any, list[Json]]:
    """The chat tool choice, and the functions the model may call."""
    if isinstance(choice, dict):
        kind = choice.get("type")
        if kind == "function":
            return {"type": "function", "function": {"name": choice["name"]}}, functions
        if kind == "allowed_tools":
            allowed = {
                t.get("name") for t in choice.get("tools") or [] if t.get("type") == "function"
            }
            kept = [f for f in functions if f["name"] in allowed]
            return choice.get("mode") or "auto", kept
        return None, functions  # a hosted tool (file_search): not the model's to call
    return choice, functions


def chat_request(
    response: Json,
    messages: list[dict[str, Any]],
    spent_output: int = 0,
    extra_functions: list[Json] | None = None,
) -> ChatRequest:
    """The chat request of one turn of ``response``; ``extra_functions``: MCP tools offered."""
    functions = [t for t in response["tools"] if t["type"] == "function"]
    functions += extra_functions or []
    choice, functions = _tool_choice(response.get("tool_choice"), functions)
    chat_tools = [
        {
            "type": "function",
            "function": {
                k: v
                for k, v in {
                    "name": f["name"],
                    "description": f.get("description"),
                    "parameters": f.get("parameters") or {"type": "object", "properties": {}},
                }.items()
                if v is not None
            },
        }
        for f in functions
    ]
    budget = response.get("max_output_tokens")
    effort = (response.get("reasoning") or {}).get("effort")
    return ChatRequest(
        model=response["model"],
        messages=messages,
        tools=chat_tools or None,
        tool_choice=choice if chat_tools and choice is not None else None,
        parallel_tool_calls=response.get("parallel_tool_calls") if chat_tools else None,
        response_format=response_format(response["text"]),
        temperature=response.get("temperature"),
        top_p=response.get("top_p"),
        max_completion_tokens=max(1, budget - spent_output) if budget else None,
        reasoning_effort=effort,
        user=response.get("user"),
        stream_options={"include_usage": True},
    )
