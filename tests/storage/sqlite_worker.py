"""Run in a child process by the multi-process test; imports only what opening a store needs."""

from __future__ import annotations

import asyncio
from pathlib import Path

from storage.base import Key, Kind
from storage.settings import SqliteSettings
from storage.sqlite import SqliteProvider


def open_and_put(path: str, n: int) -> int:
    """Start the store on ``path``, write one document, close; return the document's version."""

    async def run() -> int:
        provider = SqliteProvider(SqliteSettings(path=Path(path)))
        await provider.start()
        store = await provider.for_request(None, None)
        version = await store.docs.put(Key("t", Kind.THREAD, "", f"thread_{n:03d}"), {"n": n})
        await provider.close()
        return version

    return asyncio.run(run())
