"""Trunk plans: a central warehouse's trucks to its grid warehouses

Revision ID: 0039
Revises: 0038
Create Date: 2026-12-05

Issue 23: the trunk (干线) is planned with the same planner, plans and
publishing as deliveries (fulfilment/routing/trunk.py).

- ``vehicle_types.trunk``: the central's trunk trucks; trunk plans use only
  these, delivery plans never. Existing vehicles are delivery vehicles.
- ``route_plans.kind``: ``delivery`` (every existing plan) or ``trunk``; one
  published plan of each kind per warehouse and day (the unique index is
  remade with the kind).
- ``route_plans.trunk_ready_at``: on a grid warehouse's delivery plan, when
  the trunk's goods are unloaded there; its vans start no earlier.
- ``trunk_stops`` and ``trunk_unserved``: a trunk plan's grid warehouses,
  as ``route_stops`` and ``unserved_stops`` are a delivery plan's points.

The kind's CHECK is added in place on PostgreSQL and by rebuilding the
table on SQLite. The downgrade drops what was added (trunk plans with it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0039"
down_revision = "0038"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PUBLISHED = sa.text("status = 'published'")
KIND_CHECK = "kind IN ('delivery', 'trunk')"


def _published_index(columns: list[str]) -> None:
    op.drop_index(
        "uq_route_plans_published",
        table_name="route_plans",
        postgresql_where=PUBLISHED,
        sqlite_where=PUBLISHED,
    )
    op.create_index(
        "uq_route_plans_published",
        "route_plans",
        columns,
        unique=True,
        postgresql_where=PUBLISHED,
        sqlite_where=PUBLISHED,
    )


def _stop_columns(site: str) -> list[sa.Column[int]]:
    return [
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("plan_id", BIGINT, nullable=False),
        sa.Column(site, BIGINT, nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
    ]


def upgrade() -> None:
    op.add_column(
        "vehicle_types",
        sa.Column("trunk", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "route_plans",
        sa.Column("kind", sa.String(length=32), server_default="delivery", nullable=False),
    )
    op.add_column("route_plans", sa.Column("trunk_ready_at", sa.DateTime(timezone=True)))
    name = op.f("ck_route_plans_route_plan_kind")
    if op.get_bind().dialect.name == "postgresql":
        op.create_check_constraint(name, "route_plans", KIND_CHECK)
    else:
        with op.batch_alter_table("route_plans", recreate="always") as batch_op:
            batch_op.create_check_constraint(name, sa.text(KIND_CHECK))
    _published_index(["warehouse_id", "delivery_date", "kind"])
    _trunk_tables()


def _trunk_tables() -> None:
    op.create_table(
        "trunk_stops",
        *_stop_columns("grid_id"),
        sa.Column("route_id", BIGINT, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("load_g_after", sa.Integer(), nullable=False),
        sa.Column("totes_after", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["route_plans.id"], name=op.f("fk_trunk_stops_plan_id_route_plans")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_trunk_stops_route_id_routes")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_trunk_stops_grid_id_grid_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trunk_stops")),
        sa.UniqueConstraint("plan_id", "grid_id", name=op.f("uq_trunk_stops_plan_id_grid_id")),
    )
    op.create_index(op.f("ix_trunk_stops_grid_id"), "trunk_stops", ["grid_id"])
    op.create_index("ix_trunk_stops_route_position", "trunk_stops", ["route_id", "position"])
    reasons = ("too_heavy", "window_unreachable", "not_enough_vehicles")
    op.create_table(
        "trunk_unserved",
        *_stop_columns("grid_id"),
        sa.Column(
            "reason",
            sa.Enum(
                *reasons,
                name="trunk_drop_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["route_plans.id"], name=op.f("fk_trunk_unserved_plan_id_route_plans")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_trunk_unserved_grid_id_grid_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_trunk_unserved")),
        sa.UniqueConstraint("plan_id", "grid_id", name=op.f("uq_trunk_unserved_plan_id_grid_id")),
    )


def downgrade() -> None:
    op.drop_table("trunk_unserved")
    op.drop_index("ix_trunk_stops_route_position", table_name="trunk_stops")
    op.drop_index(op.f("ix_trunk_stops_grid_id"), table_name="trunk_stops")
    op.drop_table("trunk_stops")
    op.execute(
        "DELETE FROM routes WHERE plan_id IN (SELECT id FROM route_plans WHERE kind = 'trunk')"
    )
    op.execute("DELETE FROM route_plans WHERE kind = 'trunk'")
    _published_index(["warehouse_id", "delivery_date"])
    name = op.f("ck_route_plans_route_plan_kind")
    with op.batch_alter_table("route_plans") as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.drop_column("trunk_ready_at")
        batch_op.drop_column("kind")
    with op.batch_alter_table("vehicle_types") as batch_op:
        batch_op.drop_column("trunk")
