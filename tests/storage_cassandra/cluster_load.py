"""A mixed load through the openai SDK that remembers every write the server acknowledged.

Three kinds of users loop until told to stop: CRUD (assistants, threads, messages; some deletes),
streamed runs against the fake upstream, and ingestion (upload, vector store, wait, search). Every
SDK call is timed and logged with its outcome; a call that raised, or answered something other
than what was written, is a failure. ``Acked`` holds what the server said it stored, to be read
back afterwards with ``verify``.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import TypeVar

import openai

T = TypeVar("T")

POLL_SECONDS = 0.2
INGEST_WITHIN = 60.0


@dataclass(frozen=True, slots=True)
class Call:
    op: str
    began: float
    ended: float
    error: str | None

    @property
    def took(self) -> float:
        return self.ended - self.began


class Mismatch(Exception):
    """The server answered 2xx with something other than what was written."""


@dataclass(slots=True)
class Acked:
    """Writes the server acknowledged (2xx), as the client last saw them."""

    assistants: dict[str, str] = field(default_factory=dict)  # id -> name
    deleted: set[str] = field(default_factory=set)  # assistant ids
    threads: dict[str, str] = field(default_factory=dict)  # id -> metadata "n"
    messages: dict[str, dict[str, str]] = field(default_factory=dict)  # thread -> id -> text
    runs: dict[str, str] = field(default_factory=dict)  # run id -> thread id
    files: dict[str, bytes] = field(default_factory=dict)  # id -> content
    stores: dict[str, tuple[str, str]] = field(default_factory=dict)  # id -> (file id, word)

    def count(self) -> int:
        return (
            len(self.assistants)
            + len(self.deleted)
            + len(self.threads)
            + sum(len(m) for m in self.messages.values())
            + len(self.runs)
            + len(self.files)
            + len(self.stores)
        )


class Recorder:
    def __init__(self) -> None:
        self.calls: list[Call] = []

    async def timed(self, op: str, work: Awaitable[T]) -> T:
        began = time.monotonic()
        try:
            result = await work
        except BaseException as exc:
            if not isinstance(exc, asyncio.CancelledError):
                self.calls.append(Call(op, began, time.monotonic(), _describe(exc)))
            raise
        self.calls.append(Call(op, began, time.monotonic(), None))
        return result

    def mismatch(self, op: str, detail: str) -> Mismatch:
        now = time.monotonic()
        self.calls.append(Call(op, now, now, f"mismatch: {detail}"))
        return Mismatch(detail)


class Load:
    """Users of each kind, looping on one client from ``start`` until ``finish``."""

    def __init__(self, client: openai.AsyncOpenAI) -> None:
        self.client = client
        self.recorder = Recorder()
        self.acked = Acked()
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def warm_up(self) -> None:
        """One round of each kind, unrecorded: a fresh server imports and prepares on first use."""
        await asyncio.gather(self._crud("warm"), self._runs("warm"), self._ingest("warm"))
        self.recorder.calls.clear()

    def start(self, *, crud: int, runs: int, ingest: int) -> None:
        loops = [self._crud] * crud + [self._runs] * runs + [self._ingest] * ingest
        self._tasks = [asyncio.create_task(self._loop(loop, n)) for n, loop in enumerate(loops)]

    async def finish(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)

    async def _loop(self, body, user: int) -> None:  # type: ignore[no-untyped-def]
        i = 0
        while not self._stop.is_set():
            try:
                await body(f"u{user}i{i}")
            except (openai.OpenAIError, Mismatch):
                await asyncio.sleep(0.05)  # logged by the recorder; go on with a fresh round
            i += 1

    # ---------------------------------------------------------------- users

    async def _crud(self, tag: str) -> None:
        c, rec, acked = self.client, self.recorder, self.acked
        assistant = await rec.timed(
            "assistants.create",
            c.beta.assistants.create(model="gpt-4o-mini", name=f"a-{tag}", metadata={"tag": tag}),
        )
        acked.assistants[assistant.id] = f"a-{tag}"
        renamed = await rec.timed(
            "assistants.update", c.beta.assistants.update(assistant.id, name=f"b-{tag}")
        )
        if renamed.name != f"b-{tag}":
            raise rec.mismatch("assistants.update", f"{assistant.id} named {renamed.name!r}")
        acked.assistants[assistant.id] = f"b-{tag}"
        found = await rec.timed("assistants.retrieve", c.beta.assistants.retrieve(assistant.id))
        if found.name != f"b-{tag}":
            raise rec.mismatch("assistants.retrieve", f"{assistant.id} named {found.name!r}")
        thread = await rec.timed("threads.create", c.beta.threads.create(metadata={"n": tag}))
        acked.threads[thread.id] = tag
        message = await rec.timed(
            "messages.create", c.beta.threads.messages.create(thread.id, role="user", content=tag)
        )
        acked.messages.setdefault(thread.id, {})[message.id] = tag
        listed = await rec.timed("messages.list", c.beta.threads.messages.list(thread.id))
        if [m.id for m in listed.data] != [message.id]:
            raise rec.mismatch("messages.list", f"thread {thread.id} lists {listed.data!r}")
        await rec.timed("assistants.list", c.beta.assistants.list(limit=5))
        if tag.endswith(("0", "3", "6")):
            await rec.timed("assistants.delete", c.beta.assistants.delete(assistant.id))
            acked.assistants.pop(assistant.id)
            acked.deleted.add(assistant.id)

    async def _runs(self, tag: str) -> None:
        c, rec, acked = self.client, self.recorder, self.acked
        assistant = await rec.timed(
            "assistants.create", c.beta.assistants.create(model="gpt-4o-mini", name=f"r-{tag}")
        )
        acked.assistants[assistant.id] = f"r-{tag}"
        thread = await rec.timed("threads.create", c.beta.threads.create(metadata={"n": tag}))
        acked.threads[thread.id] = tag
        for turn in range(3):
            text = f"{tag} turn {turn}"
            message = await rec.timed(
                "messages.create",
                c.beta.threads.messages.create(thread.id, role="user", content=text),
            )
            acked.messages.setdefault(thread.id, {})[message.id] = text
            run, replies = await rec.timed("runs.stream", self._stream(thread.id, assistant.id))
            if run.status != "completed" or [r for _, r in replies] != [f"Echo: {text}"]:
                raise rec.mismatch("runs.stream", f"run {run.id} {run.status}: {replies!r}")
            acked.runs[run.id] = thread.id
            for reply_id, reply in replies:
                acked.messages[thread.id][reply_id] = reply

    async def _stream(self, thread_id: str, assistant_id: str):  # type: ignore[no-untyped-def]
        async with self.client.beta.threads.runs.stream(
            thread_id=thread_id, assistant_id=assistant_id
        ) as stream:
            async for _ in stream:
                pass
            run = await stream.get_final_run()
            messages = await stream.get_final_messages()
        replies = [
            (m.id, "".join(p.text.value for p in m.content if p.type == "text")) for m in messages
        ]
        return run, replies

    async def _ingest(self, tag: str) -> None:
        c, rec, acked = self.client, self.recorder, self.acked
        word = f"zq{uuid.uuid4().hex[:10]}"
        content = (f"Notes {tag}. The marker word is {word}. " + "filler text " * 200).encode()
        uploaded = await rec.timed(
            "files.create", c.files.create(file=(f"{tag}.txt", content), purpose="assistants")
        )
        acked.files[uploaded.id] = content
        store = await rec.timed(
            "vector_stores.create", c.vector_stores.create(name=tag, file_ids=[uploaded.id])
        )
        deadline = time.monotonic() + INGEST_WITHIN
        while store.status == "in_progress" and time.monotonic() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            store = await rec.timed("vector_stores.retrieve", c.vector_stores.retrieve(store.id))
        if store.status != "completed" or store.file_counts.completed != 1:
            raise rec.mismatch("ingestion", f"{store.id} {store.status} {store.file_counts}")
        acked.stores[store.id] = (uploaded.id, word)
        page = await rec.timed("vector_stores.search", c.vector_stores.search(store.id, query=word))
        if not page.data or page.data[0].file_id != uploaded.id:
            raise rec.mismatch("vector_stores.search", f"{store.id}: {page.data!r}")


async def verify(client: openai.AsyncOpenAI, acked: Acked) -> list[str]:
    """Read back every acknowledged write; the list of what is missing or different."""
    lost: list[str] = []
    gate = asyncio.Semaphore(8)

    async def check(what: str, work: Awaitable[str | None]) -> None:
        async with gate:
            try:
                problem = await work
            except openai.OpenAIError as exc:
                problem = _describe(exc)
        if problem:
            lost.append(f"{what}: {problem}")

    async def assistant(aid: str, name: str) -> str | None:
        found = await client.beta.assistants.retrieve(aid)
        return None if found.name == name else f"named {found.name!r}, acknowledged {name!r}"

    async def deleted(aid: str) -> str | None:
        try:
            await client.beta.assistants.retrieve(aid)
        except openai.NotFoundError:
            return None
        return "deleted, yet still there"

    async def thread(tid: str, tag: str) -> str | None:
        found = await client.beta.threads.retrieve(tid)
        if (found.metadata or {}).get("n") != tag:
            return f"metadata {found.metadata!r}"
        wanted = acked.messages.get(tid, {})
        listed = {}
        async for m in client.beta.threads.messages.list(tid, limit=100):
            listed[m.id] = "".join(p.text.value for p in m.content if p.type == "text")
        missing = {k: v for k, v in wanted.items() if listed.get(k) != v}
        return f"messages missing or changed: {missing!r}" if missing else None

    async def run(rid: str, tid: str) -> str | None:
        found = await client.beta.threads.runs.retrieve(rid, thread_id=tid)
        return None if found.status == "completed" else f"status {found.status}"

    async def file(fid: str, content: bytes) -> str | None:
        data = await client.files.content(fid)
        return None if data.read() == content else "content differs"

    async def store(sid: str, fid: str, word: str) -> str | None:
        found = await client.vector_stores.retrieve(sid)
        if found.file_counts.completed != 1:
            return f"file counts {found.file_counts}"
        page = await client.vector_stores.search(sid, query=word)
        return None if page.data and page.data[0].file_id == fid else "search misses its file"

    await asyncio.gather(
        *(check(f"assistant {k}", assistant(k, v)) for k, v in acked.assistants.items()),
        *(check(f"deleted assistant {k}", deleted(k)) for k in acked.deleted),
        *(check(f"thread {k}", thread(k, v)) for k, v in acked.threads.items()),
        *(check(f"run {k}", run(k, v)) for k, v in acked.runs.items()),
        *(check(f"file {k}", file(k, v)) for k, v in acked.files.items()),
        *(check(f"vector store {k}", store(k, *v)) for k, v in acked.stores.items()),
    )
    return lost


def _describe(exc: BaseException) -> str:
    if isinstance(exc, openai.APIStatusError):
        return f"{exc.status_code} {exc.message[:200]}"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
