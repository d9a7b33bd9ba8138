"""Contract: file chunks and cosine search (``store.chunks``) on every backend."""

from __future__ import annotations

import math
import random
from collections.abc import Callable

import numpy as np
import pytest

from storage.base import Chunk, Store

NewId = Callable[[str], str]


def at_angle(degrees: float, length: float = 1.0) -> list[float]:
    radians = math.radians(degrees)
    return [length * math.cos(radians), length * math.sin(radians)]


def summary(hits: list) -> list[tuple[str, str, int]]:
    return [(h.vector_store_id, h.file_id, h.index) for h in hits]


async def test_file_chunks_round_trip_in_index_order(
    store: Store, tenant: str, new_id: NewId
) -> None:
    vs, file_id = new_id("vs"), new_id("file")
    rng = random.Random(3)
    chunks = [
        Chunk(file_id, i, f"chunk {i} — ✓ 😀", [rng.uniform(-1, 1) for _ in range(8)], {"page": i})
        for i in range(6)
    ]
    await store.chunks.add(tenant, vs, [chunks[i] for i in (3, 0, 5)], 8)
    await store.chunks.add(tenant, vs, [chunks[i] for i in (2, 4, 1)], 8)
    loaded = await store.chunks.file_chunks(tenant, vs, file_id)
    assert [c.index for c in loaded] == list(range(6))
    for got, want in zip(loaded, chunks, strict=True):
        assert (got.file_id, got.text, got.metadata) == (want.file_id, want.text, want.metadata)
        # Embeddings are stored as float32.
        assert list(got.embedding) == pytest.approx(list(want.embedding), rel=1e-6, abs=1e-7)
    assert await store.chunks.file_chunks(tenant, vs, new_id("file")) == []


async def test_add_same_index_replaces(store: Store, tenant: str, new_id: NewId) -> None:
    vs, file_id = new_id("vs"), new_id("file")
    await store.chunks.add(tenant, vs, [Chunk(file_id, 0, "old", [1.0, 0.0])], 2)
    await store.chunks.add(tenant, vs, [Chunk(file_id, 0, "new", [0.0, 1.0])], 2)
    loaded = await store.chunks.file_chunks(tenant, vs, file_id)
    assert [(c.index, c.text, list(c.embedding)) for c in loaded] == [(0, "new", [0.0, 1.0])]


async def test_delete_file_and_store(store: Store, tenant: str, new_id: NewId) -> None:
    vs_a, vs_b = new_id("vs"), new_id("vs")
    f1, f2 = new_id("file"), new_id("file")
    for vs in (vs_a, vs_b):
        for f in (f1, f2):
            await store.chunks.add(tenant, vs, [Chunk(f, i, "t", [1.0, i]) for i in range(2)], 2)
    await store.chunks.delete_file(tenant, vs_a, f1)
    assert await store.chunks.file_chunks(tenant, vs_a, f1) == []
    assert len(await store.chunks.file_chunks(tenant, vs_a, f2)) == 2
    assert len(await store.chunks.file_chunks(tenant, vs_b, f1)) == 2
    hits = await store.chunks.search(tenant, [vs_a], [1.0, 0.0], 10)
    assert {h.file_id for h in hits} == {f2}
    await store.chunks.delete_store(tenant, vs_b)
    assert await store.chunks.search(tenant, [vs_b], [1.0, 0.0], 10) == []
    assert await store.chunks.file_chunks(tenant, vs_b, f2) == []
    assert len(await store.chunks.search(tenant, [vs_a, vs_b], [1.0, 0.0], 10)) == 2


async def test_search_across_stores_best_first(store: Store, tenant: str, new_id: NewId) -> None:
    vs_a, vs_b, vs_c = new_id("vs"), new_id("vs"), new_id("vs")
    f1, f2, f3 = new_id("file"), new_id("file"), new_id("file")
    placed = {  # angle from the query -> where the chunk lives; lengths vary, cosine ignores them
        10.0: (vs_b, f2, 0, 3.0),
        20.0: (vs_a, f1, 4, 0.5),
        35.0: (vs_c, f3, 1, 1.0),
        50.0: (vs_a, f1, 0, 2.0),
        80.0: (vs_b, f2, 7, 1.0),
        120.0: (vs_c, f3, 2, 9.0),
        170.0: (vs_a, f1, 9, 1.0),
    }
    for angle, (vs, f, index, length) in placed.items():
        chunk = Chunk(f, index, f"at {angle}", at_angle(angle, length), {"angle": angle})
        await store.chunks.add(tenant, vs, [chunk], 2)
    query = at_angle(0.0, 7.0)
    hits = await store.chunks.search(tenant, [vs_a, vs_b, vs_c], query, 4)
    angles = sorted(placed)
    assert summary(hits) == [placed[a][:3] for a in angles[:4]]
    for hit, angle in zip(hits, angles, strict=False):
        assert hit.score == pytest.approx(math.cos(math.radians(angle)), abs=1e-5)
        assert (hit.text, hit.metadata) == (f"at {angle}", {"angle": angle})
    everything = await store.chunks.search(tenant, [vs_c, vs_a, vs_b], query, 50)
    assert summary(everything) == [placed[a][:3] for a in angles]
    assert everything[-1].score == pytest.approx(math.cos(math.radians(170.0)), abs=1e-5)
    only_a = await store.chunks.search(tenant, [vs_a], query, 10)
    assert summary(only_a) == [(vs_a, f1, 4), (vs_a, f1, 0), (vs_a, f1, 9)]


async def test_search_restricted_to_files(store: Store, tenant: str, new_id: NewId) -> None:
    vs_a, vs_b = new_id("vs"), new_id("vs")
    f1, f2, f3 = new_id("file"), new_id("file"), new_id("file")
    await store.chunks.add(
        tenant, vs_a, [Chunk(f1, 0, "a1", at_angle(5)), Chunk(f2, 0, "a2", at_angle(10))], 2
    )
    await store.chunks.add(
        tenant, vs_b, [Chunk(f3, 0, "b3", at_angle(1)), Chunk(f2, 1, "b2", at_angle(20))], 2
    )
    hits = await store.chunks.search(tenant, [vs_a, vs_b], at_angle(0), 10, file_ids={f2})
    assert summary(hits) == [(vs_a, f2, 0), (vs_b, f2, 1)]
    hits = await store.chunks.search(tenant, [vs_a, vs_b], at_angle(0), 2, file_ids=[f1, f3])
    assert summary(hits) == [(vs_b, f3, 0), (vs_a, f1, 0)]
    assert await store.chunks.search(tenant, [vs_a, vs_b], at_angle(0), 5, file_ids=[]) == []
    assert await store.chunks.search(tenant, [], at_angle(0), 5) == []


async def test_ties_break_by_store_file_and_index(store: Store, tenant: str, new_id: NewId) -> None:
    vs_a, vs_b = new_id("vs"), new_id("vs")
    f1, f2, f9 = new_id("file"), new_id("file"), new_id("file")
    same = [0.6, 0.8, 0.0, 0.25]
    await store.chunks.add(tenant, vs_b, [Chunk(f2, 1, "t", same), Chunk(f1, 0, "t", same)], 4)
    await store.chunks.add(
        tenant,
        vs_a,
        [Chunk(f9, 0, "t", same), Chunk(f1, 3, "t", same), Chunk(f1, 1, "t", [0.0, 0.0, 1.0, 0.0])],
        4,
    )
    query = [0.3, 0.1, 0.2, 0.9]
    hits = await store.chunks.search(tenant, [vs_b, vs_a], query, 3)
    assert summary(hits) == [(vs_a, f1, 3), (vs_a, f9, 0), (vs_b, f1, 0)]
    assert len({h.score for h in hits}) == 1
    hits = await store.chunks.search(tenant, [vs_b, vs_a], query, 10)
    assert summary(hits)[:4] == [(vs_a, f1, 3), (vs_a, f9, 0), (vs_b, f1, 0), (vs_b, f2, 1)]


async def test_search_matches_brute_force(store: Store, tenant: str, new_id: NewId) -> None:
    rng = np.random.default_rng(11)
    stores = [new_id("vs") for _ in range(3)]
    files = [new_id("file") for _ in range(4)]
    rows = []
    for n in range(240):
        vs, f = stores[n % 3], files[n % 4]
        rows.append((vs, f, n, rng.standard_normal(16).astype(np.float32)))
    for vs in stores:
        chunks = [Chunk(f, n, f"c{n}", v.tolist()) for s, f, n, v in rows if s == vs]
        await store.chunks.add(tenant, vs, chunks, 16)
    query = rng.standard_normal(16).astype(np.float32)
    matrix = np.stack([v for *_, v in rows]).astype(np.float64)
    cosines = matrix @ query / (np.linalg.norm(matrix, axis=1) * np.linalg.norm(query))
    best = np.argsort(-cosines)[:10]
    hits = await store.chunks.search(tenant, stores, query.tolist(), 10)
    assert summary(hits) == [rows[i][:3] for i in best]
    assert [h.score for h in hits] == pytest.approx(cosines[best].tolist(), abs=1e-5)


async def test_tenants_are_isolated(
    store: Store, tenant: str, other_tenant: str, new_id: NewId
) -> None:
    vs, file_id = new_id("vs"), new_id("file")
    await store.chunks.add(tenant, vs, [Chunk(file_id, 0, "mine", [1.0, 0.0])], 2)
    assert await store.chunks.search(other_tenant, [vs], [1.0, 0.0], 5) == []
    assert await store.chunks.file_chunks(other_tenant, vs, file_id) == []
    await store.chunks.delete_store(other_tenant, vs)
    await store.chunks.delete_file(other_tenant, vs, file_id)
    await store.chunks.add(other_tenant, vs, [Chunk(file_id, 0, "theirs", [0.0, 1.0])], 2)
    hits = await store.chunks.search(tenant, [vs], [1.0, 0.0], 5)
    assert [(h.text, h.score) for h in hits] == [("mine", pytest.approx(1.0))]


async def test_zero_embeddings_are_kept_and_score_zero(
    store: Store, tenant: str, new_id: NewId
) -> None:
    vs, file_id = new_id("vs"), new_id("file")
    chunks = [Chunk(file_id, 0, "empty", [0.0, 0.0, 0.0]), Chunk(file_id, 1, "x", [2.0, 0.0, 0.0])]
    await store.chunks.add(tenant, vs, chunks, 3)
    hits = await store.chunks.search(tenant, [vs], [1.0, 1.0, 0.0], 5)
    assert [(h.text, round(h.score, 5)) for h in hits] == [("x", 0.70711), ("empty", 0.0)]
    loaded = await store.chunks.file_chunks(tenant, vs, file_id)
    assert [list(c.embedding) for c in loaded] == [[0.0, 0.0, 0.0], [2.0, 0.0, 0.0]]
