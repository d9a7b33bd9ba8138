"""Ingestion on a killed worker: resumed elsewhere, or failed fast if it needed its request."""

from __future__ import annotations

import time
import uuid

import openai
import pytest

from tests.e2e.test_durability import store_url  # noqa: F401  (the sqlite/cassandra fixture)
from tests.support.process_server import ProcessServer

pytestmark = pytest.mark.slow

SLOW_EMBEDDINGS = {"embedding-model": "fake-embed-slow-2500"}
SERVER_ROUTED = {"embedding-model": "openai/fake-embed-slow-2500"}
TEXT = " ".join(f"resumable{n % 50} sentence number {n}." for n in range(400))


def sdk(server: ProcessServer, upstream, key: str, *, caller_routes: bool = True) -> openai.OpenAI:
    # Without a base-url the server's own provider serves: the model names it (LiteLLM's prefix).
    routing = {"base-url": upstream.base_url} if caller_routes else SERVER_ROUTED
    return openai.OpenAI(
        base_url=server.url + "/v1",
        api_key=key,
        default_headers={**SLOW_EMBEDDINGS, **routing},
        max_retries=0,
        timeout=30,
    )


def start_ingestion_and_kill(server: ProcessServer, client: openai.OpenAI) -> tuple[str, str]:
    try:
        file_id = client.files.create(file=("notes.txt", TEXT.encode()), purpose="assistants").id
        store = client.vector_stores.create(file_ids=[file_id])
        time.sleep(1)  # inside the slow embedding call
        assert client.vector_stores.files.retrieve(file_id, vector_store_id=store.id).status == (
            "in_progress"
        )
    finally:
        server.kill()
    return store.id, file_id


def wait_file(client, store_id: str, file_id: str, timeout: float):
    deadline = time.monotonic() + timeout
    while True:
        file = client.vector_stores.files.retrieve(file_id, vector_store_id=store_id)
        if file.status != "in_progress" or time.monotonic() > deadline:
            return file
        time.sleep(0.2)


def counts_once_settled(client, store_id: str, timeout: float = 5.0):
    """The store's file counts once none is in progress: they move in a write of their own,
    just after the file's status (the file may be seen failed a moment before its count)."""
    deadline = time.monotonic() + timeout
    while True:
        counts = client.vector_stores.retrieve(store_id).file_counts
        if counts.in_progress == 0 or time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


def test_interrupted_ingestion_with_request_credentials_fails_within_the_lease(
    store_url,  # noqa: F811
    tmp_path,
    upstream,
):
    key = "sk-caller-" + uuid.uuid4().hex  # no server keys: the bearer is the provider key
    env = {"WORKERS": "1", "RUN_LEASE_SECONDS": "2"}
    first = ProcessServer(store_url, tmp_path, **env).start()
    store_id, file_id = start_ingestion_and_kill(first, sdk(first, upstream, key))
    second = ProcessServer(store_url, tmp_path, **env).start()
    try:
        client = sdk(second, upstream, key)
        started = time.monotonic()
        file = wait_file(client, store_id, file_id, timeout=20)
        assert time.monotonic() - started < 15
        assert file.status == "failed" and file.last_error.code == "server_error"
        assert "credentials" in file.last_error.message and key not in file.last_error.message
        counts = counts_once_settled(client, store_id)
        assert (counts.failed, counts.in_progress, counts.total) == (1, 0, 1)
    finally:
        second.stop()


def test_interrupted_ingestion_with_server_credentials_resumes_on_another_worker(
    store_url,  # noqa: F811
    tmp_path,
    upstream,
):
    server_key = "srv-" + uuid.uuid4().hex
    provider_key = "sk-server-" + uuid.uuid4().hex
    env = {  # the provider and its key are the server's: the job needs nothing from its request
        "WORKERS": "1",
        "RUN_LEASE_SECONDS": "2",
        "ASSISTANTS_API_KEYS": server_key,
        "OPENAI_API_KEY": provider_key,
        "OPENAI_API_BASE": upstream.base_url,
    }
    seen = len(upstream.requests.where(lambda r: r.path.endswith("/embeddings")))
    first = ProcessServer(store_url, tmp_path, log=tmp_path / "first.log", **env).start()
    client = sdk(first, upstream, server_key, caller_routes=False)
    store_id, file_id = start_ingestion_and_kill(first, client)
    second = ProcessServer(store_url, tmp_path, log=tmp_path / "second.log", **env).start()
    try:
        client = sdk(second, upstream, server_key, caller_routes=False)
        file = wait_file(client, store_id, file_id, timeout=40)
        assert file.status == "completed", (file.last_error, (tmp_path / "second.log").read_text())
        results = client.vector_stores.search(store_id, query="resumable7 sentence")
        assert results.data and results.data[0].file_id == file_id
        counts = counts_once_settled(client, store_id)
        assert (counts.completed, counts.in_progress, counts.total) == (1, 0, 1)
        embedded = upstream.requests.where(lambda r: r.path.endswith("/embeddings"))[seen:]
        sent = {r.headers.get("authorization") for r in embedded if "resumable" in str(r.body)}
        assert sent == {f"Bearer {provider_key}"}  # the server's key, on both workers
    finally:
        second.stop()
