"""Domain-level fixtures: a real store per backend and a deterministic in-process embedder."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from assistants.context import Ctx
from assistants.files.service import create_file
from assistants.vector_stores.jobs import worker_of
from inference.base import EmbeddingResult
from storage.base import Json, StoreProvider
from storage.settings import SqliteSettings, parse_store_url
from storage.sqlite import SqliteProvider
from tests.support import cassandra
from tests.upstream.embeddings import embed_text

DIMENSIONS = 1536


class HashedEmbeddings:
    """The fake upstream's bag-of-words embeddings, without HTTP; counts its calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str | None, int]] = []

    async def embed(
        self, inputs: Sequence[str], model: str | None, options: Any, dimensions: int | None = None
    ) -> EmbeddingResult:
        texts = [inputs] if isinstance(inputs, str) else list(inputs)
        self.calls.append((model, len(texts)))
        vectors = [embed_text(text, DIMENSIONS) for text in texts]
        return EmbeddingResult(str(model), vectors, DIMENSIONS, {"prompt_tokens": 0})


@pytest.fixture(params=["sqlite", pytest.param("cassandra", marks=pytest.mark.cassandra)])
async def provider(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[StoreProvider]:
    if request.param == "sqlite":
        made: StoreProvider = SqliteProvider(SqliteSettings(path=tmp_path / "store.db"))
    else:
        cassandra.require()
        from storage.cassandra.provider import CassandraProvider

        settings = parse_store_url(cassandra.store_url(_keyspace()))
        made = CassandraProvider(settings)  # type: ignore[arg-type]
    await made.start()
    yield made
    await made.close()


_KEYSPACES: list[str] = []


def _keyspace() -> str:
    # One keyspace for the whole session: creating a keyspace takes seconds.
    if not _KEYSPACES:
        _KEYSPACES.append(cassandra.fresh_keyspace("retrieval"))
    return _KEYSPACES[0]


@pytest.fixture
async def ctx(provider: StoreProvider) -> AsyncIterator[Ctx]:
    made = Ctx(
        store=await provider.for_request(None, None),
        tenant=uuid.uuid4().hex,
        inference=HashedEmbeddings(),
        services={},
    )
    yield made
    await worker_of(made).drain()


async def upload(ctx: Ctx, name: str, text: str | bytes) -> Json:
    data = text.encode() if isinstance(text, str) else text
    return await create_file(ctx, io.BytesIO(data), name, "assistants")
