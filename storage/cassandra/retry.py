"""Which statements may be sent twice, and what the driver does when a node fails mid-request.

A statement is *idempotent* when running it twice leaves the same data as running it once. Every
write here is a plain INSERT, UPDATE or DELETE without a condition: the driver stamps it with a
client-side timestamp once, and a retry or a speculative execution resends that same message, so a
second copy writes the same cells at the same timestamp. The exceptions are lightweight
transactions (``IF ...``: a second copy may find the first one's result and answer "not applied")
and counter updates (``SET n = n + ?``: a second copy adds twice).

``ClusterRetryPolicy`` (one per execution profile) sends an idempotent request to the next node
when its coordinator timed out or was unavailable, and any request but an LWT when the connection
dropped under it (a node killed): an LWT's outcome is then unknown, and ``documents`` settles it
by running it again and reading the row back. A counter update is resent only after a dropped
connection, as the driver does by default (the count is approximate by design). Timeouts of a
logged batch's batchlog write (``BATCH_LOG``: nothing was applied) are retried by
``CqlSession._run`` with a pause, because they last until the cluster's failure detector has
marked a dead node down, longer than one request's timeout.
"""

from __future__ import annotations

import re
from typing import Any

from cassandra import ConsistencyLevel, WriteType
from cassandra.policies import RetryPolicy

_CONDITION = re.compile(r"\bIF\s+(NOT\s+EXISTS|EXISTS|\w+\s*(=|!=|<|>|<=|>=|IN)\s*)", re.I)
_INCREMENT = re.compile(r"\bSET\s+(\w+)\s*=\s*\1\s*[+-]", re.I)
_DDL = re.compile(r"^\s*(CREATE|ALTER|DROP|TRUNCATE)\b", re.I)

# Each retry goes to another node; one is enough for a single failed node (RF 3 survives one).
NEXT_HOST_RETRIES = 2


def is_conditional(cql: str) -> bool:
    """A lightweight transaction (``IF NOT EXISTS``, ``IF EXISTS``, ``IF col = ?``)."""
    return not _DDL.match(cql) and _CONDITION.search(cql) is not None


def is_idempotent(cql: str) -> bool:
    """Safe to send twice: not an LWT, not a counter increment, not schema DDL."""
    return not (_DDL.match(cql) or _CONDITION.search(cql) or _INCREMENT.search(cql))


def _conditional_query(query: Any) -> bool:
    prepared = getattr(query, "prepared_statement", None)
    return prepared is not None and is_conditional(prepared.query_string)


class ClusterRetryPolicy(RetryPolicy):
    """Resend idempotent requests to another node; never resend an LWT."""

    def on_read_timeout(
        self,
        query: Any,
        consistency: ConsistencyLevel,
        required_responses: int,
        received_responses: int,
        data_retrieved: bool,
        retry_num: int,
    ) -> tuple[int, ConsistencyLevel | None]:
        if retry_num >= NEXT_HOST_RETRIES:
            return self.RETHROW, None
        if retry_num == 0 and received_responses >= required_responses and not data_retrieved:
            return self.RETRY, consistency  # the data replica was slow, the digests came back
        if query is not None and query.is_idempotent:
            return self.RETRY_NEXT_HOST, consistency
        return self.RETHROW, None

    def on_write_timeout(
        self,
        query: Any,
        consistency: ConsistencyLevel,
        write_type: int,
        required_responses: int,
        received_responses: int,
        retry_num: int,
    ) -> tuple[int, ConsistencyLevel | None]:
        plain = write_type in (WriteType.SIMPLE, WriteType.BATCH, WriteType.UNLOGGED_BATCH)
        if plain and query is not None and query.is_idempotent and retry_num < NEXT_HOST_RETRIES:
            return self.RETRY_NEXT_HOST, consistency
        return self.RETHROW, None  # BATCH_LOG: CqlSession; CAS: documents; COUNTER: not twice

    def on_unavailable(
        self,
        query: Any,
        consistency: ConsistencyLevel,
        required_replicas: int,
        alive_replicas: int,
        retry_num: int,
    ) -> tuple[int, ConsistencyLevel | None]:
        # Another coordinator may see more replicas alive (its failure detector is its own).
        if retry_num < NEXT_HOST_RETRIES:
            return self.RETRY_NEXT_HOST, None
        return self.RETHROW, None

    def on_request_error(
        self, query: Any, consistency: ConsistencyLevel, error: Exception, retry_num: int
    ) -> tuple[int, ConsistencyLevel | None]:
        # A dropped connection or an overloaded node: the request may or may not have run there.
        if _conditional_query(query):
            return self.RETHROW, None
        return self.RETRY_NEXT_HOST, None
