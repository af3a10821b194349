"""audit log and route drivers

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05

The audit log (kernel/audit.py): one row per change a staff member made
through the API, written in the change's own transaction. Routes gain the
driver a dispatcher assigned to them (fulfilment/routing/drivers.py), and
pickup points an index on (lat, lon) for the nearby search's box.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
ROLES = ("operator", "leader", "supplier", "dispatcher", "customer", "driver", "warehouse")


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", ID, nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_id", ID, nullable=False),
        sa.Column(
            "actor_role",
            sa.Enum(
                *ROLES,
                name="audit_actor_role",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("object_type", sa.String(length=64), nullable=True),
        sa.Column("object_id", ID, nullable=True),
        sa.Column("request_id", sa.String(length=64), nullable=True),
        sa.Column("details", JSON, nullable=False),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_audit_events_actor_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    op.create_index("ix_audit_events_actor_id_id", "audit_events", ["actor_id", "id"])
    op.create_index("ix_audit_events_object", "audit_events", ["object_type", "object_id", "id"])
    op.create_index("ix_audit_events_at", "audit_events", ["at"])
    with op.batch_alter_table("routes") as batch_op:
        batch_op.add_column(sa.Column("driver_id", ID, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_routes_driver_id_users"), "users", ["driver_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_routes_driver_id"), ["driver_id"])
    op.create_index("ix_pickup_points_lat_lon", "pickup_points", ["lat", "lon"])


def downgrade() -> None:
    op.drop_index("ix_pickup_points_lat_lon", table_name="pickup_points")
    with op.batch_alter_table("routes") as batch_op:
        batch_op.drop_index(batch_op.f("ix_routes_driver_id"))
        batch_op.drop_constraint(batch_op.f("fk_routes_driver_id_users"), type_="foreignkey")
        batch_op.drop_column("driver_id")
    op.drop_index("ix_audit_events_at", table_name="audit_events")
    op.drop_index("ix_audit_events_object", table_name="audit_events")
    op.drop_index("ix_audit_events_actor_id_id", table_name="audit_events")
    op.drop_table("audit_events")
