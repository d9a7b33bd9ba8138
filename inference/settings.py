"""Typed settings of the inference layer: timeouts, retries, embedding defaults, listed models."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from outbound import OutboundPolicy

RELAYS = ("direct", "litellm")


@dataclass(frozen=True, slots=True)
class InferenceSettings:
    timeout: float = 600.0
    """Seconds to wait for a provider's answer (for a stream: each read, the first token too)."""
    max_retries: int = 2
    """Extra attempts after a 429 or 5xx on non-streamed calls and on opening a stream."""
    retry_backoff: float = 0.5
    """First backoff in seconds; doubles per attempt (jittered) up to `retry_backoff_max`."""
    retry_backoff_max: float = 8.0
    retry_after_cap: float = 10.0
    """A provider's `retry-after` is honoured up to this many seconds."""
    retry_budget: float = 30.0
    """No new attempt starts after this many seconds since the first one."""
    drop_params: bool = True
    """Drop parameters the provider does not support instead of failing (LiteLLM `drop_params`)."""
    default_embedding_model: str = "text-embedding-3-small"
    embedding_batch_size: int = 256
    embedding_concurrency: int = 4
    models: tuple[str, ...] = field(default_factory=tuple)
    """Operator-configured model ids listed first by `list_models` (env `ASSISTANTS_MODELS`)."""
    provider_models_timeout: float = 3.0
    """Seconds to wait for a provider's own `/models` list before leaving it out."""
    outbound: OutboundPolicy | None = field(default_factory=OutboundPolicy)
    """Where caller-chosen provider URLs may point (the server passes the operator's policy);
    None checks nothing (for measurements)."""
    relay: str = "direct"
    """`direct`: OpenAI-compatible providers are called and streamed by the server itself (LiteLLM
    prepares the request); `litellm`: every call goes through `litellm.acompletion`."""
    max_connections: int = 1000
    """Open connections to providers, over all of them, that the direct relay keeps at most."""

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> InferenceSettings:
        """Settings from `ASSISTANTS_*` variables; unset or empty ones keep their defaults."""
        base = cls()

        def number(name: str, default: float) -> float:
            value = env.get(name, "").strip()
            return float(value) if value else default

        models = tuple(m.strip() for m in env.get("ASSISTANTS_MODELS", "").split(",") if m.strip())
        relay = env.get("ASSISTANTS_LLM_RELAY", "").strip().lower() or base.relay
        if relay not in RELAYS:
            raise ValueError(f"ASSISTANTS_LLM_RELAY must be one of {', '.join(RELAYS)}")
        return cls(
            timeout=number("ASSISTANTS_LLM_TIMEOUT", base.timeout),
            max_retries=int(number("ASSISTANTS_LLM_MAX_RETRIES", base.max_retries)),
            retry_backoff=number("ASSISTANTS_LLM_RETRY_BACKOFF", base.retry_backoff),
            retry_backoff_max=number("ASSISTANTS_LLM_RETRY_BACKOFF_MAX", base.retry_backoff_max),
            retry_after_cap=number("ASSISTANTS_LLM_RETRY_AFTER_CAP", base.retry_after_cap),
            retry_budget=number("ASSISTANTS_LLM_RETRY_BUDGET", base.retry_budget),
            drop_params=env.get("ASSISTANTS_LLM_DROP_PARAMS", "true").strip().lower()
            not in ("0", "false", "no"),
            default_embedding_model=env.get("ASSISTANTS_EMBEDDING_MODEL", "").strip()
            or base.default_embedding_model,
            embedding_batch_size=int(
                number("ASSISTANTS_EMBEDDING_BATCH_SIZE", base.embedding_batch_size)
            ),
            models=models,
            relay=relay,
            max_connections=int(number("ASSISTANTS_LLM_MAX_CONNECTIONS", base.max_connections)),
        )
