"""The OpenAI Agents SDK, unmodified, on its default Responses model, through this server."""

from __future__ import annotations

import openai
import pytest
from agents import (
    Agent,
    FileSearchTool,
    OpenAIResponsesModel,
    Runner,
    function_tool,
    set_tracing_disabled,
)

set_tracing_disabled(True)  # the SDK's trace exporter would call OpenAI's own servers

CALLS: list[str] = []


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    CALLS.append(city)
    return f"Sunny in {city}"


@pytest.fixture
def agent_client(live_server, upstream, api_key):
    return openai.AsyncOpenAI(
        base_url=live_server.url + "/v1",
        api_key=api_key,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=60,
    )


@pytest.fixture
def store_id(client):
    store = client.vector_stores.create(name="agents")
    uploaded = client.files.create(
        file=("lighthouse.txt", b"The Eddystone lighthouse stands on rocks south of Plymouth."),
        purpose="assistants",
    )
    done = client.vector_stores.files.create_and_poll(file_id=uploaded.id, vector_store_id=store.id)
    assert done.status == "completed"
    return store.id


def agent(client: openai.AsyncOpenAI, store_id: str) -> Agent:
    return Agent(
        name="helper",
        instructions="Answer with the tools you have.",
        model=OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client),
        tools=[get_weather, FileSearchTool(vector_store_ids=[store_id], max_num_results=3)],
    )


async def test_runner_run_calls_the_function_tool(agent_client, store_id):
    CALLS.clear()
    result = await Runner.run(agent(agent_client, store_id), "call get_weather city=Paris")
    assert CALLS == ["Paris"]
    assert result.final_output.startswith("Tool outputs: Sunny in Paris")
    kinds = [item.type for item in result.new_items]
    assert "tool_call_item" in kinds and "tool_call_output_item" in kinds


async def test_runner_run_streamed_searches_files(agent_client, store_id):
    result = Runner.run_streamed(
        agent(agent_client, store_id), "where is the Eddystone lighthouse?"
    )
    raw = []
    async for event in result.stream_events():
        if event.type == "raw_response_event":
            raw.append(event.data.type)
    assert result.final_output.startswith("Echo: where is the Eddystone lighthouse?")
    assert "response.file_search_call.completed" in raw
    assert "response.output_text.delta" in raw and raw[-1] == "response.completed"
    searched = [i for i in result.new_items if i.type == "tool_call_item"]
    assert searched and searched[0].raw_item.type == "file_search_call"
