"""Which process runs a job: ``jobs.worker``

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-06

Issue 19: a job records the process that claimed it (``host:pid``), so an
operator looking at a stalled step knows which worker to look at, and the
week demo kills the worker that really runs the night's plan instead of
guessing it from the workers' logs. Cleared when a failed job is queued
again, like its start time.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0041"
down_revision = "0040"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("worker", sa.String(length=120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("worker")
