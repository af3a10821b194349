"""sorting

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pickup_point_loads",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "storage_zone",
            sa.Enum(
                "ambient",
                "chilled",
                "frozen",
                name="storage_zone",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("volume_ml", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.Column("sorted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("units > 0 AND totes >= 1", name=op.f("ck_pickup_point_loads_positive")),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_pickup_point_loads_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_pickup_point_loads_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pickup_point_loads")),
        sa.UniqueConstraint(
            "warehouse_id",
            "delivery_date",
            "pickup_point_id",
            "storage_zone",
            name=op.f(
                "uq_pickup_point_loads_warehouse_id_delivery_date_pickup_point_id_storage_zone"
            ),
        ),
    )
    with op.batch_alter_table("pickup_point_loads", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pickup_point_loads_pickup_point_id"), ["pickup_point_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pickup_point_loads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pickup_point_loads_pickup_point_id"))

    op.drop_table("pickup_point_loads")
