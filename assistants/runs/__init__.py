"""Runs: execution, streaming events, tool calls, file_search, run steps, leases."""
