"""Token-window chunking with file_search semantics: fixed-size windows, fixed token overlap.

Chunk ``i + 1`` starts exactly ``overlap`` tokens before chunk ``i`` ends, so consecutive chunks
share exactly the overlap and every token of the text lies in some chunk. A window's end may move
back a few tokens (never more than 1/8 of the stride) so that both it and the next window's start
fall between words rather than inside one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from assistants.ingest.models import TextChunk
from assistants.ingest.strategy import ChunkingParams
from assistants.ingest.tokenizer import DEFAULT_ENCODING, count_tokens, get_encoding

__all__ = ["chunk_text", "chunk_with", "count_tokens"]

_MAX_BACKOFF = 16
# Scores for the gap before a token: inside a UTF-8 character, inside a word, between words.
_MID_CHARACTER, _MID_WORD, _WORD_BREAK = 0, 1, 2


def chunk_text(
    text: str,
    max_tokens: int = 800,
    overlap_tokens: int = 400,
    *,
    encoding_name: str = DEFAULT_ENCODING,
) -> list[TextChunk]:
    """Split ``text`` into windows of at most ``max_tokens`` tokens sharing ``overlap_tokens``."""
    if max_tokens < 1 or not 0 <= overlap_tokens < max_tokens:
        raise ValueError("need max_tokens >= 1 and 0 <= overlap_tokens < max_tokens")
    text = _without_lone_surrogates(text)
    encoding = get_encoding(encoding_name)
    tokens = encoding.encode_ordinary(text)
    if not tokens:
        return []

    def gap_score(position: int) -> int:
        head = encoding.decode_single_token_bytes(tokens[position])
        if head[0] & 0xC0 == 0x80:
            return _MID_CHARACTER
        if (
            head[:1].isspace()
            or encoding.decode_single_token_bytes(tokens[position - 1])[-1:].isspace()
        ):
            return _WORD_BREAK
        return _MID_WORD

    windows = _windows(len(tokens), max_tokens, overlap_tokens, gap_score)
    char_at = _char_offsets(
        text, tokens, sorted({p for window in windows for p in window}), encoding.decode_bytes
    )
    return [
        TextChunk(
            index=index,
            text=text[char_at[start] : char_at[end]],
            token_count=end - start,
            token_start=start,
            token_end=end,
            char_start=char_at[start],
            char_end=char_at[end],
        )
        for index, (start, end) in enumerate(windows)
    ]


def chunk_with(
    text: str, params: ChunkingParams, *, encoding_name: str = DEFAULT_ENCODING
) -> list[TextChunk]:
    """``chunk_text`` with a validated ``chunking_strategy``."""
    return chunk_text(
        text, params.max_chunk_size_tokens, params.chunk_overlap_tokens, encoding_name=encoding_name
    )


def _windows(
    count: int, size: int, overlap: int, gap_score: Callable[[int], int]
) -> list[tuple[int, int]]:
    max_backoff = min(_MAX_BACKOFF, (size - overlap) // 8)
    windows: list[tuple[int, int]] = []
    start = 0
    while True:
        end = start + size
        if end >= count:
            windows.append((start, count))
            return windows
        end -= _best_backoff(end, overlap, max_backoff, gap_score)
        windows.append((start, end))
        start = end - overlap


def _best_backoff(end: int, overlap: int, max_backoff: int, gap_score: Callable[[int], int]) -> int:
    best, best_score = 0, -1
    for backoff in range(max_backoff + 1):
        cut = end - backoff
        score = gap_score(cut)
        if overlap and score > best_score:
            score = min(score, gap_score(cut - overlap))
        if score > best_score:
            best, best_score = backoff, score
            if score == _WORD_BREAK:
                break
    return best


def _char_offsets(
    text: str,
    tokens: Sequence[int],
    positions: Sequence[int],
    decode_bytes: Callable[[Sequence[int]], bytes],
) -> dict[int, int]:
    """Map sorted token positions to character offsets, decoding each token once overall."""
    byte_at: dict[int, int] = {}
    previous, offset = 0, 0
    for position in positions:
        offset += len(decode_bytes(tokens[previous:position]))
        byte_at[position], previous = offset, position
    if text.isascii():
        return byte_at
    data = text.encode("utf-8")
    char_at: dict[int, int] = {}
    byte_pos, char_pos = 0, 0
    for position in positions:
        target = byte_at[position]
        # A window edge inside a multi-byte character moves forward to the character's end.
        while target < len(data) and data[target] & 0xC0 == 0x80:
            target += 1
        char_pos += len(data[byte_pos:target].decode("utf-8"))
        char_at[position], byte_pos = char_pos, target
    return char_at


def _without_lone_surrogates(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        # The same repair tiktoken applies, done first so offsets refer to the text we tokenized.
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text
