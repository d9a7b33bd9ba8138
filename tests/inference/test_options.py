"""Reading provider options from request headers (the astra-assistants client's conventions)."""

from __future__ import annotations

from pydantic import SecretStr

from inference import ProviderOptions, options_from_headers
from inference.param_values import typed_value
from inference.routing import NO_KEY, chat_route, embedding_route

PROVIDERS = frozenset({"openai", "anthropic", "ollama", "bedrock"})


def test_bearer_is_the_provider_key() -> None:
    options = options_from_headers({"Authorization": "Bearer sk-user"})

    assert options.api_key is not None
    assert options.api_key.get_secret_value() == "sk-user"


def test_a_server_api_key_is_never_forwarded() -> None:
    options = options_from_headers(
        {"authorization": "Bearer server-key", "LLM-PARAM-api-key": "server-key"},
        frozenset({"server-key"}),
    )

    assert options.api_key is None
    assert options.llm_secrets == {}


def test_api_key_header_wins_over_the_bearer() -> None:
    options = options_from_headers({"Authorization": "Bearer sk-bearer", "api-key": "sk-header"})

    assert options.api_key is not None
    assert options.api_key.get_secret_value() == "sk-header"


def test_header_names_are_case_insensitive() -> None:
    options = options_from_headers(
        {
            "AUTHORIZATION": "bearer sk-x",
            "Base-Url": "http://h/v1",
            "API-Version": "2024-02-01",
            "Custom-LLM-Provider": "azure",
            "Embedding-Model": "fake-embed-384",
            "llm-param-Top-P": "0.5",
            "Embedding-Param-Input-Type": "search_document",
        }
    )

    assert options.api_key == SecretStr("sk-x")
    assert (options.base_url, options.api_version) == ("http://h/v1", "2024-02-01")
    assert (options.custom_llm_provider, options.embedding_model) == ("azure", "fake-embed-384")
    assert options.llm_params == {"top_p": 0.5}
    assert options.embedding_params == {"input_type": "search_document"}


def test_llm_param_values_are_typed() -> None:
    options = options_from_headers(
        {
            "LLM-PARAM-max-tokens": "128",
            "LLM-PARAM-temperature": "0.25",
            "LLM-PARAM-parallel-tool-calls": "False",
            "LLM-PARAM-logit-bias": '{"50256": -100}',
            "LLM-PARAM-stop": '["END", "STOP"]',
            "LLM-PARAM-reasoning-effort": "low",
            "LLM-PARAM-api-version": "2024",
            "LLM-PARAM-aws-region-name": "us-east-1",
            "LLM-PARAM-extra-body": "{not json",
        }
    )

    assert options.llm_params == {
        "max_tokens": 128,
        "temperature": 0.25,
        "parallel_tool_calls": False,
        "logit_bias": {"50256": -100},
        "stop": ["END", "STOP"],
        "reasoning_effort": "low",
        "api_version": "2024",
        "aws_region_name": "us-east-1",
        "extra_body": "{not json",
    }


def test_typed_value_edge_cases() -> None:
    assert typed_value("seed", "-3") == -3
    assert typed_value("top_p", "1e-3") == 0.001
    assert typed_value("x", "null") is None
    assert typed_value("x", "TRUE") is True
    assert typed_value("api_key", "12345") == "12345"


def test_secret_params_are_secret_and_server_controls_are_ignored() -> None:
    options = options_from_headers(
        {
            "LLM-PARAM-api-key": "sk-ant-123",
            "LLM-PARAM-aws-secret-access-key": "aws-secret",
            "LLM-PARAM-max-retries": "50",
            "LLM-PARAM-timeout": "9999",
            "LLM-PARAM-mock-response": "hi",
            "LLM-PARAM-litellm-logging-obj": "x",
            "LLM-PARAM-prompt-cache-key": "cache-1",
        }
    )

    assert set(options.llm_secrets) == {"api_key", "aws_secret_access_key"}
    assert options.llm_params == {"prompt_cache_key": "cache-1"}


def test_secrets_never_show_in_repr_str_or_json() -> None:
    options = options_from_headers(
        {
            "Authorization": "Bearer sk-bearer-secret",
            "LLM-PARAM-api-key": "sk-llm-secret",
            "EMBEDDING-PARAM-aws-access-key-id": "AKIAEMBEDSECRET",
            "base-url": "http://h/v1",
        }
    )

    for text in (repr(options), str(options), options.model_dump_json(), f"{options!r}"):
        for secret in ("sk-bearer-secret", "sk-llm-secret", "AKIAEMBEDSECRET"):
            assert secret not in text
    assert sorted(options.secret_values()) == [
        "AKIAEMBEDSECRET",
        "sk-bearer-secret",
        "sk-llm-secret",
    ]


def test_vertex_headers_apply_to_chat_and_embeddings() -> None:
    options = options_from_headers({"vertexai-project": "p1", "vertexai-location": "europe-west4"})

    assert options.llm_params == {"vertex_project": "p1", "vertex_location": "europe-west4"}
    assert options.embedding_params == options.llm_params


def test_base_url_with_an_unprefixed_model_goes_the_openai_compatible_way() -> None:
    options = options_from_headers({"Authorization": "Bearer k", "base-url": "http://h/v1"})

    route = chat_route("fake-model", options, PROVIDERS)

    assert route.kwargs == {
        "api_base": "http://h/v1",
        "custom_llm_provider": "openai",
        "api_key": "k",
    }
    assert route.secrets == ("k",)


def test_base_url_keeps_an_explicit_provider_prefix_or_header() -> None:
    options = options_from_headers({"base-url": "http://h"})
    assert "custom_llm_provider" not in chat_route("ollama/llama3", options, PROVIDERS).kwargs
    assert "custom_llm_provider" not in chat_route("anthropic/claude-x", options, PROVIDERS).kwargs

    explicit = options_from_headers({"base-url": "http://h", "custom-llm-provider": "anthropic"})
    assert chat_route("claude-x", explicit, PROVIDERS).kwargs["custom_llm_provider"] == "anthropic"


def test_a_caller_chosen_base_url_never_gets_the_servers_keys() -> None:
    route = chat_route("gpt-4o", options_from_headers({"base-url": "http://evil/v1"}), PROVIDERS)

    assert route.kwargs["api_key"] == NO_KEY  # LiteLLM would otherwise send OPENAI_API_KEY there


def test_without_base_url_or_key_the_environment_is_left_to_litellm() -> None:
    route = chat_route("gpt-4o", options_from_headers({}), PROVIDERS)

    assert route.kwargs == {}


def test_llm_param_credentials_win_and_are_not_mixed_with_the_bearer() -> None:
    options = options_from_headers(
        {
            "Authorization": "Bearer sk-openai",
            "LLM-PARAM-aws-access-key-id": "AKIA1",
            "LLM-PARAM-aws-secret-access-key": "s3cret",
            "LLM-PARAM-aws-region-name": "us-east-1",
        }
    )

    bedrock = chat_route("bedrock/anthropic.claude-v2", options, PROVIDERS).kwargs
    assert "api_key" not in bedrock
    assert bedrock["aws_access_key_id"] == "AKIA1"
    embedding = embedding_route("text-embedding-3-small", options, PROVIDERS).kwargs
    assert embedding == {"api_key": "sk-openai"}


def test_embedding_params_are_separate_from_llm_params() -> None:
    options = options_from_headers(
        {
            "api-key": "sk-main",
            "LLM-PARAM-api-key": "sk-llm",
            "EMBEDDING-PARAM-api-key": "sk-emb",
            "EMBEDDING-PARAM-base-url": "http://embed/v1",
        }
    )

    assert chat_route("gpt-4o", options, PROVIDERS).kwargs == {"api_key": "sk-llm"}
    assert embedding_route("my-embedder", options, PROVIDERS).kwargs == {
        "api_base": "http://embed/v1",
        "custom_llm_provider": "openai",
        "api_key": "sk-emb",
    }


def test_options_are_immutable() -> None:
    options = ProviderOptions()
    try:
        options.base_url = "http://x"  # type: ignore[misc]
    except ValueError:
        return
    raise AssertionError("ProviderOptions should be frozen")
