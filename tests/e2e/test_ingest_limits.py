"""Ingestion is bounded per file (a zip bomb fails fast) and shared fairly between tenants."""

from __future__ import annotations

import time

from tests.e2e.test_vector_stores import upload, wait_store
from tests.support.bombs import docx_bomb

SLOW_EMBEDDINGS = {"embedding-model": "fake-embed-slow-2000"}


def test_a_docx_zip_bomb_fails_with_a_clear_error_within_seconds(client):
    bomb = docx_bomb(100 * 1024 * 1024)
    assert len(bomb) < 400_000
    file_id = upload(client, "report.docx", bomb)
    started = time.monotonic()
    store = client.vector_stores.create(file_ids=[file_id])
    store = wait_store(client, store.id, timeout=20)
    assert time.monotonic() - started < 10
    assert store.file_counts.failed == 1
    failed = client.vector_stores.files.retrieve(file_id, vector_store_id=store.id)
    assert failed.status == "failed"
    assert failed.last_error.code == "invalid_file"
    assert "too large" in failed.last_error.message and "MiB of XML" in failed.last_error.message


def test_one_tenants_many_files_do_not_hold_up_another_tenants_file(client, other_client):
    busy = [upload(client, f"note{n}.txt", f"note number {n} " * 20) for n in range(24)]
    crowded = client.vector_stores.create(name="crowded", extra_headers=SLOW_EMBEDDINGS)
    client.vector_stores.file_batches.create(
        crowded.id, file_ids=busy, extra_headers=SLOW_EMBEDDINGS
    )
    single = upload(other_client, "mine.txt", "the other tenant's only file")
    mine = other_client.vector_stores.create(file_ids=[single])
    mine = wait_store(other_client, mine.id, timeout=30)
    assert mine.file_counts.completed == 1
    # Served while most of the first tenant's files still wait: not after all of them.
    waiting = client.vector_stores.retrieve(crowded.id).file_counts.in_progress
    assert waiting >= 8
    done = wait_store(client, crowded.id, timeout=90)
    assert done.file_counts.completed == 24
