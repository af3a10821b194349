"""The settlement and payout registers: the leaders' statements of the
settlements whose period ends in the range, and the payouts requested in
it. Both read ``leaders.commission``'s tables, so their totals are the
ledger's: a statement's total is the sum of its settlement entries, and a
payout's amount left the balance as its payout and fee entries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import ServiceArea
from fulfilment.reports.filters import DateRange, ReportFilter, day_buckets, refuse_filters
from kernel.accounts import User
from leaders.commission.models import Payout, PayoutStatus, Statement
from leaders.points.models import Leader, PickupPoint


@dataclass(frozen=True)
class StatementRow:
    statement_id: int
    settlement_id: int
    period_start: date
    period_end: date  # the period's last day (the stored end is exclusive)
    leader_id: int
    leader_name: str
    opening_fen: int
    accrued_fen: int
    reversed_fen: int
    cash_held_fen: int
    total_fen: int
    closing_fen: int
    line_count: int


@dataclass(frozen=True)
class PayoutRow:
    payout_id: int
    leader_id: int
    leader_name: str
    requested_at: datetime
    status: PayoutStatus
    amount_fen: int  # left the balance: transfer + fee
    fee_fen: int
    transfer_fen: int
    paid_at: datetime | None


def _by_leader(query: Select[Any], leader_id: Any, given: ReportFilter) -> Select[Any]:
    refuse_filters(given, "supplierId", "category")
    if given.leader_id is not None:
        query = query.where(leader_id == given.leader_id)
    if given.warehouse_id is not None:
        # The leader's point is served by the warehouse (today's assignment).
        query = query.where(
            leader_id.in_(
                select(PickupPoint.leader_id)
                .join(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
                .where(ServiceArea.warehouse_id == given.warehouse_id)
            )
        )
    return query


def _statements(days: DateRange, given: ReportFilter, *columns: Any) -> Select[Any]:
    # A period's stored end is the day after its last: the last day in range.
    query = (
        select(*columns)
        .select_from(Statement)
        .where(
            Statement.period_end.between(
                days.start + timedelta(days=1), days.end + timedelta(days=1)
            )
        )
    )
    return _by_leader(query, Statement.leader_id, given)


async def settlement_register(
    session: AsyncSession,
    days: DateRange,
    given: ReportFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[StatementRow]:
    """The statements, by period then leader."""
    query = (
        _statements(
            days,
            given,
            Statement.id,
            Statement.settlement_id,
            Statement.period_start,
            Statement.period_end,
            Statement.leader_id,
            User.name,
            Statement.opening_fen,
            Statement.accrued_fen,
            Statement.reversed_fen,
            Statement.cash_held_fen,
            Statement.total_fen,
            Statement.closing_fen,
            Statement.line_count,
        )
        .join(Leader, Leader.id == Statement.leader_id)
        .join(User, User.id == Leader.user_id)
        .order_by(Statement.period_end, Statement.leader_id)
        .offset(offset)
        .limit(limit)
    )
    return [
        StatementRow(
            int(r[0]),
            int(r[1]),
            r[2],
            r[3] - timedelta(days=1),
            int(r[4]),
            r[5],
            *(int(v) for v in r[6:]),
        )
        for r in (await session.execute(query)).all()
    ]


async def settlement_totals(
    session: AsyncSession, days: DateRange, given: ReportFilter
) -> list[tuple[date, int, int, int, int, int]]:
    """Per period (its last day): statements, accrued, reversed, cash held
    and total fen."""
    query = (
        _statements(
            days,
            given,
            Statement.period_end,
            func.count(),
            func.sum(Statement.accrued_fen),
            func.sum(Statement.reversed_fen),
            func.sum(Statement.cash_held_fen),
            func.sum(Statement.total_fen),
        )
        .group_by(Statement.period_end)
        .order_by(Statement.period_end)
    )
    return [
        (r[0] - timedelta(days=1), *(int(v) for v in r[1:]))
        for r in (await session.execute(query)).all()
    ]


def _payouts(days: DateRange, given: ReportFilter, zone: ZoneInfo, *columns: Any) -> Select[Any]:
    starts, ends = days.utc_bounds(zone)
    query = (
        select(*columns)
        .select_from(Payout)
        .where(Payout.requested_at >= starts, Payout.requested_at < ends)
    )
    return _by_leader(query, Payout.leader_id, given)


async def payout_register(
    session: AsyncSession,
    days: DateRange,
    given: ReportFilter,
    zone: ZoneInfo,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[PayoutRow]:
    """Payouts requested in the range (local dates in ``zone``), oldest first."""
    query = (
        _payouts(
            days,
            given,
            zone,
            Payout.id,
            Payout.leader_id,
            User.name,
            Payout.requested_at,
            Payout.status,
            Payout.amount_fen,
            Payout.fee_fen,
            Payout.transfer_fen,
            Payout.paid_at,
        )
        .join(Leader, Leader.id == Payout.leader_id)
        .join(User, User.id == Leader.user_id)
        .order_by(Payout.requested_at, Payout.id)
        .offset(offset)
        .limit(limit)
    )
    return [
        PayoutRow(int(r[0]), int(r[1]), r[2], r[3], r[4], int(r[5]), int(r[6]), int(r[7]), r[8])
        for r in (await session.execute(query)).all()
    ]


@dataclass(frozen=True)
class PayoutDay:
    day: date
    payouts: int
    amount_fen: int
    fee_fen: int
    transfer_fen: int
    paid_fen: int  # transfers of those payouts marked PAID


async def payout_days(
    session: AsyncSession, days: DateRange, given: ReportFilter, zone: ZoneInfo
) -> list[PayoutDay]:
    """Per local date of request, every date of the range."""
    bucket = day_buckets(days, zone)
    paid = case((Payout.status == PayoutStatus.PAID, Payout.transfer_fen), else_=0)
    query = _payouts(
        days,
        given,
        zone,
        bucket.c.day,
        func.count(),
        func.sum(Payout.amount_fen),
        func.sum(Payout.fee_fen),
        func.sum(Payout.transfer_fen),
        func.sum(paid),
    ).join(
        bucket, and_(Payout.requested_at >= bucket.c.starts, Payout.requested_at < bucket.c.ends)
    )
    found = {r[0]: r[1:] for r in (await session.execute(query.group_by(bucket.c.day))).all()}
    return [PayoutDay(d, *(int(v) for v in found.get(d, (0, 0, 0, 0, 0)))) for d in days.dates()]
