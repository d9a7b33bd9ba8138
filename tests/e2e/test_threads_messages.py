"""Threads and messages through the openai SDK."""

from __future__ import annotations

import openai
import pytest


def test_thread_with_initial_messages(client):
    thread = client.beta.threads.create(
        messages=[
            {"role": "user", "content": "first"},
            {"role": "assistant", "content": [{"type": "text", "text": "second"}]},
        ],
        metadata={"topic": "x"},
    )
    assert thread.metadata == {"topic": "x"}
    messages = client.beta.threads.messages.list(thread.id, order="asc").data
    assert [m.content[0].text.value for m in messages] == ["first", "second"]
    assert [m.role for m in messages] == ["user", "assistant"]
    assert all(m.thread_id == thread.id for m in messages)


def test_message_content_parts_round_trip(client):
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(
        thread.id,
        role="user",
        content=[
            {"type": "text", "text": "look at this 👀"},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}},
        ],
        metadata={"k": "v"},
    )
    fetched = client.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert fetched.content[0].type == "text" and fetched.content[0].text.value == "look at this 👀"
    assert fetched.content[0].text.annotations == []
    assert fetched.content[1].type == "image_url"
    assert fetched.content[1].image_url.url == "https://example.com/cat.png"
    assert fetched.metadata == {"k": "v"}


def test_message_pagination_and_orders(client):
    thread = client.beta.threads.create()
    ids = [
        client.beta.threads.messages.create(thread.id, role="user", content=f"m{i}").id
        for i in range(7)
    ]
    assert [m.id for m in client.beta.threads.messages.list(thread.id, limit=3)] == ids[::-1]
    assert [m.id for m in client.beta.threads.messages.list(thread.id, limit=3, order="asc")] == ids
    page = client.beta.threads.messages.list(thread.id, limit=2, before=ids[4], order="asc")
    assert [m.id for m in page.data] == ids[2:4]


def test_modify_and_delete_message(client):
    thread = client.beta.threads.create()
    message = client.beta.threads.messages.create(thread.id, role="user", content="hi")
    updated = client.beta.threads.messages.update(
        message.id, thread_id=thread.id, metadata={"seen": "yes"}
    )
    assert updated.metadata == {"seen": "yes"}
    result = client.beta.threads.messages.delete(message.id, thread_id=thread.id)
    assert result.deleted and result.object == "thread.message.deleted"
    assert client.beta.threads.messages.list(thread.id).data == []


def test_modify_thread_and_delete_cascades(client):
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "hello"}])
    message_id = client.beta.threads.messages.list(thread.id).data[0].id
    assert client.beta.threads.update(thread.id, metadata={"a": "b"}).metadata == {"a": "b"}
    assert client.beta.threads.delete(thread.id).deleted
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.retrieve(thread.id)
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.retrieve(message_id, thread_id=thread.id)


def test_messages_of_missing_thread_are_404(client):
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.list("thread_missing")
    with pytest.raises(openai.NotFoundError):
        client.beta.threads.messages.create("thread_missing", role="user", content="x")


def test_message_limits(client):
    thread = client.beta.threads.create()
    with pytest.raises(openai.BadRequestError) as error:
        client.beta.threads.messages.create(thread.id, role="user", content="x" * 256_001)
    assert error.value.body["param"] == "content"
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.create(messages=[{"role": "user", "content": "x"}] * 33)
    with pytest.raises(openai.BadRequestError):
        client.beta.threads.messages.create(thread.id, role="system", content="x")


def test_threads_and_messages_are_tenant_private(client, other_client):
    thread = client.beta.threads.create(messages=[{"role": "user", "content": "secret"}])
    message_id = client.beta.threads.messages.list(thread.id).data[0].id
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.retrieve(thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.update(thread.id, metadata={"x": "y"})
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.messages.list(thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.messages.retrieve(message_id, thread_id=thread.id)
    with pytest.raises(openai.NotFoundError):
        other_client.beta.threads.delete(thread.id)
    assert client.beta.threads.retrieve(thread.id).id == thread.id


def test_list_threads_extension(client, other_client):
    created = [client.beta.threads.create().id for _ in range(3)]
    response = client.get("/threads", cast_to=object, options={"params": {"limit": 2}})
    assert [t["id"] for t in response["data"]] == created[::-1][:2]
    assert response["has_more"] is True
    assert other_client.get("/threads", cast_to=object)["data"] == []


async def test_async_threads(aclient):
    thread = await aclient.beta.threads.create()
    await aclient.beta.threads.messages.create(thread.id, role="user", content="async hi")
    page = await aclient.beta.threads.messages.list(thread.id)
    assert page.data[0].content[0].text.value == "async hi"


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "file:///etc/passwd", "ftp://example.com/a.png", "not a url", ""],
)
def test_image_urls_must_be_http_or_data(client, url):
    thread = client.beta.threads.create()
    content = [{"type": "image_url", "image_url": {"url": url}}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.messages.create(thread.id, role="user", content=content)
    assert caught.value.param == "content[0].image_url.url"
    with pytest.raises(openai.BadRequestError) as caught:
        client.beta.threads.create(messages=[{"role": "user", "content": content}])
    assert caught.value.param == "messages[0].content[0].image_url.url"
    assert client.beta.threads.messages.list(thread.id).data == []


def test_image_urls_that_are_accepted(client):
    thread = client.beta.threads.create()
    for url in (
        "https://example.com/a.png",
        "http://example.com/b.jpg",
        "data:image/png;base64,iVBORw0KGgo=",
    ):
        content = [{"type": "image_url", "image_url": {"url": url}}]
        message = client.beta.threads.messages.create(thread.id, role="user", content=content)
        assert message.content[0].image_url.url == url


def test_image_files_must_exist_for_the_tenant(client, other_client):
    theirs = other_client.files.create(file=("cat.png", b"\x89PNG\r\n\x1a\n"), purpose="vision")
    mine = client.files.create(file=("dog.png", b"\x89PNG\r\n\x1a\n"), purpose="vision")
    thread = client.beta.threads.create()
    for file_id in ("file-doesnotexist", theirs.id):
        content = [{"type": "image_file", "image_file": {"file_id": file_id}}]
        with pytest.raises(openai.NotFoundError) as caught:
            client.beta.threads.messages.create(thread.id, role="user", content=content)
        assert caught.value.body["param"] == "content[0].image_file.file_id"
        assert file_id in caught.value.message
        with pytest.raises(openai.NotFoundError) as caught:
            client.beta.threads.create(messages=[{"role": "user", "content": content}])
        assert caught.value.body["param"] == "messages[0].content[0].image_file.file_id"
    assert client.beta.threads.messages.list(thread.id).data == []
    content = [
        {"type": "text", "text": "what is this?"},
        {"type": "image_file", "image_file": {"file_id": mine.id}},
    ]
    message = client.beta.threads.messages.create(thread.id, role="user", content=content)
    assert message.content[1].image_file.file_id == mine.id
