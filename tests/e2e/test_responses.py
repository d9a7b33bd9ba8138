"""The Responses API through the unmodified openai SDK, sync and async, on both backends."""

from __future__ import annotations

import json
import time
import uuid

import openai
import pytest
from pydantic import BaseModel

WEATHER = {
    "type": "function",
    "name": "get_weather",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}},
        "required": ["city"],
    },
}
CLOCK = {
    "type": "function",
    "name": "get_time",
    "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}},
}


def word() -> str:
    """A word no other test sends, to find this test's requests in the upstream's log."""
    return "w" + uuid.uuid4().hex[:10]


def sent_to_model(upstream, marker: str) -> list[dict]:
    """The chat messages of the last upstream request that carried ``marker``."""
    found = upstream.requests.containing(marker)
    assert found, f"no upstream request carried {marker}"
    return found[-1].body["messages"]


def test_create_retrieve_delete(client, upstream):
    marker = word()
    response = client.responses.create(
        model="gpt-4o-mini", input=f"hello {marker}", instructions="Be brief.", metadata={"k": "v"}
    )
    assert response.status == "completed" and response.object == "response"
    assert response.output_text == f"Echo: hello {marker}"
    assert response.instructions == "Be brief." and response.metadata == {"k": "v"}
    assert response.usage.output_tokens > 0
    assert response.usage.total_tokens == response.usage.input_tokens + response.usage.output_tokens
    message = response.output[0]
    assert message.type == "message" and message.role == "assistant"
    assert message.status == "completed" and message.id.startswith("msg_")
    assert sent_to_model(upstream, marker)[0] == {"role": "system", "content": "Be brief."}
    again = client.responses.retrieve(response.id)
    assert again.output_text == response.output_text and again.status == "completed"
    assert client.responses.delete(response.id) is None
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


def test_input_items_in_every_accepted_shape(client):
    """The plain message shape matches two branches of the spec's oneOf; OpenAI accepts it."""
    response = client.responses.create(
        model="gpt-4o-mini",
        input=[
            {"role": "developer", "content": "Answer in English."},
            {"role": "user", "content": [{"type": "input_text", "text": "first part"}]},
            {"type": "message", "role": "assistant", "content": "noted"},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "go"}]},
        ],
    )
    assert response.output_text == "Echo: go"
    items = client.responses.input_items.list(response.id, order="asc").data
    assert [(i.type, i.role) for i in items] == [
        ("message", "developer"),
        ("message", "user"),
        ("message", "assistant"),
        ("message", "user"),
    ]
    assert items[1].content[0].type == "input_text" and items[1].content[0].text == "first part"
    assert items[2].content[0].type == "output_text"


def test_unsupported_tool_and_item_are_refused(client):
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(
            model="gpt-4o-mini", input="x", tools=[{"type": "web_search_preview"}]
        )
    assert error.value.body["param"] == "tools[0].type"
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(
            model="gpt-4o-mini",
            input=[{"type": "function_call_output", "call_id": "call_nowhere", "output": "1"}],
        )
    assert "call_nowhere" in error.value.message


def test_stream_events_in_order_with_sequence_numbers(client):
    with client.responses.stream(model="gpt-4o-mini", input="one two three") as stream:
        events = list(stream)
        final = stream.get_final_response()
    names = [e.type for e in events]
    assert names[:4] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
    ]
    assert names[-4:] == [
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = [e.delta for e in events if e.type == "response.output_text.delta"]
    assert len(deltas) >= 3 and "".join(deltas) == "Echo: one two three"
    assert final.output_text == "Echo: one two three" and final.status == "completed"
    stored = client.responses.retrieve(final.id)
    assert stored.output_text == final.output_text


async def test_async_client_create_and_stream(aclient):
    response = await aclient.responses.create(model="gpt-4o-mini", input="async hello")
    assert response.output_text == "Echo: async hello"
    stream = await aclient.responses.create(model="gpt-4o-mini", input="async stream", stream=True)
    names = [event.type async for event in stream]
    assert names[0] == "response.created" and names[-1] == "response.completed"


def test_previous_response_id_carries_items_not_instructions(client, upstream):
    first_marker, second_marker = word(), word()
    first = client.responses.create(
        model="gpt-4o-mini", input=f"remember {first_marker}", instructions="First rules."
    )
    second = client.responses.create(
        model="gpt-4o-mini",
        input=f"and {second_marker}",
        previous_response_id=first.id,
        instructions="Second rules.",
    )
    assert second.previous_response_id == first.id
    sent = sent_to_model(upstream, second_marker)
    assert sent == [
        {"role": "system", "content": "Second rules."},
        {"role": "user", "content": f"remember {first_marker}"},
        {"role": "assistant", "content": f"Echo: remember {first_marker}"},
        {"role": "user", "content": f"and {second_marker}"},
    ]
    assert [i.type for i in client.responses.input_items.list(second.id)] == ["message"]
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="gpt-4o-mini", input="x", previous_response_id="resp_nope")


def test_two_rounds_of_parallel_function_calls(client, upstream):
    first = client.responses.create(
        model="gpt-4o-mini",
        input="call get_weather and get_time city=Paris",
        tools=[WEATHER, CLOCK],
    )
    calls = [item for item in first.output if item.type == "function_call"]
    assert [c.name for c in calls] == ["get_weather", "get_time"]
    assert len({c.call_id for c in calls}) == 2 and all(c.id.startswith("fc_") for c in calls)
    assert json.loads(calls[0].arguments) == {"city": "Paris"}
    second = client.responses.create(
        model="gpt-4o-mini",
        previous_response_id=first.id,
        tools=[WEATHER, CLOCK],
        input=[
            {
                "type": "function_call_output",
                "call_id": calls[0].call_id,
                "output": "call get_time",
            },
            {"type": "function_call_output", "call_id": calls[1].call_id, "output": "noon"},
        ],
    )
    again = [item for item in second.output if item.type == "function_call"]
    assert [c.name for c in again] == ["get_time"]
    third = client.responses.create(
        model="gpt-4o-mini",
        previous_response_id=second.id,
        tools=[WEATHER, CLOCK],
        input=[{"type": "function_call_output", "call_id": again[0].call_id, "output": "13:00"}],
    )
    assert third.output_text == "Tool outputs: 13:00"
    sent = upstream.requests.containing("13:00")[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "tool", "tool", "assistant", "tool"]
    assert [c["id"] for c in sent[1]["tool_calls"]] == [c.call_id for c in calls]


def test_streamed_function_call_arguments(client):
    with client.responses.stream(
        model="gpt-4o-mini", input="call get_weather city=Oslo", tools=[WEATHER]
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    names = [e.type for e in events]
    assert "response.function_call_arguments.delta" in names
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert len(done) == 1 and json.loads(done[0].arguments) == {"city": "Oslo"}
    assert final.output[0].type == "function_call" and final.output[0].status == "completed"


def test_tool_choice_and_allowed_tools(client, upstream):
    forced = client.responses.create(
        model="gpt-4o-mini",
        input="just talk",
        tools=[WEATHER, CLOCK],
        tool_choice={"type": "function", "name": "get_time"},
    )
    assert [i.name for i in forced.output if i.type == "function_call"] == ["get_time"]
    marker = word()
    client.responses.create(
        model="gpt-4o-mini",
        input=f"call get_weather {marker}",
        tools=[WEATHER, CLOCK],
        tool_choice={
            "type": "allowed_tools",
            "mode": "auto",
            "tools": [{"type": "function", "name": "get_time"}],
        },
    )
    body = upstream.requests.containing(marker)[-1].body
    assert [t["function"]["name"] for t in body["tools"]] == ["get_time"]
    none = client.responses.create(
        model="gpt-4o-mini", input="call get_weather", tools=[WEATHER], tool_choice="none"
    )
    assert none.output_text == "Echo: call get_weather"


def test_max_output_tokens_makes_it_incomplete(client):
    response = client.responses.create(
        model="gpt-4o-mini", input=" ".join(["many"] * 50), max_output_tokens=16
    )
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.output[0].status == "incomplete"
    assert len(response.output_text.split()) == 16


def test_store_false_is_not_retrievable(client):
    response = client.responses.create(model="gpt-4o-mini", input="ephemeral", store=False)
    assert response.output_text == "Echo: ephemeral" and response.store is False
    with pytest.raises(openai.NotFoundError):
        client.responses.retrieve(response.id)


class Weather(BaseModel):
    city: str
    degrees: int


def test_parse_with_a_pydantic_model(client, upstream):
    marker = word()
    parsed = client.responses.parse(
        model="gpt-4o-mini", input=f"weather {marker}", text_format=Weather
    )
    assert isinstance(parsed.output_parsed, Weather)
    assert parsed.output_parsed.city == f"weather {marker}"
    sent = upstream.requests.containing(marker)[-1].body
    assert sent["response_format"]["type"] == "json_schema"
    assert sent["response_format"]["json_schema"]["strict"] is True


def test_json_object_format(client):
    response = client.responses.create(
        model="gpt-4o-mini", input="as json", text={"format": {"type": "json_object"}}
    )
    assert json.loads(response.output_text) == {"echo": "as json"}
    assert response.text.format.type == "json_object"


def test_input_items_pagination(client):
    response = client.responses.create(
        model="gpt-4o-mini",
        input=[{"role": "user", "content": f"part {i}"} for i in range(7)],
    )
    page = client.responses.input_items.list(response.id, limit=3, order="asc")
    assert len(page.data) == 3 and page.has_more
    texts = [item.content[0].text for item in client.responses.input_items.list(
        response.id, limit=3, order="asc"
    )]  # fmt: skip
    assert texts == [f"part {i}" for i in range(7)]
    newest = client.responses.input_items.list(response.id, limit=1).data[0]
    assert newest.content[0].text == "part 6"


def test_input_token_count(client):
    short = client.responses.input_tokens.count(model="gpt-4o-mini", input="hi")
    long = client.responses.input_tokens.count(
        model="gpt-4o-mini", input=" ".join(["token"] * 200), instructions="Be brief."
    )
    assert short.object == "response.input_tokens"
    assert 0 < short.input_tokens < long.input_tokens
    assert long.input_tokens >= 200


def test_background_poll(client):
    response = client.responses.create(
        model="fake-slow-stream-20", input="background job", background=True
    )
    assert response.status == "queued" and response.background is True
    deadline = time.monotonic() + 20
    while response.status in ("queued", "in_progress") and time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.responses.retrieve(response.id)
    assert response.status == "completed" and response.output_text == "Echo: background job"


def test_background_stream_resumes_from_a_sequence_number(client):
    stream = client.responses.create(
        model="fake-slow-stream-20", input="resume me now please", background=True, stream=True
    )
    first = []
    for event in stream:
        first.append(event)
        if len(first) == 6:
            break
    stream.close()
    response_id = first[0].response.id
    assert first[0].response.status == "queued"
    resumed = list(
        client.responses.retrieve(
            response_id, stream=True, starting_after=first[-1].sequence_number
        )
    )
    numbers = [e.sequence_number for e in first + resumed]
    assert numbers == list(range(len(numbers)))
    assert resumed[-1].type == "response.completed"
    text = "".join(e.delta for e in first + resumed if e.type == "response.output_text.delta")
    assert text == "Echo: resume me now please"
    replayed = list(client.responses.retrieve(response_id, stream=True, starting_after=2))
    assert replayed[0].sequence_number == 3 and replayed[-1].type == "response.completed"


def test_cancel_background_response(client):
    response = client.responses.create(
        model="fake-slow-stream-300", input=" ".join(["slow"] * 60), background=True
    )
    cancelled = client.responses.cancel(response.id)
    assert cancelled.status == "cancelled"
    assert client.responses.retrieve(response.id).status == "cancelled"
    plain = client.responses.create(model="gpt-4o-mini", input="done already")
    with pytest.raises(openai.BadRequestError):
        client.responses.cancel(plain.id)


def test_provider_failure_mid_stream_ends_in_response_failed(client):
    with client.responses.stream(
        model="fake-fail-midstream", input="one two three four five six"
    ) as stream:
        events = list(stream)
    assert events[-1].type == "response.failed"
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.code == "server_error"
    assert failed.output[0].content[0].text.startswith("Echo: one")
    stored = client.responses.retrieve(failed.id)
    assert stored.status == "failed" and stored.output_text.startswith("Echo: one")


def test_a_streamed_prompt_over_the_context_window_ends_in_response_failed(client):
    """As OpenAI's Responses streams do: the overflow arrives in the stream, as a terminal
    `response.failed` after `response.created`, not as an HTTP 400. Its code is the spec's
    `invalid_prompt` (`ResponseErrorCode` has no `context_length_exceeded`); the message says
    why."""
    with client.responses.stream(model="fake-context-60", input=" ".join(["long"] * 80)) as stream:
        events = list(stream)
    assert events[0].type == "response.created"
    assert events[-1].type == "response.failed"
    failed = events[-1].response
    assert failed.status == "failed" and failed.error.code == "invalid_prompt"
    assert "context" in failed.error.message.lower()
    stored = client.responses.retrieve(failed.id)
    assert stored.status == "failed" and stored.error.message == failed.error.message


def test_provider_error_before_output_is_an_http_error(client):
    with pytest.raises(openai.AuthenticationError):
        client.responses.create(model="fake-fail-401", input="hi")


def test_other_tenant_sees_nothing(client, other_client):
    response = client.responses.create(model="gpt-4o-mini", input="mine")
    conversation = client.conversations.create(items=[{"role": "user", "content": "secret"}])
    with pytest.raises(openai.NotFoundError):
        other_client.responses.retrieve(response.id)
    with pytest.raises(openai.NotFoundError):
        other_client.responses.input_items.list(response.id)
    with pytest.raises(openai.NotFoundError):
        other_client.responses.delete(response.id)
    with pytest.raises(openai.NotFoundError):
        other_client.responses.create(
            model="gpt-4o-mini", input="x", previous_response_id=response.id
        )
    with pytest.raises(openai.NotFoundError):
        other_client.conversations.retrieve(conversation.id)
    with pytest.raises(openai.NotFoundError):
        other_client.conversations.items.list(conversation.id)
    with pytest.raises(openai.NotFoundError):
        other_client.responses.create(model="gpt-4o-mini", input="x", conversation=conversation.id)
    assert client.responses.retrieve(response.id).output_text == "Echo: mine"


def test_compaction_item_is_accepted_as_input(client, upstream):
    marker = word()
    first = client.responses.create(model="gpt-4o-mini", input=f"the code is {marker}")
    compacted = client.responses.compact(model="gpt-4o-mini", previous_response_id=first.id)
    assert compacted.object == "response.compaction"
    item = compacted.output[0]
    assert item.type == "compaction" and item.encrypted_content
    follow = word()
    client.responses.create(
        model="gpt-4o-mini",
        input=[item.model_dump(exclude_none=True), {"role": "user", "content": follow}],
    )
    sent = sent_to_model(upstream, follow)
    assert marker in sent[0]["content"] and "Summary" in sent[0]["content"]
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gpt-4o-mini", input=[{"type": "compaction", "encrypted_content": "forged"}]
        )


@pytest.fixture
def facts_store(client):
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
    return store.id, file_ids


def test_file_search_cites_the_right_file(client, facts_store):
    store_id, file_ids = facts_store
    tool = {"type": "file_search", "vector_store_ids": [store_id], "max_num_results": 2}
    question = "which volcano on Sicily has lava eruptions?"
    response = client.responses.create(model="gpt-4o-mini", input=question, tools=[tool])
    search_call, message = response.output
    assert search_call.type == "file_search_call" and search_call.status == "completed"
    assert search_call.queries == [question]
    assert search_call.results is None  # only with include[]
    text = message.content[0]
    assert "【" not in text.text and text.text.startswith(f"Echo: {question}")
    (citation,) = text.annotations
    assert citation.type == "file_citation"
    assert citation.file_id == file_ids["volcano.txt"] and citation.filename == "volcano.txt"
    assert citation.index == len(text.text)  # the model cited at the end of its answer
    included = client.responses.retrieve(response.id, include=["file_search_call.results"])
    results = included.output[0].results
    assert results[0].file_id == file_ids["volcano.txt"] and "Etna" in results[0].text
    assert len(results) == 2


def test_max_tool_calls_zero_searches_nothing(client, facts_store):
    store_id, _ = facts_store
    tool = {"type": "file_search", "vector_store_ids": [store_id]}
    question = "which volcano on Sicily has lava eruptions? (no tools)"
    response = client.responses.create(
        model="gpt-4o-mini", input=question, tools=[tool], max_tool_calls=0
    )
    assert [item.type for item in response.output] == ["message"]
    assert response.output[0].content[0].annotations == []


def test_file_search_streamed(client, facts_store):
    store_id, file_ids = facts_store
    with client.responses.stream(
        model="gpt-4o-mini",
        input="when does Halley's comet return?",
        tools=[{"type": "file_search", "vector_store_ids": [store_id]}],
        include=["file_search_call.results"],
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    names = [e.type for e in events]
    start = names.index("response.file_search_call.in_progress")
    assert names[start - 1 : start + 4] == [
        "response.output_item.added",
        "response.file_search_call.in_progress",
        "response.file_search_call.searching",
        "response.file_search_call.completed",
        "response.output_item.done",
    ]
    added = [e for e in events if e.type == "response.output_text.annotation.added"]
    assert len(added) == 1 and added[0].annotation.file_id == file_ids["comet.txt"]
    assert final.output[0].results[0].file_id == file_ids["comet.txt"]
    streamed = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert streamed == final.output_text and "【" not in streamed


def test_file_search_ranking_is_hybrid_and_honours_ranking_options(client, facts_store):
    """Responses rank as runs and vector store search do: keyword and semantic results fused."""
    store_id, file_ids = facts_store
    question = "which volcano on Sicily has lava eruptions?"

    def results(ranking_options=None):
        tool = {"type": "file_search", "vector_store_ids": [store_id]}
        if ranking_options is not None:
            tool["ranking_options"] = ranking_options
        response = client.responses.create(
            model="gpt-4o-mini",
            input=question,
            tools=[tool],
            include=["file_search_call.results"],
        )
        return response.output[0].results

    # Default: first both semantically and by keywords, so the fused score is the highest, 1.
    hybrid = results()
    assert hybrid[0].file_id == file_ids["volcano.txt"]
    assert hybrid[0].score == pytest.approx(1.0)
    # Keyword weight 0: the embedding ranking alone, scored by cosine like ranker "none".
    semantic_only = {"hybrid_search": {"embedding_weight": 1, "text_weight": 0}}
    semantic = results(semantic_only)
    cosine = client.vector_stores.search(
        store_id, query=question, ranking_options={"ranker": "none"}
    ).data
    assert [(r.file_id, r.score) for r in semantic] == [
        (r.file_id, pytest.approx(r.score)) for r in cosine
    ]
    assert semantic[0].score < 0.99
    # score_threshold applies to the score of the ranking in use.
    assert [r.file_id for r in results({"score_threshold": 0.99})] == [file_ids["volcano.txt"]]
    assert results({**semantic_only, "score_threshold": 0.99}) == []
    for bad in (
        {"hybrid_search": {"embedding_weight": 0, "text_weight": 0}},
        {"hybrid_search": {"embedding_weight": -1, "text_weight": 1}},
        {"score_threshold": 1.5},
    ):
        with pytest.raises(openai.BadRequestError) as error:
            client.responses.create(
                model="gpt-4o-mini",
                input=question,
                tools=[
                    {"type": "file_search", "vector_store_ids": [store_id], "ranking_options": bad}
                ],
            )
        assert error.value.body["param"].startswith("tools[0].ranking_options")


def test_truncation_auto_drops_the_oldest_items(client, upstream):
    """`fake-context-60` refuses prompts over 60 (fake) tokens, like a small context window."""
    first = client.responses.create(model="gpt-4o-mini", input=" ".join(["old"] * 40))
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(
            model="fake-context-60", input="short question", previous_response_id=first.id
        )
    assert error.value.code == "context_length_exceeded"
    marker = word()
    response = client.responses.create(
        model="fake-context-60",
        input=f"short {marker}",
        previous_response_id=first.id,
        truncation="auto",
    )
    assert response.status == "completed" and response.truncation == "auto"
    # The oldest item (40 words) went; the answer to it (41 words) still fits in the window.
    sent = sent_to_model(upstream, marker)
    assert [m["role"] for m in sent] == ["assistant", "user"]
    assert sent[-1]["content"] == f"short {marker}"


def test_reasoning_becomes_a_reasoning_item_with_a_summary(client, upstream):
    with client.responses.stream(
        model="o3-mini", input="think first", reasoning={"effort": "low"}
    ) as stream:
        events = list(stream)
        final = stream.get_final_response()
    assert upstream.requests.containing("think first")[-1].body["reasoning_effort"] == "low"
    reasoning, message = final.output
    assert reasoning.type == "reasoning" and reasoning.status == "completed"
    assert reasoning.summary[0].text.strip() == "Thinking (low) about think first"
    assert message.content[0].text == "Echo: think first"
    names = [e.type for e in events]
    assert names.index("response.reasoning_summary_text.delta") < names.index(
        "response.output_text.delta"
    )
    assert "response.reasoning_summary_part.done" in names
    assert final.reasoning.effort == "low"


def test_image_and_file_parts_reach_the_model(client, upstream):
    pixel = (
        "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYAAAAAMA"
        "ASsJTYQAAAAASUVORK5CYII="
    )
    doc = client.files.create(
        file=("notes.txt", b"The launch code is AZURE-7."), purpose="user_data"
    )
    marker = word()
    client.responses.create(
        model="gpt-4o-mini",
        input=[
            {
                "role": "user",
                "content": [
                    {"type": "input_text", "text": f"look {marker}"},
                    {"type": "input_image", "image_url": pixel, "detail": "low"},
                    {"type": "input_file", "file_id": doc.id},
                ],
            }
        ],
    )
    (message,) = sent_to_model(upstream, marker)
    kinds = [part["type"] for part in message["content"]]
    assert kinds == ["text", "image_url", "text"]
    assert message["content"][1]["image_url"] == {"url": pixel, "detail": "low"}
    assert (
        "AZURE-7" in message["content"][2]["text"] and "notes.txt" in message["content"][2]["text"]
    )
    with pytest.raises(openai.NotFoundError):
        client.responses.create(
            model="gpt-4o-mini",
            input=[{"role": "user", "content": [{"type": "input_file", "file_id": "file-nope"}]}],
        )


def test_function_tools_are_checked_like_assistants(client):
    bad_name = {**WEATHER, "name": "bad name!"}
    with pytest.raises(openai.BadRequestError) as error:
        client.responses.create(model="gpt-4o-mini", input="x", tools=[bad_name])
    assert error.value.body["param"] == "tools[0].name"
    bad_schema = {**WEATHER, "parameters": {"type": "bogus"}}
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o-mini", input="x", tools=[bad_schema])
