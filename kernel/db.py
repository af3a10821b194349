"""One code base on SQLite and PostgreSQL: the declarative base, column types,
engines and the unit of work."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from functools import partial
from typing import Any, cast

from sqlalchemy import BigInteger, DateTime, Integer, MetaData, event
from sqlalchemy import Enum as SAEnum
from sqlalchemy.engine import CursorResult, Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.pool import ConnectionPoolEntry
from sqlalchemy.types import TypeDecorator

from kernel import sqlite
from kernel.clock import as_utc
from kernel.sqlite import READ_ONLY_OPTION, run_in_sqlite_thread

# Stable constraint names, so Alembic can alter them later and batch mode on
# SQLite can rebuild tables without losing them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only autoincrements an INTEGER PRIMARY KEY; PostgreSQL gets 64 bits.
BigID = BigInteger().with_variant(Integer(), "sqlite")


def enum_column(enum: type[Enum], name: str) -> SAEnum:
    """Enums stored by value as VARCHAR with a CHECK: portable, readable in SQL."""
    return SAEnum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda e: [m.value for m in e],
        validate_strings=True,
    )


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; the platform stores aware UTC times")
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else as_utc(value)


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    """An async engine for ``url`` with the settings each database needs."""
    # Parameters may hold phone numbers, names and payment ids; an error's
    # message (logged, and in a traceback) shows the statement without them.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_async_engine(url, pool_reset_on_return=None, **kwargs)
        sqlite.install(engine)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # No ping before each checkout: it cost three round trips a request (BEGIN,
    # a query, ROLLBACK on asyncpg), a fifth of a busy worker's time. Instead a
    # connection the server has closed (a restart, a failover, a terminated
    # backend) is dropped at checkout without a round trip: asyncpg has already
    # seen its socket close. The hot paths send statements straight to the
    # driver, so SQLAlchemy would never see the disconnect itself, and every
    # pooled connection failed on every use until the process restarted.
    kwargs.setdefault("pool_pre_ping", False)
    engine = create_async_engine(url, **kwargs)
    event.listen(engine.sync_engine.pool, "checkout", _discard_closed)
    return engine


def _discard_closed(dbapi_connection: Any, _record: ConnectionPoolEntry, _proxy: Any) -> None:
    driver = getattr(dbapi_connection, "driver_connection", None)
    if driver is not None and driver.is_closed():
        # The pool replaces it with a new connection and checks out again.
        raise DisconnectionError("the server closed this connection")


def create_sessionmaker(
    engine: AsyncEngine, *, read_only: bool = False
) -> async_sessionmaker[AsyncSession]:
    """Sessions on ``engine``; ``read_only`` ones are for request reads."""
    if read_only:
        engine = engine.execution_options(**{READ_ONLY_OPTION: True})
    # expire_on_commit=False: objects returned by a committed unit of work stay
    # readable by the API layer that turns them into GraphQL types.
    return async_sessionmaker(engine, expire_on_commit=False, autoflush=True)


@asynccontextmanager
async def unit_of_work(sessions: async_sessionmaker[AsyncSession]) -> AsyncIterator[AsyncSession]:
    """One transaction: commits when the block ends normally, rolls back on any
    exception. Opened at the edge (a resolver, a job step, a CLI command)."""
    async with sessions() as session, session.begin():
        yield session


async def fetch_row(
    connection: AsyncConnection | AsyncSession, statement: Any, **params: Any
) -> Mapping[str, Any] | None:
    """The first row of a prebuilt Core SELECT, by column name. For the few
    statements every request runs: on asyncpg it goes straight to the driver
    with the statement compiled once, skipping SQLAlchemy's per-execution
    work, which cost more than the query; values then come back as the driver
    gives them (an enum as its stored value), elsewhere as SQLAlchemy's."""
    bind = connection.get_bind() if isinstance(connection, AsyncSession) else connection
    if bind.dialect.name != "postgresql":
        if isinstance(connection, AsyncSession) or connection.in_transaction():
            result = await connection.execute(statement, params)
            row = result.mappings().first()
            return None if row is None else dict(row)
        # A bare connection: the one SELECT, consistent by itself, goes to
        # aiosqlite in one hop, without the BEGIN and ROLLBACK around it and
        # SQLAlchemy's four hops per statement.
        compiled = prepared(statement, bind.dialect)
        driver = await driver_connection(connection)
        rows = await driver.execute_fetchall(compiled.sql, compiled.arguments(params))
        return None if not rows else compiled.mapping(next(iter(rows)))
    compiled = prepared(statement, bind.dialect)
    driver = await driver_connection(connection)
    record = await driver.fetchrow(compiled.sql, *compiled.arguments(params))
    return None if record is None else dict(record)


async def write_in_transaction(
    session: AsyncSession, statement: Any, **params: Any
) -> list[tuple[Any, ...]]:
    """Run a prebuilt Core INSERT/UPDATE/DELETE straight on the driver, inside
    the transaction the session has already begun on the database, and return
    the rows of its RETURNING as the driver gives them. For the hot paths'
    writes: SQLAlchemy's per-statement work (and on aiosqlite its four or five
    hops to the database thread) cost several times the statement."""
    bind = session.get_bind()
    compiled = prepared(statement, bind.dialect)
    if bind.dialect.name == "postgresql":
        driver = await driver_connection(session)
        if not driver.is_in_transaction():
            raise RuntimeError("write_in_transaction needs a transaction begun on the database")
        return await _on_driver(driver, compiled, params)
    rows = await run_in_sqlite_thread(session, partial(_run, compiled, params))
    return [tuple(r) for r in rows]


async def write_statement(
    session: AsyncSession, statement: Any, **params: Any
) -> list[tuple[Any, ...]]:
    """Run a prebuilt Core INSERT/UPDATE/DELETE in the session's transaction
    and return the rows of its RETURNING. On PostgreSQL it goes straight to
    the driver where that changes nothing: the session is in autocommit
    (each statement a transaction of its own) or its transaction has begun
    on the database. Otherwise, and on SQLite, it goes through the session,
    whose first statement begins the transaction the write must be part of."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        autocommit = bind.get_execution_options().get("isolation_level") == "AUTOCOMMIT"
        driver = await driver_connection(session)
        if autocommit or driver.is_in_transaction():
            return await _on_driver(driver, prepared(statement, bind.dialect), params)
    result = cast(CursorResult[Any], await session.execute(statement, params))
    return [tuple(r) for r in result.all()] if result.returns_rows else []


async def _on_driver(
    driver: Any, compiled: Prepared, params: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    return [tuple(r) for r in await driver.fetch(compiled.sql, *compiled.arguments(params))]


def _run(compiled: Prepared, params: Mapping[str, Any], conn: Any) -> list[Any]:
    return compiled.run(conn, **params)


@dataclass(frozen=True)
class Prepared:
    """A statement compiled once for one database, with how to turn named
    parameters into the driver's positional ones (SQLAlchemy's own bind
    processing: enums to their values, times to UTC or SQLite's text)."""

    sql: str
    compiled: Any
    names: tuple[str, ...]
    processors: tuple[Callable[[Any], Any] | None, ...]
    # A SELECT's columns, and how to turn the driver's values into
    # SQLAlchemy's (SQLite's text into aware times, stored values into enums).
    columns: tuple[str, ...]
    results: tuple[Callable[[Any], Any] | None, ...]

    def mapping(self, row: Sequence[Any]) -> dict[str, Any]:
        """A row of the SELECT by column name, with SQLAlchemy's values."""
        return {
            name: value if process is None else process(value)
            for name, process, value in zip(self.columns, self.results, row, strict=True)
        }

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        return [
            value if process is None else process(value)
            for process, value in zip(
                self.processors, (values[name] for name in self.names), strict=True
            )
        ]

    def run(self, conn: Any, **params: Any) -> list[Any]:
        """The rows of the statement run on a DB-API connection (SQLite's, in
        aiosqlite's database thread: see ``run_in_sqlite_thread``)."""
        return list(conn.execute(self.sql, self.arguments(params)).fetchall())


@functools.cache
def prepared(statement: Any, dialect: Dialect) -> Prepared:
    """``statement`` compiled once for ``dialect``, ready to run on its driver."""
    compiled = statement.compile(dialect=dialect)
    names = tuple(compiled.positiontup or ())
    processors = tuple(
        compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names
    )
    selected = getattr(statement, "selected_columns", ())
    results = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in selected
    )
    columns = tuple(column.key for column in selected)
    return Prepared(str(compiled), compiled, names, processors, columns, results)


def dialect_name(db: AsyncConnection | AsyncSession) -> str:
    """``postgresql`` or ``sqlite``: the database a session or connection is on."""
    return (db.get_bind() if isinstance(db, AsyncSession) else db).dialect.name


async def driver_connection(connection: AsyncConnection | AsyncSession) -> Any:
    """The database driver's own connection under ``connection`` (asyncpg's on
    PostgreSQL). Statements sent on it share the session's transaction when
    one has begun on the database; SQLAlchemy begins lazily, at its first
    statement, so until then each is a transaction of its own."""
    if isinstance(connection, AsyncSession):
        connection = await connection.connection()
    return (await connection.get_raw_connection()).driver_connection


async def execute_counting(session: AsyncSession, statement: Any) -> int:
    """Run an UPDATE/DELETE/INSERT and return how many rows it touched."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount)


def insert_ignoring_conflicts(
    database: AsyncSession | str, table: Any, index_elements: list[str] | None = None
) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` in the dialect of the session's
    database (or the named one): the race-free way to create-if-absent on both."""
    name = database if isinstance(database, str) else database.get_bind().dialect.name
    if name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)


def keyset_page(stmt: Any, id_column: Any, after_id: int | None, limit: int) -> Any:
    """``stmt`` narrowed to one page in id order after ``after_id``: keyset
    pagination, so a late page costs what the first one does."""
    if after_id is not None:
        stmt = stmt.where(id_column > after_id)
    return stmt.order_by(id_column).limit(limit)
