"""Removing credentials from text that may reach a client or a log (provider error messages)."""

from __future__ import annotations

import re
from collections.abc import Iterable

MASK = "***"
# Shapes of common provider keys, caught even without knowing the secret (e.g. a key from the env).
_KEY_SHAPES = re.compile(
    r"(?:\b(?:sk|pk|rk|gsk|xai|pplx|ak)-[A-Za-z0-9_\-]{6,}"
    r"|\bAIza[0-9A-Za-z_\-]{20,}"
    r"|\b(?:AKIA|ASIA)[0-9A-Z]{12,}"
    r"|(?i:bearer)\s+[A-Za-z0-9._\-~+/=]{6,})"
)
_QUERY_KEY = re.compile(r"(?i)([?&](?:key|api[_-]?key|token|access_token)=)[^&\s\"']+")
# Shortest secret scrubbed verbatim: shorter strings would mangle ordinary words.
_MIN_SECRET = 4


def scrub(text: str, secrets: Iterable[str] = ()) -> str:
    """Replace every given secret, and anything shaped like a key, with `***`."""
    for secret in sorted(
        {s for s in secrets if s and len(s) >= _MIN_SECRET}, key=len, reverse=True
    ):
        text = text.replace(secret, MASK)
    text = _QUERY_KEY.sub(lambda m: m.group(1) + MASK, text)
    return _KEY_SHAPES.sub(MASK, text)
