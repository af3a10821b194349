"""Daily reconciliation against WeChat Pay's bills

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05

A run per bill date (totals on both sides, counts) and the lines of the
newest run that did not match (fulfilment/reconciliation/).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = ("missing_at_platform", "missing_at_provider", "amount_differs", "state_differs")


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def upgrade() -> None:
    op.create_table(
        "reconciliation_runs",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("bill_date", sa.Date(), nullable=False),
        sa.Column("job_id", sa.BigInteger(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        *(
            sa.Column(name, sa.Integer(), nullable=False)
            for name in (
                "provider_payments",
                "provider_refunds",
                "platform_payments",
                "platform_refunds",
                "matched",
                "mismatches",
            )
        ),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in (
                "provider_paid_fen",
                "provider_refunded_fen",
                "platform_paid_fen",
                "platform_refunded_fen",
            )
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_runs")),
    )
    with op.batch_alter_table("reconciliation_runs") as batch_op:
        batch_op.create_index(
            "ix_reconciliation_runs_bill_date", ["bill_date", "finished_at"], unique=False
        )
    op.create_table(
        "reconciliation_mismatches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("run_id", BIG_ID, nullable=False),
        sa.Column("kind", _enum("mismatch_kind", *KINDS), nullable=False),
        sa.Column("line", _enum("reconciliation_line", "payment", "refund"), nullable=False),
        sa.Column("out_trade_no", sa.String(length=64), nullable=True),
        sa.Column("transaction_id", sa.String(length=64), nullable=True),
        sa.Column("out_refund_no", sa.String(length=64), nullable=True),
        sa.Column("provider_refund_id", sa.String(length=64), nullable=True),
        sa.Column("platform_id", sa.BigInteger(), nullable=True),
        sa.Column("provider_fen", sa.Integer(), nullable=True),
        sa.Column("platform_fen", sa.Integer(), nullable=True),
        sa.Column("provider_state", sa.String(length=32), nullable=True),
        sa.Column("platform_state", sa.String(length=32), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["reconciliation_runs.id"],
            name=op.f("fk_reconciliation_mismatches_run_id_reconciliation_runs"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciliation_mismatches")),
    )
    with op.batch_alter_table("reconciliation_mismatches") as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reconciliation_mismatches_run_id"), ["run_id"], unique=False
        )
    # A day's payments and refunds are read by when they landed here.
    op.create_index(
        "ix_payment_notifications_received_at", "payment_notifications", ["received_at"]
    )
    op.create_index("ix_refunds_succeeded_at", "refunds", ["succeeded_at"])


def downgrade() -> None:
    op.drop_index("ix_refunds_succeeded_at", "refunds")
    op.drop_index("ix_payment_notifications_received_at", "payment_notifications")
    with op.batch_alter_table("reconciliation_mismatches") as batch_op:
        batch_op.drop_index(batch_op.f("ix_reconciliation_mismatches_run_id"))
    op.drop_table("reconciliation_mismatches")
    with op.batch_alter_table("reconciliation_runs") as batch_op:
        batch_op.drop_index("ix_reconciliation_runs_bill_date")
    op.drop_table("reconciliation_runs")
