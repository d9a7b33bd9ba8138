"""Search and ingestion through the domain API on a real store (sqlite and Cassandra)."""

from __future__ import annotations

import asyncio

import pytest

from assistants.errors import InvalidInput, NotFoundError
from assistants.retrieval import search
from assistants.vector_stores import service
from assistants.vector_stores.files import create_vector_store_file, list_files
from assistants.vector_stores.jobs import worker_of
from tests.assistants.retrieval.conftest import DIMENSIONS, upload
from tests.e2e.fixtures.corpus import corpus
from tests.upstream.embeddings import embed_text

SMALL = {"type": "static", "static": {"max_chunk_size_tokens": 100, "chunk_overlap_tokens": 20}}


async def _store_with(ctx, docs, **body):
    files = [await upload(ctx, doc.filename, doc.text) for doc in docs]
    store = await service.create_vector_store(
        ctx, {"file_ids": [f["id"] for f in files], "chunking_strategy": SMALL, **body}
    )
    await worker_of(ctx).drain()
    return store, files


async def test_ranks_the_answer_first_and_records_activity(ctx):
    docs = corpus()
    store, files = await _store_with(ctx, docs)
    done = await service.get_vector_store(ctx, store["id"])
    assert done["file_counts"]["completed"] == len(docs) and done["status"] == "completed"
    for doc, file in zip(docs, files, strict=True):
        results = await search(ctx, [store["id"]], doc.question, max_num_results=3)
        assert results[0].file_id == file["id"], doc.question
        assert doc.answer in results[0].texts[0]
        assert results[0].filename == doc.filename
        assert [r.score for r in results] == sorted((r.score for r in results), reverse=True)
    # Every query was embedded with the store's model.
    assert {model for model, _ in ctx.inference.calls} == {"text-embedding-3-small"}


async def test_store_model_is_used_for_files_and_queries(ctx):
    ctx.options = type("Options", (), {"embedding_model": "fake-embed-1536"})()
    store, _ = await _store_with(ctx, corpus()[:2])
    ctx.options = None  # later requests name another model: the store's still wins
    await search(ctx, [store["id"]], "lava")
    assert {model for model, _ in ctx.inference.calls} == {"fake-embed-1536"}


async def test_deleting_a_store_deletes_its_chunks_only(ctx):
    docs = corpus()[:3]
    first, _ = await _store_with(ctx, docs)
    second, _ = await _store_with(ctx, docs)
    probe = embed_text(docs[0].question, DIMENSIONS)
    assert await ctx.store.chunks.search(ctx.tenant, [first["id"]], probe, 5)
    await service.delete_vector_store(ctx, first["id"])
    assert await ctx.store.chunks.search(ctx.tenant, [first["id"]], probe, 5) == []
    assert len(await ctx.store.chunks.search(ctx.tenant, [second["id"]], probe, 5)) == 5
    with pytest.raises(NotFoundError):
        await search(ctx, [first["id"]], "lava")
    assert await search(ctx, [first["id"], second["id"]], "lava", strict=False)


async def test_parallel_ingestion_keeps_counts_exact(ctx):
    docs = corpus()
    store = await service.create_vector_store(ctx, {"name": "parallel"})
    files = await asyncio.gather(*(upload(ctx, d.filename, d.text) for d in docs))
    broken = await upload(ctx, "broken.pdf", b"%PDF-1.7 not really")
    await asyncio.gather(
        *(create_vector_store_file(ctx, store["id"], {"file_id": f["id"]}) for f in files),
        create_vector_store_file(ctx, store["id"], {"file_id": broken["id"]}),
    )
    await worker_of(ctx).drain()
    done = await service.get_vector_store(ctx, store["id"])
    assert done["file_counts"] == {
        "in_progress": 0, "completed": len(docs), "failed": 1, "cancelled": 0,
        "total": len(docs) + 1,
    }  # fmt: skip
    listed = await list_files(ctx, store["id"], {"limit": 100})
    assert done["usage_bytes"] == sum(f["usage_bytes"] for f in listed["data"])
    failed = await list_files(ctx, store["id"], {"filter": "failed"})
    assert [f["last_error"]["code"] for f in failed["data"]] == ["invalid_file"]


async def test_re_adding_a_file_replaces_it(ctx):
    doc = corpus()[0]
    store, (file,) = await _store_with(ctx, [doc])
    before = await service.get_vector_store(ctx, store["id"])
    await create_vector_store_file(ctx, store["id"], {"file_id": file["id"]})
    await worker_of(ctx).drain()
    after = await service.get_vector_store(ctx, store["id"])
    assert after["file_counts"] == before["file_counts"]
    assert after["usage_bytes"] == before["usage_bytes"]
    chunks = await ctx.store.chunks.file_chunks(ctx.tenant, store["id"], file["id"])
    # auto chunking this time: one chunk instead of the small ones
    assert len(chunks) == 1


async def test_limits(ctx):
    store, _ = await _store_with(ctx, corpus()[:1])
    for bad in ({"max_num_results": 51}, {"max_num_results": 0}):
        with pytest.raises(InvalidInput):
            await search(ctx, [store["id"]], "x", **bad)
    with pytest.raises(InvalidInput):
        await search(ctx, [store["id"]], "   ")
    with pytest.raises(InvalidInput):
        await search(ctx, [store["id"]], "x", ranking_options={"score_threshold": 2})


def _filler(tag: str, count: int) -> str:
    return " ".join(f"{tag}{chr(97 + i % 26)}{i}" for i in range(count))


# Crafted for the fake upstream's bag-of-words embeddings (every word counts, stopwords too) and
# keyword search (query terms only: "hearts", "octopus"). All texts have 22 words.
HYBRID_QUERY = "the hearts of the octopus"
HYBRID_DOCS = {
    # Closest by embedding (shares "the" and "of"), but holds no query term.
    "stopwords.txt": "the " * 8 + "of " * 6 + _filler("va", 8),
    # Both query terms, otherwise unrelated words: the best keyword match, far by embedding.
    "keywords.txt": "octopus hearts " + _filler("kk", 20),
    # Second by embedding and second by keywords: first once both are fused.
    "answer.txt": "the octopus " + "the " * 4 + "of " * 4 + _filler("dd", 12),
    **{
        f"other{i}.txt": "the " * (6 - i // 3) + "of " * 3 + _filler(f"v{i}x", 19 - (6 - i // 3))
        for i in range(2, 12)
    },
}


async def test_hybrid_finds_what_keyword_and_semantic_search_each_miss(ctx):
    files = {name: await upload(ctx, name, text) for name, text in HYBRID_DOCS.items()}
    store = await service.create_vector_store(
        ctx, {"file_ids": [f["id"] for f in files.values()], "chunking_strategy": SMALL}
    )
    await worker_of(ctx).drain()

    async def top(ranking_options: dict | None) -> str:
        results = await search(
            ctx, [store["id"]], HYBRID_QUERY, max_num_results=1, ranking_options=ranking_options
        )
        return results[0].filename

    assert await top({"ranker": "none"}) == "stopwords.txt"
    keyword_only = {"hybrid_search": {"embedding_weight": 0, "text_weight": 1}}
    assert await top(keyword_only) == "keywords.txt"
    assert await top(None) == "answer.txt"
    assert await top({"ranker": "auto", "score_threshold": 0.0}) == "answer.txt"
    fused = await search(ctx, [store["id"]], HYBRID_QUERY, max_num_results=3)
    assert fused[0].filename == "answer.txt"
    assert fused[0].score == pytest.approx((2 / 62) / (2 / 61))  # second in both lists
    assert {r.filename for r in fused[1:]} == {"stopwords.txt", "keywords.txt"}


async def test_without_keyword_search_results_are_semantic(ctx, monkeypatch):
    """A keyword index still being built (an upgraded Cassandra table) degrades to semantic."""
    from storage.errors import StorageUnavailable

    docs = corpus()[:4]
    store, files = await _store_with(ctx, docs)

    async def unavailable(*args, **kwargs):
        raise StorageUnavailable("index not available")

    monkeypatch.setattr(ctx.store.chunks, "keyword_search", unavailable)
    results = await search(ctx, [store["id"]], docs[1].question, max_num_results=2)
    assert results[0].file_id == files[1]["id"]
    semantic = await search(
        ctx, [store["id"]], docs[1].question, max_num_results=2, ranking_options={"ranker": "none"}
    )
    assert [r.file_id for r in results] == [r.file_id for r in semantic]
