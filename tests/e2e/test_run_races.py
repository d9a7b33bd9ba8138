"""Races on one thread: exactly one active run under any concurrency; deleting a thread stops
its run first, so nothing is written under a deleted thread."""

from __future__ import annotations

import asyncio
import hashlib
import time

import httpx

from storage.base import Kind, PageQuery
from storage.factory import open_store


async def test_concurrent_creates_start_exactly_one_run(client, live_server, upstream, api_key):
    assistant = client.beta.assistants.create(model="fake-slow-stream-300")
    threads = [
        client.beta.threads.create(messages=[{"role": "user", "content": " ".join(["slow"] * 20)}])
        for _ in range(3)
    ]
    headers = {"authorization": f"Bearer {api_key}", "base-url": upstream.base_url}
    for thread in threads:  # the race was lost in 2 of 5 tries before the fix
        await _one_race(live_server.url, thread.id, assistant.id, headers)


async def _one_race(server: str, thread_id: str, assistant_id: str, headers: dict) -> None:
    url = f"{server}/v1/threads/{thread_id}/runs"
    async with httpx.AsyncClient(timeout=60, headers=headers) as http:
        answers = await asyncio.gather(
            *(http.post(url, json={"assistant_id": assistant_id}) for _ in range(30))
        )
        started = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code != 200]
        assert len(started) == 1, [a.status_code for a in answers]
        assert {a.status_code for a in refused} == {400}
        assert all("active run" in a.json()["error"]["message"] for a in refused)
        listed = (await http.get(url)).json()["data"]
        assert [r["id"] for r in listed] == [started[0].json()["id"]]
        await http.post(f"{url}/{started[0].json()['id']}/cancel")


async def test_deleting_a_thread_stops_its_run_first(client, live_server, api_key):
    assistant = client.beta.assistants.create(model="fake-slow-stream-100")
    thread = client.beta.threads.create(
        messages=[{"role": "user", "content": " ".join(["slow"] * 30)}]
    )
    run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
    deadline = time.monotonic() + 30
    while client.beta.threads.messages.list(thread.id, limit=1).data[0].role != "assistant":
        assert time.monotonic() < deadline, "the run never started its message"
        time.sleep(0.05)
    assert client.beta.threads.delete(thread.id).deleted
    time.sleep(1.0)  # a run left going would write its message and steps by now
    store = open_store(live_server.settings.store)
    await store.start()
    try:
        db = await store.for_request(None, None)
        tenant = hashlib.sha256(api_key.encode()).hexdigest()
        for kind, parent in (
            (Kind.MESSAGE, thread.id),
            (Kind.RUN, thread.id),
            (Kind.RUN_STEP, run.id),
        ):
            page = await db.docs.list(tenant, kind, parent, PageQuery(limit=10))
            assert page.items == [], f"{kind} rows left under a deleted thread"
    finally:
        await store.close()
