"""A small, deterministic, OpenAI-compatible fake LLM provider for the test suite and benchmarks.

Start it in-process with `start_upstream()` (uvicorn on 127.0.0.1, a free port, a background
thread), or as a process with `python -m tests.upstream --port N`. Endpoints:
`POST /v1/chat/completions` (JSON or SSE), `POST /v1/embeddings`, `GET /v1/models`. Every request
is logged in `Upstream.requests` with its headers, body and the API key it carried
(`Authorization: Bearer <key>` or `api-key: <key>`).

Chat (deterministic):
- The reply is `Echo: <text of the last user message>`, streamed one chunk per word: a first chunk
  with the role, a last one with `finish_reason`, then (with `stream_options.include_usage`) a chunk
  with empty `choices` and `usage`, then `data: [DONE]`. Usage counts words.
- When the last message is a `tool` message, the reply is `Tool outputs: <content 1>; <content 2>`
  (the trailing run of tool messages, in order), unless those outputs themselves say
  `call <name>`: then they trigger another round of tool calls, by the rule below.
- When a system message holds a file_search citation marker like `【4:0†source】`, the echo reply
  ends with the first such marker (as a model citing its sources would).
- Tool calls: when tools are offered and the last user message says `call <name>`,
  `call <name1> and <name2>` or `call a, b and c` (offered function names), the reply is one tool
  call per name (parallel, distinct ids `call_<hex>`), finish_reason `tool_calls`. Arguments are a
  JSON object: each `key=value` in the message whose key is a property of the function (the value
  parsed as JSON when it is, else a string), plus typed placeholders for missing required ones.
  `tool_choice: {"type": "function", "function": {"name": X}}` always calls X; `"required"` calls
  the named functions or else the first tool; `"none"` never calls; `parallel_tool_calls: false`
  keeps the first call only.
- `response_format` `json_schema`: a JSON object with the schema's required properties (all if none
  is required) holding typed placeholders (strings get the last user text); `json_object`:
  `{"echo": "<last user text>"}`.
- `max_tokens` / `max_completion_tokens` cut the reply to that many words (finish_reason `length`);
  `stop` cuts it before the first stop sequence; `n` gives n identical choices.

Faults, chosen by a part of the model name (e.g. `fake-fail-429`, `openai/x-slow-300`) or a header:
- `fail-401` / `x-upstream-fail: 401`, or a key starting `sk-invalid`: 401 `invalid_api_key`, the
  message quoting the whole key (so tests prove the server scrubs it).
- `fail-404`: 404 `model_not_found`. `fail-400`: 400 `invalid_request_error`, param `messages`.
- `fail-429`: 429 `rate_limit_exceeded` with `retry-after: 1`; `retry-after-<s>` in the name or
  `x-upstream-retry-after: <s>` sets the value.
- `fail-context`: 400 `context_length_exceeded`, param `messages`.
- `fail-500`, `fail-502`, `fail-503` (or `x-upstream-fail: 500`...): that status, `server_error`.
- `flaky-<n>-<status>`: the first n requests with the same model and messages fail with <status>.
- `fail-midstream` / `x-upstream-fail: midstream`: a stream sends the role chunk and up to 3 content
  chunks, then an SSE `{"error": ...}` payload, and ends.
- `drop-midstream` / `x-upstream-fail: drop`: the same, but the connection is cut instead.
- `slow-<ms>` / `x-upstream-delay-ms`: waits before answering (before the first token of a stream).
- `slow-stream-<ms>` / `x-upstream-chunk-delay-ms`: waits before each streamed chunk but the first.
- `x-upstream-set-cookie: <v>`: the chat answer sets a cookie `upstream_session=<v>`.

Anthropic's Messages API: `POST /v1/messages` (JSON or SSE, tool use; `x-api-key` and
`anthropic-version` headers) answers by the same rules, in Anthropic's shapes (`anthropic.py`).
LiteLLM's `anthropic` provider reaches it with the base URL `Upstream.root_url`.

Embeddings: a signed hashed bag of lower-cased word tokens, L2-normalised, so texts sharing words
rank closer. Dimensions: the request's `dimensions`, else a trailing `-<int>` of the model name
(`fake-embed-384`), else 1536. `encoding_format: base64` gives little-endian float32 bytes; a
model named `...floats-only...` refuses base64 with a 400 (param `encoding_format`).
"""

from tests.upstream.log import RecordedRequest, RequestLog
from tests.upstream.server import Upstream, start_upstream

__all__ = ["RecordedRequest", "RequestLog", "Upstream", "start_upstream"]
