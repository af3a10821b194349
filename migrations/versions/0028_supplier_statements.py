"""Supplier statements

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-05

Supplier settlement (fulfilment/supplier_settlement/): the append-only
supplier ledger, statements per supplier and period with their lines (each
confirmed or disputed by the supplier, disputes resolved by an operator),
delivery issues charged to the supplier, suppliers' bank accounts and
supplier pay batches.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "supplier_bank_accounts",
        sa.Column("supplier_id", BIG_ID, nullable=False),
        sa.Column("account_name", sa.String(length=100), nullable=False),
        sa.Column("bank_name", sa.String(length=100), nullable=False),
        sa.Column("account_number", sa.String(length=34), nullable=False),
        sa.Column("updated_by_id", BIG_ID, nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_bank_accounts_supplier_id_suppliers"),
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_bank_accounts_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("supplier_id", name=op.f("pk_supplier_bank_accounts")),
    )
    op.create_table(
        "supplier_pay_batches",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("created_by_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("paid_by_id", BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_pay_batches_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["paid_by_id"], ["users.id"], name=op.f("fk_supplier_pay_batches_paid_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_pay_batches")),
    )
    op.create_table(
        "supplier_statements",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("supplier_id", BIG_ID, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "issued",
                "approved",
                "paid",
                name="supplier_statement_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("goods_fen", sa.BigInteger(), nullable=False),
        sa.Column("chargeback_fen", sa.BigInteger(), nullable=False),
        sa.Column("fee_fen", sa.BigInteger(), nullable=False),
        sa.Column("brought_forward_fen", sa.BigInteger(), nullable=False),
        sa.Column("adjustment_fen", sa.BigInteger(), nullable=False),
        sa.Column("carried_forward_fen", sa.BigInteger(), nullable=False),
        sa.Column("total_fen", sa.BigInteger(), nullable=False),
        sa.Column("payable_fen", sa.BigInteger(), nullable=True),
        sa.Column("fee_bp", sa.Integer(), nullable=False),
        sa.Column("line_count", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by_id", BIG_ID, nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by_id", BIG_ID, nullable=True),
        sa.Column("batch_id", BIG_ID, nullable=True),
        sa.Column("paid_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "(state = 'issued' AND payable_fen IS NULL) OR (state <> 'issued' AND payable_fen = total_fen AND payable_fen >= 0)",
            name=op.f("ck_supplier_statements_payable"),
        ),
        sa.CheckConstraint("period_start < period_end", name=op.f("ck_supplier_statements_period")),
        sa.CheckConstraint(
            "total_fen = goods_fen + chargeback_fen + fee_fen + brought_forward_fen + adjustment_fen + carried_forward_fen",
            name=op.f("ck_supplier_statements_total"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_statements_approved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["batch_id"],
            ["supplier_pay_batches.id"],
            name=op.f("fk_supplier_statements_batch_id_supplier_pay_batches"),
        ),
        sa.ForeignKeyConstraint(
            ["issued_by_id"], ["users.id"], name=op.f("fk_supplier_statements_issued_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_statements_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_statements")),
        sa.UniqueConstraint(
            "supplier_id", "period_end", name=op.f("uq_supplier_statements_supplier_id_period_end")
        ),
    )
    op.create_index(
        op.f("ix_supplier_statements_batch_id"), "supplier_statements", ["batch_id"], unique=False
    )
    op.create_index(
        "ix_supplier_statements_state_id", "supplier_statements", ["state", "id"], unique=False
    )
    op.create_index(
        "ix_supplier_statements_supplier_id_id",
        "supplier_statements",
        ["supplier_id", "id"],
        unique=False,
    )
    op.create_table(
        "supplier_statement_lines",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("statement_id", BIG_ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "goods",
                "shortage",
                "qc_failure",
                "delivery_fault",
                "quality_claim",
                "service_fee",
                "brought_forward",
                "carried_forward",
                name="supplier_line_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "confirmed",
                "disputed",
                "resolved",
                name="supplier_line_state",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("purchase_order_id", BIG_ID, nullable=True),
        sa.Column("product_id", BIG_ID, nullable=True),
        sa.Column("units", sa.Integer(), nullable=True),
        sa.Column("unit_cost_fen", sa.Integer(), nullable=True),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("dispute_reason", sa.Text(), nullable=True),
        sa.Column("disputed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("disputed_by_id", BIG_ID, nullable=True),
        sa.Column("adjustment_fen", sa.BigInteger(), nullable=False),
        sa.Column("resolution_note", sa.Text(), nullable=True),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by_id", BIG_ID, nullable=True),
        sa.CheckConstraint(
            "units IS NULL OR units > 0", name=op.f("ck_supplier_statement_lines_units")
        ),
        sa.ForeignKeyConstraint(
            ["disputed_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_statement_lines_disputed_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_supplier_statement_lines_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_supplier_statement_lines_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_statement_lines_resolved_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["supplier_statements.id"],
            name=op.f("fk_supplier_statement_lines_statement_id_supplier_statements"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_statement_lines")),
    )
    op.create_index(
        "ix_supplier_statement_lines_statement_id_id",
        "supplier_statement_lines",
        ["statement_id", "id"],
        unique=False,
    )
    op.create_table(
        "supplier_delivery_faults",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("delivery_issue_id", BIG_ID, nullable=False),
        sa.Column("supplier_id", BIG_ID, nullable=False),
        sa.Column("product_id", BIG_ID, nullable=False),
        sa.Column("purchase_order_id", BIG_ID, nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("unit_cost_fen", sa.Integer(), nullable=False),
        sa.Column("amount_fen", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "units > 0 AND unit_cost_fen >= 0 AND amount_fen = units * unit_cost_fen",
            name=op.f("ck_supplier_delivery_faults_amount_exact"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_issue_id"],
            ["delivery_issues.id"],
            name=op.f("fk_supplier_delivery_faults_delivery_issue_id_delivery_issues"),
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_supplier_delivery_faults_product_id_products"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_id"],
            ["purchase_orders.id"],
            name=op.f("fk_supplier_delivery_faults_purchase_order_id_purchase_orders"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_delivery_faults_recorded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_delivery_faults_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_delivery_faults")),
        sa.UniqueConstraint(
            "delivery_issue_id", name=op.f("uq_supplier_delivery_faults_delivery_issue_id")
        ),
    )
    op.create_index(
        op.f("ix_supplier_delivery_faults_supplier_id"),
        "supplier_delivery_faults",
        ["supplier_id"],
        unique=False,
    )
    op.create_table(
        "supplier_ledger_entries",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("supplier_id", BIG_ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "goods",
                "shortage",
                "qc_failure",
                "delivery_fault",
                "quality_claim",
                "service_fee",
                "brought_forward",
                "carried_forward",
                "adjustment",
                "payment",
                name="supplier_entry_kind",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("amount_fen", sa.BigInteger(), nullable=False),
        sa.Column("statement_id", BIG_ID, nullable=False),
        sa.Column("statement_line_id", BIG_ID, nullable=True),
        sa.Column("purchase_order_line_id", BIG_ID, nullable=True),
        sa.Column("chargeback_id", BIG_ID, nullable=True),
        sa.Column("delivery_fault_id", BIG_ID, nullable=True),
        sa.Column("reverses_id", BIG_ID, nullable=True),
        sa.Column("created_by_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["chargeback_id"],
            ["supplier_chargebacks.id"],
            name=op.f("fk_supplier_ledger_entries_chargeback_id_supplier_chargebacks"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_supplier_ledger_entries_created_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["delivery_fault_id"],
            ["supplier_delivery_faults.id"],
            name=op.f("fk_supplier_ledger_entries_delivery_fault_id_supplier_delivery_faults"),
        ),
        sa.ForeignKeyConstraint(
            ["purchase_order_line_id"],
            ["purchase_order_lines.id"],
            name=op.f("fk_supplier_ledger_entries_purchase_order_line_id_purchase_order_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["supplier_ledger_entries.id"],
            name=op.f("fk_supplier_ledger_entries_reverses_id_supplier_ledger_entries"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_id"],
            ["supplier_statements.id"],
            name=op.f("fk_supplier_ledger_entries_statement_id_supplier_statements"),
        ),
        sa.ForeignKeyConstraint(
            ["statement_line_id"],
            ["supplier_statement_lines.id"],
            name=op.f("fk_supplier_ledger_entries_statement_line_id_supplier_statement_lines"),
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_supplier_ledger_entries_supplier_id_suppliers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_supplier_ledger_entries")),
        sa.UniqueConstraint("chargeback_id", name=op.f("uq_supplier_ledger_entries_chargeback_id")),
        sa.UniqueConstraint(
            "delivery_fault_id", name=op.f("uq_supplier_ledger_entries_delivery_fault_id")
        ),
        sa.UniqueConstraint("reverses_id", name=op.f("uq_supplier_ledger_entries_reverses_id")),
    )
    op.create_index(
        "ix_supplier_ledger_entries_supplier_id_id",
        "supplier_ledger_entries",
        ["supplier_id", "id"],
        unique=False,
    )
    op.create_index(
        "uq_supplier_ledger_entries_adjustment",
        "supplier_ledger_entries",
        ["statement_line_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'adjustment'"),
        sqlite_where=sa.text("kind = 'adjustment'"),
    )
    op.create_index(
        "uq_supplier_ledger_entries_po_line",
        "supplier_ledger_entries",
        ["purchase_order_line_id", "kind"],
        unique=True,
        postgresql_where=sa.text("kind IN ('goods', 'shortage', 'qc_failure')"),
        sqlite_where=sa.text("kind IN ('goods', 'shortage', 'qc_failure')"),
    )
    op.create_index(
        "uq_supplier_ledger_entries_statement",
        "supplier_ledger_entries",
        ["statement_id", "kind"],
        unique=True,
        postgresql_where=sa.text("kind IN ('service_fee', 'carried_forward', 'payment')"),
        sqlite_where=sa.text("kind IN ('service_fee', 'carried_forward', 'payment')"),
    )


def downgrade() -> None:
    op.drop_table("supplier_ledger_entries")
    op.drop_table("supplier_delivery_faults")
    op.drop_table("supplier_statement_lines")
    op.drop_table("supplier_statements")
    op.drop_table("supplier_pay_batches")
    op.drop_table("supplier_bank_accounts")
