"""Fixtures shared by the whole suite: the fake LLM upstream and live servers per backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

from app.settings import Settings

# Live servers warm LiteLLM in a thread of this process; fixtures wait for it, so that no test's
# client timeout includes a seconds-long import on a busy machine.
from inference.loader import load_litellm
from tests.support import cassandra
from tests.support.live_server import LiveServer

BACKENDS = ["sqlite", "cassandra"]


@pytest.fixture(scope="session")
def upstream() -> Iterator[object]:
    from tests.upstream import start_upstream

    server = start_upstream()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def upstream_2(upstream) -> Iterator[object]:
    """The fake provider again, on 127.0.0.2 and the same port (outbound policy tests)."""
    from tests.upstream import start_upstream

    server = start_upstream(upstream.port, host="127.0.0.2")
    yield server
    server.stop()


def _store_url(backend: str, tmp: Path) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp / 'assistants.db'}"
    cassandra.require()
    return cassandra.store_url(cassandra.fresh_keyspace("e2e"))


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    backend = request.param
    url = _store_url(backend, tmp_path_factory.mktemp(f"server-{backend}"))
    settings = Settings(
        store=url, workers=1, max_upload_bytes=8 * 1024 * 1024, mcp_timeout_seconds=5.0
    )
    server = LiveServer(settings).start()
    server.backend = backend  # type: ignore[attr-defined]
    load_litellm()
    server.store_url = url  # type: ignore[attr-defined]
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory):
    tmp = tmp_path_factory.mktemp("server-sqlite-only")
    server = LiveServer(Settings(store=f"sqlite:///{tmp / 'a.db'}", workers=1)).start()
    load_litellm()
    yield server
    server.stop()
