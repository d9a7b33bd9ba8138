"""The driver's connections to the node."""

from __future__ import annotations

import socket

from storage.cassandra.store import CassandraStore


async def test_requests_leave_without_waiting_for_an_ack(cql_store: CassandraStore) -> None:
    """A request that carries a vector (every search, every chunk insert) must not have its tail
    held back by Nagle's algorithm until the node's delayed ACK: that cost each 40 ms."""
    session = cql_store.cql.driver_session
    connections = [pool._connection for pool in session.get_pools()]
    connections.append(session.cluster.control_connection._connection)
    assert len(connections) >= 2
    for connection in connections:
        assert connection._socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
