"""How the platform writes to its embedded SQLite database: one writer at a
time, in arrival order, each write transaction taking the lock up front.

SQLite lets one transaction write at a time. Its busy timeout makes a second
writer poll for the lock with growing sleeps, which is neither fair nor
bounded: under load (a dozen periodic jobs at start-up beside requests) a
writer could lose every race for ten seconds and fail "database is locked".
So inside a process, writers of one database file queue on an asyncio lock
(the write gate) before their BEGIN IMMEDIATE, first come first served, and
only other processes (a CLI command beside the server) meet the busy timeout.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.pool import ConnectionPoolEntry, PoolResetState
from sqlalchemy.util import await_

READ_ONLY_OPTION = "tuangou_read_only"

# A writer that waits longer than this for the gate fails as SQLite would,
# naming the transaction in its way: something holds a write transaction
# while it waits for another (a deadlock), or the process is overloaded.
GATE_TIMEOUT_S = 30.0

_BEGIN_PENDING = "tuangou_begin_pending"
_GATE_HELD = "tuangou_write_gate"
_BEGIN_WRITE = "BEGIN IMMEDIATE"


class WriteGate:
    """The writers of one database file in one event loop, one at a time."""

    def __init__(self) -> None:
        self._lock = asyncio.Lock()
        self._holder: asyncio.Task[Any] | None = None
        self._since = 0.0

    async def enter(self) -> None:
        """Wait for this writer's turn; raises SQLite's "database is locked"
        when the turn does not come, or cannot (the task holding the gate
        asks again: it would wait for itself)."""
        task = asyncio.current_task()
        if task is not None and task is self._holder:
            raise sqlite3.OperationalError(
                f"database is locked: task {task.get_name()} opened a second write "
                "transaction while its first is open"
            )
        try:
            async with asyncio.timeout(GATE_TIMEOUT_S):
                await self._lock.acquire()
        except TimeoutError:
            holder = self._holder.get_name() if self._holder is not None else "a closed writer"
            held_s = time.monotonic() - self._since
            raise sqlite3.OperationalError(
                f"database is locked: {holder} has held the write lock for {held_s:.1f} s"
            ) from None
        self._holder, self._since = task, time.monotonic()

    def leave(self) -> None:
        self._holder = None
        self._lock.release()


_GATES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, WriteGate]] = (
    weakref.WeakKeyDictionary()
)


def _gate(database: str) -> WriteGate:
    # An asyncio lock belongs to one event loop; tests run one loop per test.
    gates = _GATES.setdefault(asyncio.get_running_loop(), {})
    gate = gates.get(database)
    if gate is None:
        gate = gates[database] = WriteGate()
    return gate


def _database(engine_url: Any) -> str | None:
    # An in-memory database is private to its connection: nothing to queue for.
    name = engine_url.database
    return None if not name or name == ":memory:" else str(name)


async def _enter_gate(info: dict[str, Any], database: str | None) -> None:
    if database is None or _GATE_HELD in info:
        return
    gate = _gate(database)
    await gate.enter()
    info[_GATE_HELD] = gate


def _leave_gate(info: dict[str, Any]) -> None:
    gate = info.pop(_GATE_HELD, None)
    if gate is not None:
        gate.leave()


def _connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # Let SQLAlchemy's "begin" event below emit BEGIN instead of the driver.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; the busy timeout makes a
    # writer of another process wait instead of failing at once.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin(conn: Connection) -> None:
    # A deferred transaction that reads, then writes after another writer has
    # committed fails at once with SQLITE_BUSY, whatever the busy timeout.
    # Units of work therefore take the write lock up front (IMMEDIATE) and
    # queue behind each other; read-only sessions stay deferred so they never
    # wait for writers (WAL).
    if conn.get_execution_options().get(READ_ONLY_OPTION, False):
        conn.info.pop(_BEGIN_PENDING, None)  # never an IMMEDIATE inside it
        _execute(conn, "BEGIN DEFERRED")
        return
    # A write transaction's BEGIN waits for the unit's first statement and
    # goes to aiosqlite's thread with it (_before_statement,
    # run_in_sqlite_thread): each hop there costs ~150 us, SQLite's BEGIN ~2.
    conn.info[_BEGIN_PENDING] = True


def _execute(conn: Connection, sql: str) -> None:
    # Straight to aiosqlite, one hop: through a cursor (exec_driver_sql) it
    # was three.
    driver = conn.connection.driver_connection
    assert driver is not None  # the connection is checked out and open
    await_(driver.execute_fetchall(sql))


def _before_statement(conn: Connection, *_: Any) -> None:
    if conn.info.get(_BEGIN_PENDING, False):
        await_(_enter_gate(conn.info, _database(conn.engine.url)))
        try:
            _execute(conn, _BEGIN_WRITE)
        except BaseException:
            _leave_gate(conn.info)
            raise
        # Only once it has begun: after a failed BEGIN (a busy database) the
        # next statement tries again rather than running outside a transaction.
        del conn.info[_BEGIN_PENDING]


def _end(conn: Connection) -> None:
    # Committing or rolling back a transaction that never reached the
    # database: nothing to do there but forget the pending BEGIN. The event
    # comes just before the COMMIT or ROLLBACK is sent, so the next writer's
    # BEGIN may wait that one statement out in SQLite's busy handler. An
    # invalidated connection (a cancelled statement) has no info to ask; its
    # gate is left by the pool's invalidate event.
    if not conn.invalidated:
        conn.info.pop(_BEGIN_PENDING, None)
        _leave_gate(conn.info)


def _reset(
    dbapi_connection: Any, record: ConnectionPoolEntry | None, state: PoolResetState
) -> None:
    # The pool's own reset is a ROLLBACK on every return, a hop to aiosqlite's
    # thread even after a commit; roll back only what is really still open.
    if record is None:  # a detached connection: closed, not pooled
        return
    record.info.pop(_BEGIN_PENDING, None)
    try:
        if state.terminate_only or not state.asyncio_safe or state.transaction_was_reset:
            return
        driver = record.driver_connection
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()
    finally:
        _leave_gate(record.info)


def _invalidated(_dbapi_connection: Any, record: ConnectionPoolEntry, _exc: Any) -> None:
    # A connection closed mid-transaction (a cancelled task) takes its
    # transaction, and so its turn at the gate, with it.
    _leave_gate(record.info)


def install(engine: AsyncEngine) -> None:
    """Give a SQLite engine the platform's write discipline."""
    sync = engine.sync_engine
    event.listen(sync, "connect", _connect)
    event.listen(sync, "begin", _begin)
    event.listen(sync, "before_cursor_execute", _before_statement)
    event.listen(sync, "commit", _end)
    event.listen(sync, "rollback", _end)
    event.listen(sync.pool, "reset", _reset)
    event.listen(sync.pool, "invalidate", _invalidated)


T = TypeVar("T")


async def run_in_sqlite_thread(session: AsyncSession, work: Callable[[Any], T]) -> T:
    """Run ``work(sqlite3_connection)`` in aiosqlite's database thread, in one
    hop, inside the transaction the session's unit of work has begun (when
    nothing has reached the database yet, its BEGIN IMMEDIATE goes along in
    the same hop, see ``_begin``).
    For hot paths of several statements: each aiosqlite call is a hop to that
    thread and back, which cost more than SQLite's work. aiosqlite keeps its
    thread's queue private (``_execute``); SQLAlchemy's aiosqlite dialect uses
    it the same way. Pending ORM changes are flushed first, as SQLAlchemy's
    own statements would (autoflush); objects already loaded in the session do
    not see what ``work`` writes."""
    await session.flush()
    connection = await session.connection()
    begin = connection.info.pop(_BEGIN_PENDING, False)
    driver = (await connection.get_raw_connection()).driver_connection
    assert driver is not None  # the connection is checked out and open
    if not (begin or driver.in_transaction):
        raise RuntimeError("run_in_sqlite_thread needs the unit of work's transaction")
    if begin:
        try:
            await _enter_gate(connection.info, _database(connection.engine.url))
        except BaseException:
            connection.info[_BEGIN_PENDING] = True
            raise

    def in_transaction(conn: Any) -> T:
        if begin:  # the unit's first statement: its BEGIN goes in the same hop
            conn.execute(_BEGIN_WRITE)
        return work(conn)

    try:
        result: T = await driver._execute(in_transaction, driver._conn)
    except Exception:
        if begin and not driver.in_transaction:
            # The BEGIN itself failed: the next statement tries it again.
            connection.info[_BEGIN_PENDING] = True
            _leave_gate(connection.info)
        raise
    return result
