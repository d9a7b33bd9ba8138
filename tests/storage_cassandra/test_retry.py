"""What the driver may send twice, and where, when a node fails under a request."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from cassandra import ConsistencyLevel, WriteType
from cassandra.cluster import EXEC_PROFILE_DEFAULT
from cassandra.policies import (
    ConstantSpeculativeExecutionPolicy,
    NoSpeculativeExecutionPolicy,
    RetryPolicy,
)
from cassandra.protocol import ErrorMessage

from storage.cassandra.cluster import profiles
from storage.cassandra.doc_cql import doc_cql
from storage.cassandra.retry import ClusterRetryPolicy, is_conditional, is_idempotent
from storage.cassandra.session import ANN_PROFILE, PROBE_PROFILE
from storage.cassandra.translate import translate
from storage.errors import StorageUnavailable
from storage.settings import CassandraSettings, parse_store_url

LQ = ConsistencyLevel.LOCAL_QUORUM
Q = doc_cql("ks")
COUNTER = "UPDATE ks.vector_store_counts SET chunks = chunks + ? WHERE tenant = ? AND x = ?"


def bound(cql: str) -> SimpleNamespace:
    """What the policy is handed: a bound statement of a statement prepared by ``CqlSession``."""
    return SimpleNamespace(
        is_idempotent=is_idempotent(cql), prepared_statement=SimpleNamespace(query_string=cql)
    )


@pytest.mark.parametrize(
    ("cql", "idempotent", "conditional"),
    [
        (Q.get, True, False),
        (Q.insert, True, False),
        (Q.delete_partition, True, False),
        (Q.insert_index, True, False),
        (Q.cas_insert, False, True),
        (Q.cas_update, False, True),
        (Q.cas_delete, False, True),
        (COUNTER, False, False),
        ("CREATE TABLE IF NOT EXISTS ks.t (a int PRIMARY KEY)", False, False),
    ],
)
def test_only_lwts_counters_and_ddl_are_never_sent_twice(
    cql: str, idempotent: bool, conditional: bool
) -> None:
    assert is_idempotent(cql) is idempotent
    assert is_conditional(cql) is conditional


def test_a_dropped_connection_resends_a_write_to_another_node_but_never_an_lwt() -> None:
    policy = ClusterRetryPolicy()
    error = ConnectionError("connection reset")
    assert policy.on_request_error(bound(Q.insert), LQ, error, 0)[0] == RetryPolicy.RETRY_NEXT_HOST
    assert policy.on_request_error(bound(COUNTER), LQ, error, 0)[0] == RetryPolicy.RETRY_NEXT_HOST
    for lwt in (Q.cas_insert, Q.cas_update, Q.cas_delete):
        assert policy.on_request_error(bound(lwt), LQ, error, 0)[0] == RetryPolicy.RETHROW


def test_timeouts_move_idempotent_requests_to_another_node_a_bounded_number_of_times() -> None:
    policy = ClusterRetryPolicy()
    read = bound(Q.get)
    assert policy.on_read_timeout(read, LQ, 2, 1, False, 0) == (RetryPolicy.RETRY_NEXT_HOST, LQ)
    assert policy.on_read_timeout(read, LQ, 2, 1, False, 2)[0] == RetryPolicy.RETHROW
    write = bound(Q.insert)
    for kind in (WriteType.SIMPLE, WriteType.BATCH, WriteType.UNLOGGED_BATCH):
        assert policy.on_write_timeout(write, LQ, kind, 2, 1, 0)[0] == RetryPolicy.RETRY_NEXT_HOST
        assert policy.on_write_timeout(write, LQ, kind, 2, 1, 2)[0] == RetryPolicy.RETHROW
    # Not the driver's to resend: the batchlog (CqlSession), Paxos (documents) and counters.
    for query, kind in (
        (write, WriteType.BATCH_LOG),
        (bound(Q.cas_update), WriteType.CAS),
        (bound(COUNTER), WriteType.COUNTER),
    ):
        assert policy.on_write_timeout(query, LQ, kind, 2, 1, 0)[0] == RetryPolicy.RETHROW
    assert policy.on_unavailable(write, LQ, 2, 1, 0)[0] == RetryPolicy.RETRY_NEXT_HOST


def test_idempotent_requests_get_a_speculative_copy_ann_and_probes_do_not() -> None:
    made = profiles("LOCAL_QUORUM", "LOCAL_SERIAL", 10.0, None, speculative_delay=0.25)
    default = made[EXEC_PROFILE_DEFAULT].speculative_execution_policy
    assert isinstance(default, ConstantSpeculativeExecutionPolicy)
    assert (default.delay, default.max_attempts) == (0.25, 1)
    for name in (ANN_PROFILE, PROBE_PROFILE):
        assert isinstance(made[name].speculative_execution_policy, NoSpeculativeExecutionPolicy)
    assert all(isinstance(p.retry_policy, ClusterRetryPolicy) for p in made.values())
    off = profiles("LOCAL_QUORUM", "LOCAL_SERIAL", 10.0, None, speculative_delay=0)
    assert isinstance(
        off[EXEC_PROFILE_DEFAULT].speculative_execution_policy, NoSpeculativeExecutionPolicy
    )


def test_speculative_delay_is_a_store_url_setting() -> None:
    settings = parse_store_url("cassandra://h1,h2,h3/ks?speculative_delay=0.2")
    assert isinstance(settings, CassandraSettings) and settings.speculative_delay == 0.2
    with pytest.raises(ValueError):
        parse_store_url("cassandra://h1/ks?speculative_delay=-1")


def test_an_lwt_of_unknown_outcome_is_a_503_not_a_500() -> None:
    unknown = ErrorMessage(
        0x1700, "CAS operation result is unknown - proposal accepted by 1 but not a quorum.", None
    )
    error = translate(unknown)
    assert isinstance(error, StorageUnavailable) and error.retry_after
    assert "CAS" not in str(error) and "quorum" not in str(error)
