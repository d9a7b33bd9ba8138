"""Scrubbing credentials out of provider messages."""

from __future__ import annotations

from inference.redact import scrub


def test_known_secrets_are_replaced() -> None:
    assert scrub("bad key my-own-secret-value!", ["my-own-secret-value"]) == "bad key ***!"


def test_key_shapes_are_replaced_even_when_unknown() -> None:
    text = "keys sk-proj-abcdef123456 AIzaSyA1234567890abcdefghijk AKIAABCDEFGHIJKLMNOP"
    assert scrub(text) == "keys *** *** ***"


def test_bearer_tokens_and_query_keys_are_replaced() -> None:
    assert scrub("Authorization: Bearer abc.def-123456") == "Authorization: ***"
    assert (
        scrub("GET https://h/v1/models?key=xyz123&alt=sse")
        == "GET https://h/v1/models?key=***&alt=sse"
    )


def test_ordinary_text_is_untouched() -> None:
    text = "Rate limit reached for gpt-4o-mini. Please try again in 1s; task-based askers"
    assert scrub(text, ["ab"]) == text
