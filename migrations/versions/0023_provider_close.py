"""Unpaid orders closed at WeChat Pay when they expire

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05

An order that expires unpaid with a prepay owes the provider a close
(fulfilment/orders/provider_check.py): ``close_due_at`` is set with the
expiry, ``closed_at`` once the provider stopped taking the payment. A close
that failed (network, 5xx) is the pair (set, NULL), found again by the next
expiry run through the index on (closed_at, close_due_at). Prepays of orders
expired before this revision stay (NULL, NULL): WeChat refuses their payment
after the ``time_expire`` they were opened with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("payment_prepays", schema=None) as batch_op:
        batch_op.add_column(sa.Column("close_due_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            "ix_payment_prepays_closed_at_close_due_at",
            ["closed_at", "close_due_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("payment_prepays", schema=None) as batch_op:
        batch_op.drop_index("ix_payment_prepays_closed_at_close_due_at")
        batch_op.drop_column("closed_at")
        batch_op.drop_column("close_due_at")
