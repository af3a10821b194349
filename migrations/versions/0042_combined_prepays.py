"""Several orders paid together: ``payment_prepays.combine_out_trade_no``

Revision ID: 0042
Revises: 0041
Create Date: 2026-12-06

Issue 19: a resident pays the evening's orders in one WeChat Pay
confirmation (合单支付, ordersPay). Each order keeps a prepay row of its own
(its expiry closes it, fulfilment/orders/provider_check.py); the rows of one
combined payment share its number, by which WeChat Pay is asked and told to
close it. NULL for an order paid alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0042"
down_revision = "0041"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_prepays") as batch:
        batch.add_column(sa.Column("combine_out_trade_no", sa.String(length=32), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("payment_prepays") as batch:
        batch.drop_column("combine_out_trade_no")
