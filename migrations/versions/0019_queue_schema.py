"""the job queue's schema, from procrastinate's own files

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06

PostgreSQL only (SQLite runs jobs inline and has no queue): procrastinate's
tables, types and functions (kernel/jobs/queue.py), created and from now on
upgraded by Alembic like ours, and the version of procrastinate they match
in ``queue_schema_version`` (one row).

- A fresh database gets the installed package's ``procrastinate/sql/schema.sql``
  and records the installed version (3.10.0, pinned in pyproject.toml).
- A database whose queue the old start-up step (``install_queue_schema``)
  created already has the tables. It was created by 3.5 to 3.10 (the old
  requirement was ``>=3.5,<4``), and procrastinate ships no schema migration
  after 3.4.0, so those schemas are the 3.10.0 one: 3.10.0 is recorded and
  nothing is applied. A schema older than 3.4.0 (without 3.4's
  ``procrastinate_retry_job_v2``) stops the upgrade rather than be mislabelled.

Upgrading procrastinate later (docs/queue-schema.md) is a new revision: read
the recorded version, apply, in name order, the files of the new package's
``procrastinate/sql/migrations/`` whose version (the name's ``MM.mm.pp``
prefix, e.g. ``03.04.00_01_pre_….sql``) is above the recorded one and not
above the new pin, then record the new version. A database created fresh by
the new package (this revision applies whatever schema.sql is installed and
records its version) then finds nothing to apply. The revision must read the
migration files of the version it targets, and the pin must move with it.

Downgrade drops ``queue_schema_version`` only: procrastinate's tables may
hold queued jobs and may predate this revision, so they stay (drop them by
hand, ``DROP TABLE procrastinate_… CASCADE`` and the types and functions, if
that is really meant). Upgrading again then finds them and records 3.10.0.
"""

from __future__ import annotations

from importlib import metadata, resources

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

# The queue schema every database created before this revision has (see above).
EXISTING_SCHEMA_VERSION = "3.10.0"
# Created by procrastinate's last schema migration (03.04.00): present in any
# schema from 3.4.0 on.
NEWEST_MARKER_FUNCTION = "procrastinate_retry_job_v2"


def _queue_exists(bind: sa.Connection) -> bool:
    return bool(
        bind.execute(sa.text("SELECT to_regclass('procrastinate_jobs') IS NOT NULL")).scalar()
    )


def _has_function(bind: sa.Connection, name: str) -> bool:
    found = bind.execute(
        sa.text("SELECT count(*) FROM pg_proc WHERE proname = :name"), {"name": name}
    )
    return bool(found.scalar())


def _apply_installed_schema(bind: sa.Connection) -> str:
    """Run the installed procrastinate's schema.sql; returns its version.

    Read as a package resource: no procrastinate code runs, and the file is
    the one procrastinate's own ``schema apply`` would use."""
    sql = (resources.files("procrastinate") / "sql" / "schema.sql").read_text(encoding="utf-8")
    # psycopg (the migrations' driver, migrations/__init__.py) sends a query
    # without parameters as it is: several statements are fine, and the `%` in
    # its RAISE messages are not taken for placeholders.
    bind.exec_driver_sql(sql, execution_options={"no_parameters": True})
    return metadata.version("procrastinate")


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    if _queue_exists(bind):
        if not _has_function(bind, NEWEST_MARKER_FUNCTION):
            raise RuntimeError(
                "procrastinate's tables predate procrastinate 3.4.0: apply its migrations "
                "up to 03.04.00 (procrastinate/sql/migrations/) before upgrading"
            )
        version = EXISTING_SCHEMA_VERSION
    else:
        version = _apply_installed_schema(bind)
    table = op.create_table(
        "queue_schema_version",
        sa.Column("version", sa.Text(), nullable=False),
        comment="the procrastinate version whose schema the queue's tables match (one row)",
    )
    op.bulk_insert(table, [{"version": version}])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_table("queue_schema_version")
