"""Notification inbox

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05

The in-app inbox (docs/notifications.md) reads a user's notifications
newest first (``ix_notifications_user_created`` already serves that) and
shows an unread count on every page load:

- ``ix_notifications_user_unread``: a partial index on ``user_id`` over the
  unread rows only (``WHERE read_at IS NULL``; both PostgreSQL and SQLite
  have partial indexes), so the badge counts a handful of rows however long
  the user's history, and marking read shrinks it.
- ``dedupe_key`` (nullable) with the unique index
  ``uq_notifications_user_dedupe_key`` on ``(user_id, dedupe_key)``: a notice
  a user gets at most once (the pickup reminder, once per order) carries a
  key, and a second insert of it is skipped (ON CONFLICT DO NOTHING). NULL
  keys never clash on either database, so ordinary notifications are free.

Adding a nullable column needs no table rebuild on SQLite (``notifications``
has no triggers anyway). Downgrade drops both indexes and the column.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("notifications", sa.Column("dedupe_key", sa.String(100), nullable=True))
    op.create_index(
        "ix_notifications_user_unread",
        "notifications",
        ["user_id"],
        postgresql_where=sa.text("read_at IS NULL"),
        sqlite_where=sa.text("read_at IS NULL"),
    )
    op.create_index(
        "uq_notifications_user_dedupe_key",
        "notifications",
        ["user_id", "dedupe_key"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index("uq_notifications_user_dedupe_key", table_name="notifications")
    op.drop_index("ix_notifications_user_unread", table_name="notifications")
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_column("dedupe_key")
