"""Token-window chunking: sizes, exact overlaps, order, completeness, offsets and speed."""

from __future__ import annotations

import random
import time
from itertools import pairwise

import pytest

from assistants.ingest import (
    AUTO_CHUNKING,
    ChunkingParams,
    TextChunk,
    chunk_text,
    chunk_with,
    count_tokens,
    get_encoding,
)

_VOCABULARY_TEXT = (
    "the of and to in is was for on that with as by at from his her it an were are which this "
    "be or has had not but been their they one all also more new first who after other two some "
    "time there about into when would only over many most these world between during through "
    "government international university development information environmental responsibility "
    "approximately characteristics notwithstanding electroencephalography photosynthesis "
    "river mountain library engineer orchard bridge quantum ledger harvest festival museum"
)
VOCABULARY = _VOCABULARY_TEXT.split()


def prose(words: int, seed: int = 7) -> str:
    rng = random.Random(seed)
    sentences, current = [], []
    for _ in range(words):
        current.append(rng.choice(VOCABULARY))
        if len(current) >= rng.randint(8, 20):
            sentences.append(" ".join(current).capitalize() + rng.choice([".", ".", "?", ";"]))
            current = []
    sentences.append(" ".join(current) + ".")
    paragraphs = [" ".join(sentences[i : i + 5]) for i in range(0, len(sentences), 5)]
    return "\n\n".join(paragraphs)


def tokens_of(text: str) -> list[int]:
    return get_encoding().encode_ordinary(text)


def rebuild_text(chunks: list[TextChunk]) -> str:
    """The chunk texts joined, each without the part it shares with the previous chunk."""
    rebuilt = chunks[0].text
    for before, chunk in pairwise(chunks):
        rebuilt += chunk.text[before.char_end - chunk.char_start :]
    return rebuilt


def assert_windows(text: str, chunks: list[TextChunk], size: int, overlap: int) -> None:
    """Every invariant a chunk list must satisfy, checked against the token sequence."""
    tokens = tokens_of(text)
    assert [chunk.index for chunk in chunks] == list(range(len(chunks)))
    assert chunks[0].token_start == 0 and chunks[0].char_start == 0
    assert chunks[-1].token_end == len(tokens) and chunks[-1].char_end == len(text)
    for chunk in chunks:
        assert 0 < chunk.token_count == chunk.token_end - chunk.token_start <= size
        assert chunk.text == text[chunk.char_start : chunk.char_end]
    for before, after in pairwise(chunks):
        assert after.token_start == before.token_end - overlap
        assert after.token_end > before.token_end
    rebuilt = list(tokens[: chunks[0].token_end])
    for chunk in chunks[1:]:
        rebuilt += tokens[chunk.token_start + overlap : chunk.token_end]
    assert rebuilt == tokens


def test_short_text_is_one_chunk():
    chunks = chunk_text("A short note about apples.")
    assert len(chunks) == 1
    only = chunks[0]
    assert only.text == "A short note about apples."
    assert only.token_count == count_tokens(only.text)
    assert (only.index, only.token_start, only.char_start) == (0, 0, 0)


def test_empty_text_has_no_chunks():
    assert chunk_text("") == []


def test_auto_strategy_is_800_with_400_overlap():
    text = prose(6000)
    chunks = chunk_with(text, AUTO_CHUNKING)
    assert len(chunks) > 10
    assert_windows(text, chunks, 800, 400)
    # Ends only move back a few tokens to land between words.
    assert all(chunk.token_count >= 800 - 16 for chunk in chunks[:-1])
    assert chunk_text(text) == chunks


def test_consecutive_chunks_share_exactly_the_overlap_tokens():
    text = prose(4000, seed=3)
    chunks = chunk_text(text, 800, 400)
    for before, after in pairwise(chunks):
        # Re-tokenizing the chunk texts gives the same tokens: the windows are the chunks.
        before_tokens, after_tokens = tokens_of(before.text), tokens_of(after.text)
        assert len(before_tokens) == before.token_count
        assert before_tokens[-400:] == after_tokens[:400]


@pytest.mark.parametrize(
    ("size", "overlap"), [(100, 0), (100, 50), (300, 17), (1000, 250), (4096, 2048)]
)
def test_static_parameters_are_respected(size, overlap):
    text = prose(9000, seed=size)
    chunks = chunk_with(text, ChunkingParams(size, overlap))
    assert_windows(text, chunks, size, overlap)


def test_texts_concatenate_back_to_the_original():
    text = prose(3000, seed=11)
    chunks = chunk_text(text, 200, 60)
    assert rebuild_text(chunks) == text


def test_chunks_do_not_start_or_end_inside_words():
    text = prose(5000, seed=5)
    for chunk in chunk_text(text, 150, 30)[:-1]:
        assert chunk.text[-1:].isspace() or text[chunk.char_end : chunk.char_end + 1].isspace()
        if chunk.char_start:
            assert chunk.text[:1].isspace() or text[chunk.char_start - 1].isspace()


def test_unbroken_text_still_chunks_at_token_boundaries():
    text = "x" * 20_000
    assert_windows(text, chunk_text(text, 100, 20), 100, 20)


def test_non_ascii_offsets_are_characters():
    text = (
        "Grüße aus Köln, ça va? 東京は晴れです。 Emoji 🚀🎉 and Ελληνικά κείμενα. " * 300
    ).strip()
    chunks = chunk_text(text, 120, 40)
    assert_windows(text, chunks, 120, 40)
    assert all("\ufffd" not in chunk.text for chunk in chunks)


def test_cjk_without_spaces_never_splits_a_character():
    text = "東京都の天気は晴れ時々曇りでしょう" * 400
    chunks = chunk_text(text, 100, 30)
    assert all("\ufffd" not in chunk.text for chunk in chunks)
    assert rebuild_text(chunks) == text


def test_special_token_strings_are_plain_text():
    chunks = chunk_text("before <|endoftext|> after")
    assert chunks[0].text == "before <|endoftext|> after"


def test_lone_surrogates_do_not_crash():
    chunks = chunk_text("broken \ud800 text")
    assert chunks[0].text == "broken \ufffd text"


@pytest.mark.parametrize(("size", "overlap"), [(0, 0), (100, 100), (100, -1)])
def test_impossible_windows_are_refused(size, overlap):
    with pytest.raises(ValueError):
        chunk_text("text", size, overlap)


def test_chunking_is_fast():
    text = prose(150_000, seed=1)
    chunk_text("warm up the encoding")
    started = time.perf_counter()
    chunks = chunk_text(text)
    elapsed = time.perf_counter() - started
    tokens = chunks[-1].token_end
    assert tokens > 150_000
    assert tokens / elapsed > 50_000, f"{tokens / elapsed:,.0f} tokens/s"
