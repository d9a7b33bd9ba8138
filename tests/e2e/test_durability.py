"""Runs survive their worker: a killed worker's run fails after its lease; several workers
share runs (retrieve, list, cancel from any of them); metrics add up across workers."""

from __future__ import annotations

import time
import uuid

import httpx
import openai
import pytest

from tests.support import cassandra
from tests.support.process_server import ProcessServer

pytestmark = pytest.mark.slow


@pytest.fixture(params=["sqlite", "cassandra"])
def store_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'durable.db'}"
    cassandra.require()
    return cassandra.store_url(cassandra.fresh_keyspace("durable"))


def sdk(server: ProcessServer, upstream, key: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.url + "/v1",
        api_key=key,
        default_headers={"base-url": upstream.base_url},
        max_retries=0,
        timeout=30,
    )


def wait_status(client, thread_id, run_id, wanted, timeout=30.0):
    deadline = time.monotonic() + timeout
    status = None
    while time.monotonic() < deadline:
        status = client.beta.threads.runs.retrieve(run_id, thread_id=thread_id).status
        if status in wanted:
            return status
        time.sleep(0.1)
    raise AssertionError(f"run stayed {status}")


def test_killed_worker_run_fails_after_lease(store_url, tmp_path, upstream):
    key = "sk-durable-" + uuid.uuid4().hex
    env = {"WORKERS": "1", "RUN_LEASE_SECONDS": "2"}
    first = ProcessServer(store_url, tmp_path, **env).start()
    try:
        client = sdk(first, upstream, key)
        assistant = client.beta.assistants.create(model="fake-slow-stream-300")
        thread = client.beta.threads.create(
            messages=[{"role": "user", "content": " ".join(["long"] * 100)}]
        )
        run = client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
        wait_status(client, thread.id, run.id, {"in_progress"})
        deadline = time.monotonic() + 60
        while client.beta.threads.messages.list(thread.id, limit=1).data[0].role != "assistant":
            assert time.monotonic() < deadline, "the run never started its message"
            time.sleep(0.1)
    finally:
        first.kill()
    second = ProcessServer(store_url, tmp_path, **env).start()
    try:
        client = sdk(second, upstream, key)
        started = time.monotonic()
        assert wait_status(client, thread.id, run.id, {"failed", "expired"}, timeout=20) == "failed"
        assert time.monotonic() - started < 20
        failed = client.beta.threads.runs.retrieve(run.id, thread_id=thread.id)
        assert failed.last_error.code == "server_error"
        assert "interrupted" in failed.last_error.message
        # Its message ends with it, never left in progress.
        message = client.beta.threads.messages.list(thread.id, limit=1).data[0]
        assert message.status == "incomplete"
        assert message.incomplete_details.reason == "run_failed"
        # The thread is free again: a new run can start and complete.
        done = client.beta.threads.runs.create_and_poll(
            thread_id=thread.id, assistant_id=client.beta.assistants.create(model="gpt-4o-mini").id
        )
        assert done.status == "completed"
    finally:
        second.stop()


def test_runs_are_shared_by_workers(store_url, tmp_path, upstream):
    server = ProcessServer(store_url, tmp_path, WORKERS="2").start()
    try:
        workers = set()
        for _ in range(40):
            with httpx.Client() as fresh:
                workers.add(fresh.get(server.url + "/v1/health").json()["worker"])
        assert len(workers) == 2, "both workers should answer"
        key = "sk-workers-" + uuid.uuid4().hex
        runs = []
        for i in range(6):
            with sdk(server, upstream, key) as client:
                assistant = client.beta.assistants.create(model="fake-slow-stream-200")
                thread = client.beta.threads.create(
                    messages=[{"role": "user", "content": " ".join([f"w{i}"] * 60)}]
                )
                runs.append(
                    client.beta.threads.runs.create(thread_id=thread.id, assistant_id=assistant.id)
                )
        for run in runs:
            with sdk(server, upstream, key) as client:
                assert (
                    client.beta.threads.runs.retrieve(run.id, thread_id=run.thread_id).id == run.id
                )
                assert [r.id for r in client.beta.threads.runs.list(run.thread_id).data] == [run.id]
                client.beta.threads.runs.cancel(run.id, thread_id=run.thread_id)
        for run in runs:
            with sdk(server, upstream, key) as client:
                assert wait_status(client, run.thread_id, run.id, {"cancelled"}) == "cancelled"
        metrics = httpx.get(server.url + "/metrics").text
        created = [
            float(line.rsplit(" ", 1)[1])
            for line in metrics.splitlines()
            if line.startswith("assistants_requests_total{") and 'operation="createRun"' in line
        ]
        assert sum(created) == 6
    finally:
        server.stop()


def test_killed_worker_background_response_fails_after_lease(store_url, tmp_path, upstream):
    key = "sk-durable-" + uuid.uuid4().hex
    env = {"WORKERS": "1", "RUN_LEASE_SECONDS": "2"}
    first = ProcessServer(store_url, tmp_path, **env).start()
    try:
        client = sdk(first, upstream, key)
        response = client.responses.create(
            model="fake-slow-stream-300", input=" ".join(["long"] * 100), background=True
        )
        deadline = time.monotonic() + 30
        while client.responses.retrieve(response.id).status != "in_progress":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        time.sleep(1)
    finally:
        first.kill()
    second = ProcessServer(store_url, tmp_path, **env).start()
    try:
        client = sdk(second, upstream, key)
        deadline = time.monotonic() + 20
        status = None
        while time.monotonic() < deadline:
            status = client.responses.retrieve(response.id).status
            if status not in ("queued", "in_progress"):
                break
            time.sleep(0.1)
        failed = client.responses.retrieve(response.id)
        assert failed.status == "failed", status
        assert failed.error.code == "server_error" and "interrupted" in failed.error.message
    finally:
        second.stop()


def test_background_responses_are_shared_by_workers(store_url, tmp_path, upstream):
    """Any worker answers GET, stream-again and cancel for a response another one executes."""
    server = ProcessServer(store_url, tmp_path, WORKERS="2").start()
    try:
        key = "sk-workers-" + uuid.uuid4().hex
        responses = []
        for i in range(6):
            with sdk(server, upstream, key) as client:
                responses.append(
                    client.responses.create(
                        model="fake-slow-stream-200",
                        input=" ".join([f"w{i}"] * 60),
                        background=True,
                    )
                )
        for response in responses[:4]:
            with sdk(server, upstream, key) as client:
                assert client.responses.retrieve(response.id).id == response.id
                assert client.responses.cancel(response.id).status == "cancelled"
        for response in responses[:4]:
            with sdk(server, upstream, key) as client:
                assert client.responses.retrieve(response.id).status == "cancelled"
        for response in responses[4:]:
            with sdk(server, upstream, key) as client:
                events = list(client.responses.retrieve(response.id, stream=True))
                assert [e.sequence_number for e in events] == list(range(len(events)))
                assert events[-1].type == "response.completed"
                assert events[-1].response.output_text.startswith("Echo: w")
    finally:
        server.stop()
