"""An asyncio face on one driver ``Session``: prepared-once statements and bridged futures.

Every request is ``session.execute_async``; the driver's callbacks (on its event-loop thread) hand
the outcome to the asyncio loop with ``call_soon_threadsafe``, so nothing here blocks the loop.
Only ``prepare`` is a blocking driver call: it runs in a worker thread, once per CQL text.

Prepared statements are marked idempotent (or not) once, from their text (``retry``), so the
driver may resend them to another node or speculatively. A logged batch whose batchlog write timed
out was not applied: it is sent again after a pause, for up to ``BATCHLOG_RETRY_SECONDS`` (after a
node dies, coordinators keep choosing it for the batchlog until their failure detector marks it
down, about 10-20 s with the default ``phi_convict_threshold``).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from cassandra import WriteTimeout, WriteType
from cassandra.cluster import EXEC_PROFILE_DEFAULT, ResponseFuture, ResultSet, Session
from cassandra.query import BatchStatement, BatchType, PreparedStatement

from storage.cassandra.retry import is_idempotent
from storage.cassandra.translate import translate
from storage.cassandra.vectors import fast_vectors
from storage.errors import StorageUnavailable, WriteOutcomeUnknown

log = logging.getLogger(__name__)

Row = tuple[Any, ...]
Params = Sequence[Any]
# Execution profiles, defined in ``storage.cassandra.cluster``.
DEFAULT_PROFILE: Any = EXEC_PROFILE_DEFAULT
ANN_PROFILE = "ann"  # SAI vector search accepts only ONE / LOCAL_ONE in Cassandra 5.0
PROBE_PROFILE = "probe"  # health checks: short timeout

BATCHLOG_RETRY_SECONDS = 30.0
BATCHLOG_PAUSES = (0.25, 0.5, 1.0, 2.0)  # then 2.0 each time


@dataclass(frozen=True, slots=True)
class ResultPage:
    rows: list[Row]
    paging_state: bytes | None


class CqlSession:
    """Statements by CQL text, prepared once; results as lists of tuples."""

    def __init__(self, session: Session, *, tenant_auth: bool = False) -> None:
        self._session = session
        self._tenant_auth = tenant_auth
        self._prepared: dict[str, PreparedStatement] = {}
        self._preparing: dict[str, asyncio.Future[PreparedStatement]] = {}

    @property
    def driver_session(self) -> Session:
        return self._session

    @property
    def prepared_count(self) -> int:
        return len(self._prepared)

    @property
    def statements(self) -> list[str]:
        """The CQL texts prepared so far."""
        return list(self._prepared)

    async def prepare(self, cql: str) -> PreparedStatement:
        """The prepared statement for ``cql``; concurrent first callers share one prepare."""
        found = self._prepared.get(cql)
        if found is not None:
            return found
        pending = self._preparing.get(cql)
        if pending is None:
            pending = asyncio.get_running_loop().create_future()
            self._preparing[cql] = pending
            try:
                statement = fast_vectors(await asyncio.to_thread(self._session.prepare, cql))
                statement.is_idempotent = is_idempotent(cql)
            except Exception as exc:
                error = translate(exc, tenant_auth=self._tenant_auth)
                pending.set_exception(error)
                pending.exception()  # mark retrieved: other waiters may not exist
                raise error from None
            finally:
                self._preparing.pop(cql, None)
            self._prepared[cql] = statement
            pending.set_result(statement)
            return statement
        return await asyncio.shield(pending)

    async def execute(
        self,
        cql: str,
        params: Params = (),
        *,
        profile: Any = DEFAULT_PROFILE,
        paging_state: bytes | None = None,
    ) -> ResultPage:
        """One page of results (the whole result for statements bounded by LIMIT)."""
        statement = await self.prepare(cql)
        return await self._run(statement, params, profile, paging_state)

    async def rows(
        self, cql: str, params: Params = (), *, profile: Any = DEFAULT_PROFILE
    ) -> list[Row]:
        """All rows of a (LIMIT-bounded or single-page) query."""
        page = await self.execute(cql, params, profile=profile)
        if page.paging_state is None:
            return page.rows
        rows = list(page.rows)
        async for more in self.pages(cql, params, profile=profile, paging_state=page.paging_state):
            rows.extend(more)
        return rows

    async def pages(
        self,
        cql: str,
        params: Params = (),
        *,
        profile: Any = DEFAULT_PROFILE,
        paging_state: bytes | None = None,
    ) -> AsyncIterator[list[Row]]:
        """The result page by page (the driver's paging state), for unbounded slices."""
        statement = await self.prepare(cql)
        while True:
            page = await self._run(statement, params, profile, paging_state)
            if page.rows:
                yield page.rows
            if page.paging_state is None:
                return
            paging_state = page.paging_state

    async def one(
        self, cql: str, params: Params = (), *, profile: Any = DEFAULT_PROFILE
    ) -> Row | None:
        page = await self.execute(cql, params, profile=profile)
        return page.rows[0] if page.rows else None

    async def conditional(self, cql: str, params: Params = ()) -> tuple[bool, Row | None]:
        """Run a lightweight transaction; return ``(applied, row)`` (row: the current values).

        Raises ``WriteOutcomeUnknown`` when it may or may not have been applied: its answer was
        lost with a node, it timed out in Paxos, or lost to a concurrent proposal midway.
        """
        try:
            row = await self.one(cql, params)
        except StorageUnavailable as exc:
            raise WriteOutcomeUnknown(str(exc), exc.retry_after) from None
        if row is None:
            return False, None
        return bool(row[0]), row

    async def batch(self, statements: Sequence[tuple[str, Params]], *, logged: bool = True) -> None:
        """Apply ``statements`` as one batch (LOGGED: all or nothing across partitions)."""
        if len(statements) == 1:
            cql, params = statements[0]
            await self.execute(cql, params)
            return
        batch = BatchStatement(batch_type=BatchType.LOGGED if logged else BatchType.UNLOGGED)
        idempotent = True
        for cql, params in statements:
            prepared = await self.prepare(cql)
            idempotent = idempotent and prepared.is_idempotent
            batch.add(prepared, params)
        batch.is_idempotent = idempotent
        await self._run(batch, (), DEFAULT_PROFILE, None)

    async def _run(
        self, statement: Any, params: Params, profile: Any, paging_state: bytes | None
    ) -> ResultPage:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + BATCHLOG_RETRY_SECONDS
        for attempt in itertools.count():
            try:
                return await self._send(statement, params, profile, paging_state)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                pause = BATCHLOG_PAUSES[min(attempt, len(BATCHLOG_PAUSES) - 1)]
                if not _batchlog_timeout(exc) or loop.time() + pause > give_up:
                    raise translate(exc, tenant_auth=self._tenant_auth) from None
                log.info("batchlog write timed out (a node down?); sending the batch again")
                await asyncio.sleep(pause)
        raise AssertionError("unreachable")

    async def _send(
        self, statement: Any, params: Params, profile: Any, paging_state: bytes | None
    ) -> ResultPage:
        """One request (the driver's retries and speculative executions included)."""
        future = self._session.execute_async(  # NoHostAvailable can be raised synchronously
            statement,
            params or None,
            execution_profile=profile,
            paging_state=paging_state,
        )
        return await _bridge(future)


def _batchlog_timeout(exc: BaseException) -> bool:
    """The batchlog write of a logged batch timed out: nothing of the batch was applied."""
    return isinstance(exc, WriteTimeout) and exc.write_type == WriteType.BATCH_LOG


def _bridge(future: ResponseFuture) -> asyncio.Future[ResultPage]:
    """An asyncio future resolved from the driver's callback thread."""
    loop = asyncio.get_running_loop()
    result: asyncio.Future[ResultPage] = loop.create_future()

    def on_rows(rows: list[Row]) -> None:
        state = ResultSet(future, rows).paging_state if future.has_more_pages else None
        page = ResultPage(list(rows or ()), state)
        _release(future)
        _post(loop, result, page, None)

    def on_error(exc: BaseException) -> None:
        _release(future)
        _post(loop, result, None, exc)

    future.add_callbacks(on_rows, on_error)
    return result


def _release(future: ResponseFuture) -> None:
    """Drop a finished request's statement and rows (we have taken what we need).

    The driver's reactor keeps every request reachable until its timeout timer would have fired
    (cancelling only flags the timer), ``request_timeout`` seconds after it finished. Without this,
    every blob part written or read in the last ``timeout`` seconds (1 MiB each) stays in memory.
    Runs in the callback, which is the last thing the driver does with the finished request.
    """
    future.clear_callbacks()
    future.query = None
    future.message = None
    future.query_plan = iter(())  # the load balancer's generator holds the statement too
    future._final_result = None


def _post(
    loop: asyncio.AbstractEventLoop,
    target: asyncio.Future[ResultPage],
    page: ResultPage | None,
    exc: BaseException | None,
) -> None:
    try:
        loop.call_soon_threadsafe(_settle, target, page, exc)
    except RuntimeError:
        # The loop is closed: nobody is waiting for this result any more.
        log.debug("dropped a database result for a closed event loop")


def _settle(
    target: asyncio.Future[ResultPage], page: ResultPage | None, exc: BaseException | None
) -> None:
    if target.done():  # the awaiting task was cancelled
        return
    if exc is not None:
        target.set_exception(exc)
    else:
        assert page is not None
        target.set_result(page)
