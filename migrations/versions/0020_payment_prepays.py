"""WeChat Pay prepays of orders

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05

Every prepay orderPay opened with WeChat Pay (a JSAPI prepay_id or a Native
code_url): asking again for the same order and channel while it is valid
reuses it instead of opening another (fulfilment/orders/prepay.py).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "payment_prepays",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("order_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "jsapi",
                "native",
                name="payment_channel",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("prepay_id", sa.String(length=64), nullable=True),
        sa.Column("code_url", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(prepay_id IS NULL) <> (code_url IS NULL)",
            name=op.f("ck_payment_prepays_prepay_id_or_code_url"),
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_payment_prepays_order_id_orders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_prepays")),
    )
    with op.batch_alter_table("payment_prepays", schema=None) as batch_op:
        batch_op.create_index(
            "ix_payment_prepays_order_id_channel", ["order_id", "channel"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_prepays", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_prepays_order_id_channel")
    op.drop_table("payment_prepays")
