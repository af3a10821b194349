"""Cash taken by leaders for 代下单 orders

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05

A leader may mark a resident's order paid in cash (fulfilment/orders/cash.py):

- ``cash_payments``: one per order (unique ``order_id``), the leader holding
  the cash, who recorded it, the amount (the order's total) and when.
- ``commission_entries.kind`` gains ``cash_held`` and ``cash_returned``
  (leaders/commission/cash.py), entries gain ``cash_payment_id`` (a plain
  column: the leaders layer keeps fulfilment's ids without foreign keys), and
  two partial unique indexes book each cash payment and each refund of one
  once.
- ``commission_statements.cash_held_fen``: the cash a statement deducted
  (0 for every statement before this revision: no cash was taken then).

Enums are VARCHAR(32) with a CHECK on both databases, so the new kinds are a
rewritten CHECK. PostgreSQL alters the tables in place; SQLite rebuilds them
(batch mode keeps the named constraints).

Downgrade refuses while cash entries exist: they are money the leaders owe,
and the older schema has no way to hold them (nothing money depends on is
deleted). Without any, it drops what upgrade added.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None

ENTRY_KINDS = (
    "accrual",
    "reversal",
    "recruit_accrual",
    "recruit_reversal",
    "settlement",
    "payout",
    "fee",
    "payout_return",
    "fee_return",
)
CASH_KINDS = ("cash_held", "cash_returned")
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KIND_CHECK = "ck_commission_entries_commission_entry_kind"
CASH_HELD = "kind = 'cash_held'"
CASH_RETURNED = "kind = 'cash_returned'"


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _recreate() -> Literal["always", "auto"]:
    # SQLite rebuilds the table to change a CHECK; PostgreSQL alters in place.
    return "always" if op.get_bind().dialect.name == "sqlite" else "auto"


def _create_cash_payments() -> None:
    op.create_table(
        "cash_payments",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("order_id", BIG_ID, nullable=False),
        sa.Column("leader_id", BIG_ID, nullable=False),
        sa.Column("recorded_by_id", BIG_ID, nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("amount_fen > 0", name=op.f("ck_cash_payments_positive")),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_cash_payments_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_cash_payments_leader_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["users.id"], name=op.f("fk_cash_payments_recorded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_payments")),
        sa.UniqueConstraint("order_id", name=op.f("uq_cash_payments_order_id")),
    )
    with op.batch_alter_table("cash_payments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_cash_payments_leader_id"), ["leader_id"])


def upgrade() -> None:
    _create_cash_payments()
    with op.batch_alter_table("commission_entries", recreate=_recreate()) as batch_op:
        batch_op.add_column(sa.Column("cash_payment_id", sa.BigInteger(), nullable=True))
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(
            op.f(KIND_CHECK), sa.text(_in("kind", (*ENTRY_KINDS, *CASH_KINDS)))
        )
        batch_op.create_index(
            "uq_commission_entries_cash_held",
            ["cash_payment_id"],
            unique=True,
            postgresql_where=sa.text(CASH_HELD),
            sqlite_where=sa.text(CASH_HELD),
        )
        batch_op.create_index(
            "uq_commission_entries_cash_returned",
            ["refund_id"],
            unique=True,
            postgresql_where=sa.text(CASH_RETURNED),
            sqlite_where=sa.text(CASH_RETURNED),
        )
    with op.batch_alter_table("commission_statements", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("cash_held_fen", sa.BigInteger(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    held = op.get_bind().scalar(
        sa.text(f"SELECT count(*) FROM commission_entries WHERE {_in('kind', CASH_KINDS)}")
    )
    if held:
        raise RuntimeError(
            f"{held} cash ledger entries exist: leaders hold that money, and revision 0023 "
            "cannot record it; downgrading would lose it."
        )
    with op.batch_alter_table("commission_statements", schema=None) as batch_op:
        batch_op.drop_column("cash_held_fen")
    with op.batch_alter_table("commission_entries", recreate=_recreate()) as batch_op:
        batch_op.drop_index(
            "uq_commission_entries_cash_returned",
            postgresql_where=sa.text(CASH_RETURNED),
            sqlite_where=sa.text(CASH_RETURNED),
        )
        batch_op.drop_index(
            "uq_commission_entries_cash_held",
            postgresql_where=sa.text(CASH_HELD),
            sqlite_where=sa.text(CASH_HELD),
        )
        batch_op.drop_constraint(op.f(KIND_CHECK), type_="check")
        batch_op.create_check_constraint(op.f(KIND_CHECK), sa.text(_in("kind", ENTRY_KINDS)))
        batch_op.drop_column("cash_payment_id")
    with op.batch_alter_table("cash_payments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_cash_payments_leader_id"))
    op.drop_table("cash_payments")
