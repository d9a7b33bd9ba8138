"""Building the driver ``Cluster``: policies, timeouts and execution profiles.

Timeouts are short on purpose: when the node dies, requests fail with ``StorageUnavailable`` within
about ``timeout`` seconds instead of hanging a worker, and the reconnection policy keeps probing
(every 0.5 s growing to 5 s) so the same ``Cluster`` serves again as soon as the node is back.

With several nodes, one lost node costs no request: ``ClusterRetryPolicy`` resends idempotent
requests whose coordinator failed to another node, and an idempotent request still unanswered after
``speculative_delay`` is also sent to the next node (the first answer wins), so a hung node delays
it by that much instead of failing it after ``timeout``. ANN queries (costly) and health probes
are never sent twice.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cassandra import ConsistencyLevel, ProtocolVersion
from cassandra.auth import AuthProvider, PlainTextAuthProvider
from cassandra.cluster import EXEC_PROFILE_DEFAULT, Cluster, ExecutionProfile, Session
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    DCAwareRoundRobinPolicy,
    ExponentialReconnectionPolicy,
    NoSpeculativeExecutionPolicy,
    SpeculativeExecutionPolicy,
    TokenAwarePolicy,
)
from cassandra.query import tuple_factory

from storage.cassandra.retry import ClusterRetryPolicy
from storage.cassandra.session import ANN_PROFILE, PROBE_PROFILE
from storage.settings import CassandraSettings

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 5.0
PROBE_TIMEOUT_SECONDS = 2.0
SPECULATIVE_DELAY_SECONDS = 0.5


def profiles(
    consistency: str,
    serial_consistency: str,
    timeout: float,
    local_dc: str | None,
    speculative_delay: float = SPECULATIVE_DELAY_SECONDS,
) -> dict[Any, ExecutionProfile]:
    """The default profile, ``ann`` (LOCAL_ONE: required by SAI vector search) and ``probe``."""
    no_second_copy = NoSpeculativeExecutionPolicy()

    def profile(
        level: str, request_timeout: float, speculation: SpeculativeExecutionPolicy
    ) -> ExecutionProfile:
        return ExecutionProfile(
            load_balancing_policy=TokenAwarePolicy(DCAwareRoundRobinPolicy(local_dc=local_dc)),
            retry_policy=ClusterRetryPolicy(),
            consistency_level=ConsistencyLevel.name_to_value[level],
            serial_consistency_level=ConsistencyLevel.name_to_value[serial_consistency],
            request_timeout=request_timeout,
            row_factory=tuple_factory,
            speculative_execution_policy=speculation,
        )

    speculation: SpeculativeExecutionPolicy = no_second_copy
    if 0 < speculative_delay < timeout:
        speculation = ConstantSpeculativeExecutionPolicy(speculative_delay, max_attempts=1)
    return {
        EXEC_PROFILE_DEFAULT: profile(consistency, timeout, speculation),
        ANN_PROFILE: profile("LOCAL_ONE", timeout, no_second_copy),
        PROBE_PROFILE: profile("LOCAL_ONE", min(timeout, PROBE_TIMEOUT_SECONDS), no_second_copy),
    }


def new_cluster(
    *,
    consistency: str,
    serial_consistency: str,
    timeout: float,
    local_dc: str | None = None,
    speculative_delay: float = SPECULATIVE_DELAY_SECONDS,
    contact_points: Sequence[str] | None = None,
    port: int = 9042,
    bundle: Path | None = None,
    auth_provider: AuthProvider | None = None,
    protocol_version: int = ProtocolVersion.V5,
) -> Cluster:
    """A ``Cluster`` for contact points or (Astra) a secure connect bundle; not yet connected."""
    options: dict[str, Any] = {
        "auth_provider": auth_provider,
        "execution_profiles": profiles(
            consistency, serial_consistency, timeout, local_dc, speculative_delay
        ),
        "protocol_version": protocol_version,
        "connect_timeout": min(timeout, CONNECT_TIMEOUT_SECONDS),
        "control_connection_timeout": min(timeout, CONNECT_TIMEOUT_SECONDS),
        "reconnection_policy": ExponentialReconnectionPolicy(base_delay=0.5, max_delay=5.0),
        "idle_heartbeat_interval": 10,
        "idle_heartbeat_timeout": max(timeout, 5.0),
        "application_name": "assistants-server",
        # The driver leaves Nagle's algorithm on: a request it sends in more than one write (one
        # carrying a vector: every search, every chunk insert) then waits for the node's delayed
        # ACK, 40 ms on Linux. On loopback a read with a 1536-float parameter took 45 ms with
        # it, 0.8 ms without (bench/cql_sockets.py).
        "sockopts": [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)],
    }
    if bundle is not None:
        options["cloud"] = {"secure_connect_bundle": str(bundle)}
    else:
        options["contact_points"] = list(contact_points or ("127.0.0.1",))
        options["port"] = port
    return Cluster(**options)


def cluster_for(settings: CassandraSettings) -> Cluster:
    auth = None
    if settings.username is not None:
        password = settings.password.get_secret_value() if settings.password else ""
        auth = PlainTextAuthProvider(settings.username, password)
    return new_cluster(
        consistency=settings.consistency,
        serial_consistency=settings.serial_consistency,
        timeout=settings.timeout,
        local_dc=settings.local_dc,
        speculative_delay=settings.speculative_delay,
        contact_points=settings.hosts,
        port=settings.port,
        auth_provider=auth,
    )


def connect(cluster: Cluster) -> Session:
    """Blocking: open the control connection and the pools. Call from a worker thread."""
    return cluster.connect()


def replication_literal(replication: Mapping[str, str]) -> str:
    """A CQL map literal for ``CREATE KEYSPACE ... WITH replication = ...``."""
    items = ", ".join(f"{_quote(k)}: {_quote(v)}" for k, v in replication.items())
    return "{" + items + "}"


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"
