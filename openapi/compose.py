"""Compose the served spec (upstream + fixes + overlay) and cache it as JSON.

The cache key is the upstream package version plus a hash of this package's own sources, so a
warm start reads one JSON file instead of parsing 3 MB of YAML, and any change here rebuilds it.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from openapi import fixes, source

_HERE = Path(__file__).parent
_INPUTS = ("overlay.yaml", "fixes.py", "compose.py")


def merge(base: Any, overlay: Any) -> Any:
    """Mappings merge recursively; anything else in the overlay replaces the base.

    A mapping marked ``x-replace: true`` replaces the base mapping instead of merging into it.
    """
    if isinstance(overlay, dict) and overlay.get("x-replace") is True:
        return {k: v for k, v in overlay.items() if k != "x-replace"}
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = dict(base)
        for key, value in overlay.items():
            merged[key] = merge(base[key], value) if key in base else value
        return merged
    return overlay


def _overlay() -> dict:
    import yaml

    with (_HERE / "overlay.yaml").open("rb") as handle:
        return yaml.safe_load(handle)


def build() -> dict:
    spec = source.load_upstream()
    for fix in fixes.ALL_FIXES:
        fix(spec)
    spec = merge(spec, _overlay())
    spec.setdefault("info", {})["x-upstream"] = {
        "package": source.PACKAGE,
        "version": source.upstream_version(),
    }
    return spec


def cache_key() -> str:
    digest = hashlib.sha256(source.upstream_version().encode())
    for name in _INPUTS:
        digest.update((_HERE / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    configured = os.environ.get("ASSISTANTS_CACHE_DIR")
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "assistants-server"


def composed_spec() -> dict:
    """The composed spec, from the cache when it is current."""
    return composed_document()[0]


def composed_document() -> tuple[dict, bytes]:
    """The composed spec and its JSON text (as served), from the cache when it is current."""
    path = cache_dir() / f"openapi-{cache_key()}.json"
    try:
        raw = path.read_bytes()
        return json.loads(raw), raw
    except (OSError, ValueError):
        pass
    spec = build()
    # YAML reads unquoted example dates as dates; JSON has only their text.
    raw = json.dumps(spec, separators=(",", ":"), default=str).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Write then rename, so concurrent workers never read a half-written cache.
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(raw)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise
    return json.loads(raw), raw
