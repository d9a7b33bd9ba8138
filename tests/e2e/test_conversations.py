"""The Conversations API, and one history for both APIs: a thread is a conversation."""

from __future__ import annotations

import time

import openai
import pytest


def texts(items) -> list[tuple[str, str]]:
    return [(item.role, item.content[0].text) for item in items if item.type == "message"]


def test_conversation_lifecycle(client):
    conversation = client.conversations.create(
        metadata={"topic": "demo"},
        items=[{"type": "message", "role": "user", "content": "hello"}],
    )
    assert conversation.object == "conversation" and conversation.id.startswith("conv_")
    assert client.conversations.retrieve(conversation.id).metadata == {"topic": "demo"}
    updated = client.conversations.update(conversation.id, metadata={"topic": "changed"})
    assert updated.metadata == {"topic": "changed"}
    added = client.conversations.items.create(
        conversation.id,
        items=[
            {"type": "message", "role": "user", "content": "second"},
            {"type": "message", "role": "assistant", "content": "noted"},
        ],
    )
    assert [i.role for i in added.data] == ["user", "assistant"]
    listed = list(client.conversations.items.list(conversation.id, order="asc"))
    assert texts(listed) == [("user", "hello"), ("user", "second"), ("assistant", "noted")]
    one = client.conversations.items.retrieve(added.data[0].id, conversation_id=conversation.id)
    assert one.content[0].text == "second"
    after = client.conversations.items.delete(added.data[0].id, conversation_id=conversation.id)
    assert after.id == conversation.id
    assert texts(client.conversations.items.list(conversation.id, order="asc")) == [
        ("user", "hello"),
        ("assistant", "noted"),
    ]
    with pytest.raises(openai.NotFoundError):
        client.conversations.items.retrieve(added.data[0].id, conversation_id=conversation.id)
    deleted = client.conversations.delete(conversation.id)
    assert deleted.deleted is True
    with pytest.raises(openai.NotFoundError):
        client.conversations.retrieve(conversation.id)


def test_items_per_call_limit(client):
    conversation = client.conversations.create()
    with pytest.raises(openai.BadRequestError):
        client.conversations.items.create(
            conversation.id,
            items=[{"type": "message", "role": "user", "content": str(i)} for i in range(21)],
        )


def test_responses_in_a_conversation(client, upstream):
    conversation = client.conversations.create(
        items=[{"type": "message", "role": "user", "content": "my name is Ada"}]
    )
    first = client.responses.create(
        model="gpt-4o-mini", input="what is my name", conversation=conversation.id
    )
    assert first.conversation.id == conversation.id
    second = client.responses.create(
        model="gpt-4o-mini", input="and again", conversation={"id": conversation.id}
    )
    sent = upstream.requests.containing("and again")[-1].body["messages"]
    assert [m["content"] for m in sent] == [
        "my name is Ada",
        "what is my name",
        "Echo: what is my name",
        "and again",
    ]
    items = list(client.conversations.items.list(conversation.id, order="asc", limit=2))
    assert texts(items) == [
        ("user", "my name is Ada"),
        ("user", "what is my name"),
        ("assistant", "Echo: what is my name"),
        ("user", "and again"),
        ("assistant", "Echo: and again"),
    ]
    assert items[-1].id == second.output[0].id
    with pytest.raises(openai.BadRequestError):
        client.responses.create(
            model="gpt-4o-mini",
            input="x",
            conversation=conversation.id,
            previous_response_id=first.id,
        )


def test_function_calls_answered_through_the_conversation(client):
    tool = {
        "type": "function",
        "name": "lookup",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    }
    conversation = client.conversations.create()
    first = client.responses.create(
        model="gpt-4o-mini", input="call lookup", tools=[tool], conversation=conversation.id
    )
    call = first.output[0]
    assert call.type == "function_call"
    second = client.responses.create(
        model="gpt-4o-mini",
        tools=[tool],
        conversation=conversation.id,
        input=[{"type": "function_call_output", "call_id": call.call_id, "output": "42"}],
    )
    assert second.output_text == "Tool outputs: 42"
    kinds = [i.type for i in client.conversations.items.list(conversation.id, order="asc")]
    assert kinds == ["message", "function_call", "function_call_output", "message"]


def test_a_thread_is_a_conversation(client, upstream):
    """An Assistants thread continued with Responses: one history, readable by both APIs."""
    assistant = client.beta.assistants.create(model="gpt-4o-mini", instructions="Be kind.")
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "first question"}])
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"
    response = client.responses.create(
        model="gpt-4o-mini",
        input="follow up from responses",
        conversation=thread.id,
        prompt={"id": assistant.id},
    )
    sent = upstream.requests.containing("follow up from responses")[-1].body["messages"]
    assert [m["content"] for m in sent] == [
        "Be kind.",
        "first question",
        "Echo: first question",
        "follow up from responses",
    ]
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [(m.role, m.content[0].text.value) for m in messages] == [
        ("user", "first question"),
        ("assistant", "Echo: first question"),
        ("user", "follow up from responses"),
        ("assistant", "Echo: follow up from responses"),
    ]
    assert messages[-1].id == response.output[0].id
    assert messages[-1].assistant_id == assistant.id
    items = list(client.conversations.items.list(thread.id, order="asc"))
    assert texts(items) == [(m.role, m.content[0].text.value) for m in messages]
    assert client.conversations.retrieve(thread.id).id == thread.id
    # And back: an Assistants run on the thread sees what the response added.
    again = client.beta.threads.runs.create_and_poll(
        thread_id=thread.id,
        assistant_id=assistant.id,
        additional_messages=[{"role": "user", "content": "back in assistants"}],
    )
    assert again.status == "completed"
    sent = upstream.requests.containing("back in assistants")[-1].body["messages"]
    assert "Echo: follow up from responses" in [m["content"] for m in sent]


def test_prompt_is_an_assistant_with_variables(client, upstream):
    assistant = client.beta.assistants.create(
        model="gpt-4o-mini", instructions="Speak like {{persona}} to {{ user }}."
    )
    response = client.responses.create(
        input="prompt variables",
        prompt={"id": assistant.id, "variables": {"persona": "a pirate", "user": "Ada"}},
    )
    assert response.model == "gpt-4o-mini"
    assert response.instructions == "Speak like a pirate to Ada."
    sent = upstream.requests.containing("prompt variables")[-1].body["messages"]
    assert sent[0] == {"role": "system", "content": "Speak like a pirate to Ada."}
    with pytest.raises(openai.NotFoundError):
        client.responses.create(input="x", prompt={"id": "asst_missing"})


def test_thread_with_an_active_run_refuses_a_response(client):
    assistant = client.beta.assistants.create(model="fake-slow-stream-100")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": " ".join(["slow"] * 40)}]
    )
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(openai.BadRequestError):
        client.responses.create(model="gpt-4o-mini", input="now", conversation=thread.id)
    client.beta.threads.runs.cancel(run.id, thread_id=thread.id)


def test_a_response_writing_into_a_thread_holds_it(client):
    assistant = client.beta.assistants.create(model="gpt-4o-mini")
    thread = client.beta.threads.create()
    response = client.responses.create(
        model="fake-slow-stream-100",
        input=" ".join(["slow"] * 30),
        conversation=thread.id,
        background=True,
    )
    with pytest.raises(
        openai.BadRequestError,
        match=f"response {response.id} is active|active response {response.id}",
    ):
        client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    with pytest.raises(
        openai.BadRequestError,
        match=f"response {response.id} is active|active response {response.id}",
    ):
        client.beta.threads.messages.create(thread.id, role="user", content="in between")
    with pytest.raises(
        openai.BadRequestError,
        match=f"response {response.id} is active|active response {response.id}",
    ):
        client.responses.create(model="gpt-4o-mini", input="me too", conversation=thread.id)
    while response.status in ("queued", "in_progress"):
        time.sleep(0.1)
        response = client.responses.retrieve(response.id)
    assert response.status == "completed"
    run = client.beta.threads.runs.create_and_poll(thread_id=thread.id, assistant_id=assistant.id)
    assert run.status == "completed"  # the lock went with the response
    texts = [m.content[0].text.value for m in client.beta.threads.messages.list(thread.id)]
    assert len(texts) == 3 and not any("in between" in t for t in texts)


def test_deleting_a_thread_stops_the_response_writing_into_it(client):
    thread = client.beta.threads.create()
    response = client.responses.create(
        model="fake-slow-stream-100",
        input=" ".join(["slow"] * 50),
        conversation=thread.id,
        background=True,
    )
    time.sleep(0.3)
    assert client.beta.threads.delete(thread.id).deleted
    response = client.responses.retrieve(response.id)
    assert response.status == "cancelled"
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list(thread.id)
