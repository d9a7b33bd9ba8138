"""Contract: keyword search over chunk texts (``store.chunks.keyword_search``) on every backend."""

from __future__ import annotations

from collections.abc import Callable

from storage.base import Chunk, Store

NewId = Callable[[str], str]

TEXTS = {
    0: "Octopus hearts pump blue blood through the gills",
    1: "The octopus has eight arms and a soft body",
    2: "Blue whales have the largest hearts of any animal",
    3: "Volcanic lava flows reach very high temperatures",
}


def refs(hits: list) -> list[tuple[str, str, int]]:
    return [(h.vector_store_id, h.file_id, h.index) for h in hits]


async def _store(store: Store, tenant: str, vs: str, files: list[str]) -> None:
    chunks = [Chunk(files[i % 2], i, text, [1.0, float(i)]) for i, text in TEXTS.items()]
    await store.chunks.add(tenant, vs, chunks, 2)


async def test_chunks_with_more_query_terms_rank_first(
    store: Store, tenant: str, new_id: NewId
) -> None:
    vs, files = new_id("vs"), [new_id("file"), new_id("file")]
    await _store(store, tenant, vs, files)
    hits = await store.chunks.keyword_search(tenant, [vs], "Which OCTOPUS hearts?", 10)
    assert refs(hits)[0] == (vs, files[0], 0)  # the only chunk with both terms
    assert set(refs(hits)[1:]) == {(vs, files[1], 1), (vs, files[0], 2)}
    assert hits[0].text == TEXTS[0] and hits[0].metadata == {}
    assert hits[0].score > hits[1].score >= hits[2].score
    assert refs(await store.chunks.keyword_search(tenant, [vs], "octopus hearts", 1)) == [
        (vs, files[0], 0)
    ]


async def test_no_match_stopwords_and_case_folding(
    store: Store, tenant: str, new_id: NewId
) -> None:
    vs, files = new_id("vs"), [new_id("file"), new_id("file")]
    await _store(store, tenant, vs, files)
    await store.chunks.add(tenant, vs, [Chunk(files[0], 9, "Un café très crémeux", [0.0, 1.0])], 2)
    assert await store.chunks.keyword_search(tenant, [vs], "submarine", 5) == []
    assert await store.chunks.keyword_search(tenant, [vs], "the of and", 5) == []
    assert await store.chunks.keyword_search(tenant, [vs], "  ", 5) == []
    assert refs(await store.chunks.keyword_search(tenant, [vs], "CAFE cremeux", 5)) == [
        (vs, files[0], 9)
    ]


async def test_restricted_to_stores_files_and_tenant(
    store: Store, tenant: str, other_tenant: str, new_id: NewId
) -> None:
    vs_a, vs_b = new_id("vs"), new_id("vs")
    files = [new_id("file"), new_id("file")]
    await _store(store, tenant, vs_a, files)
    await store.chunks.add(tenant, vs_b, [Chunk(files[1], 0, "lava lava lava", [1.0, 0.0])], 2)
    both = await store.chunks.keyword_search(tenant, [vs_a, vs_b], "lava", 10)
    assert set(refs(both)) == {(vs_a, files[1], 3), (vs_b, files[1], 0)}
    only_a = await store.chunks.keyword_search(tenant, [vs_a], "lava", 10)
    assert refs(only_a) == [(vs_a, files[1], 3)]
    in_file = await store.chunks.keyword_search(tenant, [vs_a], "octopus", 10, {files[1]})
    assert refs(in_file) == [(vs_a, files[1], 1)]
    assert await store.chunks.keyword_search(tenant, [vs_a], "octopus", 10, []) == []
    assert await store.chunks.keyword_search(other_tenant, [vs_a, vs_b], "lava", 10) == []


async def test_rewrites_and_deletes_are_seen(store: Store, tenant: str, new_id: NewId) -> None:
    vs, files = new_id("vs"), [new_id("file"), new_id("file")]
    await _store(store, tenant, vs, files)
    await store.chunks.add(tenant, vs, [Chunk(files[1], 3, "granite and basalt", [1.0, 3.0])], 2)
    assert await store.chunks.keyword_search(tenant, [vs], "lava", 5) == []
    assert refs(await store.chunks.keyword_search(tenant, [vs], "basalt", 5)) == [(vs, files[1], 3)]
    await store.chunks.delete_file(tenant, vs, files[0])
    assert refs(await store.chunks.keyword_search(tenant, [vs], "octopus", 5)) == [
        (vs, files[1], 1)
    ]
    await store.chunks.delete_store(tenant, vs)
    assert await store.chunks.keyword_search(tenant, [vs], "octopus basalt", 5) == []


async def test_terms_in_too_many_chunks_are_left_out(
    store: Store, tenant: str, new_id: NewId, monkeypatch
) -> None:
    from storage.cassandra import chunks as cassandra_chunks
    from storage.sqlite import chunks as sqlite_chunks

    monkeypatch.setattr(sqlite_chunks, "MAX_TERM_CHUNKS", 2)
    monkeypatch.setattr(cassandra_chunks, "TERM_POSTINGS", 3)  # reads 3: more than 2 chunks
    vs, file_id = new_id("vs"), new_id("file")
    texts = ["common words", "common things", "common rare", "other"]
    chunks = [Chunk(file_id, i, text, [1.0, float(i)]) for i, text in enumerate(texts)]
    await store.chunks.add(tenant, vs, chunks, 2)
    assert refs(await store.chunks.keyword_search(tenant, [vs], "common rare", 5)) == [
        (vs, file_id, 2)
    ]
    assert await store.chunks.keyword_search(tenant, [vs], "common", 5) == []
