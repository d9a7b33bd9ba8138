"""Server-sent events read from a byte stream: the event name and data of each, as bytes."""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator


async def sse_events(body: AsyncIterable[bytes]) -> AsyncIterator[tuple[bytes, bytes]]:
    """(event name, data) per event; data lines are joined with newlines, comments skipped.

    Lines may end in LF or CRLF. An event ends at a blank line, or at the end of the body.
    """
    buffer = b""
    event = b""
    data: list[bytes] = []
    async for piece in body:
        buffer = buffer + piece if buffer else piece
        start = 0
        while True:
            end = buffer.find(b"\n", start)
            if end < 0:
                break
            line = buffer[start:end]
            start = end + 1
            if line[-1:] == b"\r":
                line = line[:-1]
            if not line:
                if data:
                    yield event, data[0] if len(data) == 1 else b"\n".join(data)
                    data = []
                event = b""
            elif line[:5] == b"data:":
                data.append(line[6:] if line[5:6] == b" " else line[5:])
            elif line[:6] == b"event:":
                event = line[6:].strip()
            # ids, retry hints and comments (": keep-alive") mean nothing to a relay
        buffer = buffer[start:]
    tail = buffer.rstrip(b"\r")
    if tail[:5] == b"data:":
        data.append(tail[6:] if tail[5:6] == b" " else tail[5:])
    if data:
        yield event, b"\n".join(data)
