"""Tables of supplier settlement: the append-only ledger, statements with
their lines, supplier faults on delivery, and pay batches.

The ledger mirrors the leaders' (leaders/commission): an entry is written
once and never updated or deleted; a correction (a dispute's adjustment, a
negative total carried into the next period) is another entry pointing at
what it corrects. Each source (a purchase-order line's goods, shortage or QC
failure, a chargeback, a delivery fault) is booked once, which the partial
unique indexes enforce.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class LineKind(Enum):
    """What a statement line (and its ledger entry) is for."""

    GOODS = "goods"  # accepted units × agreed cost
    SHORTAGE = "shortage"  # units short of what the supplier confirmed
    QC_FAILURE = "qc_failure"  # units received that failed QC
    DELIVERY_FAULT = "delivery_fault"  # missing on delivery, the supplier at fault
    QUALITY_CLAIM = "quality_claim"  # after-sale quality refunds charged back
    SERVICE_FEE = "service_fee"  # the platform's fee on the goods
    BROUGHT_FORWARD = "brought_forward"  # a negative total of an earlier statement
    CARRIED_FORWARD = "carried_forward"  # this statement's negative total, moved on


class EntryKind(Enum):
    """Ledger entries: every line kind, plus adjustments and payments."""

    GOODS = "goods"
    SHORTAGE = "shortage"
    QC_FAILURE = "qc_failure"
    DELIVERY_FAULT = "delivery_fault"
    QUALITY_CLAIM = "quality_claim"
    SERVICE_FEE = "service_fee"
    BROUGHT_FORWARD = "brought_forward"
    CARRIED_FORWARD = "carried_forward"
    ADJUSTMENT = "adjustment"  # a resolved dispute
    PAYMENT = "payment"  # the bank paid the statement


class LineState(Enum):
    OPEN = "open"
    CONFIRMED = "confirmed"
    DISPUTED = "disputed"
    RESOLVED = "resolved"


class StatementState(Enum):
    ISSUED = "issued"
    APPROVED = "approved"
    PAID = "paid"


class SupplierStatement(Base):
    """A supplier's statement for one period: the sum of its lines, each
    with its dispute's adjustment. ``payable_fen`` is fixed on approval and
    never negative: a negative total gets a carried-forward line instead."""

    __tablename__ = "supplier_statements"
    __table_args__ = (
        UniqueConstraint("supplier_id", "period_end"),
        CheckConstraint("period_start < period_end", name="period"),
        CheckConstraint(
            "total_fen = goods_fen + chargeback_fen + fee_fen + brought_forward_fen "
            "+ adjustment_fen + carried_forward_fen",
            name="total",
        ),
        CheckConstraint(
            "(state = 'issued' AND payable_fen IS NULL) OR "
            "(state <> 'issued' AND payable_fen = total_fen AND payable_fen >= 0)",
            name="payable",
        ),
        Index("ix_supplier_statements_supplier_id_id", "supplier_id", "id"),
        Index("ix_supplier_statements_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)  # exclusive
    state: Mapped[StatementState] = mapped_column(
        enum_column(StatementState, "supplier_statement_state")
    )
    goods_fen: Mapped[int] = mapped_column(BigInteger)
    chargeback_fen: Mapped[int] = mapped_column(BigInteger)  # <= 0
    fee_fen: Mapped[int] = mapped_column(BigInteger)  # <= 0
    brought_forward_fen: Mapped[int] = mapped_column(BigInteger)  # <= 0
    adjustment_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    carried_forward_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # >= 0
    total_fen: Mapped[int] = mapped_column(BigInteger)  # the lines and adjustments
    payable_fen: Mapped[int | None] = mapped_column(BigInteger)
    fee_bp: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    batch_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_pay_batches.id"), index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SupplierStatementLine(Base):
    """One line of a statement, with the supplier's answer to it and, for a
    dispute, the operator's resolution (an adjustment added to the line)."""

    __tablename__ = "supplier_statement_lines"
    __table_args__ = (
        Index("ix_supplier_statement_lines_statement_id_id", "statement_id", "id"),
        CheckConstraint("units IS NULL OR units > 0", name="units"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    statement_id: Mapped[int] = mapped_column(ForeignKey("supplier_statements.id"))
    kind: Mapped[LineKind] = mapped_column(enum_column(LineKind, "supplier_line_kind"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[LineState] = mapped_column(enum_column(LineState, "supplier_line_state"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id"))
    units: Mapped[int | None] = mapped_column(Integer)
    unit_cost_fen: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    dispute_reason: Mapped[str | None] = mapped_column(Text)
    disputed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    disputed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    adjustment_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    resolution_note: Mapped[str | None] = mapped_column(Text)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SupplierDeliveryFault(Base):
    """Units a leader reported missing on delivery that an operator found
    were the supplier's fault (short in a sealed case, say): charged back at
    the agreed cost. One per delivery issue; never changed."""

    __tablename__ = "supplier_delivery_faults"
    __table_args__ = (
        CheckConstraint(
            "units > 0 AND unit_cost_fen >= 0 AND amount_fen = units * unit_cost_fen",
            name="amount_exact",
        ),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    delivery_issue_id: Mapped[int] = mapped_column(ForeignKey("delivery_issues.id"), unique=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    purchase_order_id: Mapped[int | None] = mapped_column(ForeignKey("purchase_orders.id"))
    units: Mapped[int] = mapped_column(Integer)
    unit_cost_fen: Mapped[int] = mapped_column(Integer)
    amount_fen: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


_PO_LINE_KINDS = "kind IN ('goods', 'shortage', 'qc_failure')"


class SupplierLedgerEntry(Base):
    """One immutable movement of what the platform owes a supplier."""

    __tablename__ = "supplier_ledger_entries"
    __table_args__ = (
        # Each purchase-order line's goods, shortage and QC failure once.
        Index(
            "uq_supplier_ledger_entries_po_line",
            "purchase_order_line_id",
            "kind",
            unique=True,
            postgresql_where=text(_PO_LINE_KINDS),
            sqlite_where=text(_PO_LINE_KINDS),
        ),
        # A statement's one fee, one carry, one payment; a line's one adjustment.
        Index(
            "uq_supplier_ledger_entries_statement",
            "statement_id",
            "kind",
            unique=True,
            postgresql_where=text("kind IN ('service_fee', 'carried_forward', 'payment')"),
            sqlite_where=text("kind IN ('service_fee', 'carried_forward', 'payment')"),
        ),
        Index(
            "uq_supplier_ledger_entries_adjustment",
            "statement_line_id",
            unique=True,
            postgresql_where=text("kind = 'adjustment'"),
            sqlite_where=text("kind = 'adjustment'"),
        ),
        Index("ix_supplier_ledger_entries_supplier_id_id", "supplier_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "supplier_entry_kind"))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    statement_id: Mapped[int] = mapped_column(ForeignKey("supplier_statements.id"))
    statement_line_id: Mapped[int | None] = mapped_column(ForeignKey("supplier_statement_lines.id"))
    purchase_order_line_id: Mapped[int | None] = mapped_column(
        ForeignKey("purchase_order_lines.id")
    )
    chargeback_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_chargebacks.id"), unique=True
    )
    delivery_fault_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_delivery_faults.id"), unique=True
    )
    # A brought-forward entry points at the carried-forward one it takes over.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("supplier_ledger_entries.id"), unique=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SupplierPayBatch(Base):
    """Approved statements paid together: a CSV for the bank, then marked paid."""

    __tablename__ = "supplier_pay_batches"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    statement_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class SupplierBankAccount(Base):
    """Where a supplier is paid: the payee, bank and account the bank file
    names. One per supplier, replaced when an operator changes it."""

    __tablename__ = "supplier_bank_accounts"

    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id"), primary_key=True)
    account_name: Mapped[str] = mapped_column(String(100))
    bank_name: Mapped[str] = mapped_column(String(100))
    account_number: Mapped[str] = mapped_column(String(34))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
