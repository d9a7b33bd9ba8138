"""Invalid Unicode (lone surrogates) is refused before anything is stored, and a stored one
can never break a read or a list: on both backends."""

from __future__ import annotations

import hashlib

import httpx
import pytest

from storage.base import Key, Kind
from storage.factory import open_store

JSON = {"content-type": "application/json"}


@pytest.fixture
def http(live_server, api_key):
    headers = {"Authorization": f"Bearer {api_key}", **JSON}
    with httpx.Client(base_url=live_server.url + "/v1", headers=headers, timeout=60) as client:
        yield client


def refused(response: httpx.Response, param: str) -> None:
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param
    assert "Unicode" in error["message"]


def test_lone_surrogates_are_refused_before_anything_is_stored(http):
    refused(http.post("/assistants", content=b'{"model":"m","name":"a\\ud800b"}'), "name")
    refused(http.post("/threads", content=b'{"metadata":{"k":"\\udc00"}}'), "metadata.k")
    refused(
        http.post("/threads", content=b'{"messages":[{"role":"user","content":"x\\ud801"}]}'),
        "messages[0].content",
    )
    thread = http.post("/threads", json={}).json()
    body = b'{"role":"user","content":[{"type":"text","text":"\\udbff!"}]}'
    refused(http.post(f"/threads/{thread['id']}/messages", content=body), "content[0].text")
    refused(http.post("/vector_stores", content=b'{"name":"v\\ud800"}'), "name")
    for path in ("/assistants", "/vector_stores", f"/threads/{thread['id']}/messages"):
        listed = http.get(path)
        assert listed.status_code == 200, listed.text
        assert listed.json()["data"] == []
    assert [t["id"] for t in http.get("/threads").json()["data"]] == [thread["id"]]


async def test_a_stored_lone_surrogate_never_breaks_reads(live_server, aclient, api_key):
    assistant = await aclient.beta.assistants.create(model="m", name="plain")
    thread = await aclient.beta.threads.create(
        messages=[{"role": "user", "content": "hello"}], metadata={"k": "v"}
    )
    provider = open_store(live_server.store_url)
    await provider.start()
    try:
        store = await provider.for_request(None, None)
        tenant = hashlib.sha256(api_key.encode()).hexdigest()
        key = Key(tenant, Kind.ASSISTANT, "", assistant.id)
        stored = await store.docs.get(key)
        assert stored is not None
        await store.docs.put(key, {**stored.doc, "name": "a\ud800b"})
        message = (await aclient.beta.threads.messages.list(thread.id)).data[0]
        key = Key(tenant, Kind.MESSAGE, thread.id, message.id)
        stored = await store.docs.get(key)
        assert stored is not None
        content = [{"type": "text", "text": {"value": "x\udfffy", "annotations": []}}]
        await store.docs.put(key, {**stored.doc, "content": content})
    finally:
        await provider.close()
    assert (await aclient.beta.assistants.retrieve(assistant.id)).name == "a\ud800b"
    assert [a.name for a in (await aclient.beta.assistants.list()).data] == ["a\ud800b"]
    listed = (await aclient.beta.threads.messages.list(thread.id)).data
    assert listed[0].content[0].text.value == "x\udfffy"
    fetched = await aclient.beta.threads.messages.retrieve(message.id, thread_id=thread.id)
    assert fetched.content[0].text.value == "x\udfffy"
