"""delivery refunds and drivers

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ROLES = ("operator", "leader", "supplier", "dispatcher", "customer")
REFUND_REASONS = (
    "customer_cancelled",
    "operator_cancelled",
    "paid_after_close",
    "double_payment",
    "group_threshold_missed",
    "shortage",
)
SHORTFALL_REASONS = ("group_threshold", "supplier_short")
DELIVERY = ("delivery_missing", "delivery_damaged")


def _allowed(table: str, column: str, enum_name: str, values: tuple[str, ...]) -> None:
    """Rewrite the CHECK listing an enum column's values. PostgreSQL alters
    it in place; SQLite rebuilds the table (Alembic reflects its named
    CHECKs, so the rebuilt table keeps every other constraint and index)."""
    name = op.f(f"ck_{table}_{enum_name}")
    check = f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(name, table, type_="check")
        op.create_check_constraint(name, table, check)
        return
    with op.batch_alter_table(table, recreate="always") as batch_op:
        batch_op.drop_constraint(name, type_="check")
        batch_op.create_check_constraint(name, sa.text(check))


def upgrade() -> None:
    _allowed("users", "role", "user_role", (*ROLES, "driver"))
    _allowed("refunds", "reason", "refund_reason", REFUND_REASONS + DELIVERY)
    _allowed("order_line_shortfalls", "reason", "shortfall_reason", SHORTFALL_REASONS + DELIVERY)
    with op.batch_alter_table("order_line_shortfalls", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "delivery_issue_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_order_line_shortfalls_delivery_issue_id"),
            ["delivery_issue_id"],
            unique=False,
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_order_line_shortfalls_delivery_issue_id_delivery_issues"),
            "delivery_issues",
            ["delivery_issue_id"],
            ["id"],
        )


def downgrade() -> None:
    # Rows of the delivery reasons and drivers' accounts would break the
    # narrower CHECKs: a downgrade with delivery refunds on the books fails
    # rather than losing money records.
    with op.batch_alter_table("order_line_shortfalls", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_order_line_shortfalls_delivery_issue_id_delivery_issues"),
            type_="foreignkey",
        )
        batch_op.drop_index(batch_op.f("ix_order_line_shortfalls_delivery_issue_id"))
        batch_op.drop_column("delivery_issue_id")
    _allowed("order_line_shortfalls", "reason", "shortfall_reason", SHORTFALL_REASONS)
    _allowed("refunds", "reason", "refund_reason", REFUND_REASONS)
    _allowed("users", "role", "user_role", ROLES)
