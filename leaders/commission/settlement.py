"""Settlement (结算): each period, one statement per leader that moves what
is due from the pending balance to the available one.

A period ends at local midnight on ``period_end`` (every
``settlement_period_days`` days, counted from Monday 2024-01-01); periods are
settled in order, each once. A settlement takes every pending entry —
accruals, reversals, recruiting shares — of lines picked up before the
period's end, refunds included if booked before that end plus the after-sale
window (``after_sale_window_hours``); it may run only once that moment has
passed. A refund booked later is settled by a later period, against the
balance. A statement adds its lines to the leader's available balance, which
may go negative: a negative balance is carried forward, shown as the next
statement's opening balance. Cash a leader took for orders (cash held, less
what they handed back for refunds) is among the pending entries and is
deducted in the statement of the period it was taken in
(leaders/commission/cash.py).

Which entries a statement settled is not marked on the entries (they are
never updated, and a million marks would cost more than the settlement):

    admitted(s) = the leader's pending entries with id <= s.through_entry_id,
                  basis_at < s.picked_up_before, occurred_at < s.refunded_before
    lines(s)    = admitted(s) − admitted(the leader's previous statement)

Both cut-offs and ``through_entry_id`` only grow from one statement to the
next, so admitted sets nest and every entry is settled by exactly one
statement. ``through_entry_id`` is the newest of the leader's entries when
the statement was made, read while the settlement holds the leader's account
lock: every writer of the ledger takes that lock before it writes, so no
entry below it can appear later.

Everything is set-based SQL in ONE transaction (a crash leaves the whole
settlement or none of it): the accounts locked in leader order (which also
queues concurrent settlements, so periods stay in order), the settlement row
(``period_end`` unique: a second run of the period finds it and changes
nothing), one ``INSERT … SELECT … GROUP BY leader`` over the ledger
for the statements, two settlement entries per statement (pending −total,
available +total, balances from the locked accounts), the accounts.

A run reads only entries created since the previous period's end less a
day: anything older was admitted by then (an entry's pickup and refund
times never follow its creation, and no transaction stays open a day).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Date, Integer, and_, case, func, insert, literal, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from kernel.clock import business_date, utcnow
from kernel.db import UTCDateTime, insert_ignoring_conflicts
from kernel.errors import CommonErrorCode, DomainError
from kernel.settings import Settings
from leaders.commission.books import GRIDS, LEADERS, STATEMENT_FIGURES, Book
from leaders.commission.errors import CommissionErrorCode
from leaders.commission.models import (
    EntryKind,
    LedgerAccount,
    Settlement,
    Statement,
)
from leaders.commission.statements import admitted, pending, previous_statements

# Grid warehouses' fees per piece are settled with the leaders' commission,
# by the same rule, in the same transaction.
BOOKS = (LEADERS, GRIDS)


# Periods are counted from this Monday, so weekly periods end on Mondays.
ANCHOR = date(2024, 1, 1)


# No transaction that writes the ledger stays open this long.
SCAN_SLACK = timedelta(days=1)


_ACCRUED = (EntryKind.ACCRUAL, EntryKind.RECRUIT_ACCRUAL)


_REVERSED = (EntryKind.REVERSAL, EntryKind.RECRUIT_REVERSAL)


# Pending entries too (leaders/commission/cash.py): cash taken is owed from
# the period it was taken in, and is settled with that period's commission.
_CASH = (EntryKind.CASH_HELD, EntryKind.CASH_RETURNED)


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
    """Refuse a date that does not end a period, or a period still open."""
    if (period_end - ANCHOR).days % settings.settlement_period_days:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Periods end every {settings.settlement_period_days} days from "
            f"{ANCHOR.isoformat()}; {period_end.isoformat()} is not a period's end.",
            ["periodEnd"],
        )
    if closes_at(period_end, settings) > now:
        raise DomainError(
            CommissionErrorCode.PERIOD_NOT_CLOSED,
            f"The period ending {period_end.isoformat()} can be settled once its after-sale "
            f"window has closed ({settings.after_sale_window_hours} h after its end).",
            ["periodEnd"],
        )


def _check_in_order(latest_settled: date | None, period_end: date) -> None:
    if latest_settled is not None and latest_settled > period_end:
        raise DomainError(
            CommissionErrorCode.PERIOD_NOT_CLOSED,
            f"Periods are settled in order; {latest_settled.isoformat()} already is.",
            ["periodEnd"],
        )


async def check_settleable(
    session: AsyncSession, period_end: date, now: datetime, settings: Settings
) -> None:
    """Everything ``settle`` would refuse about ``period_end`` that can be
    known before the job starts: the API refuses it at once instead of
    starting a job that would fail. A period already settled passes (settling
    it again changes nothing)."""
    check_period(period_end, now, settings)
    if await session.scalar(select(Settlement.id).where(Settlement.period_end == period_end)):
        return
    _check_in_order(await session.scalar(select(func.max(Settlement.period_end))), period_end)


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
    existing = (
        await session.execute(select(Settlement).where(Settlement.period_end == period_end))
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    # Every account of both books, in payee order like every other writer:
    # from here on no entry can be written, and a concurrent settlement has
    # committed.
    for book in BOOKS:
        account = book.account
        await session.execute(
            select(book.payee_of(account)).order_by(book.payee_of(account)).with_for_update()
        )
    previous = (
        await session.execute(select(Settlement).order_by(Settlement.period_end.desc()).limit(1))
    ).scalar_one_or_none()
    _check_in_order(previous.period_end if previous else None, period_end)
    refunded_before = closes_at(period_end, settings)
    if previous is not None:
        # A shorter after-sale window must not take back what was admitted.
        refunded_before = max(refunded_before, previous.refunded_before)
    settlement_id = (
        await session.execute(
            insert_ignoring_conflicts(session, Settlement, ["period_end"])
            .values(
                period_start=period_end - timedelta(days=settings.settlement_period_days),
                period_end=period_end,
                picked_up_before=period_end_at(period_end, settings),
                refunded_before=refunded_before,
                scanned_from=previous.picked_up_before - SCAN_SLACK if previous else None,
                statement_count=0,
                line_count=0,
                total_fen=0,
                created_by_id=created_by_id,
                created_at=now,
            )
            .returning(Settlement.id)
        )
    ).scalar_one_or_none()
    if settlement_id is None:  # a concurrent run of the same period won
        return (
            await session.execute(select(Settlement).where(Settlement.period_end == period_end))
        ).scalar_one()
    settlement = await session.get(Settlement, settlement_id)
    assert settlement is not None
    for book in BOOKS:
        await _write_statements(session, settlement, now, book)
        await _write_settlement_entries(session, settlement_id, now, book)
        await _move_balances(session, settlement_id, now, book)
    # The settlement's own figures are the leaders' (grids' are their statements').
    totals = (
        await session.execute(
            select(
                func.count(),
                func.coalesce(func.sum(Statement.line_count), 0),
                func.coalesce(func.sum(Statement.total_fen), 0),
            ).where(Statement.settlement_id == settlement_id)
        )
    ).one()
    settlement.statement_count = int(totals[0])
    settlement.line_count = int(totals[1])
    settlement.total_fen = int(totals[2])
    await session.flush()
    return settlement


async def _write_statements(
    session: AsyncSession, settlement: Settlement, now: datetime, book: Book
) -> None:
    entry, account = book.entry, book.account
    payee = book.payee_of(entry)
    before = previous_statements(settlement.id, book)
    new = and_(
        entry.basis_at < settlement.picked_up_before,
        entry.occurred_at < settlement.refunded_before,
        or_(
            before.c.through_entry_id.is_(None),
            ~admitted(
                entry,
                before.c.through_entry_id,
                before.c.picked_up_before,
                before.c.refunded_before,
            ),
        ),
    )

    def total(condition: Any) -> Any:
        return func.sum(case((condition, entry.amount_fen), else_=0))

    line_count = func.sum(case((new, 1), else_=0))
    newest = func.max(entry.id)
    through = case(
        (newest > func.coalesce(before.c.through_entry_id, 0), newest),
        else_=before.c.through_entry_id,
    )
    conditions = [pending(entry)]
    if settlement.scanned_from is not None:
        conditions.append(entry.created_at >= settlement.scanned_from)
    rows = (
        select(
            literal(settlement.id, Integer()),
            payee,
            literal(settlement.period_start, Date()),
            literal(settlement.period_end, Date()),
            account.available_fen,
            total(and_(new, entry.kind.in_(_ACCRUED))),
            total(and_(new, entry.kind.in_(_REVERSED))),
            -total(and_(new, entry.kind.in_(_CASH))),
            total(new),
            account.available_fen + total(new),
            line_count,
            through,
            literal(now, UTCDateTime()),
        )
        .select_from(entry)
        .join(account, book.payee_of(account) == payee)
        .outerjoin(before, before.c.payee == payee)
        .where(*conditions)
        .group_by(payee, account.available_fen, before.c.through_entry_id)
        .having(line_count > 0)
    )
    await session.execute(
        insert(book.statement).from_select(
            [
                "settlement_id",
                book.payee,
                "period_start",
                "period_end",
                *STATEMENT_FIGURES,
                "through_entry_id",
                "created_at",
            ],
            rows,
        )
    )


async def _write_settlement_entries(
    session: AsyncSession, settlement_id: int, now: datetime, book: Book
) -> None:
    account, statement = book.account, book.statement
    kind_type = book.entry.__table__.c.kind.type
    account_type = book.entry.__table__.c.account.type
    for which, balance, sign in (
        (LedgerAccount.PENDING, account.pending_fen, -1),
        (LedgerAccount.AVAILABLE, account.available_fen, 1),
    ):
        rows = (
            select(
                book.payee_of(statement),
                literal(EntryKind.SETTLEMENT, kind_type),
                literal(which, account_type),
                sign * statement.total_fen,
                balance,
                balance + sign * statement.total_fen,
                statement.id,
                literal(now, UTCDateTime()),
                literal(now, UTCDateTime()),
                literal(utcnow(), UTCDateTime()),
            )
            .join_from(statement, account, book.payee_of(account) == book.payee_of(statement))
            .where(statement.settlement_id == settlement_id)
            .order_by(book.payee_of(statement))
        )
        await session.execute(
            insert(book.entry).from_select(
                [
                    book.payee,
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
                rows,
            )
        )


async def _move_balances(
    session: AsyncSession, settlement_id: int, now: datetime, book: Book
) -> None:
    account, statement = book.account, book.statement
    total = (
        select(statement.total_fen)
        .where(
            statement.settlement_id == settlement_id,
            book.payee_of(statement) == book.payee_of(account),
        )
        .scalar_subquery()
    )
    settled = select(book.payee_of(statement)).where(statement.settlement_id == settlement_id)
    await session.execute(
        update(account)
        .where(book.payee_of(account).in_(settled))
        .values(
            pending_fen=account.pending_fen - total,
            available_fen=account.available_fen + total,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
