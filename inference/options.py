"""Provider options of one request, from its headers as the `astra-assistants` client sends them.

- `Authorization: Bearer <key>`: the provider key, unless it is one of the server's own API keys
  (those are never forwarded). `api-key: <key>` wins over the bearer.
- `base-url`: the provider base URL (LiteLLM `api_base`) for chat and embeddings; `api-version`: the
  provider API version (Azure); `custom-llm-provider`: the LiteLLM provider, overriding the one
  inferred from the model name; `embedding-model`: the embedding model when a call names none.
- `LLM-PARAM-<name>` / `EMBEDDING-PARAM-<name>`: extra LiteLLM keyword arguments for chat /
  embedding calls, e.g. `LLM-PARAM-api-key`, `LLM-PARAM-aws-region-name` (the astra-assistants
  client sends a provider key from its environment, e.g. ANTHROPIC_API_KEY, as
  `LLM-PARAM-api-key`, and AWS credentials as `LLM-PARAM-aws-access-key-id` and so on).
- `vertexai-project`, `vertexai-location`: `vertex_project` / `vertex_location` for both.

Header names are case-insensitive; in `<name>` hyphens become underscores; values are typed (see
`param_values`). Every credential is a `SecretStr`, so repr, str, logs and `model_dump_json` never
show it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from inference.param_values import is_denied, is_secret, param_name, typed_value

LLM_PREFIX = "llm-param-"
EMBEDDING_PREFIX = "embedding-param-"
_SHARED_HEADERS = {"vertexai-project": "vertex_project", "vertexai-location": "vertex_location"}


class ProviderOptions(BaseModel):
    """How to reach the provider for one request: credentials, endpoint, extra arguments."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    api_key: SecretStr | None = None
    base_url: str | None = None
    api_version: str | None = None
    custom_llm_provider: str | None = None
    embedding_model: str | None = None
    llm_params: dict[str, Any] = Field(default_factory=dict)
    llm_secrets: dict[str, SecretStr] = Field(default_factory=dict)
    embedding_params: dict[str, Any] = Field(default_factory=dict)
    embedding_secrets: dict[str, SecretStr] = Field(default_factory=dict)

    def secret_values(self) -> list[str]:
        """Every credential here, revealed, so that error messages can be scrubbed of them."""
        secrets = [*self.llm_secrets.values(), *self.embedding_secrets.values()]
        if self.api_key is not None:
            secrets.append(self.api_key)
        return [s.get_secret_value() for s in secrets]


def _bearer(value: str) -> str | None:
    scheme, _, token = value.strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def options_from_headers(
    headers: Mapping[str, str], server_api_keys: frozenset[str] = frozenset()
) -> ProviderOptions:
    """The provider options of a request; a credential equal to a server API key is dropped."""
    bearer: str | None = None
    fields: dict[str, Any] = {}
    llm: tuple[dict[str, Any], dict[str, SecretStr]] = ({}, {})
    embedding: tuple[dict[str, Any], dict[str, SecretStr]] = ({}, {})
    for raw_name, value in headers.items():
        name = raw_name.lower()
        if name == "authorization":
            bearer = _bearer(value)
        elif name == "api-key":
            fields["api_key"] = value.strip() or None
        elif name in ("base-url", "api-version", "custom-llm-provider", "embedding-model"):
            fields[name.replace("-", "_")] = value.strip() or None
        elif name.startswith(LLM_PREFIX):
            _add_param(llm, name[len(LLM_PREFIX) :], value, server_api_keys)
        elif name.startswith(EMBEDDING_PREFIX):
            _add_param(embedding, name[len(EMBEDDING_PREFIX) :], value, server_api_keys)
        elif name in _SHARED_HEADERS:
            for target in (llm, embedding):
                target[0].setdefault(_SHARED_HEADERS[name], value.strip())
    key = fields.pop("api_key", None) or bearer
    if key is not None and key not in server_api_keys:
        fields["api_key"] = SecretStr(key)
    return ProviderOptions(
        **fields,
        llm_params=llm[0],
        llm_secrets=llm[1],
        embedding_params=embedding[0],
        embedding_secrets=embedding[1],
    )


def _add_param(
    target: tuple[dict[str, Any], dict[str, SecretStr]],
    raw: str,
    value: str,
    server_api_keys: frozenset[str],
) -> None:
    name = param_name(raw)
    if is_denied(name):
        return
    if is_secret(name):
        if value and value not in server_api_keys:
            target[1][name] = SecretStr(value)
        return
    target[0][name] = typed_value(name, value)
