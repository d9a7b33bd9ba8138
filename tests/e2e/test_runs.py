"""Runs through the openai SDK: polling, streaming, tool calls, cancel, limits and failures."""

from __future__ import annotations

import time

import openai
import pytest
from openai import AssistantEventHandler

WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}},
            "required": ["city"],
        },
    },
}
CLOCK = {
    "type": "function",
    "function": {
        "name": "get_time",
        "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
    },
}


def make_thread(client, text: str):
    return client.beta.threads.create(messages=[{"role": "user", "content": text}])


def answer(client, thread_id: str) -> str:
    message = client.beta.threads.messages.list(thread_id, limit=1).data[0]
    assert message.role == "assistant"
    return message.content[0].text.value


def wait_for(client, thread_id: str, run_id: str, statuses: set[str], timeout: float = 20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id)
        if run.status in statuses:
            return run
        time.sleep(0.05)
    raise AssertionError(f"run stayed {run.status}")


def test_plain_run_polled(provider_client, provider):
    client = provider_client
    assistant = client.beta.assistants.create(
        model=provider.model("gpt-4o-mini"), instructions="Be brief."
    )
    thread = make_thread(client, "hello there world")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    assert run.started_at and run.completed_at and run.completed_at >= run.started_at
    assert run.usage.completion_tokens > 0
    assert run.usage.total_tokens == run.usage.prompt_tokens + run.usage.completion_tokens
    assert answer(client, thread.id) == "Echo: hello there world"
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id).data
    assert [s.type for s in steps] == ["message_creation"]
    assert steps[0].status == "completed"
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert steps[0].step_details.message_creation.message_id == message.id
    assert message.run_id == run.id and message.assistant_id == assistant.id
    runs = client.beta.threads.runs.list(thread.id).data
    assert [r.id for r in runs] == [run.id]


class Recorder(AssistantEventHandler):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.deltas: list[str] = []

    def on_event(self, event) -> None:
        self.names.append(event.event)

    def on_text_delta(self, delta, snapshot) -> None:
        self.deltas.append(delta.value or "")


def test_plain_run_streamed_with_event_handler(provider_client, provider):
    client = provider_client
    assistant = client.beta.assistants.create(model=provider.model("gpt-4o-mini"))
    thread = make_thread(client, "stream these words please")
    recorder = Recorder()
    with client.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id, event_handler=recorder
    ) as stream:
        stream.until_done()
        final = stream.get_final_run()
    assert final.status == "completed"
    assert "".join(recorder.deltas) == "Echo: stream these words please"
    assert len(recorder.deltas) > 3  # relayed word by word, not in one piece
    names = recorder.names
    expected_order = [
        "thread.run.created",
        "thread.run.queued",
        "thread.run.in_progress",
        "thread.run.step.created",
        "thread.message.created",
        "thread.message.delta",
        "thread.message.completed",
        "thread.run.step.completed",
        "thread.run.completed",
    ]
    positions = [names.index(name) for name in expected_order]
    assert positions == sorted(positions), names
    assert answer(client, thread.id) == "Echo: stream these words please"


def test_two_rounds_of_parallel_tool_calls(provider_client, provider):
    client = provider_client
    assistant = client.beta.assistants.create(
        model=provider.model("gpt-4o-mini"), tools=[WEATHER, CLOCK]
    )
    thread = make_thread(client, "call get_weather and get_time city=Paris")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    calls = run.required_action.submit_tool_outputs.tool_calls
    assert {c.function.name for c in calls} == {"get_weather", "get_time"}
    assert len({c.id for c in calls}) == 2
    weather = next(c for c in calls if c.function.name == "get_weather")
    assert (
        '"city": "Paris"' in weather.function.arguments
        or '"city":"Paris"' in weather.function.arguments
    )
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[
            {"tool_call_id": calls[0].id, "output": "call get_weather and get_time again"},
            {"tool_call_id": calls[1].id, "output": "noon"},
        ],
    )
    assert run.status == "requires_action"
    second = run.required_action.submit_tool_outputs.tool_calls
    assert len(second) == 2 and not {c.id for c in second} & {c.id for c in calls}
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": c.id, "output": f"out-{c.function.name}"} for c in second],
    )
    assert run.status == "completed"
    text = answer(client, thread.id)
    assert "out-get_weather" in text and "out-get_time" in text
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert [s.type for s in steps] == ["tool_calls", "tool_calls", "message_creation"]
    outputs = {c.function.output for c in steps[1].step_details.tool_calls}
    assert outputs == {"out-get_weather", "out-get_time"}


def test_tool_outputs_are_checked(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini", tools=[WEATHER])
    thread = make_thread(client, "call get_weather city=Oslo")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "requires_action"
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id,
            thread_id=thread.id,
            tool_outputs=[{"tool_call_id": "call_nope", "output": "x"}],
        )
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id, thread_id=thread.id, tool_outputs=[]
        )


def test_tool_outputs_streamed(provider_client, provider):
    client = provider_client
    assistant = client.beta.assistants.create(model=provider.model("gpt-4o-mini"), tools=[WEATHER])
    thread = make_thread(client, "call get_weather city=Rome")
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        stream.until_done()
        run = stream.get_final_run()
    assert run.status == "requires_action"
    call = run.required_action.submit_tool_outputs.tool_calls[0]
    with client.beta.threads.runs.submit_tool_outputs_stream(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[{"tool_call_id": call.id, "output": "sunny"}],
    ) as stream:
        text = "".join(stream.text_deltas)
    assert text == "Tool outputs: sunny"


def test_cancel_mid_stream(client):
    assistant = client.beta.assistants.create(model="fake-slow-stream-150")
    thread = make_thread(client, " ".join(f"word{i}" for i in range(60)))
    names = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            names.append(event.event)
            if event.event == "thread.message.delta" and names.count(event.event) == 2:
                cancelled = client.beta.threads.runs.cancel(
                    stream.current_run.id, thread_id=thread.id
                )
                assert cancelled.status in ("cancelling", "cancelled")
    assert names[-1] == "thread.run.cancelled"
    run = wait_for(client, thread.id, stream.current_run.id, {"cancelled"})
    assert run.cancelled_at is not None
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert message.status == "incomplete"


def test_leaving_a_stream_midway_leaves_the_run_running_to_its_end(client):
    """As OpenAI's: a client that stops reading does not stop the run."""
    assistant = client.beta.assistants.create(model="fake-slow-stream-50")
    thread = make_thread(client, " ".join(f"word{i}" for i in range(12)))
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            if event.event == "thread.message.delta":
                break  # the connection closes as the block ends
        run_id = stream.current_run.id
    run = wait_for(client, thread.id, run_id, {"completed"})
    assert run.completed_at is not None
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert message.status == "completed"
    assert message.content[0].text.value.split()[-1] == "word11"
    # The thread is free again: a new stream runs to its end.
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as again:
        names = [event.event for event in again]
    assert names[-1] == "thread.run.completed"


def test_truncation_last_messages(client, upstream):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": f"marker-{i}"} for i in range(4)]
    )
    before = len(upstream.requests)
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        truncation_strategy={"type": "last_messages", "last_messages": 2},
    )
    assert run.status == "completed"
    assert run.truncation_strategy.type == "last_messages"
    sent = [r for r in upstream.requests[before:] if r.path.endswith("/chat/completions")][-1]
    contents = [m["content"] for m in sent.body["messages"] if m["role"] == "user"]
    assert contents == ["marker-2", "marker-3"]


def test_max_completion_tokens_makes_run_incomplete(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = make_thread(client, " ".join(f"w{i}" for i in range(400)))
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id, max_completion_tokens=256
    )
    assert run.status == "incomplete"
    assert run.incomplete_details.reason == "max_completion_tokens"
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert message.status == "incomplete"
    assert len(message.content[0].text.value.split()) == 256


def test_provider_failure_fails_the_run(client):
    assistant = client.beta.assistants.create(model="fake-fail-401")
    thread = make_thread(client, "hello")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "failed"
    assert run.last_error.code == "server_error" and run.last_error.message
    assert "sk-" not in run.last_error.message


def test_provider_failure_mid_stream_ends_the_run_and_its_message(client):
    """The handler sees thread.run.failed as the last event and no exception (the SDK raises on
    an `error` event); the message keeps the streamed text and says why it ended."""
    assistant = client.beta.assistants.create(model="fake-fail-midstream")
    thread = make_thread(client, "one two three four five six")
    names = []
    with client.beta.threads.runs.stream(thread_id=thread.id, assistant_id=assistant.id) as stream:
        for event in stream:
            names.append(event.event)
    assert names[-1] == "thread.run.failed" and "error" not in names
    assert "thread.message.incomplete" in names
    runs = client.beta.threads.runs.list(thread.id).data
    assert runs[0].status == "failed" and runs[0].last_error is not None
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    assert message.status == "incomplete"
    assert message.incomplete_details.reason == "run_failed"
    assert message.content[0].text.value.startswith("Echo: one")


def test_second_active_run_is_rejected(client):
    assistant = client.beta.assistants.create(model="fake-slow-stream-100")
    thread = make_thread(client, " ".join(["slow"] * 40))
    first = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    assert first.id in error.value.message
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.messages.create(thread.id, role="user", content="not now")
    assert first.id in error.value.message
    client.beta.threads.runs.cancel(first.id, thread_id=thread.id)
    wait_for(client, thread.id, first.id, {"cancelled"})
    second = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=client.beta.assistants.create(model="gpt-4o-mini").id
    )
    assert second.status == "completed"


def test_create_thread_and_run_streamed(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    names = []
    with client.beta.threads.create_and_run_stream(
        assistant_id=assistant.id,
        thread={"messages": [{"role": "user", "content": "new thread"}]},
        metadata={"via": "stream"},
    ) as stream:
        for event in stream:
            names.append(event.event)
        run = stream.get_final_run()
    assert names[0] == "thread.created"
    assert run.status == "completed" and run.metadata == {"via": "stream"}
    assert answer(client, run.thread_id) == "Echo: new thread"


def test_run_overrides_and_modify(client, upstream):
    assistant = client.beta.assistants.create(model="gpt-4o-mini", instructions="base")
    thread = make_thread(client, "hi")
    before = len(upstream.requests)
    run = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        instructions="override",
        additional_instructions="extra",
        additional_messages=[{"role": "user", "content": "added"}],
        temperature=0.2,
        top_p=0.5,
        response_format={"type": "json_object"},
    )
    assert run.status == "completed"
    assert run.instructions == "override\n\nextra"
    sent = [r for r in upstream.requests[before:] if r.path.endswith("/chat/completions")][-1].body
    assert sent["messages"][0] == {"role": "system", "content": "override\n\nextra"}
    assert sent["temperature"] == 0.2 and sent["top_p"] == 0.5
    assert answer(client, thread.id) == '{"echo": "added"}'
    modified = client.beta.threads.runs.update(run.id, thread_id=thread.id, metadata={"k": "v"})
    assert modified.metadata == {"k": "v"}


def test_runs_are_tenant_private(client, other_client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = make_thread(client, "mine")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.runs.list(thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.runs.cancel(run.id, thread_id=thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)


async def test_async_run_poll_and_stream(aclient):
    assistant = await aclient.beta.assistants.create(model="gpt-4o-mini")
    thread = await aclient.beta.threads.create(messages=[{"role": "user", "content": "async run"}])
    run = await aclient.beta.threads.runs.create_and_poll(
        thread_id=thread.id, assistant_id=assistant.id
    )
    assert run.status == "completed"
    await aclient.beta.threads.messages.create(thread.id, role="user", content="again")
    async with aclient.beta.threads.runs.stream(
        thread_id=thread.id, assistant_id=assistant.id
    ) as stream:
        text = "".join([delta async for delta in stream.text_deltas])
    assert text == "Echo: again"


def test_file_search_run_cites_the_right_file(client):
    texts = {
        "volcano.txt": "Mount Etna is an active volcano on Sicily with frequent lava eruptions.",
        "bread.txt": "Sourdough bread rises with wild yeast and lactic bacteria in the starter.",
        "comet.txt": "Halley's comet returns to the inner solar system every 76 years or so.",
    }
    store = client.vector_stores.create(name="facts")
    file_ids = {}
    for name, text in texts.items():
        uploaded = client.files.create(file=(name, text.encode()), purpose="assistants")
        file_ids[name] = uploaded.id
    batch = client.vector_stores.file_batches.create_and_poll(
        vector_store_id=store.id, file_ids=list(file_ids.values())
    )
    assert batch.file_counts.completed == 3
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini",
        tools=[{"type": "file_search"}],
        tool_resources={"file_search": {"vector_store_ids": [store.id]}},
    )
    thread = make_thread(client, "which volcano on Sicily has lava eruptions?")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
    text = message.content[0].text
    citations = [a for a in text.annotations if a.type == "file_citation"]
    assert citations, text.value
    first = citations[0]
    assert first.file_citation.file_id == file_ids["volcano.txt"]
    assert text.value[first.start_index : first.end_index] == first.text
    assert first.text.startswith("【") and first.text.endswith("】")
    steps = client.beta.threads.runs.steps.list(run.id, thread_id=thread.id, order="asc").data
    assert steps[0].type == "tool_calls"
    search_call = steps[0].step_details.tool_calls[0]
    assert search_call.type == "file_search"
    assert search_call.file_search.results[0].file_id == file_ids["volcano.txt"]
    assert search_call.file_search.results[0].content is None
    detailed = client.beta.threads.runs.steps.retrieve(
        steps[0].id,
        thread_id=thread.id,
        run_id=run.id,
        include=["step_details.tool_calls[*].file_search.results[*].content"],
    )
    assert "Etna" in detailed.step_details.tool_calls[0].file_search.results[0].content[0].text


def test_duplicate_tool_call_ids_are_400(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini", tools=[WEATHER, CLOCK])
    thread = make_thread(client, "call get_weather and get_time city=Oslo")
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    first, second = run.required_action.submit_tool_outputs.tool_calls
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.runs.submit_tool_outputs(
            run_id=run.id,
            thread_id=thread.id,
            tool_outputs=[
                {"tool_call_id": first.id, "output": "one"},
                {"tool_call_id": second.id, "output": "two"},
                {"tool_call_id": first.id, "output": "three"},
            ],
        )
    assert caught.value.param == "tool_outputs[2].tool_call_id"
    assert first.id in caught.value.message
    assert client.beta.threads.runs.retrieve(run.id, thread_id=thread.id).status == (
        "requires_action"
    )
    run = client.beta.threads.runs.submit_tool_outputs_and_poll(
        run_id=run.id,
        thread_id=thread.id,
        tool_outputs=[
            {"tool_call_id": first.id, "output": "one"},
            {"tool_call_id": second.id, "output": "two"},
        ],
    )
    assert run.status == "completed"


def test_create_and_run_accepts_a_thread_object_passed_back(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create(metadata={"from": "sdk"})
    run = client.beta.threads.create_and_run_poll(assistant_id=assistant.id, thread=thread)
    assert run.status == "completed"
    assert run.thread_id != thread.id
    created = client.beta.threads.retrieve(run.thread_id)
    assert created.metadata == {"from": "sdk"}
    assert created.created_at >= thread.created_at
