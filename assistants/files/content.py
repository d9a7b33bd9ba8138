"""Downloads: the stored bytes of a file as a stream, with a media type from its name."""

from __future__ import annotations

import mimetypes
from collections.abc import AsyncIterator
from dataclasses import dataclass

from assistants.context import Ctx
from assistants.files.service import get_file

FALLBACK_TYPE = "application/octet-stream"


def media_type_for(filename: str) -> str:
    """The type ``mimetypes`` guesses from the name; JSON types are sent as octet-stream.

    Why not JSON: the server checks every JSON response against the spec, which reads and parses
    the whole body; file bytes are not the API's JSON and must pass through untouched.
    """
    guessed, _ = mimetypes.guess_type(filename, strict=False)
    if guessed is None or guessed.endswith("json") or guessed.endswith("+json"):
        return FALLBACK_TYPE
    return guessed


@dataclass(frozen=True, slots=True)
class FileContent:
    filename: str
    media_type: str
    size: int
    pieces: AsyncIterator[bytes]


async def open_content(ctx: Ctx, file_id: str) -> FileContent:
    """The file's bytes, ready to stream; a missing blob fails here, before any byte is sent."""
    file = await get_file(ctx, file_id)
    stream = ctx.store.blobs.read(ctx.tenant, file_id)
    first = await anext(stream, b"")

    async def pieces() -> AsyncIterator[bytes]:
        if first:
            yield first
        async for piece in stream:
            yield piece

    return FileContent(file["filename"], media_type_for(file["filename"]), file["bytes"], pieces())
