"""Issuing and approving supplier statements (供应商对账单).

A period ends at local midnight on ``period_end``, every
``settlement_period_days`` days from Monday 2024-01-01 like the leaders'
settlement. Issuing a period, once it has ended, writes one statement per
supplier with anything to book (see ``sources``): its lines, one ledger entry
each, and a notice to the supplier's users. Issuing the same period again
returns the statement already issued and changes nothing; a supplier's
periods are issued in order.

    ISSUED ──(lines confirmed or disputed; disputes resolved)──approve──▶ APPROVED ─▶ PAID

Approval needs every dispute resolved. It fixes ``payable_fen``: a negative
total gets a carried-forward line (payable 0), brought forward by the
supplier's next statement; a statement with nothing payable is PAID at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Supplier, SupplierMember
from fulfilment.supplier_settlement import sources
from fulfilment.supplier_settlement.arithmetic import carry, service_fee, totals_of
from fulfilment.supplier_settlement.errors import SupplierSettlementErrorCode as Code
from fulfilment.supplier_settlement.ledger import Draft, write_lines
from fulfilment.supplier_settlement.models import (
    LineKind,
    LineState,
    StatementState,
    SupplierStatement,
    SupplierStatementLine,
)
from kernel.accounts import User
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.notifications import notify
from kernel.settings import Settings
from leaders.commission.settlement import ANCHOR, period_end_at

STATEMENT_READY = "supplier_statement_ready"


@dataclass(frozen=True)
class Terms:
    """The rates a statement is issued with (from the settings)."""

    period_days: int
    chargeback_bp: int
    fee_bp: int

    @classmethod
    def of(cls, settings: Settings) -> Terms:
        return cls(
            settings.settlement_period_days,
            settings.supplier_chargeback_bp,
            settings.supplier_service_fee_bp,
        )


def check_period(period_end: date, now: datetime, settings: Settings) -> None:
    """Refuse a date that does not end a period, or a period not yet over."""
    days = settings.settlement_period_days
    if (period_end - ANCHOR).days % days:
        raise DomainError(
            CommonErrorCode.INVALID,
            f"Periods end every {days} days from {ANCHOR.isoformat()}.",
            ["periodEnd"],
        )
    if period_end_at(period_end, settings) > now:
        raise DomainError(Code.PERIOD_NOT_CLOSED, "The period has not ended yet.", ["periodEnd"])


async def issue_statements(
    session: AsyncSession,
    period_end: date,
    settings: Settings,
    *,
    supplier_id: int | None,
    by: User | None,
    now: datetime,
) -> list[SupplierStatement]:
    """Issue the period for one supplier, or for every supplier with
    something to book; returns the period's statements (those issued
    before included, so issuing again returns the same)."""
    check_period(period_end, now, settings)
    if supplier_id is not None:
        return [await issue_statement(session, supplier_id, period_end, settings, by=by, now=now)]
    end_at = period_end_at(period_end, settings)
    for supplier in await sources.suppliers_with_business(session, period_end, end_at):
        latest = await _latest_period(session, supplier)
        if latest is None or latest < period_end:
            await issue_statement(session, supplier, period_end, settings, by=by, now=now)
    rows = await session.execute(
        select(SupplierStatement)
        .where(SupplierStatement.period_end == period_end)
        .order_by(SupplierStatement.id)
    )
    return list(rows.scalars())


async def _latest_period(session: AsyncSession, supplier_id: int) -> date | None:
    return await session.scalar(
        select(func.max(SupplierStatement.period_end)).where(
            SupplierStatement.supplier_id == supplier_id
        )
    )


async def issue_statement(
    session: AsyncSession,
    supplier_id: int,
    period_end: date,
    settings: Settings,
    *,
    by: User | None,
    now: datetime,
) -> SupplierStatement:
    """The supplier's statement for the period ending ``period_end``."""
    check_period(period_end, now, settings)
    # The supplier's row lock queues two issuers of its statements.
    locked = await session.execute(
        select(Supplier.id).where(Supplier.id == supplier_id).with_for_update()
    )
    if locked.scalar_one_or_none() is None:
        raise NotFound("Supplier", ["supplierId"])
    existing = (
        await session.execute(
            select(SupplierStatement).where(
                SupplierStatement.supplier_id == supplier_id,
                SupplierStatement.period_end == period_end,
            )
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    latest = await _latest_period(session, supplier_id)
    if latest is not None and latest > period_end:
        raise DomainError(
            Code.PERIOD_NOT_CLOSED,
            f"Statements are issued in order; {latest.isoformat()} already is.",
            ["periodEnd"],
        )
    terms = Terms.of(settings)
    drafts = await _drafts(session, supplier_id, period_end, terms, settings)
    if not drafts:
        raise DomainError(
            Code.NOTHING_TO_SETTLE, "Nothing of this supplier is waiting to be settled."
        )
    statement = _new_statement(supplier_id, period_end, terms, drafts, by, now)
    session.add(statement)
    await session.flush()
    await write_lines(session, statement, drafts, by_id=by.id if by else None, now=now)
    await _tell_supplier(session, statement)
    return statement


async def _drafts(
    session: AsyncSession, supplier_id: int, period_end: date, terms: Terms, settings: Settings
) -> list[Draft]:
    end_at = period_end_at(period_end, settings)
    drafts = await sources.po_line_drafts(session, supplier_id, period_end, terms.chargeback_bp)
    drafts += await sources.claim_drafts(session, supplier_id, end_at)
    goods = sum(d.amount_fen for d in drafts if d.kind is LineKind.GOODS)
    fee = service_fee(goods, terms.fee_bp)
    if fee:
        drafts.append(
            Draft(kind=LineKind.SERVICE_FEE, amount_fen=fee, detail=f"平台服务费 {terms.fee_bp}‱")
        )
    drafts += await sources.brought_forward_drafts(session, supplier_id)
    return drafts


def _new_statement(
    supplier_id: int,
    period_end: date,
    terms: Terms,
    drafts: Sequence[Draft],
    by: User | None,
    now: datetime,
) -> SupplierStatement:
    totals = totals_of((d.kind, d.amount_fen) for d in drafts)
    return SupplierStatement(
        supplier_id=supplier_id,
        period_start=period_end - timedelta(days=terms.period_days),
        period_end=period_end,
        state=StatementState.ISSUED,
        goods_fen=totals.goods_fen,
        chargeback_fen=totals.chargeback_fen,
        fee_fen=totals.fee_fen,
        brought_forward_fen=totals.brought_forward_fen,
        adjustment_fen=0,
        carried_forward_fen=0,
        total_fen=totals.total_fen,
        payable_fen=None,
        fee_bp=terms.fee_bp,
        line_count=totals.line_count,
        issued_at=now,
        issued_by_id=by.id if by else None,
    )


async def _tell_supplier(session: AsyncSession, statement: SupplierStatement) -> None:
    users = (
        await session.execute(
            select(SupplierMember.user_id).where(
                SupplierMember.supplier_id == statement.supplier_id
            )
        )
    ).scalars()
    start, end = statement.period_start, statement.period_end
    await notify(
        session,
        user_ids=list(users),
        kind=STATEMENT_READY,
        title="对账单已出",
        body=f"{start.isoformat()} 至 {end.isoformat()} 的对账单已出，请逐行确认或提出异议。",
        data={"supplier_statement_id": statement.id, "period_end": end.isoformat()},
    )


async def locked_statement(
    session: AsyncSession, statement_id: int, supplier_id: int | None = None
) -> SupplierStatement:
    """The statement, locked; another supplier's reads as missing."""
    statement = (
        await session.execute(
            select(SupplierStatement)
            .where(SupplierStatement.id == statement_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
    ).scalar_one_or_none()
    if statement is None or (supplier_id is not None and statement.supplier_id != supplier_id):
        raise NotFound("Supplier statement", ["id"])
    return statement


async def approve_statement(
    session: AsyncSession, statement_id: int, operator: User, now: datetime
) -> SupplierStatement:
    """Approve an issued statement with no dispute left open."""
    statement = await locked_statement(session, statement_id)
    if statement.state is not StatementState.ISSUED:
        raise DomainError(Code.STATEMENT_NOT_OPEN, "This statement is already approved.", ["id"])
    disputed = await session.scalar(
        select(func.count()).where(
            SupplierStatementLine.statement_id == statement.id,
            SupplierStatementLine.state == LineState.DISPUTED,
        )
    )
    if disputed:
        raise DomainError(
            Code.OPEN_DISPUTES,
            f"{disputed} disputed line(s) must be resolved first.",
            ["id"],
            remaining=int(disputed),
        )
    carried, payable = carry(statement.total_fen)
    if carried:
        draft = Draft(kind=LineKind.CARRIED_FORWARD, amount_fen=carried, detail="结转下期")
        await write_lines(
            session, statement, [draft], by_id=operator.id, now=now, state=LineState.CONFIRMED
        )
        statement.carried_forward_fen = carried
        statement.total_fen += carried
        statement.line_count += 1
    statement.payable_fen = payable
    statement.approved_at = now
    statement.approved_by_id = operator.id
    # Nothing to pay: no bank transfer will ever mark it paid.
    statement.state = StatementState.APPROVED if payable else StatementState.PAID
    if not payable:
        statement.paid_at = now
    await session.flush()
    return statement
