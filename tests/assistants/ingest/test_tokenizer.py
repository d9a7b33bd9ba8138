"""The tokenizer loads offline from LiteLLM's bundled file and equals tiktoken's own encodings."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from assistants.ingest import count_tokens, get_encoding
from assistants.ingest.tokenizer import SUPPORTED_ENCODINGS, bundled_bpe_path

REPO_ROOT = Path(__file__).resolve().parents[3]

_OFFLINE_PROBE = textwrap.dedent(
    """
    import socket, sys

    def refuse(*args, **kwargs):
        raise OSError("network disabled in this test")

    socket.socket.connect = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse

    from assistants.ingest import chunk_text, count_tokens

    assert count_tokens("hello world") == 2
    assert len(chunk_text("offline " * 3000)) > 1
    assert "litellm" not in sys.modules, "litellm was imported"
    assert "requests" not in sys.modules, "an HTTP client was imported"
    print("ok")
    """
)


def test_tokenizer_works_offline_without_importing_litellm(tmp_path):
    cache = tmp_path / "tiktoken-cache"
    cache.mkdir()
    env = {
        **os.environ,
        "TIKTOKEN_CACHE_DIR": str(cache),
        "DATA_GYM_CACHE_DIR": str(cache),
        "PYTHONPATH": str(REPO_ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", _OFFLINE_PROBE],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
    assert list(cache.iterdir()) == [], "the tokenizer wrote to tiktoken's cache"


@pytest.mark.parametrize("name", SUPPORTED_ENCODINGS)
def test_encoding_equals_tiktokens_published_definition(name, monkeypatch):
    from tiktoken_ext import openai_public

    # tiktoken's own constructor, pointed at the bundled file as its cache: a hash-checked read.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(bundled_bpe_path(name).parent))
    official = openai_public.ENCODING_CONSTRUCTORS[name]()
    ours = get_encoding(name)
    assert ours.name == name
    assert ours._pat_str == official["pat_str"]
    assert ours._special_tokens == official["special_tokens"]
    assert ours._mergeable_ranks == official["mergeable_ranks"]


def test_known_token_ids():
    assert get_encoding().encode_ordinary("hello world") == [15339, 1917]
    assert get_encoding("o200k_base").encode_ordinary("hello world") == [24912, 2375]


def test_encoding_is_built_once():
    assert get_encoding() is get_encoding("cl100k_base")


def test_count_tokens():
    assert count_tokens("") == 0
    assert count_tokens("hello world") == 2
    assert count_tokens("tiktoken is great!") == 6


def test_special_token_text_counts_as_plain_text():
    assert count_tokens("<|endoftext|>") > 1


def test_unknown_encoding_is_refused():
    with pytest.raises(ValueError, match="Unknown encoding"):
        get_encoding("p99k_base")
