"""Remote MCP tools in Responses through the unmodified openai SDK, on both backends.

A real MCP server (tests/support/mcp_server.py) on 127.0.0.1 lists and runs the tools; the fake
model calls the tools named after "call" in the last user text, and answers "Tool outputs: ..."
once the results come back as tool messages.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from app.settings import Settings
from tests.support.live_server import LiveServer, free_port
from tests.support.mcp_server import McpServerThread

SECRET = "Bearer mcp-secret-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def mcp() -> Iterator[McpServerThread]:
    server = McpServerThread().start()
    yield server
    server.stop()


def tool(mcp: McpServerThread, **changes: Any) -> Any:
    return {
        "type": "mcp",
        "server_label": "desk",
        "server_url": mcp.url,
        "require_approval": "never",
        **changes,
    }


def body_of(error: openai.APIStatusError) -> dict[str, Any]:
    assert isinstance(error.body, dict)
    return error.body


def test_tools_listed_called_and_answered_in_one_response(client, mcp):
    before = len(mcp.log.calls)
    response = client.responses.create(
        model="gpt-4o-mini",
        input="call lookup_city city=Paris",
        tools=[tool(mcp, server_description="A desk of city facts.")],
    )
    assert response.status == "completed"
    assert [i.type for i in response.output] == ["mcp_list_tools", "mcp_call", "message"]
    listed, call, message = response.output
    assert {t.name for t in listed.tools} == {"lookup_city", "shout", "hang"}
    assert listed.server_label == "desk" and listed.error is None
    assert call.name == "lookup_city" and call.server_label == "desk"
    assert json.loads(call.arguments) == {"city": "Paris"}
    assert call.output == "Paris has 42 inhabitants" and call.error is None
    assert message.content[0].text == "Tool outputs: Paris has 42 inhabitants"
    assert mcp.log.calls[before:] == [("lookup_city", {"city": "Paris"})]
    shown = response.tools[0]
    assert shown.type == "mcp" and shown.server_label == "desk" and shown.headers is None


def test_a_server_offering_only_sse(client):
    server = McpServerThread(sse=True).start()
    try:
        response = client.responses.create(
            model="gpt-4o-mini",
            input="call shout text=over_sse",
            tools=[tool(server, server_label="sse_desk")],
        )
    finally:
        server.stop()
    assert [i.type for i in response.output] == ["mcp_list_tools", "mcp_call", "message"]
    assert response.output[1].output == "OVER_SSE"
    assert server.log.calls == [("shout", {"text": "over_sse"})]


def test_streamed_events_in_order(client, mcp):
    stream = client.responses.create(
        model="gpt-4o-mini",
        input="call shout text=hi",
        tools=[tool(mcp)],
        stream=True,
    )
    events = list(stream)
    names = [e.type for e in events]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = names.count("response.mcp_call_arguments.delta")
    assert deltas >= 1
    text_deltas = names.count("response.output_text.delta")
    assert names == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.mcp_list_tools.in_progress",
        "response.mcp_list_tools.completed",
        "response.output_item.done",
        "response.output_item.added",
        *["response.mcp_call_arguments.delta"] * deltas,
        "response.mcp_call_arguments.done",
        "response.mcp_call.in_progress",
        "response.mcp_call.completed",
        "response.output_item.done",
        "response.output_item.added",
        "response.content_part.added",
        *["response.output_text.delta"] * text_deltas,
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    done = events[-1].response
    assert done.output[1].type == "mcp_call" and done.output[1].output == "HI"
    assert done.output_text == "Tool outputs: HI"


def test_listing_is_reused_on_follow_up_turns(client, mcp):
    first = client.responses.create(
        model="gpt-4o-mini", input="call shout text=one", tools=[tool(mcp)]
    )
    second = client.responses.create(
        model="gpt-4o-mini",
        input="call shout text=two",
        tools=[tool(mcp)],
        previous_response_id=first.id,
    )
    assert [i.type for i in second.output] == ["mcp_call", "message"]
    assert second.output[0].output == "TWO"


def test_approval_then_approve_runs_the_call(client, mcp):
    before = len(mcp.log.calls)
    asked = client.responses.create(
        model="gpt-4o-mini",
        input="call lookup_city city=Rome",
        tools=[tool(mcp, require_approval="always")],
    )
    assert asked.status == "completed"
    assert [i.type for i in asked.output] == ["mcp_list_tools", "mcp_approval_request"]
    request = asked.output[1]
    assert request.name == "lookup_city" and json.loads(request.arguments) == {"city": "Rome"}
    assert mcp.log.calls[before:] == []  # not run before the caller approves
    approved = client.responses.create(
        model="gpt-4o-mini",
        previous_response_id=asked.id,
        tools=[tool(mcp, require_approval="always")],
        input=[
            {"type": "mcp_approval_response", "approval_request_id": request.id, "approve": True}
        ],
    )
    assert [i.type for i in approved.output] == ["mcp_call", "message"]
    call = approved.output[0]
    assert call.approval_request_id == request.id and call.output == "Rome has 42 inhabitants"
    assert approved.output_text == "Tool outputs: Rome has 42 inhabitants"
    assert mcp.log.calls[before:] == [("lookup_city", {"city": "Rome"})]


def test_denied_call_is_never_run(client, mcp):
    before = len(mcp.log.calls)
    rule = {"always": {"tool_names": ["shout"]}, "never": {"tool_names": ["lookup_city"]}}
    conversation = client.conversations.create()
    asked = client.responses.create(
        model="gpt-4o-mini",
        input="call shout text=nope",
        tools=[tool(mcp, require_approval=rule)],
        conversation=conversation.id,
    )
    request = asked.output[-1]
    assert request.type == "mcp_approval_request"
    denied = client.responses.create(
        model="gpt-4o-mini",
        conversation=conversation.id,
        tools=[tool(mcp, require_approval=rule)],
        input=[
            {
                "type": "mcp_approval_response",
                "approval_request_id": request.id,
                "approve": False,
                "reason": "no shouting",
            }
        ],
    )
    assert denied.status == "completed"
    assert [i.type for i in denied.output] == ["message"]
    assert "not approve" in denied.output_text
    assert mcp.log.names()[before:] == []


def test_allowed_tools_hides_the_others(client, mcp):
    before = len(mcp.log.calls)
    response = client.responses.create(
        model="gpt-4o-mini",
        input="call shout and lookup_city text=x city=Oslo",
        tools=[tool(mcp, allowed_tools=["lookup_city"])],
    )
    assert [t.name for t in response.output[0].tools] == ["lookup_city"]
    assert [i.type for i in response.output] == ["mcp_list_tools", "mcp_call", "message"]
    assert mcp.log.names()[before:] == ["lookup_city"]


def test_parallel_calls_and_a_function_tool(client, mcp):
    before = len(mcp.log.calls)
    weather = {
        "type": "function",
        "name": "get_weather",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    }
    response = client.responses.create(
        model="gpt-4o-mini",
        input="call shout, lookup_city and get_weather text=a city=Bern",
        tools=[tool(mcp), weather],
    )
    types = [i.type for i in response.output]
    assert types == ["mcp_list_tools", "mcp_call", "mcp_call", "function_call"]
    assert sorted(mcp.log.names()[before:]) == ["lookup_city", "shout"]
    assert response.output[3].name == "get_weather"


def test_headers_reach_the_server_and_are_stored_nowhere(client, mcp, caplog):
    caplog.set_level(logging.DEBUG)
    seen = len(mcp.log.headers)
    conversation = client.conversations.create()
    response = client.responses.create(
        model="gpt-4o-mini",
        input="call shout text=secret",
        tools=[tool(mcp, headers={"Authorization": SECRET})],
        conversation=conversation.id,
    )
    assert response.output[1].output == "SECRET"
    assert any(h.get("authorization") == SECRET for h in mcp.log.headers[seen:])
    stored = [
        client.responses.retrieve(response.id).model_dump_json(),
        *(i.model_dump_json() for i in client.responses.input_items.list(response.id)),
        *(i.model_dump_json() for i in client.conversations.items.list(conversation.id)),
        response.model_dump_json(),
    ]
    assert all(SECRET not in text and "mcp-secret" not in text for text in stored)
    assert "mcp-secret" not in caplog.text


def test_down_or_hanging_server_gives_an_error_and_completes(client, mcp):
    down = client.responses.create(
        model="gpt-4o-mini",
        input="call shout text=x",
        tools=[tool(mcp, server_url=f"http://127.0.0.1:{free_port()}/mcp")],
    )
    assert down.status == "completed"
    assert [i.type for i in down.output] == ["mcp_list_tools", "message"]
    assert down.output[0].error and "desk" in down.output[0].error
    hung = client.responses.create(
        model="gpt-4o-mini", input="call hang text=x", tools=[tool(mcp)], timeout=60
    )
    assert hung.status == "completed"
    call = hung.output[1]
    assert call.type == "mcp_call" and call.output is None
    assert "did not answer" in call.error
    assert hung.output_text.startswith("Tool outputs: Error:")


def test_bad_mcp_tools_are_refused(client, mcp):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(
            model="gpt-4o-mini", input="x", tools=[tool(mcp, server_url="file:///etc/passwd")]
        )
    assert body_of(error.value)["param"] == "tools[0].server_url"
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gpt-4o-mini",
            input=[
                {"type": "mcp_approval_response", "approval_request_id": "mcpr_x", "approve": True}
            ],
            tools=[tool(mcp)],
        )


@pytest.fixture(scope="module")
def deny_2_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = f"sqlite:///{tmp_path_factory.mktemp('mcpdeny') / 'a.db'}"
    server = LiveServer(Settings(store=store, workers=1, outbound_deny=["127.0.0.2"])).start()
    yield server
    server.stop()


def test_server_url_refused_by_the_outbound_policy(deny_2_server, upstream, mcp):
    seen = len(mcp.log.headers)
    client = openai.OpenAI(
        base_url=deny_2_server.url + "/v1",
        api_key="sk-tenant-" + uuid.uuid4().hex,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
    )
    url = f"http://127.0.0.2:{mcp.port}/mcp"
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(
            model="gpt-4o-mini", input="call shout", tools=[tool(mcp, server_url=url)]
        )
    assert body_of(error.value)["code"] == "outbound_refused"
    assert len(mcp.log.headers) == seen


async def test_agents_sdk_hosted_mcp_tool(live_server, upstream, api_key, mcp):
    from agents import Agent, HostedMCPTool, OpenAIResponsesModel, Runner, set_tracing_disabled

    set_tracing_disabled(True)  # the SDK's trace exporter would call OpenAI's own servers
    client = openai.AsyncOpenAI(
        base_url=live_server.url + "/v1",
        api_key=api_key,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=60,
    )
    hosted = HostedMCPTool(
        tool_config={
            "type": "mcp",
            "server_label": "desk",
            "server_url": mcp.url,
            "require_approval": "never",
        }
    )
    agent = Agent(
        name="helper",
        instructions="Use the desk.",
        model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
        tools=[hosted],
    )
    before = len(mcp.log.calls)
    result = await Runner.run(agent, "call lookup_city city=Lima")
    assert result.final_output == "Tool outputs: Lima has 42 inhabitants"
    assert mcp.log.calls[before:] == [("lookup_city", {"city": "Lima"})]
    kinds = [getattr(i.raw_item, "type", None) for i in result.new_items]
    assert "mcp_call" in kinds


def test_max_tool_calls_bounds_the_calls_the_server_makes(client, mcp, upstream):
    before = len(mcp.log.calls)
    response = client.responses.create(
        model="gpt-4o-mini",
        input="call shout and lookup_city text=limited city=Bern",
        tools=[tool(mcp)],
        max_tool_calls=1,
    )
    assert response.status == "completed" and response.max_tool_calls == 1
    assert [i.type for i in response.output] == [
        "mcp_list_tools",
        "mcp_call",
        "mcp_call",
        "message",
    ]
    ran, refused = response.output[1], response.output[2]
    assert (ran.name, ran.output, ran.error) == ("shout", "LIMITED", None)
    assert refused.status == "failed" and "max_tool_calls (1)" in refused.error
    assert mcp.log.names()[before:] == ["shout"]  # the second call never reached the server
    last_turn = upstream.requests.containing("text=limited")[-1].body
    assert "tools" not in last_turn  # nothing more to call once the budget is spent
