"""Grid operators and the grid's handover

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-05

Issue 23: a grid warehouse is run by its own operator, who signs for the
central's trunk delivery and reports what is missing or damaged.

- ``users.role`` and ``audit_events.actor_role`` allow ``grid_operator``
  (the CHECKs rewritten as 0016 did: in place on PostgreSQL, by rebuilding
  the table on SQLite).
- ``grid_operators``: the account and the one grid it runs.
- ``grid_receipts``: the signature, once per grid and delivery date.
- ``grid_issues``: units missing or damaged per product, and who is charged
  for them once an operator says so.
- ``grid_issue_refunds``: the refunds each issue booked.

The downgrade drops the tables and narrows the CHECK (failing while grid
operator accounts exist, rather than changing who may do what).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0038"
down_revision = "0037"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ROLES = ("operator", "leader", "supplier", "dispatcher", "customer", "driver", "warehouse")


# Each table with a column of roles: its CHECK's name and the column.
ROLE_CHECKS = (
    ("users", "ck_users_user_role", "role"),
    ("audit_events", "ck_audit_events_audit_actor_role", "actor_role"),
)


def _allowed(values: tuple[str, ...]) -> None:
    """Rewrite the CHECKs listing the roles (0016's way): in place on
    PostgreSQL, by rebuilding the table on SQLite."""
    for table, constraint, column in ROLE_CHECKS:
        name = op.f(constraint)
        check = f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
        if op.get_bind().dialect.name == "postgresql":
            op.drop_constraint(name, table, type_="check")
            op.create_check_constraint(name, table, check)
            continue
        with op.batch_alter_table(table, recreate="always") as batch_op:
            batch_op.drop_constraint(name, type_="check")
            batch_op.create_check_constraint(name, sa.text(check))


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    _allowed((*ROLES, "grid_operator"))
    op.create_table(
        "grid_operators",
        sa.Column("user_id", BIGINT, nullable=False),
        sa.Column("grid_id", BIGINT, nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_grid_operators_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_grid_operators_grid_id_grid_warehouses"),
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_grid_operators")),
    )
    op.create_index(op.f("ix_grid_operators_grid_id"), "grid_operators", ["grid_id"])
    op.create_table(
        "grid_receipts",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("grid_id", BIGINT, nullable=False),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("signed_by_id", BIGINT, nullable=False),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grid_id"],
            ["grid_warehouses.warehouse_id"],
            name=op.f("fk_grid_receipts_grid_id_grid_warehouses"),
        ),
        sa.ForeignKeyConstraint(
            ["signed_by_id"], ["users.id"], name=op.f("fk_grid_receipts_signed_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_receipts")),
        sa.UniqueConstraint(
            "grid_id", "delivery_date", name=op.f("uq_grid_receipts_grid_id_delivery_date")
        ),
    )
    _issues()


def _issues() -> None:
    op.create_table(
        "grid_issues",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("receipt_id", BIGINT, nullable=False),
        sa.Column("product_id", BIGINT, nullable=False),
        sa.Column("kind", _enum("grid_issue_kind", "missing", "damaged"), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "charged_to", _enum("charged_party", "carrier", "central", "supplier"), nullable=True
        ),
        sa.Column("charged_by_id", BIGINT, nullable=True),
        sa.Column("charged_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_grid_issues_positive")),
        sa.ForeignKeyConstraint(
            ["receipt_id"],
            ["grid_receipts.id"],
            name=op.f("fk_grid_issues_receipt_id_grid_receipts"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_grid_issues_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["charged_by_id"], ["users.id"], name=op.f("fk_grid_issues_charged_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_issues")),
        sa.UniqueConstraint(
            "receipt_id",
            "product_id",
            "kind",
            name=op.f("uq_grid_issues_receipt_id_product_id_kind"),
        ),
    )
    op.create_index(op.f("ix_grid_issues_receipt_id"), "grid_issues", ["receipt_id"])
    op.create_table(
        "grid_issue_refunds",
        sa.Column("refund_id", BIGINT, nullable=False),
        sa.Column("grid_issue_id", BIGINT, nullable=False),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_grid_issue_refunds_refund_id_refunds")
        ),
        sa.ForeignKeyConstraint(
            ["grid_issue_id"],
            ["grid_issues.id"],
            name=op.f("fk_grid_issue_refunds_grid_issue_id_grid_issues"),
        ),
        sa.PrimaryKeyConstraint("refund_id", name=op.f("pk_grid_issue_refunds")),
    )
    op.create_index(
        op.f("ix_grid_issue_refunds_grid_issue_id"), "grid_issue_refunds", ["grid_issue_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_grid_issue_refunds_grid_issue_id"), table_name="grid_issue_refunds")
    op.drop_table("grid_issue_refunds")
    op.drop_index(op.f("ix_grid_issues_receipt_id"), table_name="grid_issues")
    op.drop_table("grid_issues")
    op.drop_table("grid_receipts")
    op.drop_index(op.f("ix_grid_operators_grid_id"), table_name="grid_operators")
    op.drop_table("grid_operators")
    _allowed(ROLES)
