"""Campaigns per warehouse, delivery date and cutoff

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-05

A warehouse may run several campaigns delivering on one date: a weekend's
presale, cut off on Thursday, beside the regular next-day campaign cut off
on Friday night (consolidation already waits for the day's last cutoff).
What stays refused is the same campaign twice: one per warehouse, delivery
date and cutoff.

- ``campaigns``: the unique (warehouse_id, delivery_date) becomes
  (warehouse_id, delivery_date, cutoff_at). Existing rows satisfy it.

SQLite rebuilds the table (its unique constraints cannot be dropped in
place); the migration's connection has foreign keys off, as batch mode needs.
Downgrade restores the old constraint and fails while a warehouse has two
campaigns for one date (cancel or merge them first).
"""

from __future__ import annotations

from alembic import op

revision = "0034"
down_revision = "0033"
branch_labels = None
depends_on = None

OLD = "uq_campaigns_warehouse_id_delivery_date"
NEW = "uq_campaigns_warehouse_id_delivery_date_cutoff_at"


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_constraint(OLD, type_="unique")
        batch_op.create_unique_constraint(NEW, ["warehouse_id", "delivery_date", "cutoff_at"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_constraint(NEW, type_="unique")
        batch_op.create_unique_constraint(OLD, ["warehouse_id", "delivery_date"])
