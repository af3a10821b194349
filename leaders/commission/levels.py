"""Leader levels, computed once a month from the ledger: a leader's net sales
in the month (the base of accruals picked up in it, less the base of refunds
booked in it) choose the highest level whose threshold they reach. The level
is stored on the leader's commission account, where accruals read it.

Set-based: two UPDATEs over the accounts, after locking them in leader order
like every other writer.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.settings import Settings
from leaders.commission.models import CommissionAccount, EntryKind, LeaderLevel, LedgerEntry


def month_start(day: date) -> date:
    return day.replace(day=1)


def previous_month(day: date) -> date:
    """The first day of the month before ``day``'s."""
    first = month_start(day)
    return (
        first.replace(year=first.year - 1, month=12)
        if first.month == 1
        else first.replace(month=first.month - 1)
    )


def _next_month(first: date) -> date:
    return (
        first.replace(year=first.year + 1, month=1)
        if first.month == 12
        else first.replace(month=first.month + 1)
    )


def _at(day: date, settings: Settings) -> datetime:
    return datetime.combine(day, time(), settings.zone).astimezone(UTC)


async def compute_levels(
    session: AsyncSession, month: date, settings: Settings, now: datetime
) -> int:
    """Set every leader's level from the net sales of ``month`` (any day of
    it); returns how many accounts were updated."""
    first = month_start(month)
    start, end = _at(first, settings), _at(_next_month(first), settings)
    await session.execute(
        select(CommissionAccount.leader_id).order_by(CommissionAccount.leader_id).with_for_update()
    )
    sales = (
        select(func.coalesce(func.sum(LedgerEntry.base_fen), 0))
        .where(
            LedgerEntry.leader_id == CommissionAccount.leader_id,
            LedgerEntry.kind.in_([EntryKind.ACCRUAL, EntryKind.REVERSAL]),
            LedgerEntry.occurred_at >= start,
            LedgerEntry.occurred_at < end,
        )
        .scalar_subquery()
    )
    result = await session.execute(
        update(CommissionAccount)
        .values(level_sales_fen=sales, level_month=first, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    level = (
        select(LeaderLevel.id)
        .where(LeaderLevel.min_monthly_sales_fen <= CommissionAccount.level_sales_fen)
        .order_by(LeaderLevel.min_monthly_sales_fen.desc())
        .limit(1)
        .scalar_subquery()
    )
    await session.execute(
        update(CommissionAccount)
        .where(CommissionAccount.level_month == first)
        .values(level_id=level)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0))


async def levels_computed_for(session: AsyncSession) -> date | None:
    """The newest month levels were computed from."""
    return await session.scalar(select(func.max(CommissionAccount.level_month)))
