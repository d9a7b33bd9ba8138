"""Server-sent events as providers write them: LF or CRLF, comments, event names, split reads."""

from __future__ import annotations

from collections.abc import AsyncIterator

from inference.sse import sse_events


async def events(*pieces: bytes) -> list[tuple[bytes, bytes]]:
    async def body() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    return [event async for event in sse_events(body())]


async def test_data_lines_with_and_without_a_space() -> None:
    assert await events(b'data: {"a":1}\n\ndata:{"b":2}\n\n') == [
        (b"", b'{"a":1}'),
        (b"", b'{"b":2}'),
    ]


async def test_events_split_anywhere_across_reads() -> None:
    stream = b'data: {"a":1}\n\ndata: [DONE]\n\n'
    for cut in range(1, len(stream)):
        assert await events(stream[:cut], stream[cut:]) == [(b"", b'{"a":1}'), (b"", b"[DONE]")]


async def test_crlf_comments_names_and_multi_line_data() -> None:
    stream = (
        b": keep-alive\r\n\r\n"
        b'event: error\r\ndata: {"error":\r\ndata: 1}\r\n\r\n'
        b"id: 7\nretry: 10\ndata: x\n\n"
    )
    assert await events(stream) == [(b"error", b'{"error":\n1}'), (b"", b"x")]


async def test_a_last_event_without_its_blank_line_is_kept() -> None:
    assert await events(b"data: one\n\ndata: two") == [(b"", b"one"), (b"", b"two")]
