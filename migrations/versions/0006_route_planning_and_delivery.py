"""route planning and delivery

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notifications",
        sa.Column("id", BIG, nullable=False),
        sa.Column("user_id", BIG, nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notifications_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
    )
    op.create_index(
        "ix_notifications_user_created", "notifications", ["user_id", "created_at"], unique=False
    )
    op.create_table(
        "route_plans",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "planning",
                "draft",
                "published",
                "failed",
                name="route_plan_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("time_limit_s", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("duration_s", sa.Integer(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("vehicles_used", sa.Integer(), nullable=False),
        sa.Column("stops", sa.Integer(), nullable=False),
        sa.Column("first_solution_s", sa.Double(), nullable=True),
        sa.Column("solve_s", sa.Double(), nullable=True),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "published_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_route_plans_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], name=op.f("fk_route_plans_job_id_jobs")),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["route_plans.id"], name=op.f("fk_route_plans_parent_id_route_plans")
        ),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name=op.f("fk_route_plans_published_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_route_plans_warehouse_id_warehouses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_plans")),
    )
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.create_index(
            "ix_route_plans_warehouse_day", ["warehouse_id", "delivery_date"], unique=False
        )
        batch_op.create_index(
            "uq_route_plans_published",
            ["warehouse_id", "delivery_date"],
            unique=True,
            postgresql_where=sa.text("status = 'published'"),
            sqlite_where=sa.text("status = 'published'"),
        )

    op.create_table(
        "routing_settings",
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("loading_minutes", sa.Integer(), nullable=False),
        sa.Column("stop_fixed_s", sa.Integer(), nullable=False),
        sa.Column("stop_per_tote_s", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "loading_minutes >= 0 AND stop_fixed_s >= 0 AND stop_per_tote_s >= 0",
            name=op.f("ck_routing_settings_non_negative"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_routing_settings_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("warehouse_id", name=op.f("pk_routing_settings")),
    )
    op.create_table(
        "vehicle_types",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("capacity_g", sa.Integer(), nullable=False),
        sa.Column("capacity_totes", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("fixed_cost_fen", sa.Integer(), nullable=False),
        sa.Column("cost_per_km_fen", sa.Integer(), nullable=False),
        sa.Column("shift_start", sa.Time(), nullable=False),
        sa.Column("max_shift_minutes", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "capacity_g > 0 AND capacity_totes > 0 AND count >= 0 AND fixed_cost_fen >= 0 AND cost_per_km_fen >= 0 AND max_shift_minutes > 0",
            name=op.f("ck_vehicle_types_positive"),
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_vehicle_types_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicle_types")),
        sa.UniqueConstraint(
            "warehouse_id", "name", name=op.f("uq_vehicle_types_warehouse_id_name")
        ),
    )
    with op.batch_alter_table("vehicle_types", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vehicle_types_warehouse_id"), ["warehouse_id"], unique=False
        )

    op.create_table(
        "routes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column(
            "vehicle_type_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("vehicle_number", sa.Integer(), nullable=False),
        sa.Column("departure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("return_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("distance_m", sa.Integer(), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["route_plans.id"], name=op.f("fk_routes_plan_id_route_plans")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_type_id"],
            ["vehicle_types.id"],
            name=op.f("fk_routes_vehicle_type_id_vehicle_types"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routes")),
        sa.UniqueConstraint(
            "plan_id",
            "vehicle_type_id",
            "vehicle_number",
            name=op.f("uq_routes_plan_id_vehicle_type_id_vehicle_number"),
        ),
    )
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_routes_plan_id"), ["plan_id"], unique=False)

    op.create_table(
        "unserved_stops",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "reason",
            sa.Enum(
                "too_heavy",
                "window_unreachable",
                "not_enough_vehicles",
                name="drop_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_unserved_stops_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["route_plans.id"], name=op.f("fk_unserved_stops_plan_id_route_plans")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unserved_stops")),
        sa.UniqueConstraint(
            "plan_id", "pickup_point_id", name=op.f("uq_unserved_stops_plan_id_pickup_point_id")
        ),
    )
    op.create_table(
        "route_stops",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("plan_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("route_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "pickup_point_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("totes", sa.Integer(), nullable=False),
        sa.Column("arrival_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("service_start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("departure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("load_g_after", sa.Integer(), nullable=False),
        sa.Column("totes_after", sa.Integer(), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("arrived_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pickup_point_id"],
            ["pickup_points.id"],
            name=op.f("fk_route_stops_pickup_point_id_pickup_points"),
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["route_plans.id"], name=op.f("fk_route_stops_plan_id_route_plans")
        ),
        sa.ForeignKeyConstraint(
            ["route_id"], ["routes.id"], name=op.f("fk_route_stops_route_id_routes")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_route_stops")),
        sa.UniqueConstraint(
            "plan_id", "pickup_point_id", name=op.f("uq_route_stops_plan_id_pickup_point_id")
        ),
    )
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_route_stops_pickup_point_id"), ["pickup_point_id"], unique=False
        )
        batch_op.create_index(
            "ix_route_stops_route_position", ["route_id", "position"], unique=False
        )

    op.create_table(
        "delivery_receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "route_stop_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "signed_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["route_stop_id"],
            ["route_stops.id"],
            name=op.f("fk_delivery_receipts_route_stop_id_route_stops"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_delivery_receipts_signed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_receipts")),
        sa.UniqueConstraint("route_stop_id", name=op.f("uq_delivery_receipts_route_stop_id")),
    )
    op.create_table(
        "delivery_issues",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "receipt_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "missing",
                "damaged",
                name="delivery_issue_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_delivery_issues_positive")),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_delivery_issues_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["delivery_receipts.id"],
            name=op.f("fk_delivery_issues_receipt_id_delivery_receipts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery_issues")),
        sa.UniqueConstraint(
            "receipt_id",
            "product_id",
            "kind",
            name=op.f("uq_delivery_issues_receipt_id_product_id_kind"),
        ),
    )
    with op.batch_alter_table("delivery_issues", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_delivery_issues_receipt_id"), ["receipt_id"], unique=False
        )


def downgrade() -> None:
    op.drop_index("ix_notifications_user_created", table_name="notifications")
    op.drop_table("notifications")
    with op.batch_alter_table("delivery_issues", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_delivery_issues_receipt_id"))

    op.drop_table("delivery_issues")
    op.drop_table("delivery_receipts")
    with op.batch_alter_table("route_stops", schema=None) as batch_op:
        batch_op.drop_index("ix_route_stops_route_position")
        batch_op.drop_index(batch_op.f("ix_route_stops_pickup_point_id"))

    op.drop_table("route_stops")
    op.drop_table("unserved_stops")
    with op.batch_alter_table("routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_plan_id"))

    op.drop_table("routes")
    with op.batch_alter_table("vehicle_types", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vehicle_types_warehouse_id"))

    op.drop_table("vehicle_types")
    op.drop_table("routing_settings")
    with op.batch_alter_table("route_plans", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_route_plans_published",
            postgresql_where=sa.text("status = 'published'"),
            sqlite_where=sa.text("status = 'published'"),
        )
        batch_op.drop_index("ix_route_plans_warehouse_day")

    op.drop_table("route_plans")
