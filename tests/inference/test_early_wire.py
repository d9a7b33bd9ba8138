"""Chat calls prepared without LiteLLM (`early_wire`) are byte for byte the ones LiteLLM prepares
(`openai_wire.prepare`), and every call it cannot be sure of is left to LiteLLM.

No traffic: these compare prepared requests only.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from inference import ChatRequest, early_wire, options_from_headers
from inference.loader import load_litellm
from inference.openai_wire import WireCall, prepare
from inference.routing import chat_arguments

BASE = {"base-url": "http://127.0.0.1:9/v1", "authorization": "Bearer sk-caller"}
HOSTED = {"authorization": "Bearer sk-caller"}
"""OpenAI itself (no base URL): the calls name an `openai/` model."""
UNKNOWN_NAMES = (
    "fake-model",
    "llama3:8b",
    "Qwen2.5-7B-Instruct",
    "mistral-small-24b",
    "gpt-4o-mini-ft.v2",
    "my-gpt-5-tune",
    "O3-mini",
    "text_model_1",
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "The weather in a city.",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string", "minLength": 1}},
                "required": ["city"],
            },
            "strict": False,
        },
    }
]
TOOL_TURN = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": [{"type": "text", "text": "Weather in Oslo?"}], "name": "ann"},
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "get_weather", "arguments": '{"city":"Oslo"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "Sunny, 21°C"},
]


def litellm_providers() -> frozenset[str]:
    return frozenset(str(getattr(p, "value", p)) for p in load_litellm().provider_list)


def arguments(
    model: str, headers: Mapping[str, str], providers: frozenset[str], params: Mapping[str, Any]
) -> dict[str, Any]:
    """The engine's `acompletion` arguments for a chat call (as `LiteLLMEngine` builds them);
    `drop_params` among `params` is the setting (default on)."""
    fields = dict(params)
    messages = fields.pop("messages", [{"role": "user", "content": "Hello!"}])
    drop = fields.pop("drop_params", True)
    request = ChatRequest(model=model, messages=messages, **fields)
    options = options_from_headers(headers)
    return chat_arguments(request, options, providers, timeout=5.0, drop_params=drop).kwargs


def early(model: str, headers: Mapping[str, str], params: Mapping[str, Any], stream: bool):
    kwargs = arguments(model, headers, early_wire.PROVIDERS, params)
    return early_wire.prepare(kwargs, stream=stream)


def through_litellm(
    model: str, headers: Mapping[str, str], params: Mapping[str, Any], stream: bool
) -> WireCall | None:
    kwargs = arguments(model, headers, litellm_providers(), params)
    if not stream:
        kwargs.pop("stream_options", None)  # as LiteLLMEngine.chat does
    return prepare(load_litellm(), kwargs, stream=stream)


def sent(call: WireCall) -> tuple[Any, ...]:
    return call.url, list(call.headers.items()), call.body, call.model, call.provider


def routes(name: str) -> list[tuple[str, Mapping[str, str]]]:
    return [(name, BASE), (f"openai/{name}", BASE), (f"openai/{name}", HOSTED)]


@pytest.mark.slow
def test_every_model_name_litellm_knows_is_sent_as_litellm_sends_it() -> None:
    """Over LiteLLM's whole model registry (any provider's name may reach a caller's base URL):
    each call taken early is the one LiteLLM would send; the others wait."""
    params = {
        "temperature": 0.3,
        "max_tokens": 50,
        "tools": TOOLS,
        "tool_choice": "auto",
        "stream_options": {"include_usage": True},
    }
    names = [*load_litellm().model_cost, *UNKNOWN_NAMES]
    taken: set[str] = set()
    mismatched: list[str] = []
    for name in names:
        for model, headers in routes(name):
            for stream in (False, True):
                call = early(model, headers, params, stream)
                if call is None:
                    continue
                taken.add(name)
                reference = through_litellm(model, headers, params, stream)
                if reference is None or sent(reference) != sent(call):
                    mismatched.append(f"{model} at {headers.get('base-url')} stream={stream}")

    assert mismatched == []
    assert {"fake-model", "llama3:8b", "gpt-4o-mini", "gpt-4.1", "gpt-3.5-turbo"} <= taken
    assert not {"o3-mini", "gpt-5", "gpt-5-mini", "o1-pro", "gpt-mini-latest", "O3-mini"} & taken


REQUESTS: dict[str, dict[str, Any]] = {
    "plain": {},
    "every parameter": {
        "temperature": 0.2,
        "top_p": 0.9,
        "n": 1,
        "stop": ["\n\n", "END"],
        "max_tokens": 40,
        "max_completion_tokens": 60,
        "presence_penalty": 0.1,
        "frequency_penalty": -0.1,
        "logit_bias": {"50256": -100},
        "seed": 7,
        "logprobs": True,
        "top_logprobs": 2,
        "stream_options": {"include_usage": True},
    },
    "a stop string": {"stop": "END"},
    "empty containers": {"stop": [], "logit_bias": {}},
    "a tool turn": {
        "messages": TOOL_TURN,
        "tools": TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "get_weather"}},
        "parallel_tool_calls": False,
    },
    "text parts in every role": {
        "messages": [
            {"role": role, "content": [{"type": "text", "text": f"{role} says"}]}
            for role in ("system", "user", "assistant")
        ]
        + [{"role": "tool", "tool_call_id": "c1", "content": [{"type": "text", "text": "42"}]}]
    },
    "tools without a schema": {"tools": [{"type": "function", "function": {"name": "now"}}]},
    "tool choice without tools": {"tool_choice": "required", "parallel_tool_calls": True},
    "non-ASCII text": {"messages": [{"role": "user", "content": "Grüß dich, 東京 \u2028 😀"}]},
}


@pytest.mark.parametrize("drop_params", [True, False], ids=["drop", "keep"])
@pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
@pytest.mark.parametrize("name", ["fake-model", "gpt-4o-mini", "gpt-4", "gpt-3.5-turbo-16k"])
@pytest.mark.parametrize("shape", sorted(REQUESTS))
def test_parameters_messages_and_tools_are_sent_as_litellm_sends_them(
    shape: str, name: str, stream: bool, drop_params: bool
) -> None:
    params = {**REQUESTS[shape], "drop_params": drop_params}
    for model, headers in routes(name):
        call = early(model, headers, params, stream)
        assert call is not None, model
        reference = through_litellm(model, headers, params, stream)
        assert reference is not None
        assert sent(call) == sent(reference)


@pytest.mark.parametrize(
    "base_url",
    [
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/",
        "https://127.0.0.1:9/openai/v1//",
        "http://127.0.0.1:9/v1/chat/completions",
        "http://user:pw@localhost:9/v1",
    ],
)
def test_base_urls_are_completed_as_litellm_completes_them(base_url: str) -> None:
    headers = {**BASE, "base-url": base_url}
    call = early("fake-model", headers, {}, False)
    reference = through_litellm("fake-model", headers, {}, False)
    assert call is not None and reference is not None
    assert sent(call) == sent(reference)


@pytest.mark.parametrize(
    "env",
    [
        {"OPENAI_API_KEY": "sk-server"},
        {"OPENAI_API_KEY": "sk-server", "OPENAI_ORGANIZATION": "org-team"},
        {"OPENAI_API_KEY": "sk-server", "OPENAI_BASE_URL": "http://127.0.0.1:9/proxy/v1"},
        {"OPENAI_API_KEY": "sk-server", "OPENAI_API_BASE": "http://127.0.0.1:9/v2"},
        {"OPENAI_API_KEY": "sk-server", "OPENAI_BASE_URL": "true"},
    ],
    ids=["key", "organization", "base url", "api base", "a boolean base"],
)
@pytest.mark.parametrize("headers", [{}, HOSTED, BASE], ids=["server key", "caller key", "base"])
def test_the_server_environment_is_read_as_litellm_reads_it(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], headers: dict[str, str]
) -> None:
    for name in ("OPENAI_BASE_URL", "OPENAI_API_BASE", "OPENAI_ORGANIZATION", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    call = early("openai/gpt-4o-mini", headers, {}, True)
    reference = through_litellm("openai/gpt-4o-mini", headers, {}, True)
    assert call is not None and reference is not None
    assert sent(call) == sent(reference)


def test_without_any_key_openai_itself_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    assert early("openai/gpt-4o-mini", {}, {}, False) is None


def tool(parameters: dict[str, Any]) -> dict[str, Any]:
    return {"type": "function", "function": {"name": "f", "parameters": parameters}}


def said(*parts: dict[str, Any]) -> list[dict[str, Any]]:
    return [{"role": "user", "content": list(parts)}]


REGEX = {"type": "object", "properties": {"a": {"type": "string", "pattern": "^a"}}}
IMAGE = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}}
CACHED = {"type": "text", "text": "x", "cache_control": {"type": "ephemeral"}}
DEEP: dict[str, Any] = {"type": "object"}
for _ in range(20_000):
    DEEP = {"type": "object", "properties": {"a": DEEP}}
WAITING: dict[str, tuple[str, dict[str, str], dict[str, Any]]] = {
    "o-series": ("o3-mini", BASE, {"max_tokens": 5}),
    "gpt-5": ("openai/gpt-5-mini", HOSTED, {}),
    "an alias LiteLLM renames": ("openai/gpt-mini-latest", HOSTED, {}),
    "a Responses-only model": ("openai/o1-pro", HOSTED, {}),
    "audio": ("gpt-4o-audio-preview", BASE, {}),
    "no provider": ("gpt-4o-mini", HOSTED, {}),
    "another provider": ("anthropic/claude-3-5-haiku", BASE, {}),
    "a provider header": ("fake-model", {**BASE, "custom-llm-provider": "hosted_vllm"}, {}),
    "a slash in the name": ("meta-llama/Llama-3.1-8B", BASE, {}),
    "azure": ("fake-model", {**BASE, "api-version": "2024-10-21"}, {}),
    "an LLM-PARAM": ("fake-model", {**BASE, "llm-param-organization": "org-1"}, {}),
    "a query string": ("fake-model", {**BASE, "base-url": "http://127.0.0.1:9/v1?x=1"}, {}),
    "user": ("fake-model", BASE, {"user": "u-1"}),
    "reasoning_effort": ("fake-model", BASE, {"reasoning_effort": "low"}),
    "response_format": ("fake-model", BASE, {"response_format": {"type": "json_object"}}),
    "a body extra": ("fake-model", BASE, {"extra": {"prompt_cache_key": "k"}}),
    "five stops": ("fake-model", BASE, {"stop": ["a", "b", "c", "d", "e"]}),
    "no tools": ("fake-model", BASE, {"tools": []}),
    "a regex in a tool": ("fake-model", BASE, {"tools": [tool(REGEX)]}),
    "a top-level union": ("fake-model", BASE, {"tools": [tool({"anyOf": [{"type": "object"}]})]}),
    "a custom tool": ("fake-model", BASE, {"tools": [{"type": "custom", "custom": {"name": "x"}}]}),
    "a tool choice no string": ("fake-model", BASE, {"tools": TOOLS, "tool_choice": ["auto"]}),
    "a developer message": (
        "fake-model",
        BASE,
        {"messages": [{"role": "developer", "content": "x"}]},
    ),
    "an image": ("fake-model", BASE, {"messages": said(IMAGE)}),
    "cache control": ("fake-model", BASE, {"messages": said(CACHED)}),
    "no role": ("fake-model", BASE, {"messages": [{"content": "x"}]}),
    "a role no string": ("fake-model", BASE, {"messages": [{"role": ["user"]}]}),
    "no messages": ("fake-model", BASE, {"messages": []}),
    "a schema too deep to walk": ("fake-model", BASE, {"tools": [tool(DEEP)]}),
    "a value too deep to encode": ("fake-model", BASE, {"logit_bias": DEEP}),
    "a lone surrogate": ("fake-model", BASE, {"messages": [{"role": "user", "content": "\ud83d"}]}),
}


@pytest.mark.parametrize("case", sorted(WAITING))
def test_calls_litellm_treats_specially_wait_for_it(case: str) -> None:
    model, headers, params = WAITING[case]
    for stream in (False, True):
        assert early(model, headers, params, stream) is None


@pytest.mark.parametrize(
    "switch",
    ["USE_LITELLM_PROXY", "LITELLM_ROUTE_ALL_CHAT_OPENAI_TO_RESPONSES", "LITELLM_MODIFY_PARAMS"],
)
def test_litellm_switches_in_the_environment_make_every_call_wait(
    monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    assert early("fake-model", BASE, {}, False) is not None
    monkeypatch.setenv(switch, "true")
    assert early("fake-model", BASE, {}, False) is None


def test_preparing_a_call_early_does_not_import_litellm() -> None:
    code = (
        "import sys\n"
        "from inference import early_wire\n"
        "call = early_wire.prepare({'model': 'fake-model', 'custom_llm_provider': 'openai',"
        " 'api_base': 'http://127.0.0.1:9/v1', 'api_key': 'k',"
        " 'messages': [{'role': 'user', 'content': 'hi'}]}, stream=True)\n"
        "assert call is not None and call.url.endswith('/chat/completions')\n"
        "assert 'litellm' not in sys.modules, 'litellm imported'\n"
    )
    root = Path(__file__).resolve().parents[2]
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, timeout=60)
