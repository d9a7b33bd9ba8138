"""Writes whose answer is lost or refused for a while, on the real node.

In a cluster a coordinator can die after applying a lightweight transaction but before answering,
and Paxos can time out or lose a race midway: the outcome is unknown. And while the cluster still
believes a dead node alive, logged batches time out writing their batchlog (nothing applied). Here
the answers are lost on purpose around real statements, and the store must neither report a write
that landed as a conflict (or 503) nor give up on a batch the cluster will take a moment later.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable

import pytest
from cassandra import WriteTimeout, WriteType

from storage.base import Key, Kind, Put
from storage.cassandra import session as session_module
from storage.cassandra.session import CqlSession, Params, Row
from storage.cassandra.store import CassandraStore
from storage.errors import StorageUnavailable, VersionConflict, WriteOutcomeUnknown

Conditional = Callable[[str, Params], Awaitable[tuple[bool, Row | None]]]


def run_key() -> Key:
    return Key("tenant-lost", Kind.RUN, f"thread_{uuid.uuid4().hex}", "run_1")


def losing_answers(
    cql: CqlSession, monkeypatch: pytest.MonkeyPatch, *, times: int, before: Conditional | None
) -> list[str]:
    """The next ``times`` LWTs: run ``before`` (the real one by default), then lose the answer."""
    real: Conditional = cql.conditional
    lost: list[str] = []

    async def conditional(text: str, params: Params = ()) -> tuple[bool, Row | None]:
        if len(lost) < times:
            lost.append(text)
            await (before or real)(text, params)
            raise WriteOutcomeUnknown("the answer was lost", 1)
        return await real(text, params)

    monkeypatch.setattr(cql, "conditional", conditional)
    return lost


async def test_an_lwt_that_landed_but_lost_its_answer_succeeds(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, key = cql_store.docs, run_key()
    lost = losing_answers(cql_store.cql, monkeypatch, times=3, before=None)
    assert await docs.put(key, {"status": "queued"}, expected_version=0) == 1
    assert await docs.put(key, {"status": "in_progress"}, expected_version=1) == 2
    assert await docs.delete(key) is True
    assert len(lost) == 3
    assert await docs.get(key) is None


async def test_an_lwt_that_never_ran_is_run_again(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, key = cql_store.docs, run_key()

    async def nothing(text: str, params: Params) -> tuple[bool, Row | None]:
        return False, None

    losing_answers(cql_store.cql, monkeypatch, times=2, before=nothing)
    assert await docs.put(key, {"status": "queued"}, expected_version=0) == 1
    assert await docs.put(key, {"status": "done"}, expected_version=1) == 2
    found = await docs.get(key)
    assert found is not None and (found.doc, found.version) == ({"status": "done"}, 2)


async def test_a_rival_write_during_the_unknown_outcome_is_still_a_conflict(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs, key = cql_store.docs, run_key()
    assert await docs.put(key, {"status": "queued"}, expected_version=0) == 1
    real: Conditional = cql_store.cql.conditional

    async def rival_wins(text: str, params: Params) -> tuple[bool, Row | None]:
        # Another worker's update lands instead of ours (same statement, other document text).
        return await real(text, ('{"status":"cancelled"}', *params[1:]))

    losing_answers(cql_store.cql, monkeypatch, times=1, before=rival_wins)
    with pytest.raises(VersionConflict):
        await docs.put(key, {"status": "in_progress"}, expected_version=1)
    found = await docs.get(key)
    assert found is not None and found.doc == {"status": "cancelled"}


async def test_an_outcome_that_stays_unknown_is_a_503(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def nothing(text: str, params: Params) -> tuple[bool, Row | None]:
        return False, None

    losing_answers(cql_store.cql, monkeypatch, times=100, before=nothing)
    monkeypatch.setattr("storage.cassandra.documents.LWT_UNKNOWN_PAUSES", (0.01, 0.01))
    with pytest.raises(StorageUnavailable):
        await cql_store.docs.put(run_key(), {"status": "queued"}, expected_version=0)


def refusing_batchlog(cql: CqlSession, monkeypatch: pytest.MonkeyPatch, times: int) -> list[float]:
    """The next ``times`` logged batches time out writing their batchlog, as with a dead node."""
    real = cql._send
    refused: list[float] = []

    async def send(statement, params, profile, paging_state):  # type: ignore[no-untyped-def]
        if getattr(statement, "batch_type", None) is not None and len(refused) < times:
            refused.append(time.monotonic())
            raise WriteTimeout("batchlog timed out", write_type=WriteType.BATCH_LOG)
        return await real(statement, params, profile, paging_state)

    monkeypatch.setattr(cql, "_send", send)
    return refused


async def test_a_batch_refused_at_the_batchlog_is_sent_again_until_it_lands(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread = f"thread_{uuid.uuid4().hex}"
    keys = [Key("tenant-lost", Kind.MESSAGE, thread, f"msg_{i}") for i in range(3)]
    refused = refusing_batchlog(cql_store.cql, monkeypatch, times=3)
    began = time.monotonic()
    await cql_store.docs.write([Put(k, {"id": k.id, "run_id": "run_1"}) for k in keys])
    assert len(refused) == 3
    assert time.monotonic() - began >= sum(session_module.BATCHLOG_PAUSES[:3])
    for key in keys:
        found = await cql_store.docs.get(key)
        assert found is not None and found.doc == {"id": key.id, "run_id": "run_1"}


async def test_a_batchlog_refused_for_too_long_is_a_503(
    cql_store: CassandraStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session_module, "BATCHLOG_RETRY_SECONDS", 1.0)
    refusing_batchlog(cql_store.cql, monkeypatch, times=1000)
    thread = f"thread_{uuid.uuid4().hex}"
    keys = [Key("tenant-lost", Kind.MESSAGE, thread, f"msg_{i}") for i in range(2)]
    began = time.monotonic()
    with pytest.raises(StorageUnavailable):
        await cql_store.docs.write([Put(k, {"id": k.id, "run_id": "r"}) for k in keys])
    assert time.monotonic() - began < 2.0
    assert [await cql_store.docs.get(k) for k in keys] == [None, None]
