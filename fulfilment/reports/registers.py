"""The settlement and payout registers: the statements of the settlements
whose period ends in the range, and the payouts requested in it, of both
payees (fulfilment/reports/payees.py): leaders, and grid warehouses paid
their fees per piece. Both read ``leaders.commission``'s tables, so their
totals are the ledger's: a statement's total is the sum of its settlement
entries, and a payout's amount left the balance as its payout and fee
entries. A register's rows and its per-period or per-day totals are read
through one filtered query, so they always count the same payouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    BigInteger,
    Integer,
    Select,
    Subquery,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from fulfilment.campaigns.models import Warehouse
from fulfilment.reports.filters import DateRange, ReportFilter, day_buckets
from fulfilment.reports.payees import (
    PayeeKind,
    admits_grid,
    admits_leader,
    admits_payee,
    check_payee_filter,
)
from kernel.accounts import User
from leaders.commission.books import STATEMENT_FIGURES
from leaders.commission.grid_fee_models import GridFeeStatement
from leaders.commission.models import Payout, PayoutStatus, Statement
from leaders.points.models import Leader


def grid_label(grid_id: int, name: str | None) -> str:
    """A grid warehouse's name, or "网格仓 <id>" if its warehouse is gone."""
    return name if name is not None else f"网格仓 {grid_id}"


@dataclass(frozen=True)
class StatementRow:
    """A leader's or a grid's statement; exactly one of the two ids is set."""

    statement_id: int  # of commission_statements, or of grid_fee_statements
    settlement_id: int
    period_start: date
    period_end: date  # the period's last day (the stored end is exclusive)
    payee_kind: PayeeKind
    leader_id: int | None
    grid_id: int | None
    payee_name: str  # the leader's name, or the grid warehouse's
    opening_fen: int
    accrued_fen: int
    reversed_fen: int
    cash_held_fen: int  # always 0 for a grid
    total_fen: int
    closing_fen: int
    line_count: int

    @property
    def leader_name(self) -> str | None:
        return self.payee_name if self.payee_kind is PayeeKind.LEADER else None


@dataclass(frozen=True)
class PayoutRow:
    """A leader's or a grid's payout; exactly one of the two ids is set."""

    payout_id: int
    payee_kind: PayeeKind
    leader_id: int | None
    grid_id: int | None
    payee_name: str  # the leader's name, or the grid warehouse's
    grid_operator_name: str | None  # who asked for a grid's payout
    requested_at: datetime
    status: PayoutStatus
    amount_fen: int  # left the balance: transfer + fee
    fee_fen: int
    transfer_fen: int
    paid_at: datetime | None

    @property
    def leader_name(self) -> str | None:
        return self.payee_name if self.payee_kind is PayeeKind.LEADER else None


_FIGURES = STATEMENT_FIGURES


def _book_statements(table: Any, days: DateRange, *columns: Any) -> Select[Any]:
    # A period's stored end is the day after its last: the last day in range.
    last = table.period_end.between(days.start + timedelta(days=1), days.end + timedelta(days=1))
    figures = [getattr(table, name).label(name) for name in _FIGURES]
    return (
        select(
            table.id.label("statement_id"),
            table.settlement_id.label("settlement_id"),
            table.period_start.label("period_start"),
            table.period_end.label("period_end"),
            *columns,
            *figures,
        )
        .select_from(table)
        .where(last)
    )


def _statements(days: DateRange, given: ReportFilter) -> Subquery:
    """Both books' statements in range as one table; ``is_grid`` 0 or 1
    (written inline: PostgreSQL would type a bound literal of a UNION as
    text)."""
    check_payee_filter(given)
    leaders = (
        _book_statements(
            Statement,
            days,
            literal_column("0", Integer).label("is_grid"),
            Statement.leader_id.label("leader_id"),
            cast(null(), BigInteger).label("grid_id"),
            User.name.label("payee_name"),
        )
        .join(Leader, Leader.id == Statement.leader_id)
        .join(User, User.id == Leader.user_id)
        .where(admits_leader(given, Statement.leader_id))
    )
    grids = (
        _book_statements(
            GridFeeStatement,
            days,
            literal_column("1", Integer).label("is_grid"),
            cast(null(), BigInteger).label("leader_id"),
            GridFeeStatement.grid_id.label("grid_id"),
            Warehouse.name.label("payee_name"),
        )
        .outerjoin(Warehouse, Warehouse.id == GridFeeStatement.grid_id)
        .where(admits_grid(given, GridFeeStatement.grid_id))
    )
    return union_all(leaders, grids).subquery("statements")


def _statement_row(r: Any) -> StatementRow:
    grid = bool(r.is_grid)
    return StatementRow(
        int(r.statement_id),
        int(r.settlement_id),
        r.period_start,
        r.period_end - timedelta(days=1),
        PayeeKind.GRID if grid else PayeeKind.LEADER,
        None if grid else int(r.leader_id),
        int(r.grid_id) if grid else None,
        grid_label(int(r.grid_id), r.payee_name) if grid else r.payee_name,
        *(int(getattr(r, name)) for name in _FIGURES),
    )


async def settlement_register(
    session: AsyncSession,
    days: DateRange,
    given: ReportFilter,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[StatementRow]:
    """The statements, by period, leaders' before grids', then by payee."""
    s = _statements(days, given)
    query = (
        select(s)
        .order_by(s.c.period_end, s.c.is_grid, s.c.leader_id, s.c.grid_id, s.c.statement_id)
        .offset(offset)
        .limit(limit)
    )
    return [_statement_row(r) for r in (await session.execute(query)).all()]


async def settlement_totals(
    session: AsyncSession, days: DateRange, given: ReportFilter
) -> list[tuple[date, int, int, int, int, int]]:
    """Per period (its last day), over the register's rows (leaders' and
    grids' statements): statements, accrued, reversed, cash held and total
    fen."""
    s = _statements(days, given)
    query = (
        select(
            s.c.period_end,
            func.count(),
            func.sum(s.c.accrued_fen),
            func.sum(s.c.reversed_fen),
            func.sum(s.c.cash_held_fen),
            func.sum(s.c.total_fen),
        )
        .group_by(s.c.period_end)
        .order_by(s.c.period_end)
    )
    return [
        (r[0] - timedelta(days=1), *(int(v) for v in r[1:]))
        for r in (await session.execute(query)).all()
    ]


def _payouts(days: DateRange, given: ReportFilter, zone: ZoneInfo, *columns: Any) -> Select[Any]:
    """``columns`` of the payouts the register lists: the one query both the
    rows and the per-day totals read."""
    check_payee_filter(given)
    starts, ends = days.utc_bounds(zone)
    return (
        select(*columns)
        .select_from(Payout)
        .where(Payout.requested_at >= starts, Payout.requested_at < ends)
        .where(admits_payee(given, Payout.leader_id, Payout.grid_id))
    )


def _payout_row(r: Any) -> PayoutRow:
    grid = r.grid_id is not None
    return PayoutRow(
        payout_id=int(r.id),
        payee_kind=PayeeKind.GRID if grid else PayeeKind.LEADER,
        leader_id=None if grid else int(r.leader_id),
        grid_id=int(r.grid_id) if grid else None,
        payee_name=grid_label(int(r.grid_id), r.grid_name) if grid else r.leader_name,
        grid_operator_name=r.asker_name if grid else None,
        requested_at=r.requested_at,
        status=r.status,
        amount_fen=int(r.amount_fen),
        fee_fen=int(r.fee_fen),
        transfer_fen=int(r.transfer_fen),
        paid_at=r.paid_at,
    )


async def payout_register(
    session: AsyncSession,
    days: DateRange,
    given: ReportFilter,
    zone: ZoneInfo,
    *,
    offset: int = 0,
    limit: int | None = None,
) -> list[PayoutRow]:
    """Payouts requested in the range (local dates in ``zone``), leaders'
    and grids', oldest first."""
    leader_user = aliased(User, name="leader_user")
    asker = aliased(User, name="asker")
    query = (
        _payouts(
            days,
            given,
            zone,
            Payout.id,
            Payout.leader_id,
            Payout.grid_id,
            leader_user.name.label("leader_name"),
            Warehouse.name.label("grid_name"),
            asker.name.label("asker_name"),
            Payout.requested_at,
            Payout.status,
            Payout.amount_fen,
            Payout.fee_fen,
            Payout.transfer_fen,
            Payout.paid_at,
        )
        .outerjoin(Leader, Leader.id == Payout.leader_id)
        .outerjoin(leader_user, leader_user.id == Leader.user_id)
        .outerjoin(Warehouse, Warehouse.id == Payout.grid_id)
        .outerjoin(asker, asker.id == Payout.payee_user_id)
        .order_by(Payout.requested_at, Payout.id)
        .offset(offset)
        .limit(limit)
    )
    return [_payout_row(r) for r in (await session.execute(query)).all()]


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
    """Per local date of request, every date of the range: the register's
    rows (leaders' and grids'), summed."""
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
