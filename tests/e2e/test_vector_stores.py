"""Vector stores, their files, batches and search through the openai SDK."""

from __future__ import annotations

import time

import openai
import pytest

from tests.e2e.fixtures.corpus import corpus

SMALL_CHUNKS = {
    "type": "static",
    "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20},
}
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8


def wait_store(client, store_id: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while True:
        store = client.vector_stores.retrieve(store_id)
        if store.status != "in_progress" or time.monotonic() > deadline:
            return store
        time.sleep(0.05)


def upload(client, name: str, data: bytes | str) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return client.files.create(file=(name, raw), purpose="assistants").id


def test_create_retrieve_modify_delete(client):
    store = client.vector_stores.create(
        name="docs",
        metadata={"team": "search"},
        expires_after={"anchor": "last_active_at", "days": 3},
    )
    assert store.id.startswith("vs_") and store.object == "vector_store"
    assert store.status == "completed" and store.usage_bytes == 0
    assert store.file_counts.model_dump() == {
        "in_progress": 0, "completed": 0, "failed": 0, "cancelled": 0, "total": 0,
    }  # fmt: skip
    assert store.expires_after.days == 3
    assert store.expires_at == store.last_active_at + 3 * 86400
    assert client.vector_stores.retrieve(store.id).model_dump() == store.model_dump()
    renamed = client.vector_stores.update(
        store.id,
        name="renamed",
        metadata={"v": "2"},
        expires_after={"anchor": "last_active_at", "days": 9},
    )
    assert renamed.name == "renamed" and renamed.metadata == {"v": "2"}
    assert renamed.expires_at == renamed.last_active_at + 9 * 86400
    cleared = client.vector_stores.update(store.id, expires_after=None)
    assert cleared.expires_after is None and cleared.expires_at is None
    assert cleared.name == "renamed"
    result = client.vector_stores.delete(store.id)
    assert result.model_dump() == {
        "id": store.id,
        "object": "vector_store.deleted",
        "deleted": True,
    }
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.retrieve(store.id)


def test_list_walks_pages(client):
    ids = [client.vector_stores.create(name=f"s{i}").id for i in range(5)]
    assert [s.id for s in client.vector_stores.list(limit=2)] == ids[::-1]
    assert [s.id for s in client.vector_stores.list(limit=2, order="asc")] == ids
    page = client.vector_stores.list(limit=2, after=ids[3])
    assert [s.id for s in page.data] == ids[2::-1][:2] and page.has_more
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.list(limit=101)


def test_counts_usage_and_status_after_ingestion(client):
    texts = {"a.txt": "alpha " * 300, "b.md": "# Beta\n\nbeta words", "c.html": "<p>gamma</p>"}
    file_ids = [upload(client, name, text) for name, text in texts.items()]
    png = upload(client, "pixel.png", PNG)
    store = client.vector_stores.create(name="counted", file_ids=[*file_ids, png])
    assert store.file_counts.total == 4
    store = wait_store(client, store.id)
    assert store.status == "completed"
    assert store.file_counts.model_dump() == {
        "in_progress": 0, "completed": 3, "failed": 1, "cancelled": 0, "total": 4,
    }  # fmt: skip
    files = list(client.vector_stores.files.list(store.id))
    assert store.usage_bytes == sum(f.usage_bytes for f in files) > 0
    assert {f.id for f in files} == {*file_ids, png}
    completed = client.vector_stores.files.list(store.id, filter="completed")
    assert {f.id for f in completed} == set(file_ids)
    failed = list(client.vector_stores.files.list(store.id, filter="failed"))
    assert [f.id for f in failed] == [png]


def test_unsupported_file_fails_the_vector_store_file_not_the_upload(client):
    png = upload(client, "picture.png", PNG)
    assert client.files.retrieve(png).status == "processed"
    store = client.vector_stores.create(name="images")
    result = client.vector_stores.files.create_and_poll(
        vector_store_id=store.id, file_id=png, poll_interval_ms=50
    )
    assert result.status == "failed"
    assert result.last_error.code == "unsupported_file" and result.last_error.message
    assert result.usage_bytes == 0
    assert client.files.content(png).read() == PNG
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.failed == 1 and store.status == "completed"


def test_upload_and_poll_with_attributes_and_static_chunking(client):
    store = client.vector_stores.create(name="upload")
    doc = corpus()[0]
    result = client.vector_stores.files.upload_and_poll(
        vector_store_id=store.id,
        file=(doc.filename, doc.text.encode()),
        chunking_strategy=SMALL_CHUNKS,
        poll_interval_ms=50,
    )
    assert result.status == "completed" and result.last_error is None
    assert result.object == "vector_store.file" and result.vector_store_id == store.id
    assert result.chunking_strategy.model_dump() == SMALL_CHUNKS
    updated = client.vector_stores.files.update(
        result.id, vector_store_id=store.id, attributes={"year": 2024, "draft": False, "by": "me"}
    )
    assert updated.attributes == {"year": 2024, "draft": False, "by": "me"}
    fetched = client.vector_stores.files.retrieve(result.id, vector_store_id=store.id)
    assert fetched.attributes == updated.attributes
    content = list(client.vector_stores.files.content(result.id, vector_store_id=store.id))
    assert len(content) >= 2 and all(part.type == "text" for part in content)
    assert content[0].text.startswith("This handbook chapter")
    assert doc.answer in " ".join(part.text for part in content)


def test_default_chunking_is_reported_as_auto_values(client):
    store = client.vector_stores.create(name="auto")
    file_id = upload(client, "plain.txt", "some text")
    created = client.vector_stores.files.create(vector_store_id=store.id, file_id=file_id)
    assert created.status == "in_progress"
    assert created.chunking_strategy.model_dump() == {
        "type": "static", "static": {"max_chunk_size_tokens": 800, "chunk_overlap_tokens": 400},
    }  # fmt: skip


def test_invalid_chunking_is_400(client):
    store = client.vector_stores.create(name="bad chunking")
    file_id = upload(client, "plain.txt", "some text")
    for static in ({"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 60},
                   {"max_chunk_size_tokens": 50, "chunk_overlap_tokens": 0}):  # fmt: skip
        with pytest.raises(openai.BadRequestError):
            client.vector_stores.files.create(
                vector_store_id=store.id,
                file_id=file_id,
                chunking_strategy={"type": "static", "static": static},
            )


def test_file_batches(client):
    store = client.vector_stores.create(name="batches")
    batch = client.vector_stores.file_batches.upload_and_poll(
        store.id,
        files=[("one.txt", b"first document"), ("two.md", b"# second"), ("x.png", PNG)],
        poll_interval_ms=50,
    )
    assert batch.object == "vector_store.files_batch" and batch.vector_store_id == store.id
    assert batch.status == "completed"
    assert batch.file_counts.model_dump() == {
        "in_progress": 0, "completed": 2, "failed": 1, "cancelled": 0, "total": 3,
    }  # fmt: skip
    assert client.vector_stores.file_batches.retrieve(batch.id, vector_store_id=store.id) == batch
    listed = client.vector_stores.file_batches.list_files(batch.id, vector_store_id=store.id)
    assert len(listed.data) == 3
    failed = client.vector_stores.file_batches.list_files(
        batch.id, vector_store_id=store.id, filter="failed"
    )
    assert [f.last_error.code for f in failed] == ["unsupported_file"]
    ids = [upload(client, f"p{i}.txt", f"page {i}") for i in range(3)]
    per_file = client.vector_stores.file_batches.create_and_poll(
        store.id,
        files=[{"file_id": f, "attributes": {"n": i}} for i, f in enumerate(ids)],
        poll_interval_ms=50,
    )
    assert per_file.file_counts.completed == 3
    walked = client.vector_stores.file_batches.list_files(
        per_file.id, vector_store_id=store.id, limit=1
    )
    assert sorted(f.attributes["n"] for f in walked) == [0, 1, 2]
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.total == 6 and store.file_counts.completed == 5


def test_a_batch_naming_a_missing_file_is_refused_for_the_first_one_missing(client):
    store = client.vector_stores.create(name="partly missing")
    present = upload(client, "present.txt", "Basalt is a volcanic rock.")
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.file_batches.create(
            store.id, file_ids=[present, present, "file-missing-a", "file-missing-b"]
        )
    assert caught.value.body["param"] == "file_ids[2]"
    assert "file-missing-a" in caught.value.message
    assert client.vector_stores.files.list(store.id).data == []


def test_a_batch_over_the_limit_is_refused_for_its_count(client):
    store = client.vector_stores.create(name="big batch")
    too_many = [f"file-{i:04d}" for i in range(2001)]
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(store.id, file_ids=too_many)
    assert caught.value.param == "file_ids"
    assert "2000" in caught.value.message and "2001" in caught.value.message
    assert len(caught.value.message) < 300
    with pytest.raises(openai.BadRequestError) as caught:
        client.vector_stores.file_batches.create(store.id, files=[{"file_id": f} for f in too_many])
    assert caught.value.param == "files"
    with pytest.raises(openai.NotFoundError) as caught:
        client.vector_stores.file_batches.create(store.id, file_ids=too_many[:600])
    assert caught.value.body["param"] == "file_ids[0]"
    assert client.vector_stores.files.list(store.id).data == []


def test_cancel_a_batch(client):
    slow = client.with_options(
        default_headers={**client.default_headers, "embedding-model": "slow-700-embed"}
    )
    store = slow.vector_stores.create(name="slow")
    ids = [upload(client, f"s{i}.txt", f"slow text {i}") for i in range(3)]
    batch = slow.vector_stores.file_batches.create(store.id, file_ids=ids)
    assert batch.status == "in_progress" and batch.file_counts.in_progress == 3
    cancelled = slow.vector_stores.file_batches.cancel(batch.id, vector_store_id=store.id)
    assert cancelled.status == "cancelled"
    assert cancelled.file_counts.cancelled == 3 and cancelled.file_counts.in_progress == 0
    time.sleep(1.0)  # the running jobs finish their embedding call and must discard it
    files = list(client.vector_stores.files.list(store.id))
    assert {f.status for f in files} == {"cancelled"}
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.cancelled == 3 and store.status == "completed"
    assert client.vector_stores.files.content(ids[0], vector_store_id=store.id).data == []


def test_one_files_embedding_calls_run_side_by_side_and_chunks_keep_their_order(client, upstream):
    """A file of 6 embedding batches (128 chunks each) against a provider taking 1 s per call:
    4 calls are made at once, the rest as earlier ones return; the index keeps file order."""
    slow = client.with_options(
        default_headers={**client.default_headers, "embedding-model": "fake-embed-8-slow-1000"}
    )
    words = " ".join(f"w{n}" for n in range(19_000))  # ~700 chunks of 100 tokens
    store = slow.vector_stores.create(name="wide")
    file_id = upload(client, "wide.txt", words)
    done = slow.vector_stores.files.create_and_poll(
        file_id=file_id,
        vector_store_id=store.id,
        chunking_strategy=SMALL_CHUNKS,  # type: ignore[arg-type]
        poll_interval_ms=200,
    )
    assert done.status == "completed", done.last_error
    calls = sorted(
        upstream.requests.where(
            lambda r: r.path == "/v1/embeddings" and r.api_key == client.api_key
        ),
        key=lambda r: r.received_at,
    )
    assert len(calls) >= 5
    started = [r.received_at - calls[0].received_at for r in calls]
    assert max(started[:4]) < 0.6  # the first 4 at once, not 1 s apart
    assert started[4] >= 0.9  # the 5th once the first returned
    parts = list(slow.vector_stores.files.content(file_id, vector_store_id=store.id))
    assert "".join(p.text for p in parts[:3]).split()[:3] == ["w0", "w1", "w2"]


@pytest.fixture
def corpus_store(client):
    docs = corpus()
    file_ids = [upload(client, doc.filename, doc.text) for doc in docs]
    store = client.vector_stores.create(name="corpus", chunking_strategy=SMALL_CHUNKS)
    batch = client.vector_stores.file_batches.create_and_poll(
        store.id,
        files=[
            {"file_id": f, "attributes": {"topic": d.filename[:-4], "rank": i, "even": i % 2 == 0}}
            for i, (f, d) in enumerate(zip(file_ids, docs, strict=True))
        ],
        chunking_strategy=SMALL_CHUNKS,
        poll_interval_ms=50,
    )
    assert batch.file_counts.completed == len(docs)
    return store.id, dict(zip(file_ids, docs, strict=True))


def test_search_ranks_the_answer_first(client, corpus_store):
    store_id, docs = corpus_store
    by_name = {doc.filename: file_id for file_id, doc in docs.items()}
    assert len(docs) >= 20
    for doc in docs.values():
        page = client.vector_stores.search(store_id, query=doc.question, max_num_results=5)
        assert page.search_query == [doc.question]
        top = page.data[0]
        assert top.file_id == by_name[doc.filename], doc.question
        assert top.filename == doc.filename
        assert doc.answer in top.content[0].text
        assert 0 <= page.data[-1].score <= top.score <= 1
        assert len(page.data) == 5


def test_search_options(client, corpus_store):
    store_id, docs = corpus_store
    doc = next(iter(docs.values()))
    several = client.vector_stores.search(
        store_id, query=[doc.question, "octopus hearts"], max_num_results=3, rewrite_query=True
    )
    assert several.search_query == [doc.question, "octopus hearts"]
    assert {r.filename for r in several.data} >= {doc.filename, "octopus.txt"}
    assert len(client.vector_stores.search(store_id, query="lava", max_num_results=1).data) == 1
    # Without re-ranking the score is the cosine similarity, below 0.99 for every chunk here.
    none = client.vector_stores.search(
        store_id, query=doc.question, ranking_options={"ranker": "none", "score_threshold": 0.99}
    )
    assert none.data == []
    # Hybrid (the default): only a chunk ranked first both semantically and by keywords scores
    # above 0.992 (first in one list and second in the other).
    best = client.vector_stores.search(
        store_id, query=doc.question, ranking_options={"ranker": "auto", "score_threshold": 0.995}
    )
    assert len(best.data) <= 1 and all(r.score >= 0.995 for r in best.data)
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.search(store_id, query="x", max_num_results=51)
    with pytest.raises(openai.BadRequestError):
        client.vector_stores.search(store_id, query="x", max_num_results=0)


def test_search_attribute_filters(client, corpus_store):
    store_id, _ = corpus_store
    query = "What temperature do Kilauea lava flows reach?"

    def topics(filters) -> set[str]:
        page = client.vector_stores.search(
            store_id, query=query, filters=filters, max_num_results=50
        )
        return {r.attributes["topic"] for r in page.data}

    assert topics({"type": "eq", "key": "topic", "value": "bees"}) == {"bees"}
    assert "volcano" not in topics({"type": "ne", "key": "topic", "value": "volcano"})
    assert topics({"type": "lt", "key": "rank", "value": 2}) == {"volcano", "bees"}
    assert topics({"type": "gte", "key": "rank", "value": 22}) == {"hurricanes", "origami"}
    assert topics({"type": "in", "key": "topic", "value": ["tea", "chess"]}) == {"tea", "chess"}
    assert topics({"type": "eq", "key": "even", "value": True}) >= {"volcano", "rust"}
    assert "bees" not in topics({"type": "eq", "key": "even", "value": True})
    compound = {
        "type": "and",
        "filters": [
            {"type": "lte", "key": "rank", "value": 5},
            {"type": "or", "filters": [
                {"type": "eq", "key": "topic", "value": "rust"},
                {"type": "nin", "key": "topic", "value": ["volcano", "bees", "rust", "sourdough"]},
            ]},
        ],
    }  # fmt: skip
    assert topics(compound) == {"rust", "trench", "chess"}
    assert topics({"type": "eq", "key": "missing", "value": "x"}) == set()
    page = client.vector_stores.search(
        store_id, query=query, filters={"type": "eq", "key": "topic", "value": "volcano"}
    )
    assert page.data[0].attributes == {"topic": "volcano", "rank": 0, "even": True}


def test_search_marks_the_store_active(client):
    store = client.vector_stores.create(
        name="active", expires_after={"anchor": "last_active_at", "days": 1}
    )
    time.sleep(1.1)  # timestamps are in seconds
    client.vector_stores.search(store.id, query="anything")
    later = client.vector_stores.retrieve(store.id)
    assert later.last_active_at > store.last_active_at
    assert later.expires_at == later.last_active_at + 86400


def test_deleting_a_store_file_removes_its_chunks_not_the_file(client):
    doc = corpus()[4]
    file_id = upload(client, doc.filename, doc.text)
    store = client.vector_stores.create(name="detach", file_ids=[file_id])
    wait_store(client, store.id)
    assert client.vector_stores.search(store.id, query=doc.question).data[0].file_id == file_id
    result = client.vector_stores.files.delete(file_id, vector_store_id=store.id)
    assert result.model_dump() == {
        "id": file_id,
        "object": "vector_store.file.deleted",
        "deleted": True,
    }
    assert client.vector_stores.search(store.id, query=doc.question).data == []
    assert client.files.retrieve(file_id).id == file_id
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.total == 0 and store.usage_bytes == 0
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.retrieve(file_id, vector_store_id=store.id)


def test_deleting_a_store_leaves_other_stores_searchable(client):
    doc = corpus()[6]
    file_id = upload(client, doc.filename, doc.text)
    first = client.vector_stores.create(name="first", file_ids=[file_id])
    second = client.vector_stores.create(name="second", file_ids=[file_id])
    wait_store(client, first.id)
    wait_store(client, second.id)
    client.vector_stores.delete(first.id)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.search(first.id, query=doc.question)
    with pytest.raises(openai.NotFoundError):
        client.vector_stores.files.list(first.id)
    hit = client.vector_stores.search(second.id, query=doc.question).data[0]
    assert hit.file_id == file_id and doc.answer in hit.content[0].text


def test_deleting_a_file_detaches_it_from_its_stores(client):
    doc = corpus()[7]
    file_id = upload(client, doc.filename, doc.text)
    store = client.vector_stores.create(name="owner", file_ids=[file_id])
    wait_store(client, store.id)
    client.files.delete(file_id)
    store = client.vector_stores.retrieve(store.id)
    assert store.file_counts.total == 0 and store.usage_bytes == 0
    assert client.vector_stores.search(store.id, query=doc.question).data == []


def test_files_attached_to_messages_go_into_the_thread_store(client):
    first = upload(client, "first.txt", corpus()[8].text)
    thread = client.beta.threads.create(
        messages=[{
            "role": "user", "content": "read this",
            "attachments": [{"file_id": first, "tools": [{"type": "file_search"}]}],
        }]
    )  # fmt: skip
    # Read back: the create response shows the thread as it was before its store was made.
    store_ids = client.beta.threads.retrieve(thread.id).tool_resources.file_search.vector_store_ids
    assert len(store_ids) == 1
    store = client.vector_stores.retrieve(store_ids[0])
    assert store.expires_after.model_dump() == {"anchor": "last_active_at", "days": 7}
    second = upload(client, "second.txt", corpus()[9].text)
    client.beta.threads.messages.create(
        thread.id,
        role="user",
        content="and this",
        attachments=[{"file_id": second, "tools": [{"type": "file_search"}]}],
    )
    thread = client.beta.threads.retrieve(thread.id)
    assert thread.tool_resources.file_search.vector_store_ids == store_ids
    store = wait_store(client, store_ids[0])
    assert store.file_counts.completed == 2


@pytest.mark.parametrize("bad_id", ["nope", "vs_" + "0" * 24, "file-x"])
def test_malformed_ids_are_404(client, bad_id):
    store = client.vector_stores.create(name="real")
    file_id = upload(client, "a.txt", "text")
    calls = [
        lambda: client.vector_stores.retrieve(bad_id),
        lambda: client.vector_stores.update(bad_id, name="x"),
        lambda: client.vector_stores.delete(bad_id),
        lambda: client.vector_stores.search(bad_id, query="x"),
        lambda: client.vector_stores.files.list(bad_id),
        lambda: client.vector_stores.files.create(vector_store_id=bad_id, file_id=file_id),
        lambda: client.vector_stores.files.create(vector_store_id=store.id, file_id=bad_id),
        lambda: client.vector_stores.files.retrieve(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.files.update(bad_id, vector_store_id=store.id, attributes={}),
        lambda: client.vector_stores.files.delete(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.files.content(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.file_batches.retrieve(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.file_batches.cancel(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.file_batches.list_files(bad_id, vector_store_id=store.id),
        lambda: client.vector_stores.file_batches.create(store.id, file_ids=[bad_id]),
        lambda: client.vector_stores.create(name="x", file_ids=[bad_id]),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError):
            call()
    assert [s.name for s in client.vector_stores.list()] == ["real"]


def test_other_tenants_get_404_everywhere(client, other_client):
    doc = corpus()[10]
    file_id = upload(client, doc.filename, doc.text)
    store = client.vector_stores.create(name="private")
    batch = client.vector_stores.file_batches.create_and_poll(
        store.id, file_ids=[file_id], poll_interval_ms=50
    )
    other_file = upload(other_client, "theirs.txt", "their text")
    other = other_client.vector_stores
    calls = [
        lambda: other.retrieve(store.id),
        lambda: other.update(store.id, name="stolen"),
        lambda: other.delete(store.id),
        lambda: other.search(store.id, query=doc.question),
        lambda: other.files.list(store.id),
        lambda: other.files.create(vector_store_id=store.id, file_id=other_file),
        lambda: other.files.retrieve(file_id, vector_store_id=store.id),
        lambda: other.files.update(file_id, vector_store_id=store.id, attributes={"a": 1}),
        lambda: other.files.delete(file_id, vector_store_id=store.id),
        lambda: other.files.content(file_id, vector_store_id=store.id),
        lambda: other.file_batches.retrieve(batch.id, vector_store_id=store.id),
        lambda: other.file_batches.cancel(batch.id, vector_store_id=store.id),
        lambda: other.file_batches.list_files(batch.id, vector_store_id=store.id),
        lambda: other.file_batches.create(store.id, file_ids=[other_file]),
    ]
    for call in calls:
        with pytest.raises(openai.NotFoundError):
            call()
    mine = other.create(name="theirs")
    with pytest.raises(openai.NotFoundError):
        other.files.create(vector_store_id=mine.id, file_id=file_id)  # my file, their store
    assert [s.id for s in other.list()] == [mine.id]
    store_now = client.vector_stores.retrieve(store.id)
    assert store_now.name == "private" and store_now.file_counts.completed == 1
    assert client.vector_stores.search(store.id, query=doc.question).data[0].file_id == file_id


async def test_async_client(aclient):
    doc = corpus()[11]
    store = await aclient.vector_stores.create(name="async")
    result = await aclient.vector_stores.files.upload_and_poll(
        vector_store_id=store.id, file=(doc.filename, doc.text.encode()), poll_interval_ms=50
    )
    assert result.status == "completed"
    page = await aclient.vector_stores.search(store.id, query=doc.question)
    assert doc.answer in page.data[0].content[0].text
    batch = await aclient.vector_stores.file_batches.upload_and_poll(
        store.id, files=[("b.txt", b"batch text")], poll_interval_ms=50
    )
    assert batch.file_counts.completed == 1
    assert len([f async for f in aclient.vector_stores.files.list(store.id, limit=1)]) == 2
    assert (await aclient.vector_stores.delete(store.id)).deleted is True
