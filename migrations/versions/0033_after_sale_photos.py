"""After-sale photos

Revision ID: 0033
Revises: 0032
Create Date: 2026-12-05

A customer's after-sale request carries the photos of what went wrong, by
URL (the client uploads them elsewhere), for the operator deciding it:

- ``after_sale_requests.photo_urls``: a JSON list of http(s) URLs, empty for
  the requests made before.

The column is added with ``ALTER TABLE ... ADD COLUMN`` and a server default,
which SQLite does in place: no table is rebuilt. Downgrade drops it (in place
on SQLite 3.35+, the column having no constraint).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column(
        "after_sale_requests", sa.Column("photo_urls", JSON, server_default="[]", nullable=False)
    )


def downgrade() -> None:
    op.drop_column("after_sale_requests", "photo_urls")
