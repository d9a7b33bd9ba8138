"""The turn engine: one streamed model call with tools, shared by Assistants runs and Responses.

``engine.run_turn`` sends a chat request, relays what the model streams as typed events
(``events``) to the caller's sink, and returns what the turn produced (text, tool calls, usage,
why it stopped). ``retrieval`` finds file_search sources and turns citation markers into
annotations. Each API is an adapter: it builds the request, persists its own objects and maps
the events to its own stream vocabulary.
"""
