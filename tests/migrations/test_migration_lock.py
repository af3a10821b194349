"""Migrations on PostgreSQL: one host upgrades while the others wait, and a
statement waiting for a table lock gives up after the lock timeout.

Each test migrates a database of its own, created and dropped here: the
shared test database must never see a half-done or failed upgrade."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import Connection, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

import migrations
from api.migrate import migrate
from tests import conftest
from tests.conftest import PG_ADMIN_URL, _libpq, _pg_reachable

pytestmark = pytest.mark.postgres_only


@pytest.fixture
def fresh_pg() -> Iterator[str]:
    """The URL of an empty PostgreSQL database, dropped afterwards."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"tuangou_lock_{uuid.uuid4().hex[:10]}"
    admin = _libpq(PG_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute(sql).fetchall()


def test_hosts_upgrading_together_upgrade_once(
    fresh_pg: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="alembic.runtime.migration")
    settings = conftest.test_settings(fresh_pg)
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def host() -> None:
        try:
            start.wait(timeout=30)
            migrate(settings)
        except BaseException as exc:  # reported below, not lost in the thread
            failures.append(exc)

    hosts = [threading.Thread(target=host) for _ in range(2)]
    for thread in hosts:
        thread.start()
    for thread in hosts:
        thread.join(timeout=300)
    assert not any(thread.is_alive() for thread in hosts)
    assert failures == []
    assert _rows(fresh_pg, "SELECT version_num FROM alembic_version") == [
        (migrations.current_head(),)
    ]
    # The first revision ran once: the second host found the schema at head.
    first = [r for r in caplog.records if "Running upgrade  -> 0001" in r.getMessage()]
    assert len(first) == 1
    assert _rows(fresh_pg, "SELECT to_regclass('procrastinate_jobs') IS NOT NULL") == [(True,)]
    # And the lock went with the upgrade. pg_locks is the whole server's:
    # only this database's advisory locks count (tests running beside this
    # one take theirs, procrastinate's workers among them).
    held = (
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
        "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    )
    assert _rows(fresh_pg, held) == [(0,)]


def test_migrations_run_with_the_lock_timeout(fresh_pg: str) -> None:
    seen: list[str] = []

    def look(connection: Connection) -> None:
        seen.append(str(connection.execute(text("SHOW lock_timeout")).scalar()))

    config = migrations.alembic_config(fresh_pg, lock_timeout_s=1.5)
    config.attributes["on_connection"] = look
    command.upgrade(config, "0001")
    assert seen == ["1500ms"]
    assert _rows(fresh_pg, "SELECT version_num FROM alembic_version") == [("0001",)]


def test_a_migration_behind_a_long_transaction_fails_fast(fresh_pg: str) -> None:
    migrations.upgrade(fresh_pg, "0017")
    # 0018 alters jobs; a long transaction holds it the whole time.
    with psycopg.connect(_libpq(fresh_pg)) as holder:
        holder.execute("LOCK TABLE jobs IN ACCESS EXCLUSIVE MODE")
        started = time.monotonic()
        with pytest.raises(OperationalError, match="lock timeout"):
            migrations.upgrade(fresh_pg, "0018", lock_timeout_s=0.2)
        assert time.monotonic() - started < 60  # not stuck behind the holder
        holder.rollback()
    assert _rows(fresh_pg, "SELECT version_num FROM alembic_version") == [("0017",)]
    migrations.upgrade(fresh_pg, "0018")
    assert _rows(fresh_pg, "SELECT version_num FROM alembic_version") == [("0018",)]
