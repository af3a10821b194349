"""Refunds by reason: every refund of the orders delivering in the range,
per reason and per day, with how much of it is back with the payer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.orders.models import Refund, RefundReason, RefundState
from fulfilment.reports.filters import DateRange, ReportFilter
from fulfilment.reports.scope import refunds_of, tune


@dataclass(frozen=True)
class ReasonTotal:
    reason: RefundReason
    refunds: int
    amount_fen: int  # booked
    returned_fen: int  # back with the payer (SUCCESS)


@dataclass(frozen=True)
class RefundsReport:
    reasons: list[ReasonTotal]  # by amount, largest first
    days: list[tuple[date, int]]  # (delivery date, amount booked), every date

    @property
    def amount_fen(self) -> int:
        return sum(r.amount_fen for r in self.reasons)

    @property
    def refunds(self) -> int:
        return sum(r.refunds for r in self.reasons)

    @property
    def returned_fen(self) -> int:
        return sum(r.returned_fen for r in self.reasons)


async def refunds_by_reason(
    session: AsyncSession, days: DateRange, given: ReportFilter
) -> RefundsReport:
    """Refunds of the range's orders (paid or not: a late payment's refund
    is money back too), per reason and per delivery date."""
    await tune(session)
    returned = func.sum(case((Refund.state == RefundState.SUCCESS, Refund.amount_fen), else_=0))
    per_reason = refunds_of(
        days, given, Refund.reason, func.count(), func.sum(Refund.amount_fen), returned
    ).group_by(Refund.reason)
    reasons = [
        ReasonTotal(r[0], int(r[1]), int(r[2]), int(r[3]))
        for r in (await session.execute(per_reason)).all()
    ]
    reasons.sort(key=lambda r: (-r.amount_fen, r.reason.value))
    day = Campaign.delivery_date
    per_day = refunds_of(days, given, day, func.sum(Refund.amount_fen)).group_by(day)
    booked = {d: int(fen) for d, fen in (await session.execute(per_day)).all()}
    return RefundsReport(reasons, [(d, booked.get(d, 0)) for d in days.dates()])
