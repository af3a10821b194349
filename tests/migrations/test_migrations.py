"""The migrations build exactly the schema the models describe, and go down
and up again cleanly."""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

import migrations
from migrations.models import metadata
from tests.conftest import PG_ADMIN_URL, _libpq, _pg_reachable


def _ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave the job queue (PostgreSQL only) out of the comparison: procrastinate's
    own tables, and queue_schema_version, which records their version
    (revision 0019; no model, as SQLite has no queue)."""
    if type_ != "table" or name is None:
        return True
    return not (name.startswith("procrastinate_") or name == "queue_schema_version")


async def test_migrated_database_matches_the_models(db):
    def diff(sync_conn: Any) -> list[Any]:
        context = MigrationContext.configure(
            sync_conn, opts={"include_name": _ours, "compare_type": True}
        )
        return list(compare_metadata(context, metadata))

    async with db.engine.connect() as conn:
        differences = await conn.run_sync(diff)
    assert differences == [], "models and migrations differ; add a migration"


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows if not name.startswith("sqlite_")}


def test_sqlite_downgrade_to_base_and_upgrade_again(tmp_path: Path):
    path = tmp_path / "fresh.db"
    url = f"sqlite+aiosqlite:///{path}"
    expected = set(metadata.tables)

    migrations.upgrade(url)
    assert expected <= _tables(path)

    command.downgrade(migrations.alembic_config(url), "base")
    assert _tables(path) & expected == set()

    migrations.upgrade(url)
    assert expected <= _tables(path)
    with sqlite3.connect(path) as conn:
        version = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    assert version == [(migrations.current_head(),)]


def _place_order_function(url: str) -> tuple[str, list[str]] | None:
    """tuangou_place_order's body and settings, if the function exists."""
    with psycopg.connect(_libpq(url)) as conn:
        row = conn.execute(
            "SELECT prosrc, proconfig FROM pg_proc WHERE proname = 'tuangou_place_order'"
        ).fetchone()
    return (row[0], row[1]) if row else None


def test_postgres_order_function_goes_down_and_up_again() -> None:
    # 0010-0012 are PostgreSQL only: the SQLite round trip never runs them.
    if reason := _pg_reachable():
        pytest.skip(reason)
    name = f"tuangou_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    try:
        migrations.upgrade(url)
        placed = _place_order_function(url)
        assert placed is not None
        body, settings = placed
        # 0012: the items are reserved before the lines point at them.
        assert body.index("UPDATE campaign_items") < body.index("INSERT INTO order_lines")
        assert settings == ["plan_cache_mode=force_generic_plan"]

        command.downgrade(migrations.alembic_config(url), "0011")
        downgraded = _place_order_function(url)
        assert downgraded is not None
        assert downgraded[0].index("INSERT INTO order_lines") < downgraded[0].index(
            "UPDATE campaign_items"
        )
        assert downgraded[1] == ["plan_cache_mode=force_generic_plan"]

        command.downgrade(migrations.alembic_config(url), "0009")
        assert _place_order_function(url) is None

        migrations.upgrade(url)
        assert _place_order_function(url) == placed
    finally:
        with psycopg.connect(_libpq(PG_ADMIN_URL), autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
