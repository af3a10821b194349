"""request ids on jobs and outbox messages

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05

The HTTP request that queued a job, or whose work wrote an outbox message
(kernel/request_context.py): the on-call engineer follows one request from
the access log into its jobs and webhook deliveries.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("jobs", "outbox_messages"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))


def downgrade() -> None:
    for table in ("outbox_messages", "jobs"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("request_id")
