"""The migrations build exactly the schema the models describe, and go down
and up again cleanly."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import migrations
from migrations.models import metadata


def _ours(name: str | None, type_: str, parent_names: Any) -> bool:
    """Leave procrastinate's own tables (PostgreSQL) out of the comparison."""
    return not (type_ == "table" and name is not None and name.startswith("procrastinate_"))


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
