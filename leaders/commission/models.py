"""Tables of leaders' commission: rates, levels, the immutable ledger,
settlements with their statements, and payouts.

Order lines, refunds and products belong to fulfilment, a layer above: the
ledger keeps their ids as plain columns (no foreign keys upward), so the
leaders layer neither imports nor depends on fulfilment's tables.
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


class CategoryRate(Base):
    """The commission rate of one product category, in basis points."""

    __tablename__ = "commission_category_rates"
    __table_args__ = (CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="bps"),)

    category: Mapped[str] = mapped_column(String(50), primary_key=True)
    rate_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ProductRate(Base):
    """A product's own rate, overriding its category's."""

    __tablename__ = "commission_product_rates"
    __table_args__ = (CheckConstraint("rate_bps BETWEEN 0 AND 10000", name="bps"),)

    product_id: Mapped[int] = mapped_column(BigID, primary_key=True)
    rate_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class LeaderLevel(Base):
    """A tier reached by a month's net sales; its bonus adds to every rate."""

    __tablename__ = "leader_levels"
    __table_args__ = (
        CheckConstraint("bonus_bps BETWEEN 0 AND 10000", name="bps"),
        CheckConstraint("min_monthly_sales_fen >= 0", name="threshold"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(50))
    # Two levels with one threshold would make the choice arbitrary.
    min_monthly_sales_fen: Mapped[int] = mapped_column(BigInteger, unique=True)
    bonus_bps: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class CommissionAccount(Base):
    """A leader's two balances, summarising the ledger, and the level that
    accruals read. The row is locked (FOR UPDATE) by every writer of the
    leader's ledger: balances before and after each entry come from here."""

    __tablename__ = "commission_accounts"

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"), primary_key=True)
    # Accrued less reversed, not yet settled.
    pending_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Settled less paid out: what a payout may take (negative = carried forward).
    available_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    level_id: Mapped[int | None] = mapped_column(ForeignKey("leader_levels.id"))
    # The first day of the month whose sales set the level, and those sales.
    level_month: Mapped[date | None] = mapped_column(Date)
    level_sales_fen: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class EntryKind(Enum):
    ACCRUAL = "accrual"
    REVERSAL = "reversal"
    RECRUIT_ACCRUAL = "recruit_accrual"
    RECRUIT_REVERSAL = "recruit_reversal"
    SETTLEMENT = "settlement"
    PAYOUT = "payout"
    FEE = "fee"
    PAYOUT_RETURN = "payout_return"
    FEE_RETURN = "fee_return"
    # Cash a leader took for an order (代下单), owed to the platform, and what
    # of it they handed back for the order's refunds (leaders/commission/cash.py).
    CASH_HELD = "cash_held"
    CASH_RETURNED = "cash_returned"


class LedgerAccount(Enum):
    PENDING = "pending"
    AVAILABLE = "available"


_ACCRUALS = "kind IN ('accrual', 'recruit_accrual')"


_REVERSALS = "kind IN ('reversal', 'recruit_reversal')"


_PAYOUTS = "kind IN ('payout', 'fee', 'payout_return', 'fee_return')"


_CASH_HELD = "kind = 'cash_held'"


_CASH_RETURNED = "kind = 'cash_returned'"


class BookEntry:
    """Columns every book's entries share (leaders', and grids' in
    leaders/commission/grid_fee_models.py): an immutable movement of one
    balance, chained by its balances before and after."""

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    balance_before_fen: Mapped[int] = mapped_column(BigInteger)
    balance_after_fen: Mapped[int] = mapped_column(BigInteger)
    # When what earned it happened (a pickup, a point's signature; for
    # reversals, that of what they reverse): settlement waits for the
    # after-sale window from here.
    basis_at: Mapped[datetime] = mapped_column(UTCDateTime())
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class LedgerEntry(BookEntry, Base):
    """One immutable movement of a leader's money. Never updated or deleted:
    a correction is another entry pointing at what it corrects."""

    __tablename__ = "commission_entries"
    __table_args__ = (
        CheckConstraint("balance_after_fen = balance_before_fen + amount_fen", name="balance"),
        # Each line's commission (and recruiter's share) is booked once.
        Index(
            "uq_commission_entries_accrual",
            "order_line_id",
            "kind",
            unique=True,
            postgresql_where=text(_ACCRUALS),
            sqlite_where=text(_ACCRUALS),
        ),
        # Each refund is reversed once (per kind: the leader's and the recruiter's).
        Index(
            "uq_commission_entries_reversal",
            "refund_id",
            "kind",
            unique=True,
            postgresql_where=text(_REVERSALS),
            sqlite_where=text(_REVERSALS),
        ),
        Index(
            "uq_commission_entries_payout",
            "payout_id",
            "kind",
            unique=True,
            postgresql_where=text(_PAYOUTS),
            sqlite_where=text(_PAYOUTS),
        ),
        # Each cash payment is held once, each refund of one returned once.
        Index(
            "uq_commission_entries_cash_held",
            "cash_payment_id",
            unique=True,
            postgresql_where=text(_CASH_HELD),
            sqlite_where=text(_CASH_HELD),
        ),
        Index(
            "uq_commission_entries_cash_returned",
            "refund_id",
            unique=True,
            postgresql_where=text(_CASH_RETURNED),
            sqlite_where=text(_CASH_RETURNED),
        ),
        # A leader's ledger page by page, newest last.
        Index("ix_commission_entries_leader_id_id", "leader_id", "id"),
        # Settlement looks only at entries created since its floor.
        Index("ix_commission_entries_created_at", "created_at"),
    )

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind, "commission_entry_kind"))
    account: Mapped[LedgerAccount] = mapped_column(
        enum_column(LedgerAccount, "commission_ledger_account")
    )
    # The net sales the amount was computed from (negative for reversals):
    # the sales that set next month's level.
    base_fen: Mapped[int | None] = mapped_column(BigInteger)
    rate_bps: Mapped[int | None] = mapped_column(Integer)
    order_line_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    refund_id: Mapped[int | None] = mapped_column(BigInteger)
    # For recruiting shares: the recruit whose sales earned it.
    recruit_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))
    reverses_id: Mapped[int | None] = mapped_column(ForeignKey("commission_entries.id"))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("commission_statements.id"))
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("commission_payouts.id"))
    # Fulfilment's cash_payments row (cash kinds; a plain column like the lines').
    cash_payment_id: Mapped[int | None] = mapped_column(BigInteger)


class Settlement(Base):
    """One run of settlement for a period; a period is settled once."""

    __tablename__ = "commission_settlements"
    __table_args__ = (CheckConstraint("period_start < period_end", name="period"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date, unique=True)  # exclusive
    # Entries of lines picked up before this moment (the period's end) are
    # settled, if they happened (refunds) before ``refunded_before``: the
    # period's end plus the after-sale window. Both only grow from run to run.
    picked_up_before: Mapped[datetime] = mapped_column(UTCDateTime())
    refunded_before: Mapped[datetime] = mapped_column(UTCDateTime())
    # Entries created before this were all settled by earlier runs: this run
    # read the ledger from here (None: from the beginning).
    scanned_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    statement_count: Mapped[int] = mapped_column(Integer)
    line_count: Mapped[int] = mapped_column(Integer)
    total_fen: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class BookStatement:
    """Columns every book's statements share (leaders', and grids' in
    leaders/commission/grid_fee_models.py), made by one settlement rule."""

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    settlement_id: Mapped[int] = mapped_column(ForeignKey("commission_settlements.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    # The available balance before this statement; negative = carried forward.
    opening_fen: Mapped[int] = mapped_column(BigInteger)
    accrued_fen: Mapped[int] = mapped_column(BigInteger)
    reversed_fen: Mapped[int] = mapped_column(BigInteger)  # <= 0
    # Cash taken for orders less cash handed back for their refunds: the
    # leader holds it, so it is deducted (total = accrued + reversed − this);
    # always 0 for a grid.
    cash_held_fen: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    total_fen: Mapped[int] = mapped_column(BigInteger)  # = sum of the lines
    closing_fen: Mapped[int] = mapped_column(BigInteger)
    line_count: Mapped[int] = mapped_column(Integer)
    # Every pending entry of the payee up to this id was in the ledger (and
    # committed) when the statement was made.
    through_entry_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Statement(BookStatement, Base):
    """A leader's statement for one settlement: the sum of its lines, added
    to the balance brought forward (negative balances carry forward).

    Its lines are the leader's pending entries up to ``through_entry_id``
    that its settlement's cut-offs admit, less those the leader's previous
    statement admitted (see leaders.commission.settlement): settling writes one row per
    leader, not one per entry, and entries are never marked."""

    __tablename__ = "commission_statements"
    __table_args__ = (
        UniqueConstraint("settlement_id", "leader_id"),
        CheckConstraint("closing_fen = opening_fen + total_fen", name="closing"),
        Index("ix_commission_statements_leader_id_id", "leader_id", "id"),
    )

    leader_id: Mapped[int] = mapped_column(ForeignKey("leaders.id"))


class PayoutStatus(Enum):
    REQUESTED = "requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    PAID = "paid"
    # Sent by WeChat Pay transfer and failed there: the money came back.
    FAILED = "failed"


class PayoutTransferStatus(Enum):
    """A payout's transfer to WeChat balance (商家转账到零钱): ``sending``
    until WeChat Pay accepts its batch, then the detail's own state."""

    SENDING = "sending"
    INIT = "init"
    WAIT_PAY = "wait_pay"
    PROCESSING = "processing"
    SUCCESS = "success"
    FAIL = "fail"


class BatchTransferStatus(Enum):
    """A batch sent by WeChat Pay transfer: asked (``sending``, until WeChat
    Pay accepts it), accepted (``processing``), every transfer final."""

    SENDING = "sending"
    PROCESSING = "processing"
    FINISHED = "finished"


class Payout(Base):
    """A payee's request to be paid: a leader's, or a grid warehouse's for
    its fees per piece (leaders/commission/grid_fees.py), through the same
    approval, batches and transfers. The money leaves the payee's balance at
    once (payout and fee entries) and comes back by new entries if rejected."""

    __tablename__ = "commission_payouts"
    __table_args__ = (
        UniqueConstraint("leader_id", "idempotency_key"),
        UniqueConstraint("grid_id", "idempotency_key"),
        CheckConstraint("(leader_id IS NULL) <> (grid_id IS NULL)", name="one_payee"),
        CheckConstraint("fee_fen >= 0 AND transfer_fen > 0", name="amounts"),
        CheckConstraint("amount_fen = transfer_fen + fee_fen", name="sum"),
        Index("ix_commission_payouts_leader_id_id", "leader_id", "id"),
        Index("ix_commission_payouts_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    leader_id: Mapped[int | None] = mapped_column(ForeignKey("leaders.id"))
    # A grid warehouse's payout (fulfilment's warehouses.id, a plain column),
    # and its operator who asked: the user it is sent to and told about.
    grid_id: Mapped[int | None] = mapped_column(BigInteger)
    payee_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str] = mapped_column(String(64))
    amount_fen: Mapped[int] = mapped_column(BigInteger)  # leaves the balance
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    transfer_fen: Mapped[int] = mapped_column(BigInteger)  # reaches the leader
    status: Mapped[PayoutStatus] = mapped_column(enum_column(PayoutStatus, "payout_status"))
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("commission_payout_batches.id"), index=True
    )
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sent by transfer (leaders/commission/transfers.py): the openid it went
    # to (fixed when sent, so a resend is the same request), WeChat's
    # detail id and state; ``reason`` says why it failed.
    transfer_status: Mapped[PayoutTransferStatus | None] = mapped_column(
        enum_column(PayoutTransferStatus, "payout_transfer_status")
    )
    transfer_openid: Mapped[str | None] = mapped_column(String(128))
    transfer_detail_id: Mapped[str | None] = mapped_column(String(64))
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PayoutBatch(Base):
    """Approved payouts exported together: a CSV for the bank, marked paid
    by hand, or sent by WeChat Pay transfer and tracked to the end."""

    __tablename__ = "commission_payout_batches"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    payout_count: Mapped[int] = mapped_column(Integer)
    transfer_fen: Mapped[int] = mapped_column(BigInteger)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transfer_status: Mapped[BatchTransferStatus | None] = mapped_column(
        enum_column(BatchTransferStatus, "payout_batch_transfer_status")
    )
    # Ours (from the batch id) and WeChat's: sending again with the same
    # out_batch_no is the same batch at WeChat Pay, never a second one.
    out_batch_no: Mapped[str | None] = mapped_column(String(32), unique=True)
    transfer_batch_id: Mapped[str | None] = mapped_column(String(64))
    # The last problem met sending or tracking it, for the operator.
    transfer_error: Mapped[str | None] = mapped_column(Text)
    transfer_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    transfer_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transfer_finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
