"""Search over vector stores, for the search endpoint and for runs' file_search tool."""

from assistants.retrieval.search import SearchResult, search

__all__ = ["SearchResult", "search"]
