"""The only place that talks to LLM providers: LiteLLM behind the small `Inference` interface.

Importing this package does not import LiteLLM (that takes seconds): `LiteLLMEngine.warm()` or the
first call does. Nothing here imports the HTTP layer; failures are `inference.errors` exceptions.
See docs/inference.md.
"""

from inference.base import (
    ChatChunk,
    ChatRequest,
    ChatResult,
    EmbeddingInput,
    EmbeddingResult,
    Inference,
)
from inference.errors import (
    BadProviderRequest,
    ContextLengthExceeded,
    InferenceError,
    ModelNotFound,
    ProviderAuthError,
    ProviderPermissionDenied,
    ProviderTimeout,
    ProviderUnavailable,
    QuotaExceeded,
    RateLimited,
)
from inference.litellm_engine import LiteLLMEngine
from inference.options import ProviderOptions, options_from_headers
from inference.settings import InferenceSettings

__all__ = [
    "BadProviderRequest",
    "ChatChunk",
    "ChatRequest",
    "ChatResult",
    "ContextLengthExceeded",
    "EmbeddingInput",
    "EmbeddingResult",
    "Inference",
    "InferenceError",
    "InferenceSettings",
    "LiteLLMEngine",
    "ModelNotFound",
    "ProviderAuthError",
    "ProviderOptions",
    "ProviderPermissionDenied",
    "ProviderTimeout",
    "ProviderUnavailable",
    "QuotaExceeded",
    "RateLimited",
    "options_from_headers",
]
