"""Files through the openai SDK: upload, list, retrieve, download byte-identical, delete."""

from __future__ import annotations

import os

import openai
import pytest

PURPOSES = ["assistants", "user_data", "vision", "batch", "fine-tune", "evals"]


def test_upload_and_retrieve(client):
    created = client.files.create(file=("notes ✓.txt", b"hello files\n"), purpose="assistants")
    assert created.id.startswith("file-")
    assert created.object == "file"
    assert created.filename == "notes ✓.txt"
    assert created.bytes == 12
    assert created.purpose == "assistants"
    assert created.status == "processed"
    assert created.expires_at is None
    assert created.model_extra["embedding_model"] == "text-embedding-3-small"
    fetched = client.files.retrieve(created.id)
    assert fetched.model_dump() == created.model_dump()


def test_embedding_model_header_is_recorded(client):
    created = client.files.create(
        file=("a.txt", b"x"),
        purpose="assistants",
        extra_headers={"embedding-model": "fake-embed-384"},
    )
    assert created.model_extra["embedding_model"] == "fake-embed-384"
    assert client.files.retrieve(created.id).model_extra["embedding_model"] == "fake-embed-384"


@pytest.mark.parametrize("purpose", PURPOSES)
def test_every_purpose(client, purpose):
    created = client.files.create(file=("data.jsonl", b'{"a": 1}\n'), purpose=purpose)
    assert created.purpose == purpose
    if purpose == "batch":
        # OpenAI's default: batch files expire after 30 days.
        assert created.expires_at == created.created_at + 30 * 86400


def test_expires_after(client):
    created = client.files.create(
        file=("a.txt", b"x"),
        purpose="user_data",
        expires_after={"anchor": "created_at", "seconds": 3600},
    )
    assert created.expires_at == created.created_at + 3600
    assert client.files.retrieve(created.id).expires_at == created.expires_at


def test_invalid_purpose_and_expiry_are_400(client):
    with pytest.raises(openai.BadRequestError):
        client.files.create(file=("a.txt", b"x"), purpose="nonsense")  # type: ignore[arg-type]
    with pytest.raises(openai.BadRequestError):
        client.files.create(
            file=("a.txt", b"x"),
            purpose="user_data",
            expires_after={"anchor": "created_at", "seconds": 60},
        )


def test_list_walks_pages_and_filters_by_purpose(client):
    ids = [client.files.create(file=(f"f{i}.txt", b"x"), purpose="assistants").id for i in range(5)]
    vision = client.files.create(file=("v.png", b"x"), purpose="vision").id
    assert [f.id for f in client.files.list(limit=2)] == [vision, *ids[::-1]]
    assert [f.id for f in client.files.list(limit=2, order="asc")] == [*ids, vision]
    assert [f.id for f in client.files.list(purpose="assistants", limit=3)] == ids[::-1]
    page = client.files.list(limit=2)
    assert page.has_more is True and len(page.data) == 2
    assert [f.id for f in client.files.list(purpose="vision")] == [vision]


@pytest.mark.parametrize(
    ("name", "data", "media_type"),
    [
        ("text.txt", "héllo\r\nwörld\n".encode(), "text/plain"),
        ("every-byte.bin", bytes(range(256)) * 64, "application/octet-stream"),
        ("random.png", os.urandom(300_000), "image/png"),
        ("doc.pdf", b"%PDF-1.4\n" + os.urandom(1000), "application/pdf"),
        ("data.json", b'{"not": "validated"', "application/octet-stream"),
        ("no-extension", b"\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_download_is_byte_identical(client, name, data, media_type):
    created = client.files.create(file=(name, data), purpose="user_data")
    raw = client.files.with_raw_response.content(created.id)
    assert raw.http_response.headers["content-type"] == media_type
    assert int(raw.http_response.headers["content-length"]) == len(data)
    assert raw.parse().read() == data


def test_download_of_a_5_mb_file(client):
    data = os.urandom(5 * 1024 * 1024 + 123)
    created = client.files.create(file=("big.bin", data), purpose="assistants")
    assert created.bytes == len(data)
    assert client.files.content(created.id).read() == data


def test_upload_over_the_limit_is_413(client):
    with pytest.raises(openai.APIStatusError) as caught:
        client.files.create(file=("huge.bin", b"\0" * (9 * 1024 * 1024)), purpose="assistants")
    assert caught.value.status_code == 413
    assert caught.value.body["code"] == "payload_too_large"


def test_delete_removes_file_and_bytes(client):
    created = client.files.create(file=("gone.txt", b"bye"), purpose="assistants")
    result = client.files.delete(created.id)
    assert result.model_dump() == {"id": created.id, "object": "file", "deleted": True}
    with pytest.raises(openai.NotFoundError):
        client.files.retrieve(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.content(created.id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(created.id)
    assert created.id not in [f.id for f in client.files.list()]


@pytest.mark.parametrize("bad_id", ["nope", "file-" + "z" * 40, "vs_123", "file-%00", "..."])
def test_malformed_ids_are_404(client, bad_id):
    with pytest.raises(openai.NotFoundError) as caught:
        client.files.retrieve(bad_id)
    assert caught.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError):
        client.files.content(bad_id)
    with pytest.raises(openai.NotFoundError):
        client.files.delete(bad_id)


def test_list_limits_are_400(client):
    with pytest.raises(openai.BadRequestError):
        client.files.list(limit=0)
    with pytest.raises(openai.BadRequestError):
        client.files.list(limit=10_001)


def test_other_tenants_cannot_see_files(client, other_client):
    created = client.files.create(file=("mine.txt", b"secret"), purpose="assistants")
    for call in (
        other_client.files.retrieve,
        other_client.files.content,
        other_client.files.delete,
    ):
        with pytest.raises(openai.NotFoundError):
            call(created.id)
    assert created.id not in [f.id for f in other_client.files.list()]
    assert client.files.content(created.id).read() == b"secret"


async def test_async_client_round_trip(aclient):
    data = os.urandom(70_000)
    created = await aclient.files.create(file=("async.bin", data), purpose="assistants")
    assert (await aclient.files.retrieve(created.id)).bytes == len(data)
    assert (await (await aclient.files.content(created.id)).aread()) == data
    listed = [f.id async for f in aclient.files.list(limit=1)]
    assert listed == [created.id]
    assert (await aclient.files.delete(created.id)).deleted is True
