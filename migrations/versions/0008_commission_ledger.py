"""commission ledger

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leader_levels",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("code", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("min_monthly_sales_fen", sa.BigInteger(), nullable=False),
        sa.Column("bonus_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("bonus_bps BETWEEN 0 AND 10000", name=op.f("ck_leader_levels_bps")),
        sa.CheckConstraint("min_monthly_sales_fen >= 0", name=op.f("ck_leader_levels_threshold")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leader_levels")),
        sa.UniqueConstraint("code", name=op.f("uq_leader_levels_code")),
        sa.UniqueConstraint(
            "min_monthly_sales_fen", name=op.f("uq_leader_levels_min_monthly_sales_fen")
        ),
    )
    op.create_table(
        "commission_category_rates",
        sa.Column("category", sa.String(length=50), nullable=False),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "rate_bps BETWEEN 0 AND 10000", name=op.f("ck_commission_category_rates_bps")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_commission_category_rates_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("category", name=op.f("pk_commission_category_rates")),
    )
    op.create_table(
        "commission_payout_batches",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("payout_count", sa.Integer(), nullable=False),
        sa.Column("transfer_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "paid_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_commission_payout_batches_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_commission_payout_batches_paid_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_payout_batches")),
    )
    op.create_table(
        "commission_product_rates",
        sa.Column(
            "product_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("rate_bps", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column(
            "updated_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.CheckConstraint(
            "rate_bps BETWEEN 0 AND 10000", name=op.f("ck_commission_product_rates_bps")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_commission_product_rates_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_commission_product_rates")),
    )
    op.create_table(
        "commission_settlements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("picked_up_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refunded_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scanned_from", sa.DateTime(timezone=True), nullable=True),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "created_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "period_start < period_end", name=op.f("ck_commission_settlements_period")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_commission_settlements_created_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_settlements")),
        sa.UniqueConstraint("period_end", name=op.f("uq_commission_settlements_period_end")),
    )
    op.create_table(
        "commission_accounts",
        sa.Column(
            "leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("pending_fen", sa.BigInteger(), nullable=False),
        sa.Column("available_fen", sa.BigInteger(), nullable=False),
        sa.Column("level_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("level_month", sa.Date(), nullable=True),
        sa.Column("level_sales_fen", sa.BigInteger(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_commission_accounts_leader_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["level_id"],
            ["leader_levels.id"],
            name=op.f("fk_commission_accounts_level_id_leader_levels"),
        ),
        sa.PrimaryKeyConstraint("leader_id", name=op.f("pk_commission_accounts")),
    )
    op.create_table(
        "commission_payouts",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("idempotency_key", sa.String(length=64), nullable=False),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("transfer_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "requested",
                "approved",
                "rejected",
                "paid",
                name="payout_status",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "decided_by_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("batch_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "amount_fen = transfer_fen + fee_fen", name=op.f("ck_commission_payouts_sum")
        ),
        sa.CheckConstraint(
            "fee_fen >= 0 AND transfer_fen > 0", name=op.f("ck_commission_payouts_amounts")
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["commission_payout_batches.id"],
            name=op.f("fk_commission_payouts_batch_id_commission_payout_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_commission_payouts_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_commission_payouts_leader_id_leaders")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_payouts")),
        sa.UniqueConstraint(
            "leader_id",
            "idempotency_key",
            name=op.f("uq_commission_payouts_leader_id_idempotency_key"),
        ),
    )
    with op.batch_alter_table("commission_payouts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_commission_payouts_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            "ix_commission_payouts_leader_id_id", ["leader_id", "id"], unique=False
        )
        batch_op.create_index("ix_commission_payouts_status_id", ["status", "id"], unique=False)

    op.create_table(
        "commission_statements",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "settlement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("opening_fen", sa.BigInteger(), nullable=False),
        sa.Column("accrued_fen", sa.BigInteger(), nullable=False),
        sa.Column("reversed_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("closing_fen", sa.BigInteger(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("through_entry_id", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "closing_fen = opening_fen + total_fen", name=op.f("ck_commission_statements_closing")
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_commission_statements_leader_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["settlement_id"],
            ["commission_settlements.id"],
            name=op.f("fk_commission_statements_settlement_id_commission_settlements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_statements")),
        sa.UniqueConstraint(
            "settlement_id",
            "leader_id",
            name=op.f("uq_commission_statements_settlement_id_leader_id"),
        ),
    )
    with op.batch_alter_table("commission_statements", schema=None) as batch_op:
        batch_op.create_index(
            "ix_commission_statements_leader_id_id", ["leader_id", "id"], unique=False
        )

    op.create_table(
        "commission_entries",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column(
            "leader_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "kind",
            sa.Enum(
                "accrual",
                "reversal",
                "recruit_accrual",
                "recruit_reversal",
                "settlement",
                "payout",
                "fee",
                "payout_return",
                "fee_return",
                name="commission_entry_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column(
            "account",
            sa.Enum(
                "pending",
                "available",
                name="commission_ledger_account",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_before_fen", sa.BigInteger(), nullable=False),
        sa.Column("balance_after_fen", sa.BigInteger(), nullable=False),
        sa.Column("base_fen", sa.BigInteger(), nullable=True),
        sa.Column("rate_bps", sa.Integer(), nullable=True),
        sa.Column("order_line_id", sa.BigInteger(), nullable=True),
        sa.Column("refund_id", sa.BigInteger(), nullable=True),
        sa.Column(
            "recruit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "reverses_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column(
            "statement_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("payout_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("basis_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "balance_after_fen = balance_before_fen + amount_fen",
            name=op.f("ck_commission_entries_balance"),
        ),
        sa.ForeignKeyConstraint(
            ["leader_id"], ["leaders.id"], name=op.f("fk_commission_entries_leader_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["payout_id"],
            ["commission_payouts.id"],
            name=op.f("fk_commission_entries_payout_id_commission_payouts"),
        ),
        sa.ForeignKeyConstraint(
            ["recruit_id"], ["leaders.id"], name=op.f("fk_commission_entries_recruit_id_leaders")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["commission_entries.id"],
            name=op.f("fk_commission_entries_reverses_id_commission_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["commission_statements.id"],
            name=op.f("fk_commission_entries_statement_id_commission_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_commission_entries")),
    )
    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.create_index("ix_commission_entries_created_at", ["created_at"], unique=False)
        batch_op.create_index(
            "ix_commission_entries_leader_id_id", ["leader_id", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_commission_entries_order_line_id"), ["order_line_id"], unique=False
        )
        batch_op.create_index(
            "uq_commission_entries_accrual",
            ["order_line_id", "kind"],
            unique=True,
            postgresql_where=sa.text("kind IN ('accrual', 'recruit_accrual')"),
            sqlite_where=sa.text("kind IN ('accrual', 'recruit_accrual')"),
        )
        batch_op.create_index(
            "uq_commission_entries_payout",
            ["payout_id", "kind"],
            unique=True,
            postgresql_where=sa.text("kind IN ('payout', 'fee', 'payout_return', 'fee_return')"),
            sqlite_where=sa.text("kind IN ('payout', 'fee', 'payout_return', 'fee_return')"),
        )
        batch_op.create_index(
            "uq_commission_entries_reversal",
            ["refund_id", "kind"],
            unique=True,
            postgresql_where=sa.text("kind IN ('reversal', 'recruit_reversal')"),
            sqlite_where=sa.text("kind IN ('reversal', 'recruit_reversal')"),
        )

    with op.batch_alter_table("leaders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column(
                "recruited_by_id",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                nullable=True,
            )
        )
        batch_op.create_index(
            batch_op.f("ix_leaders_recruited_by_id"), ["recruited_by_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_leaders_recruited_by_id_leaders"), "leaders", ["recruited_by_id"], ["id"]
        )

    # Leaders approved before this revision: their last decision is the best
    # record of their approval (a recruiting share would count from it).
    op.execute(
        "UPDATE leaders SET approved_at = decided_at "
        "WHERE status IN ('approved', 'suspended') AND approved_at IS NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("leaders", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_leaders_recruited_by_id_leaders"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_leaders_recruited_by_id"))
        batch_op.drop_column("recruited_by_id")
        batch_op.drop_column("approved_at")

    with op.batch_alter_table("commission_entries", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_commission_entries_reversal",
            postgresql_where=sa.text("kind IN ('reversal', 'recruit_reversal')"),
            sqlite_where=sa.text("kind IN ('reversal', 'recruit_reversal')"),
        )
        batch_op.drop_index(
            "uq_commission_entries_payout",
            postgresql_where=sa.text("kind IN ('payout', 'fee', 'payout_return', 'fee_return')"),
            sqlite_where=sa.text("kind IN ('payout', 'fee', 'payout_return', 'fee_return')"),
        )
        batch_op.drop_index(
            "uq_commission_entries_accrual",
            postgresql_where=sa.text("kind IN ('accrual', 'recruit_accrual')"),
            sqlite_where=sa.text("kind IN ('accrual', 'recruit_accrual')"),
        )
        batch_op.drop_index(batch_op.f("ix_commission_entries_order_line_id"))
        batch_op.drop_index("ix_commission_entries_leader_id_id")
        batch_op.drop_index("ix_commission_entries_created_at")

    op.drop_table("commission_entries")
    with op.batch_alter_table("commission_statements", schema=None) as batch_op:
        batch_op.drop_index("ix_commission_statements_leader_id_id")

    op.drop_table("commission_statements")
    with op.batch_alter_table("commission_payouts", schema=None) as batch_op:
        batch_op.drop_index("ix_commission_payouts_status_id")
        batch_op.drop_index("ix_commission_payouts_leader_id_id")
        batch_op.drop_index(batch_op.f("ix_commission_payouts_batch_id"))

    op.drop_table("commission_payouts")
    op.drop_table("commission_accounts")
    op.drop_table("commission_settlements")
    op.drop_table("commission_product_rates")
    op.drop_table("commission_payout_batches")
    op.drop_table("commission_category_rates")
    op.drop_table("leader_levels")
