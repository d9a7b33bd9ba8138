"""Access to the project's real Cassandra node (scripts/cassandra) from tests."""

from __future__ import annotations

import os
import socket
import uuid

import pytest

HOST = os.environ.get("CASSANDRA_HOST", "127.0.0.1")
PORT = int(os.environ.get("CASSANDRA_PORT", "9042"))


def reachable() -> bool:
    try:
        with socket.create_connection((HOST, PORT), timeout=1):
            return True
    except OSError:
        return False


def require() -> None:
    """Skip when no node answers; in CI that is a failure instead."""
    if reachable():
        return
    message = f"no Cassandra node at {HOST}:{PORT} (start one with scripts/cassandra start)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def fresh_keyspace(prefix: str = "test") -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def store_url(keyspace: str) -> str:
    return f"cassandra://{HOST}:{PORT}/{keyspace}?replication=SimpleStrategy:1&consistency=ONE"
