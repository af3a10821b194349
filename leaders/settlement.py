"""Settlement (结算): each period, one statement per leader that moves what
is due from the pending balance to the available one.

A period ends at local midnight on ``period_end`` (every
``settlement_period_days`` days, counted from Monday 2024-01-01). Its
settlement takes every unsettled pending entry — accruals, reversals and the
recruiting shares — of lines picked up before the period's end, with the
refunds booked before those lines' after-sale window had closed for the
whole period (``period end + after_sale_window_hours``); it may run only
after that moment. A refund booked later is settled by the next period,
against the balance. A statement adds its lines to the leader's available
balance, which may be negative: a negative balance is carried forward and
shown as the next statement's opening balance.

Everything is set-based SQL in ONE transaction (a crash leaves the whole
settlement or none of it):

1. the settlement row (period_end is unique: a second run of the period
   finds it and changes nothing);
2. ``INSERT … SELECT`` of the statement lines: one per entry, keyed by the
   entry's id, so an entry is settled once whatever runs;
3. the statements, each the ``GROUP BY`` sum of its lines (written first, so
   the sums are over exactly the rows written, even while pickups keep
   booking new entries), with the locked account's balance as opening;
4. two settlement entries per statement (pending −total, available +total),
   balances before and after read from the locked accounts, then the accounts.

Each run only looks at entries created since the previous run's floor (the
oldest entry it left unsettled, less a day for transactions that were still
open): the weekly scan covers recent entries, not the whole history.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    and_,
    case,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import business_date, utcnow
from kernel.db import UTCDateTime, insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError
from kernel.settings import Settings
from leaders.commission_models import (
    CommissionAccount,
    EntryKind,
    LedgerAccount,
    LedgerEntry,
    Settlement,
    Statement,
    StatementLine,
)
from leaders.errors import LeaderErrorCode

# Periods are counted from this Monday, so weekly periods end on Mondays.
ANCHOR = date(2024, 1, 1)
# Transactions still open when a run took its floor have committed by then.
FLOOR_SLACK = timedelta(days=1)
_ACCRUED = (EntryKind.ACCRUAL, EntryKind.RECRUIT_ACCRUAL)
_REVERSED = (EntryKind.REVERSAL, EntryKind.RECRUIT_REVERSAL)


def period_end_at(period_end: date, settings: Settings) -> datetime:
    """The moment a period ends: local midnight at the start of ``period_end``."""
    return datetime.combine(period_end, time(), settings.zone).astimezone(UTC)


def closes_at(period_end: date, settings: Settings) -> datetime:
    """When the after-sale window of the period's last pickups has closed."""
    return period_end_at(period_end, settings) + timedelta(hours=settings.after_sale_window_hours)


def latest_closed_period(now: datetime, settings: Settings) -> date:
    """The end of the newest period that may be settled at ``now``."""
    window = timedelta(hours=settings.after_sale_window_hours)
    day = business_date(now - window, settings.zone)
    return day - timedelta(days=(day - ANCHOR).days % settings.settlement_period_days)


def check_period(period_end: date, now: datetime, settings: Settings) -> None:
    if (period_end - ANCHOR).days % settings.settlement_period_days:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Periods end every {settings.settlement_period_days} days from "
            f"{ANCHOR.isoformat()}; {period_end.isoformat()} is not a period's end.",
            ["periodEnd"],
        )
    if closes_at(period_end, settings) > now:
        raise DomainError(
            LeaderErrorCode.PERIOD_NOT_CLOSED,
            f"The period ending {period_end.isoformat()} can be settled once its after-sale "
            f"window has closed ({settings.after_sale_window_hours} h after its end).",
            ["periodEnd"],
        )


async def settle(
    session: AsyncSession,
    now: datetime,
    settings: Settings,
    *,
    period_end: date | None = None,
    created_by_id: int | None = None,
) -> Settlement:
    """Settle the period ending ``period_end`` (default: the newest closed
    one). Settling a period already settled returns its settlement and
    changes nothing."""
    period_end = period_end or latest_closed_period(now, settings)
    check_period(period_end, now, settings)
    settlement_id = (
        await session.execute(
            insert_ignoring_conflicts(session, Settlement, ["period_end"])
            .values(
                period_start=period_end - timedelta(days=settings.settlement_period_days),
                period_end=period_end,
                picked_up_before=period_end_at(period_end, settings),
                refunded_before=closes_at(period_end, settings),
                open_floor_at=now,
                statement_count=0,
                line_count=0,
                total_fen=0,
                created_by_id=created_by_id,
                created_at=now,
            )
            .returning(Settlement.id)
        )
    ).scalar_one_or_none()
    if settlement_id is None:
        return (
            await session.execute(select(Settlement).where(Settlement.period_end == period_end))
        ).scalar_one()
    settlement = await session.get(Settlement, settlement_id)
    assert settlement is not None
    floor = await session.scalar(
        select(func.max(Settlement.open_floor_at)).where(Settlement.id != settlement_id)
    )
    await _write_lines(session, settlement, floor)
    await _lock_accounts(session, settlement_id)
    await _write_statements(session, settlement, now)
    await _write_settlement_entries(session, settlement_id, now)
    await _move_balances(session, settlement_id, now)
    await _finish(session, settlement, floor, now)
    return settlement


def _open_entries(floor: datetime | None) -> Any:
    """Conditions of the pending entries no statement has settled yet."""
    settled = exists().where(StatementLine.entry_id == LedgerEntry.id)
    conditions = [
        LedgerEntry.account == LedgerAccount.PENDING,
        LedgerEntry.kind != EntryKind.SETTLEMENT,
        ~settled,
    ]
    if floor is not None:
        conditions.append(LedgerEntry.created_at >= floor)
    return and_(*conditions)


async def _write_lines(
    session: AsyncSession, settlement: Settlement, floor: datetime | None
) -> None:
    due = select(
        LedgerEntry.id,
        literal(settlement.id, Integer()),
        LedgerEntry.leader_id,
        LedgerEntry.kind,
        LedgerEntry.amount_fen,
        LedgerEntry.order_line_id,
    ).where(
        _open_entries(floor),
        LedgerEntry.basis_at < settlement.picked_up_before,
        LedgerEntry.occurred_at < settlement.refunded_before,
    )
    await session.execute(
        insert(StatementLine).from_select(
            ["entry_id", "settlement_id", "leader_id", "kind", "amount_fen", "order_line_id"],
            due,
        )
    )


async def _lock_accounts(session: AsyncSession, settlement_id: int) -> None:
    # In leader order, like every other writer of the accounts.
    leaders = select(StatementLine.leader_id).where(StatementLine.settlement_id == settlement_id)
    await session.execute(
        select(CommissionAccount.leader_id)
        .where(CommissionAccount.leader_id.in_(leaders))
        .order_by(CommissionAccount.leader_id)
        .with_for_update()
    )


async def _write_statements(session: AsyncSession, settlement: Settlement, now: datetime) -> None:
    line = StatementLine
    sums = (
        select(
            line.leader_id.label("leader_id"),
            func.sum(line.amount_fen).label("total"),
            func.sum(case((line.kind.in_(_ACCRUED), line.amount_fen), else_=0)).label("accrued"),
            func.sum(case((line.kind.in_(_REVERSED), line.amount_fen), else_=0)).label("reversed"),
            func.count().label("lines"),
        )
        .where(line.settlement_id == settlement.id)
        .group_by(line.leader_id)
        .subquery()
    )
    account = CommissionAccount
    rows = select(
        literal(settlement.id, Integer()),
        sums.c.leader_id,
        literal(settlement.period_start, Date()),
        literal(settlement.period_end, Date()),
        account.available_fen,
        sums.c.accrued,
        sums.c.reversed,
        sums.c.total,
        account.available_fen + sums.c.total,
        sums.c.lines,
        literal(now, UTCDateTime()),
    ).join_from(sums, account, account.leader_id == sums.c.leader_id)
    await session.execute(
        insert(Statement).from_select(
            [
                "settlement_id",
                "leader_id",
                "period_start",
                "period_end",
                "opening_fen",
                "accrued_fen",
                "reversed_fen",
                "total_fen",
                "closing_fen",
                "line_count",
                "created_at",
            ],
            rows,
        )
    )


async def _write_settlement_entries(
    session: AsyncSession, settlement_id: int, now: datetime
) -> None:
    account = CommissionAccount
    kind_type = LedgerEntry.__table__.c.kind.type
    account_type = LedgerEntry.__table__.c.account.type
    for which, balance, sign in (
        (LedgerAccount.PENDING, account.pending_fen, -1),
        (LedgerAccount.AVAILABLE, account.available_fen, 1),
    ):
        rows = select(
            Statement.leader_id,
            literal(EntryKind.SETTLEMENT, kind_type),
            literal(which, account_type),
            sign * Statement.total_fen,
            balance,
            balance + sign * Statement.total_fen,
            Statement.id,
            literal(now, UTCDateTime()),
            literal(now, UTCDateTime()),
            literal(utcnow(), UTCDateTime()),
        ).join_from(Statement, account, account.leader_id == Statement.leader_id)
        await session.execute(
            insert(LedgerEntry).from_select(
                [
                    "leader_id",
                    "kind",
                    "account",
                    "amount_fen",
                    "balance_before_fen",
                    "balance_after_fen",
                    "statement_id",
                    "basis_at",
                    "occurred_at",
                    "created_at",
                ],
                rows.where(Statement.settlement_id == settlement_id).order_by(Statement.leader_id),
            )
        )


async def _move_balances(session: AsyncSession, settlement_id: int, now: datetime) -> None:
    total = (
        select(Statement.total_fen)
        .where(
            Statement.settlement_id == settlement_id,
            Statement.leader_id == CommissionAccount.leader_id,
        )
        .scalar_subquery()
    )
    settled = select(Statement.leader_id).where(Statement.settlement_id == settlement_id)
    await session.execute(
        update(CommissionAccount)
        .where(CommissionAccount.leader_id.in_(settled))
        .values(
            pending_fen=CommissionAccount.pending_fen - total,
            available_fen=CommissionAccount.available_fen + total,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )


async def _finish(
    session: AsyncSession, settlement: Settlement, floor: datetime | None, now: datetime
) -> None:
    oldest_open = await session.scalar(
        select(func.min(LedgerEntry.created_at)).where(_open_entries(floor))
    )
    # The wall clock, not ``now``: entries are stamped with it when written.
    wall = utcnow()
    new_floor = min(oldest_open or wall, wall) - FLOOR_SLACK
    if floor is not None:
        new_floor = max(new_floor, floor)
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Statement.line_count), 0),
                func.coalesce(func.sum(Statement.total_fen), 0),
            ).where(Statement.settlement_id == settlement.id)
        )
    ).one()
    settlement.statement_count = int(totals[0])
    settlement.line_count = int(totals[1])
    settlement.total_fen = int(totals[2])
    settlement.open_floor_at = new_floor
    await session.flush()
