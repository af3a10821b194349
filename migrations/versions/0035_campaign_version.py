"""Campaign version

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-05

An operator may move a live campaign's times (its opening, before it opens;
its cutoff, before it passes; its pickup window): two operators editing at
once must not overwrite each other.

- ``campaigns.version``: every edit of the campaign's own terms bumps it; an
  edit made from an older version is refused with STALE. Existing
  campaigns start at 1.

Added in place on both databases (a column with a server default); the
downgrade drops it (in place on SQLite 3.35+, the column having no
constraint).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0035"
down_revision = "0034"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "campaigns", sa.Column("version", sa.Integer(), server_default="1", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("campaigns", "version")
