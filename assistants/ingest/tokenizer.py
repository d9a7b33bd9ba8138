"""The tiktoken encodings used to count and chunk tokens, loaded offline.

tiktoken downloads BPE files on first use. LiteLLM (a dependency already) ships copies under
``litellm/litellm_core_utils/tokenizers/``, each named as tiktoken's cache names it: the SHA-1 of
its download URL. We read that file ourselves and build the ``Encoding`` directly, so nothing is
downloaded, nothing is written to a cache directory, ``os.environ`` is left alone and LiteLLM
(seconds to import) is never imported.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import tiktoken

from assistants.ingest.errors import TokenizerUnavailable

# OpenAI's embedding models (text-embedding-3-*), which file_search embeds chunks with, use it.
DEFAULT_ENCODING = "cl100k_base"

_ENDOFTEXT = "<|endoftext|>"
_ENDOFPROMPT = "<|endofprompt|>"


@dataclass(frozen=True, slots=True)
class _Spec:
    url: str
    sha256: str
    pat_str: str
    special_tokens: Mapping[str, int]


# Patterns, special tokens and hashes as tiktoken_ext.openai_public defines them (pinned by a test).
_SPECS: dict[str, _Spec] = {
    "cl100k_base": _Spec(
        url="https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken",
        sha256="223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        pat_str=(
            r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+|"""
            r""" ?[^\s\p{L}\p{N}]++[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
        ),
        special_tokens={
            _ENDOFTEXT: 100257,
            "<|fim_prefix|>": 100258,
            "<|fim_middle|>": 100259,
            "<|fim_suffix|>": 100260,
            _ENDOFPROMPT: 100276,
        },
    ),
    "o200k_base": _Spec(
        url="https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken",
        sha256="446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        pat_str="|".join(
            [
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
                r"""\p{N}{1,3}""",
                r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
                r"""\s*[\r\n]+""",
                r"""\s+(?!\S)""",
                r"""\s+""",
            ]
        ),
        special_tokens={_ENDOFTEXT: 199999, _ENDOFPROMPT: 200018},
    ),
}

SUPPORTED_ENCODINGS = tuple(_SPECS)


def bundled_bpe_path(name: str) -> Path:
    """Where LiteLLM keeps the BPE file of encoding ``name``; found without importing LiteLLM."""
    spec = _spec(name)
    package = importlib.util.find_spec("litellm")
    roots = package.submodule_search_locations if package is not None else None
    if not roots:
        raise TokenizerUnavailable("The litellm package, which bundles the tokenizer, is missing.")
    filename = hashlib.sha1(spec.url.encode()).hexdigest()
    for root in roots:
        candidate = Path(root, "litellm_core_utils", "tokenizers", filename)
        if candidate.is_file():
            return candidate
    raise TokenizerUnavailable(f"The installed litellm package does not bundle {name}.")


def get_encoding(name: str = DEFAULT_ENCODING) -> tiktoken.Encoding:
    """The named encoding, built once per process from the bundled file."""
    return _build(name)


@cache
def _build(name: str) -> tiktoken.Encoding:
    spec = _spec(name)
    contents = bundled_bpe_path(name).read_bytes()
    if hashlib.sha256(contents).hexdigest() != spec.sha256:
        raise TokenizerUnavailable(f"The bundled {name} file does not match its published hash.")
    ranks = {
        base64.b64decode(token): int(rank)
        for token, rank in (line.split() for line in contents.splitlines() if line)
    }
    return tiktoken.Encoding(
        name, pat_str=spec.pat_str, mergeable_ranks=ranks, special_tokens=dict(spec.special_tokens)
    )


def count_tokens(text: str, encoding_name: str = DEFAULT_ENCODING) -> int:
    """Tokens in ``text``; special-token strings such as ``<|endoftext|>`` count as plain text."""
    return len(get_encoding(encoding_name).encode_ordinary(text))


def _spec(name: str) -> _Spec:
    try:
        return _SPECS[name]
    except KeyError:
        raise ValueError(
            f"Unknown encoding {name!r}; expected one of {SUPPORTED_ENCODINGS}"
        ) from None
