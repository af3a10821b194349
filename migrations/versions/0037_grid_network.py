"""The two-tier network: grid warehouses and the points they serve

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-05

Issue 23's first step (fulfilment/network/):

- ``grid_warehouses``: a warehouse that is a grid (网格仓) of a central
  warehouse (中心仓), with its operator's fee per piece, the trunk's
  receiving window and its service radius. Every existing warehouse stays
  central: no rows.
- ``grid_points``: a pickup point served through a grid; its service area
  stays at the grid's central warehouse (purchasing is central).
- ``grid_loads``: stage one of two-tier sorting, what the central sends each
  grid per storage zone (cases, loose units, totes, handling units).

New tables only; the downgrade drops them.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "grid_warehouses",
        sa.Column("warehouse_id", BIGINT, nullable=False),
        sa.Column("central_id", BIGINT, nullable=False),
        sa.Column("piece_fee_fen", sa.Integer(), nullable=False),
        sa.Column("receiving_start", sa.Time(), nullable=False),
        sa.Column("receiving_end", sa.Time(), nullable=False),
        sa.Column("service_radius_m", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_grid_warehouses_warehouse_id_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["central_id"],
            ["warehouses.id"],
            name=op.f("fk_grid_warehouses_central_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("warehouse_id", name=op.f("pk_grid_warehouses")),
        sa.CheckConstraint(
            "warehouse_id <> central_id", name=op.f("ck_grid_warehouses_not_its_own_central")
        ),
        sa.CheckConstraint("piece_fee_fen >= 0", name=op.f("ck_grid_warehouses_fee_non_negative")),
        sa.CheckConstraint("service_radius_m > 0", name=op.f("ck_grid_warehouses_radius_positive")),
        sa.CheckConstraint(
            "receiving_start < receiving_end", name=op.f("ck_grid_warehouses_receiving_window")
        ),
    )
    op.create_index(op.f("ix_grid_warehouses_central_id"), "grid_warehouses", ["central_id"])
    op.create_table(
        "grid_points",
        sa.Column("pickup_point_id", BIGINT, nullable=False),
        sa.Column("grid_id", BIGINT, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_grid_points_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_grid_points_grid_id_grid_warehouses"),
        ),
        sa.PrimaryKeyConstraint("pickup_point_id", name=op.f("pk_grid_points")),
    )
    op.create_index(op.f("ix_grid_points_grid_id"), "grid_points", ["grid_id"])
    _grid_loads()


def _grid_loads() -> None:
    op.create_table(
        "grid_loads",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("central_id", BIGINT, nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("grid_id", BIGINT, nullable=False),
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
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("loose_units", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("volume_ml", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.Column("handling_units", sa.Integer(), nullable=False),
        sa.Column("sorted_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "units > 0 AND cases >= 0 AND loose_units >= 0 AND totes >= 0 AND handling_units >= 1",
            name=op.f("ck_grid_loads_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["central_id"], ["warehouses.id"], name=op.f("fk_grid_loads_central_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_grid_loads_grid_id_grid_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_loads")),
        sa.UniqueConstraint(
            "central_id",
            "delivery_date",
            "grid_id",
            "storage_zone",
            name=op.f("uq_grid_loads_central_id_delivery_date_grid_id_storage_zone"),
        ),
    )
    op.create_index(op.f("ix_grid_loads_grid_id"), "grid_loads", ["grid_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_grid_loads_grid_id"), table_name="grid_loads")
    op.drop_table("grid_loads")
    op.drop_index(op.f("ix_grid_points_grid_id"), table_name="grid_points")
    op.drop_table("grid_points")
    op.drop_index(op.f("ix_grid_warehouses_central_id"), table_name="grid_warehouses")
    op.drop_table("grid_warehouses")
