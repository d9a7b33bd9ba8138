"""Drive the server with the `astra-assistants` client (its patched openai SDK), as its users do.

Run with this folder's own environment (openai<2, httpx<0.28; see pyproject.toml here):

    ASTRA_DB_APPLICATION_TOKEN=<token> OPENAI_API_KEY=<dummy> \\
        .venv/bin/python client_script.py --server http://127.0.0.1:PORT --upstream URL

`--upstream` is the LLM provider's base URL; it reaches the server as the `base-url` header, set
with `default_headers` on the OpenAI client before `patch()`. Modes:

- `full` (default): chat completion, file upload (with `embedding_model`), vector store with that
  file, assistant with file_search, thread and message, thread list, message content update, run
  with `create_and_poll`, and the answer.
- `isolation --thread-id ID`: only lists threads and retrieves that thread, to show what another
  tenant (another ASTRA_DB_APPLICATION_TOKEN) sees.

Prints one JSON object on stdout: per step `ok` and what was observed, or the error (for an HTTP
error: the request, the status and the body), plus every HTTP request the client made. Nothing is
tolerated: a failed step is reported as failed, and the steps that need its result are marked
`skipped` with the step they depend on. The exit code is 0 when every step succeeded, else 1.
Whatever the client prints itself (it prints errors to stdout) goes to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib.metadata import version
from typing import Any

import httpx
from openai import APIStatusError, OpenAI

CHAT_MODEL = "gpt-4o-mini"
EMBEDDING_MODEL = "text-embedding-3-large"
CHAT_PROMPT = "Say hello to the astra compat test"
FILE_NAME = "falcon-notes.txt"
FILE_TEXT = (
    "Project Falcon notes.\n"
    "The launch code of project Falcon is 7421-kestrel.\n"
    "The Falcon team meets on Thursdays in the blue room.\n"
)
FIRST_MESSAGE = "What is the code for Falcon?"
UPDATED_MESSAGE = "What is the launch code of project Falcon?"
# Only these request headers are logged (by name; values only as checks), the rest are the SDK's.
INTERESTING_HEADERS = ("astra-api-token", "base-url", "embedding-model", "api-key", "openai-beta")
INTERESTING_PREFIXES = ("llm-param-", "embedding-param-")
BODY_LIMIT = 2000


class StepFailed(Exception):
    """A step's own check failed (the HTTP calls worked but the result is wrong)."""


class Recorder:
    """Every request the client sent and the response status, from httpx event hooks."""

    def __init__(self, token: str, upstream: str) -> None:
        self.token = token
        self.upstream = upstream
        self.requests: list[dict[str, Any]] = []

    def on_response(self, response: httpx.Response) -> None:
        request = response.request
        headers = {k.lower(): v for k, v in request.headers.items()}
        entry: dict[str, Any] = {
            "method": request.method,
            "path": request.url.raw_path.decode(),
            "status": response.status_code,
            "headers": sorted(
                name
                for name in headers
                if name in INTERESTING_HEADERS or name.startswith(INTERESTING_PREFIXES)
            ),
            "astra_token_matches": headers.get("astra-api-token") == self.token,
            "base_url_matches": headers.get("base-url") == self.upstream,
        }
        if "embedding-model" in headers:
            entry["embedding_model_header"] = headers["embedding-model"]
        if response.status_code >= 400:
            response.read()
            entry["body"] = response.text[:BODY_LIMIT]
        self.requests.append(entry)


def describe_error(exc: BaseException) -> dict[str, Any]:
    if isinstance(exc, APIStatusError):
        request = exc.response.request
        content = (
            request.content
            if not request.headers.get("content-type", "").startswith("multipart/")
            else b"<multipart form>"
        )
        return {
            "type": type(exc).__name__,
            "request": f"{request.method} {request.url.raw_path.decode()}",
            "request_body": content.decode(errors="replace")[:BODY_LIMIT],
            "status": exc.status_code,
            "body": exc.response.text[:BODY_LIMIT],
        }
    return {
        "type": type(exc).__name__,
        "message": str(exc)[:BODY_LIMIT],
        "traceback": traceback.format_exception(exc)[-6:],
    }


class Steps:
    """Runs named steps in order; a step runs only when the steps it needs succeeded."""

    def __init__(self) -> None:
        self.results: dict[str, dict[str, Any]] = {}

    def run(self, name: str, fn: Callable[[], dict[str, Any]], needs: tuple[str, ...] = ()) -> None:
        missing = [n for n in needs if not self.results.get(n, {}).get("ok")]
        if missing:
            self.results[name] = {"ok": False, "skipped": True, "needs": missing}
            return
        started = time.monotonic()
        try:
            observed = fn()
        except BaseException as exc:
            if isinstance(exc, KeyboardInterrupt):
                raise
            self.results[name] = {"ok": False, "error": describe_error(exc)}
        else:
            self.results[name] = {"ok": True, **observed}
        self.results[name]["seconds"] = round(time.monotonic() - started, 3)

    @property
    def all_ok(self) -> bool:
        return all(r.get("ok") for r in self.results.values())


def field(obj: Any, name: str) -> Any:
    """A response field, or the marker "<absent>" when the server did not send it."""
    extra = getattr(obj, "model_extra", None) or {}
    if name in extra:
        return extra[name]
    return getattr(obj, name, "<absent>") if name in type(obj).model_fields else "<absent>"


def message_text(message: Any) -> str:
    return "".join(part.text.value for part in message.content if part.type == "text")


def wait_for(check: Callable[[], Any], done: Callable[[Any], bool], timeout: float) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if done(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def full(client: OpenAI, steps: Steps, state: dict[str, Any]) -> None:
    def chat() -> dict[str, Any]:
        completion = client.chat.completions.create(
            model=CHAT_MODEL, messages=[{"role": "user", "content": CHAT_PROMPT}]
        )
        return {
            "id": completion.id,
            "model": completion.model,
            "prompt": CHAT_PROMPT,
            "answer": completion.choices[0].message.content,
            "finish_reason": completion.choices[0].finish_reason,
        }

    def upload() -> dict[str, Any]:
        # The client's files.create wrapper takes `embedding_model` and sends it as the
        # `embedding-model` header (plus EMBEDDING-PARAM-api-key for non-OpenAI providers).
        created = client.files.create(
            file=(FILE_NAME, FILE_TEXT.encode()),
            purpose="assistants",
            embedding_model=EMBEDDING_MODEL,
        )
        state["file_id"] = created.id
        fetched = client.files.retrieve(created.id)
        return {
            "id": created.id,
            "status": field(created, "status"),
            "bytes": created.bytes,
            "filename": created.filename,
            "requested_embedding_model": EMBEDDING_MODEL,
            "embedding_model": field(created, "embedding_model"),
            "embedding_model_on_retrieve": field(fetched, "embedding_model"),
            "embedding_model_in_list": next(
                (field(f, "embedding_model") for f in client.files.list() if f.id == created.id),
                "<not listed>",
            ),
        }

    def vector_store() -> dict[str, Any]:
        store = client.vector_stores.create(name="falcon", file_ids=[state["file_id"]])
        state["vector_store_id"] = store.id
        store_file = wait_for(
            lambda: client.vector_stores.files.retrieve(state["file_id"], vector_store_id=store.id),
            lambda f: f.status != "in_progress",
            timeout=60,
        )
        store = client.vector_stores.retrieve(store.id)
        if store_file.status != "completed":
            raise StepFailed(
                f"vector store file status {store_file.status}: {store_file.last_error}"
            )
        return {
            "id": store.id,
            "status": store.status,
            "file_counts": store.file_counts.model_dump(),
            "file_status": store_file.status,
            "file_last_error": store_file.last_error and store_file.last_error.model_dump(),
        }

    def assistant() -> dict[str, Any]:
        created = client.beta.assistants.create(
            model=CHAT_MODEL,
            name="falcon helper",
            instructions="Answer from the Falcon notes.",
            tools=[{"type": "file_search"}],
            tool_resources={"file_search": {"vector_store_ids": [state["vector_store_id"]]}},
        )
        state["assistant_id"] = created.id
        return {
            "id": created.id,
            "model": created.model,
            "tools": [t.type for t in created.tools],
            "vector_store_ids": created.tool_resources.file_search.vector_store_ids,
        }

    def thread() -> dict[str, Any]:
        created = client.beta.threads.create(metadata={"suite": "astra-compat"})
        state["thread_id"] = created.id
        message = client.beta.threads.messages.create(
            created.id, role="user", content=FIRST_MESSAGE
        )
        state["message_id"] = message.id
        return {"id": created.id, "message_id": message.id, "message_text": message_text(message)}

    def list_threads() -> dict[str, Any]:
        # patch() adds `beta.threads.list` (GET /threads), which the openai SDK lacks.
        page = client.beta.threads.list(limit=100)
        ids = [t.id for t in page.data]
        return {"ids": ids, "contains_thread": state["thread_id"] in ids}

    def update_message() -> dict[str, Any]:
        # patch() replaces `beta.threads.messages.update` so that it also sends `content`;
        # its wrapper reads thread_id and message_id from keyword arguments only.
        updated = client.beta.threads.messages.update(
            thread_id=state["thread_id"], message_id=state["message_id"], content=UPDATED_MESSAGE
        )
        fetched = client.beta.threads.messages.retrieve(
            state["message_id"], thread_id=state["thread_id"]
        )
        return {
            "id": updated.id,
            "returned_text": message_text(updated),
            "read_back_text": message_text(fetched),
            "expected_text": UPDATED_MESSAGE,
        }

    def run() -> dict[str, Any]:
        # The client's runs wrapper first reads the assistant, its vector store's first file and
        # that file's `embedding_model`, which it sends as the `embedding-model` header.
        finished = client.beta.threads.runs.create_and_poll(
            thread_id=state["thread_id"], assistant_id=state["assistant_id"], poll_interval_ms=200
        )
        messages = client.beta.threads.messages.list(thread_id=state["thread_id"], order="asc")
        replies = [m for m in messages.data if m.role == "assistant"]
        run_steps = client.beta.threads.runs.steps.list(
            run_id=finished.id, thread_id=state["thread_id"]
        )
        return {
            "id": finished.id,
            "status": finished.status,
            "model": finished.model,
            "last_error": finished.last_error and finished.last_error.model_dump(),
            "answer": message_text(replies[-1]) if replies else None,
            "annotations": [
                a.type
                for m in replies
                for p in m.content
                if p.type == "text"
                for a in p.text.annotations
            ],
            "step_types": [s.type for s in run_steps.data],
            "tool_call_types": [
                c.type
                for s in run_steps.data
                if s.type == "tool_calls"
                for c in s.step_details.tool_calls
            ],
        }

    steps.run("chat", chat)
    steps.run("upload", upload)
    steps.run("vector_store", vector_store, needs=("upload",))
    steps.run("assistant", assistant, needs=("vector_store",))
    steps.run("thread", thread)
    steps.run("list_threads", list_threads, needs=("thread",))
    steps.run("update_message", update_message, needs=("thread",))
    steps.run("run", run, needs=("assistant", "thread"))


def isolation(client: OpenAI, thread_id: str, steps: Steps) -> None:
    def list_threads() -> dict[str, Any]:
        ids = [t.id for t in client.beta.threads.list(limit=100).data]
        return {"ids": ids, "contains_thread": thread_id in ids}

    def retrieve_thread() -> dict[str, Any]:
        try:
            found = client.beta.threads.retrieve(thread_id)
        except APIStatusError as exc:
            return {"status": exc.status_code, "body": exc.response.text[:BODY_LIMIT]}
        return {"status": 200, "id": found.id}

    steps.run("list_threads", list_threads)
    steps.run("retrieve_thread", retrieve_thread)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--server", required=True, help="the server's URL, without /v1")
    parser.add_argument("--upstream", required=True, help="the LLM provider's base URL")
    parser.add_argument("--mode", choices=("full", "isolation"), default="full")
    parser.add_argument("--thread-id", help="isolation mode: the other tenant's thread")
    args = parser.parse_args()
    token = os.environ.get("ASTRA_DB_APPLICATION_TOKEN")
    if not token or not os.environ.get("OPENAI_API_KEY"):
        parser.error("set ASTRA_DB_APPLICATION_TOKEN and OPENAI_API_KEY")
    if args.mode == "isolation" and not args.thread_id:
        parser.error("isolation mode needs --thread-id")

    out = sys.stdout
    summary: dict[str, Any] = {"mode": args.mode}
    recorder = Recorder(token, args.upstream)
    steps = Steps()
    with contextlib.redirect_stdout(sys.stderr):
        from astra_assistants import patch

        http = httpx.Client(timeout=60, event_hooks={"response": [recorder.on_response]})
        client = patch(
            OpenAI(
                base_url=args.server.rstrip("/") + "/v1",
                api_key=os.environ["OPENAI_API_KEY"],
                default_headers={"base-url": args.upstream},
                http_client=http,
                max_retries=0,
            )
        )
        summary["base_url_header_kept_by_patch"] = (
            client.default_headers.get("base-url") == args.upstream
        )
        state: dict[str, Any] = {}
        if args.mode == "full":
            full(client, steps, state)
        else:
            isolation(client, args.thread_id, steps)
        summary["base_url_header_kept_at_end"] = (
            client.default_headers.get("base-url") == args.upstream
        )
        http.close()
    summary["versions"] = {p: version(p) for p in ("astra-assistants", "openai", "httpx")}
    summary["all_ok"] = steps.all_ok and summary["base_url_header_kept_at_end"]
    summary["steps"] = steps.results
    summary["requests"] = recorder.requests
    json.dump(summary, out, indent=2)
    out.write("\n")
    return 0 if summary["all_ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
