"""cutoff, purchase orders and receiving

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


REFUND_REASONS = (
    "customer_cancelled",
    "operator_cancelled",
    "paid_after_close",
    "double_payment",
    "group_threshold_missed",
    "shortage",
)


def _refund_reasons(reasons: tuple[str, ...]) -> None:
    """Rewrite the CHECK that lists the refund reasons. PostgreSQL alters it;
    SQLite rebuilds the table from the definition below (its CHECKs are not
    reflected, so batch mode is given the whole table)."""
    check = "reason IN (" + ", ".join(f"'{r}'" for r in reasons) + ")"
    name = op.f("ck_refunds_refund_reason")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_constraint(name, "refunds", type_="check")
        op.create_check_constraint(name, "refunds", check)
        return
    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    refunds = sa.Table(
        "refunds",
        sa.MetaData(),
        sa.Column("id", big, primary_key=True),
        sa.Column(
            "order_id",
            big,
            sa.ForeignKey("orders.id", name="fk_refunds_order_id_orders"),
            nullable=False,
        ),
        sa.Column(
            "order_line_id",
            big,
            sa.ForeignKey("order_lines.id", name="fk_refunds_order_line_id_order_lines"),
            nullable=True,
        ),
        sa.Column("quantity", sa.Integer(), nullable=True),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column(
            "created_by_id",
            big,
            sa.ForeignKey("users.id", name="fk_refunds_created_by_id_users"),
            nullable=True,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name="ck_refunds_positive"),
        sa.CheckConstraint(check, name="ck_refunds_refund_reason"),
    )
    with op.batch_alter_table("refunds", copy_from=refunds, recreate="always"):
        pass
    # The rebuilt table comes without its index.
    op.create_index(op.f("ix_refunds_order_id"), "refunds", ["order_id"], unique=False)


def upgrade() -> None:
    _refund_reasons(REFUND_REASONS)
    op.create_table(
        "purchase_orders",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "supplier_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "warehouse_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("delivery_date", sa.Date(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revised_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("receiving_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["supplier_id"], ["suppliers.id"], name=op.f("fk_purchase_orders_supplier_id_suppliers")
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_purchase_orders_warehouse_id_warehouses"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_orders")),
        sa.UniqueConstraint(
            "supplier_id",
            "warehouse_id",
            "delivery_date",
            name=op.f("uq_purchase_orders_supplier_id_warehouse_id_delivery_date"),
        ),
    )
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_orders_supplier_id"), ["supplier_id"], unique=False
        )

    op.create_table(
        "purchase_order_lines",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "purchase_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("ordered_units", sa.Integer(), nullable=False),
        sa.Column("case_pack", sa.Integer(), nullable=False),
        sa.Column("cases", sa.Integer(), nullable=False),
        sa.Column("purchase_units", sa.Integer(), nullable=False),
        sa.Column("surplus_units", sa.Integer(), nullable=False),
        sa.Column("unit_cost_fen", sa.Integer(), nullable=False),
        sa.Column("cost_fen", sa.Integer(), nullable=False),
        sa.Column("confirmed_units", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "confirmed_units IS NULL OR confirmed_units BETWEEN 0 AND purchase_units",
            name=op.f("ck_purchase_order_lines_confirmed_range"),
        ),
        sa.CheckConstraint(
            "ordered_units > 0 AND case_pack >= 1 AND purchase_units = cases * case_pack AND surplus_units = purchase_units - ordered_units AND surplus_units >= 0 AND surplus_units < case_pack AND cost_fen = purchase_units * unit_cost_fen",
            name=op.f("ck_purchase_order_lines_case_arithmetic"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_purchase_order_lines_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_purchase_order_lines_purchase_order_id_purchase_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_purchase_order_lines")),
        sa.UniqueConstraint(
            "purchase_order_id",
            "revision",
            "product_id",
            name=op.f("uq_purchase_order_lines_purchase_order_id_revision_product_id"),
        ),
    )
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_purchase_order_lines_purchase_order_id"),
            ["purchase_order_id"],
            unique=False,
        )

    op.create_table(
        "receipts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "purchase_order_id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            nullable=False,
        ),
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("received_units", sa.Integer(), nullable=False),
        sa.Column("accepted_units", sa.Integer(), nullable=False),
        sa.Column("delivery_ref", sa.String(length=64), nullable=False),
        sa.Column(
            "recorded_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "accepted_units >= 0 AND accepted_units <= received_units",
            name=op.f("ck_receipts_accepted_within_received"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"], ["products.id"], name=op.f("fk_receipts_product_id_products")
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_receipts_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_receipts_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipts")),
    )
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_receipts_purchase_order_id"), ["purchase_order_id"], unique=False
        )

    op.create_table(
        "order_line_shortfalls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "order_line_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column(
            "reason",
            sa.Enum(
                "group_threshold",
                "supplier_short",
                name="shortfall_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "refund_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_order_line_shortfalls_positive")),
        sa.ForeignKeyConstraint(
            ["order_line_id"],
            ["order_lines.id"],
            name=op.f("fk_order_line_shortfalls_order_line_id_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["refund_id"], ["refunds.id"], name=op.f("fk_order_line_shortfalls_refund_id_refunds")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_order_line_shortfalls")),
        sa.UniqueConstraint("refund_id", name=op.f("uq_order_line_shortfalls_refund_id")),
    )
    with op.batch_alter_table("order_line_shortfalls", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_order_line_shortfalls_order_line_id"), ["order_line_id"], unique=False
        )

    with op.batch_alter_table("campaign_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cutoff_processed_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    _refund_reasons(REFUND_REASONS[:-2])
    with op.batch_alter_table("campaigns", schema=None) as batch_op:
        batch_op.drop_column("cutoff_processed_at")

    with op.batch_alter_table("campaign_items", schema=None) as batch_op:
        batch_op.drop_column("cancelled_at")

    with op.batch_alter_table("order_line_shortfalls", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_order_line_shortfalls_order_line_id"))

    op.drop_table("order_line_shortfalls")
    with op.batch_alter_table("receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_receipts_purchase_order_id"))

    op.drop_table("receipts")
    with op.batch_alter_table("purchase_order_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_order_lines_purchase_order_id"))

    op.drop_table("purchase_order_lines")
    with op.batch_alter_table("purchase_orders", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_purchase_orders_supplier_id"))

    op.drop_table("purchase_orders")
