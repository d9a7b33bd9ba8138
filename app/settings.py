"""All configuration, read once from the environment into one typed object."""

from __future__ import annotations

import os
from collections.abc import Mapping

from pydantic import BaseModel, Field, SecretStr, field_validator

from outbound import Entries, OutboundPolicy

DEFAULT_STORE = "sqlite:///./data/assistants.db"


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


class Settings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(default_factory=lambda: os.cpu_count() or 1)
    store: str = DEFAULT_STORE
    api_keys: frozenset[SecretStr] = frozenset()
    log_level: str = "info"
    log_json: bool = False
    validate_responses: bool = True
    max_upload_bytes: int = 512 * 1024 * 1024
    models: list[str] = Field(default_factory=list)
    default_embedding_model: str = "text-embedding-3-small"
    run_lease_seconds: float = 30.0
    graceful_timeout: int = 30
    mcp_timeout_seconds: float = 30.0
    ingest_parallel: int = Field(default=4, ge=1)
    ingest_cpu_seconds: int = Field(default=20, ge=1)
    ingest_memory_mb: int = Field(default=1024, ge=128)
    outbound_allow: list[str] = Field(default_factory=list)
    outbound_deny: list[str] = Field(default_factory=list)

    model_config = {"frozen": True}

    @field_validator("outbound_allow", "outbound_deny")
    @classmethod
    def _outbound_entries(cls, entries: list[str]) -> list[str]:
        Entries.parse(entries)  # a wrong entry stops the server at startup, named
        return entries

    def outbound_policy(self) -> OutboundPolicy:
        """Where caller-chosen outbound connections may go; private ranges refused with keys."""
        return OutboundPolicy.from_lists(
            self.outbound_allow, self.outbound_deny, refuse_private=bool(self.api_keys)
        )

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        values: dict[str, object] = {}
        simple = {
            "HOST": "host",
            "PORT": "port",
            "WORKERS": "workers",
            "ASSISTANTS_STORE": "store",
            "LOG_LEVEL": "log_level",
            "LOG_JSON": "log_json",
            "VALIDATE_RESPONSES": "validate_responses",
            "MAX_UPLOAD_BYTES": "max_upload_bytes",
            "DEFAULT_EMBEDDING_MODEL": "default_embedding_model",
            "RUN_LEASE_SECONDS": "run_lease_seconds",
            "GRACEFUL_TIMEOUT": "graceful_timeout",
            "ASSISTANTS_MCP_TIMEOUT_SECONDS": "mcp_timeout_seconds",
            "INGEST_PARALLEL": "ingest_parallel",
            "INGEST_CPU_SECONDS": "ingest_cpu_seconds",
            "INGEST_MEMORY_MB": "ingest_memory_mb",
        }
        for variable, field in simple.items():
            if env.get(variable):
                values[field] = env[variable]
        values["api_keys"] = frozenset(SecretStr(k) for k in _csv(env.get("ASSISTANTS_API_KEYS")))
        values["models"] = _csv(env.get("ASSISTANTS_MODELS"))
        values["outbound_allow"] = _csv(env.get("ASSISTANTS_OUTBOUND_ALLOW"))
        values["outbound_deny"] = _csv(env.get("ASSISTANTS_OUTBOUND_DENY"))
        return cls.model_validate(values)

    def api_key_values(self) -> frozenset[str]:
        return frozenset(key.get_secret_value() for key in self.api_keys)
