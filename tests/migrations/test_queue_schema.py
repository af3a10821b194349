"""Revision 0019: procrastinate's schema comes from Alembic, matches the
pinned package's schema.sql, and a queue made by the old start-up step ends
in the same state.

Each test creates databases of its own and drops them: the shared test
database must never see a half-done upgrade."""

from __future__ import annotations

import tomllib
import uuid
from collections.abc import Callable, Iterator
from importlib import metadata, resources
from pathlib import Path
from typing import Any

import procrastinate
import psycopg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

import migrations
from tests.conftest import PG_ADMIN_URL, _libpq, _pg_reachable

pytestmark = pytest.mark.postgres_only

Snapshot = dict[str, set[tuple[Any, ...]]]

# What makes up procrastinate's schema, each as a set of rows to compare.
_SNAPSHOT_QUERIES = {
    "tables": (
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname LIKE 'procrastinate\\_%'"
    ),
    "columns": (
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_get_expr(d.adbin, d.adrelid) "
        "FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid "
        "LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE c.relkind = 'r' AND c.relname LIKE 'procrastinate\\_%' "
        "AND a.attnum > 0 AND NOT a.attisdropped"
    ),
    # Name, arguments and body: a function rewritten by a migration shows.
    "functions": (
        "SELECT proname, pg_get_function_identity_arguments(oid), md5(prosrc) "
        "FROM pg_proc WHERE proname LIKE 'procrastinate\\_%'"
    ),
    "types": "SELECT typname, typtype FROM pg_type WHERE typname LIKE 'procrastinate\\_%'",
    "indexes": (
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'procrastinate\\_%'"
    ),
    "triggers": (
        "SELECT tgname, tgrelid::regclass::text, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE NOT tgisinternal AND tgrelid::regclass::text LIKE 'procrastinate\\_%'"
    ),
}


@pytest.fixture
def fresh_pg() -> Iterator[Callable[[], str]]:
    """Makes empty PostgreSQL databases (URLs); all dropped afterwards."""
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    admin = _libpq(PG_ADMIN_URL)
    names: list[str] = []

    def make() -> str:
        name = f"tuangou_queue_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        names.append(name)
        return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(url: str, sql: str) -> list[tuple[Any, ...]]:
    with psycopg.connect(_libpq(url)) as conn:
        return conn.execute(sql).fetchall()


def _snapshot(url: str) -> Snapshot:
    return {kind: set(_rows(url, sql)) for kind, sql in _SNAPSHOT_QUERIES.items()}


def _recorded_version(url: str) -> list[tuple[Any, ...]]:
    return _rows(url, "SELECT version FROM queue_schema_version")


def _apply_schema_sql(url: str) -> None:
    """The pinned package's schema.sql, straight, as its own CLI would."""
    sql = (resources.files("procrastinate") / "sql" / "schema.sql").read_text(encoding="utf-8")
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute(sql.encode())  # bytes: no placeholders, several statements
        conn.commit()


def _install_the_old_way(url: str) -> None:
    """What ``install_queue_schema`` did at start-up before revision 0019."""
    app = procrastinate.App(connector=procrastinate.SyncPsycopgConnector(conninfo=_libpq(url)))
    with app.open():
        app.schema_manager.apply_schema()


@pytest.fixture
def reference(fresh_pg: Callable[[], str]) -> Snapshot:
    """procrastinate's schema as schema.sql alone makes it."""
    url = fresh_pg()
    _apply_schema_sql(url)
    snapshot = _snapshot(url)
    assert snapshot["tables"] >= {("procrastinate_jobs",), ("procrastinate_workers",)}
    return snapshot


def test_the_pin_is_the_installed_version() -> None:
    # The revision records the installed version: the pin must say which one.
    project = tomllib.loads((Path(__file__).parents[2] / "pyproject.toml").read_text())
    pins = [dep for dep in project["project"]["dependencies"] if dep.startswith("procrastinate")]
    assert pins == [f"procrastinate=={metadata.version('procrastinate')}"]


def test_a_fresh_database_gets_the_pinned_queue_schema(
    fresh_pg: Callable[[], str], reference: Snapshot
) -> None:
    url = fresh_pg()
    migrations.upgrade(url)
    assert _rows(url, "SELECT version_num FROM alembic_version") == [(migrations.current_head(),)]
    assert _recorded_version(url) == [(metadata.version("procrastinate"),)]
    assert _snapshot(url) == reference


def test_a_queue_installed_the_old_way_ends_the_same(
    fresh_pg: Callable[[], str], reference: Snapshot
) -> None:
    url = fresh_pg()
    migrations.upgrade(url, "0018")
    _install_the_old_way(url)
    # A job waiting in the old queue survives the upgrade.
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute(
            "INSERT INTO procrastinate_jobs (queue_name, task_name, args) "
            "VALUES ('tuangou', 'tuangou.run_job', '{\"job_id\": 1}')"
        )
        conn.commit()

    migrations.upgrade(url)
    assert _recorded_version(url) == [("3.10.0",)]
    assert _snapshot(url) == reference
    assert _rows(url, "SELECT count(*) FROM procrastinate_jobs") == [(1,)]


def test_downgrade_keeps_the_queue_and_upgrade_records_it_again(
    fresh_pg: Callable[[], str], reference: Snapshot
) -> None:
    url = fresh_pg()
    migrations.upgrade(url)
    command.downgrade(migrations.alembic_config(url), "0018")
    assert _rows(url, "SELECT to_regclass('queue_schema_version') IS NULL") == [(True,)]
    assert _snapshot(url) == reference  # procrastinate's objects stay

    migrations.upgrade(url)
    assert _recorded_version(url) == [("3.10.0",)]
    assert _snapshot(url) == reference


def test_a_queue_older_than_3_4_stops_the_upgrade(fresh_pg: Callable[[], str]) -> None:
    url = fresh_pg()
    migrations.upgrade(url, "0018")
    _apply_schema_sql(url)
    with psycopg.connect(_libpq(url)) as conn:
        conn.execute("DROP FUNCTION procrastinate_retry_job_v2")  # as before 03.04.00
        conn.commit()
    with pytest.raises(RuntimeError, match=r"predate procrastinate 3\.4\.0"):
        migrations.upgrade(url)
    # All of 0019 or nothing: Alembic's transaction was rolled back.
    assert _rows(url, "SELECT version_num FROM alembic_version") == [("0018",)]
    assert _rows(url, "SELECT to_regclass('queue_schema_version') IS NULL") == [(True,)]
