"""Versioned setup editing

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-05

Editing the setup (docs/setup-editing.md, kernel/versioning.py):

- ``products``, ``warehouses``, ``pickup_points`` and ``vehicle_types`` gain
  ``version`` (starting at 1): an edit names the version it was made from,
  and one made from a replaced version is refused (STALE).
- ``products`` gains ``image_urls``, a JSON list of picture URLs.
- ``setup_changes``: one row per accepted edit, with the changed fields
  before and after.
- ``product_costs``: the supplier's cost of a product from a business date
  on. Every product gets a row with its current cost, effective from
  2000-01-01 (before any delivery date the platform has), so purchase orders
  consolidated again after this migration take the cost they always had.

The columns are added with ``ALTER TABLE ... ADD COLUMN`` and a server
default, which SQLite does in place: no table is rebuilt, so no trigger is
lost. Downgrade drops the two tables and the columns (on SQLite 3.35+
``DROP COLUMN`` is in place too, for columns without constraints).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
VERSIONED = ("products", "warehouses", "pickup_points", "vehicle_types")


def upgrade() -> None:
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), server_default="1", nullable=False))
    op.add_column("products", sa.Column("image_urls", JSON, server_default="[]", nullable=False))
    op.create_table(
        "setup_changes",
        sa.Column("id", ID, nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before", JSON, nullable=False),
        sa.Column("after", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_setup_changes_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setup_changes")),
    )
    op.create_index("ix_setup_changes_entity", "setup_changes", ["entity_type", "entity_id", "id"])
    op.create_table(
        "product_costs",
        sa.Column("id", ID, nullable=False),
        sa.Column("product_id", ID, nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("set_by_id", ID, nullable=True),
        sa.Column("set_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("cost_fen >= 0", name=op.f("ck_product_costs_non_negative")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_product_costs_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["set_by_id"], ["users.id"], name=op.f("fk_product_costs_set_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_costs")),
        sa.UniqueConstraint(
            "product_id", "effective_from", name=op.f("uq_product_costs_product_id_effective_from")
        ),
    )
    op.execute(
        "INSERT INTO product_costs (product_id, effective_from, cost_fen, set_at) "
        "SELECT id, DATE '2000-01-01', cost_fen, created_at FROM products"
        if op.get_bind().dialect.name == "postgresql"
        else "INSERT INTO product_costs (product_id, effective_from, cost_fen, set_at) "
        "SELECT id, '2000-01-01', cost_fen, created_at FROM products"
    )


def downgrade() -> None:
    op.drop_table("product_costs")
    op.drop_index("ix_setup_changes_entity", table_name="setup_changes")
    op.drop_table("setup_changes")
    op.drop_column("products", "image_urls")
    for table in VERSIONED:
        op.drop_column(table, "version")
