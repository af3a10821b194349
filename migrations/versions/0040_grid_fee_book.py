"""Grid warehouses' fees per piece: a second book of the ledger

Revision ID: 0040
Revises: 0039
Create Date: 2026-12-06

Issue 23: a grid warehouse's operator is paid a fee per piece its vans
deliver, accrued when the point's leader signs, reversed for units later
found missing at the grid, settled with the leaders' period and paid out
through the leaders' payouts.

- ``grid_fee_accounts``, ``grid_fee_entries``, ``grid_fee_statements``: the
  grids' book, shaped like the leaders' (0008), the grid a plain column.
- ``commission_payouts``: a payout's payee is a leader or a grid
  (``leader_id`` nullable, ``grid_id`` and ``payee_user_id`` added, exactly
  one of the two payees; keys unique per grid too).

The downgrade drops the book and fails while grid payouts exist (a leader
column that must not be NULL could not hold them).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0040"
down_revision = "0039"
branch_labels = None
depends_on = None

BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
KINDS = (
    "accrual",
    "reversal",
    "recruit_accrual",
    "recruit_reversal",
    "settlement",
    "payout",
    "fee",
    "payout_return",
    "fee_return",
    "cash_held",
    "cash_returned",
)
ONE_PAYEE = "(leader_id IS NULL) <> (grid_id IS NULL)"


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True, length=32)


def _partial_unique(name: str, columns: list[str], where: str) -> None:
    condition = sa.text(where)
    op.create_index(
        name,
        "grid_fee_entries",
        columns,
        unique=True,
        postgresql_where=condition,
        sqlite_where=condition,
    )


def upgrade() -> None:
    op.create_table(
        "grid_fee_accounts",
        sa.Column("grid_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("pending_fen", sa.BigInteger(), nullable=False),
        sa.Column("available_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("grid_id", name=op.f("pk_grid_fee_accounts")),
    )
    _statements()
    _entries()
    _payees()


def _statements() -> None:
    op.create_table(
        "grid_fee_statements",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("settlement_id", BIGINT, nullable=False),
        sa.Column("grid_id", sa.BigInteger(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), nullable=False)
            for name in ("opening_fen", "accrued_fen", "reversed_fen")
        ),
        sa.Column("cash_held_fen", sa.BigInteger(), server_default="0", nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("through_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closing_fen = opening_fen + total_fen", name=op.f("ck_grid_fee_statements_closing")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["commission_settlements.id"],
            name=op.f("fk_grid_fee_statements_settlement_id_commission_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_fee_statements")),
        sa.UniqueConstraint(
            "settlement_id", "grid_id", name=op.f("uq_grid_fee_statements_settlement_id_grid_id")
        ),
    )
    op.create_index("ix_grid_fee_statements_grid_id_id", "grid_fee_statements", ["grid_id", "id"])


def _entries() -> None:
    op.create_table(
        "grid_fee_entries",
        sa.Column("id", BIGINT, nullable=False),
        sa.Column("grid_id", sa.BigInteger(), nullable=False),
        sa.Column("kind", _enum("grid_fee_entry_kind", *KINDS), nullable=False),
        sa.Column(
            "account", _enum("grid_fee_ledger_account", "pending", "available"), nullable=False
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_before_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("pieces", sa.Integer(), nullable=True),
        sa.Column("piece_fee_fen", sa.Integer(), nullable=True),
        sa.Column("receipt_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column("pickup_point_id", sa.BigInteger(), nullable=True),
        sa.Column("reverses_id", BIGINT, nullable=True),
        sa.Column("statement_id", BIGINT, nullable=True),
        sa.Column("payout_id", BIGINT, nullable=True),
        sa.Column("basis_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance_after_fen = balance_before_fen + amount_fen",
            name=op.f("ck_grid_fee_entries_balance"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["grid_fee_entries.id"],
            name=op.f("fk_grid_fee_entries_reverses_id_grid_fee_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["grid_fee_statements.id"],
            name=op.f("fk_grid_fee_entries_statement_id_grid_fee_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["commission_payouts.id"],
            name=op.f("fk_grid_fee_entries_payout_id_commission_payouts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grid_fee_entries")),
    )
    _partial_unique("uq_grid_fee_entries_accrual", ["receipt_id"], "kind = 'accrual'")
    _partial_unique("uq_grid_fee_entries_reversal", ["refund_id"], "kind = 'reversal'")
    _partial_unique(
        "uq_grid_fee_entries_payout",
        ["payout_id", "kind"],
        "kind IN ('payout', 'fee', 'payout_return', 'fee_return')",
    )
    op.create_index("ix_grid_fee_entries_grid_id_id", "grid_fee_entries", ["grid_id", "id"])
    op.create_index("ix_grid_fee_entries_created_at", "grid_fee_entries", ["created_at"])


def _payees() -> None:
    with op.batch_alter_table("commission_payouts") as batch_op:
        batch_op.alter_column("leader_id", existing_type=BIGINT, nullable=True)
        batch_op.add_column(sa.Column("grid_id", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("payee_user_id", BIGINT, nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_commission_payouts_payee_user_id_users"), "users", ["payee_user_id"], ["id"]
        )
        batch_op.create_unique_constraint(
            op.f("uq_commission_payouts_grid_id_idempotency_key"), ["grid_id", "idempotency_key"]
        )
        batch_op.create_check_constraint(op.f("ck_commission_payouts_one_payee"), ONE_PAYEE)


def downgrade() -> None:
    with op.batch_alter_table("commission_payouts") as batch_op:
        batch_op.drop_constraint(op.f("ck_commission_payouts_one_payee"), type_="check")
        batch_op.drop_constraint(
            op.f("uq_commission_payouts_grid_id_idempotency_key"), type_="unique"
        )
        batch_op.drop_constraint(
            op.f("fk_commission_payouts_payee_user_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("payee_user_id")
        batch_op.drop_column("grid_id")
        batch_op.alter_column("leader_id", existing_type=BIGINT, nullable=False)
    for name in (
        "ix_grid_fee_entries_created_at",
        "ix_grid_fee_entries_grid_id_id",
    ):
        op.drop_index(name, table_name="grid_fee_entries")
    op.drop_table("grid_fee_entries")
    op.drop_index("ix_grid_fee_statements_grid_id_id", table_name="grid_fee_statements")
    op.drop_table("grid_fee_statements")
    op.drop_table("grid_fee_accounts")
