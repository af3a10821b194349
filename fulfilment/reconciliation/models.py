"""A reconciliation run of one bill date, and the lines that did not match.

Runs are kept as history (a date run again gets a new run; the newest
finished one is the date's result); mismatch lines are kept for the newest
finished run of each date only: a day may hold thousands, and an older run's
lines say nothing the newer run does not."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kernel.clock import utcnow
from kernel.db import Base, BigID, UTCDateTime, enum_column


class MismatchKind(Enum):
    MISSING_AT_PLATFORM = "missing_at_platform"  # in the bill, not booked by us
    MISSING_AT_PROVIDER = "missing_at_provider"  # booked by us, not in the bill
    AMOUNT_DIFFERS = "amount_differs"
    STATE_DIFFERS = "state_differs"  # both know it, but not in the same state


class LineKind(Enum):
    PAYMENT = "payment"
    REFUND = "refund"


class ReconciliationRun(Base):
    """One reconciliation of one bill date (China date of the trade time,
    or of the refund's success). Money is integer fen; sums are BIGINT (a
    busy day passes 2^31 fen)."""

    __tablename__ = "reconciliation_runs"
    __table_args__ = (Index("ix_reconciliation_runs_bill_date", "bill_date", "finished_at"),)

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    bill_date: Mapped[date] = mapped_column(Date)
    job_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # NULL while running, or for ever if the run died: such a run is no result.
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    provider_payments: Mapped[int] = mapped_column(Integer, default=0)
    provider_refunds: Mapped[int] = mapped_column(Integer, default=0)
    platform_payments: Mapped[int] = mapped_column(Integer, default=0)
    platform_refunds: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    mismatches: Mapped[int] = mapped_column(Integer, default=0)
    provider_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    provider_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_paid_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    platform_refunded_fen: Mapped[int] = mapped_column(BigInteger, default=0)


class ReconciliationMismatch(Base):
    """One line that did not match: the ids on both sides (what each knows)
    and both amounts (NULL on the side that has no line)."""

    __tablename__ = "reconciliation_mismatches"

    id: Mapped[int] = mapped_column(BigID, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("reconciliation_runs.id"), index=True)
    kind: Mapped[MismatchKind] = mapped_column(enum_column(MismatchKind, "mismatch_kind"))
    line: Mapped[LineKind] = mapped_column(enum_column(LineKind, "reconciliation_line"))
    out_trade_no: Mapped[str | None] = mapped_column(String(64))
    transaction_id: Mapped[str | None] = mapped_column(String(64))
    out_refund_no: Mapped[str | None] = mapped_column(String(64))
    provider_refund_id: Mapped[str | None] = mapped_column(String(64))
    # The platform's row: a payment notification's id, or a refund's.
    platform_id: Mapped[int | None] = mapped_column(BigInteger)
    provider_fen: Mapped[int | None] = mapped_column(Integer)
    platform_fen: Mapped[int | None] = mapped_column(Integer)
    provider_state: Mapped[str | None] = mapped_column(String(32))
    platform_state: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
