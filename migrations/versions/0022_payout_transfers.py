"""Payouts sent through WeChat Pay's transfer to balance

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05

A payout batch can be sent by WeChat Pay's transfer to balance (商家转账到零钱)
instead of the bank file (leaders/commission/transfers.py):

- ``commission_payouts.status`` gains ``failed`` (the transfer failed; the
  money went back to the balance by new ledger entries), and each payout
  keeps its transfer's state, the openid it went to, WeChat's detail id and
  when it failed.
- ``commission_payout_batches`` keep the batch's transfer state, our
  ``out_batch_no`` (unique: WeChat Pay's idempotency key), WeChat's batch id,
  the last problem met, who asked and when, and when it finished.

Enums are VARCHAR(32) with a CHECK on both databases (``enum_column``), so the
new status is a rewritten CHECK, not ``ALTER TYPE``. PostgreSQL alters the
tables in place; SQLite rebuilds them (batch mode keeps the named
constraints). Nothing is backfilled: no batch was sent by transfer before.
Downgrade turns ``failed`` payouts into ``rejected`` (money back with a
reason: the nearest older status) and drops what upgrade added.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None

PAYOUT_STATUSES = ("requested", "approved", "rejected", "paid")
PAYOUT_TRANSFER = ("sending", "init", "wait_pay", "processing", "success", "fail")
BATCH_TRANSFER = ("sending", "processing", "finished")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _payout_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("transfer_status", sa.String(length=32), nullable=True),
        sa.Column("transfer_openid", sa.String(length=128), nullable=True),
        sa.Column("transfer_detail_id", sa.String(length=64), nullable=True),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _batch_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("transfer_status", sa.String(length=32), nullable=True),
        sa.Column("out_batch_no", sa.String(length=32), nullable=True),
        sa.Column("transfer_batch_id", sa.String(length=64), nullable=True),
        sa.Column("transfer_error", sa.Text(), nullable=True),
        sa.Column("transfer_requested_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("transfer_requested_by_id", BIG_ID, nullable=True),
        sa.Column("transfer_finished_at", sa.DateTime(timezone=True), nullable=True),
    ]


def _recreate() -> Literal["always", "auto"]:
    # SQLite rebuilds the table to change a CHECK; PostgreSQL alters in place.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def upgrade() -> None:
    with op.batch_alter_table("commission_payouts", recreate=_recreate()) as batch_op:
        for column in _payout_columns():
            batch_op.add_column(column)
        batch_op.drop_constraint(op.f("ck_commission_payouts_payout_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_commission_payouts_payout_status"),
            sa.text(_in("status", (*PAYOUT_STATUSES, "failed"))),
        )
        batch_op.create_check_constraint(
            op.f("ck_commission_payouts_payout_transfer_status"),
            sa.text(_in("transfer_status", PAYOUT_TRANSFER)),
        )
    with op.batch_alter_table("commission_payout_batches", recreate=_recreate()) as batch_op:
        for column in _batch_columns():
            batch_op.add_column(column)
        batch_op.create_check_constraint(
            op.f("ck_commission_payout_batches_payout_batch_transfer_status"),
            sa.text(_in("transfer_status", BATCH_TRANSFER)),
        )
        batch_op.create_unique_constraint(
            op.f("uq_commission_payout_batches_out_batch_no"), ["out_batch_no"]
        )
        batch_op.create_foreign_key(
            op.f("fk_commission_payout_batches_transfer_requested_by_id_users"),
            "users",
            ["transfer_requested_by_id"],
            ["id"],
        )


def downgrade() -> None:
    # A failed transfer gave the money back with a reason: what a rejection
    # is, the nearest status before this revision.
    op.execute("UPDATE commission_payouts SET status = 'rejected' WHERE status = 'failed'")
    with op.batch_alter_table("commission_payout_batches", recreate=_recreate()) as batch_op:
        batch_op.drop_constraint(
            op.f("fk_commission_payout_batches_transfer_requested_by_id_users"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(op.f("uq_commission_payout_batches_out_batch_no"), type_="unique")
        batch_op.drop_constraint(
            op.f("ck_commission_payout_batches_payout_batch_transfer_status"), type_="check"
        )
        for column in reversed(_batch_columns()):
            batch_op.drop_column(column.name)
    with op.batch_alter_table("commission_payouts", recreate=_recreate()) as batch_op:
        batch_op.drop_constraint(
            op.f("ck_commission_payouts_payout_transfer_status"), type_="check"
        )
        batch_op.drop_constraint(op.f("ck_commission_payouts_payout_status"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_commission_payouts_payout_status"),
            sa.text(_in("status", PAYOUT_STATUSES)),
        )
        for column in reversed(_payout_columns()):
            batch_op.drop_column(column.name)
