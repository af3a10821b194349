"""Alembic environment: synchronous engine, batch mode on SQLite."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import create_engine, pool, text
from sqlalchemy.engine import Connection

from kernel.db import UTCDateTime
from migrations.models import metadata

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=pool.NullPool)
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    # Migrations must not import application code: our UTC wrapper is stored
    # as a plain timezone-aware DateTime.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _limit_lock_waits(connection: Connection) -> None:
    """PostgreSQL: a statement waiting longer than the lock timeout for a
    table fails the migration. An ALTER queued behind a long transaction
    would otherwise hold up every query that touches the table after it."""
    if connection.dialect.name != "postgresql":
        return
    seconds = float(config.attributes.get("lock_timeout_s", 10.0))
    external = connection.in_transaction()
    # Session-wide, not SET LOCAL: an autocommit_block (CREATE INDEX
    # CONCURRENTLY) ends the transaction, and the limit must outlive it.
    connection.execute(
        text("SELECT set_config('lock_timeout', :value, false)"),
        {"value": f"{max(1, round(seconds * 1000))}ms"},
    )
    hook = config.attributes.get("on_connection")
    if hook is not None:  # tests look at the connection the migrations use
        hook(connection)
    if not external:
        # Alembic must find no transaction of ours, or it treats the whole
        # run as the caller's and never commits.
        connection.commit()


def _run(connection: Connection) -> None:
    _limit_lock_waits(connection)
    context.configure(
        connection=connection,
        target_metadata=metadata,
        # SQLite cannot ALTER most things; batch mode rebuilds the table.
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
