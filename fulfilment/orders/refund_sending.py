"""Refunds go back to the payer through WeChat Pay. Every refund booked, by
any path, starts PENDING; the sender (the ``refunds.send`` job, every half
minute) sends the due ones, asks about the ones the provider accepted and
never told us about, and records each answer (refund_outcomes.py).

Nothing is sent inside the transaction that booked the refund, and no
transaction is open while the provider is called: due refunds are claimed
(``next_attempt_at`` pushed past the call) in one short transaction, called
about with none, and the answers recorded in another. A sender that dies in
between leaves the claim to lapse; the next run sends the refund again under
the same out_refund_no, which WeChat Pay answers with the same refund, so a
refund is never paid twice.

Refunds of orders paid in cash (no WeChat payment to return) are not sent:
the leader hands the money back, and their settlement counts it."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.sql.elements import ColumnElement

from fulfilment.orders.cash import book_cash_returns
from fulfilment.orders.models import Order, Refund, RefundReason, RefundState
from fulfilment.orders.refund_outcomes import (
    apply_provider_refund,
    out_refund_no,
    record_failure,
    settle_in_cash,
)
from kernel.db import unit_of_work
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayError, WechatPayRefused, WechatPayUnavailable
from kernel.wechatpay.models import Refund as ProviderRefund

# A claimed refund is the claimant's for this long; then anyone's again.
CLAIM = timedelta(minutes=2)
PAGE = 200
CONCURRENCY = 8
# Refused for now, not for ever: the merchant's balance is short, or too
# many requests. They wait their backoff like a network failure.
LATER = {"NOT_ENOUGH", "FREQUENCY_LIMITED", "SYSTEM_ERROR"}
# What the payer reads in WeChat beside the money.
REASON_TEXT = {
    RefundReason.CUSTOMER_CANCELLED: "订单已取消",
    RefundReason.OPERATOR_CANCELLED: "订单已取消",
    RefundReason.PAID_AFTER_CLOSE: "订单已关闭，退回付款",
    RefundReason.DOUBLE_PAYMENT: "重复支付退款",
    RefundReason.GROUP_THRESHOLD_MISSED: "未成团退款",
    RefundReason.SHORTAGE: "缺货退款",
    RefundReason.DELIVERY_MISSING: "配送缺件退款",
    RefundReason.DELIVERY_DAMAGED: "配送破损退款",
}


@dataclass(frozen=True)
class Due:
    """A claimed refund and what the call about it needs."""

    refund_id: int
    out_refund_no: str
    order_number: str
    order_total_fen: int
    amount_fen: int
    reason: RefundReason
    state: RefundState  # PENDING: send it; PROCESSING: ask about it
    in_cash: bool


@dataclass
class SendReport:
    """What one run did, for the job's result."""

    sent: int = 0
    asked: int = 0
    succeeded: int = 0
    failed: int = 0  # waiting their backoff, or ABNORMAL on a refusal
    in_cash: int = 0
    provider_down: bool = False

    def as_dict(self) -> dict[str, int | bool]:
        return dict(vars(self))


# No WeChat payment to return: the order was paid in cash.
IN_CASH = and_(Order.payment_transaction_id.is_(None), Refund.transaction_id.is_(None))


def _due(now: datetime, with_provider: bool) -> ColumnElement[bool]:
    due = or_(Refund.next_attempt_at.is_(None), Refund.next_attempt_at <= now)
    states = Refund.state.in_([RefundState.PENDING, RefundState.PROCESSING])
    pending_in_cash = and_(Refund.state == RefundState.PENDING, IN_CASH)
    return and_(due, states if with_provider else pending_in_cash)


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    with_provider: bool = True,
    limit: int = PAGE,
    claim: timedelta = CLAIM,
) -> list[Due]:
    """Claim up to ``limit`` due refunds, oldest first (skipping any another
    sender holds): nobody else calls about them until ``CLAIM`` has passed."""
    in_cash = case((IN_CASH, True), else_=False)
    rows = (
        await session.execute(
            select(
                Refund.id,
                Refund.resend_no,
                Order.number,
                Order.total_fen,
                Refund.amount_fen,
                Refund.reason,
                Refund.state,
                in_cash,
            )
            .join(Order, Order.id == Refund.order_id)
            .where(_due(now, with_provider))
            .order_by(Refund.id)
            .limit(limit)
            .with_for_update(of=Refund, skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    await session.execute(
        update(Refund)
        .where(Refund.id.in_([row[0] for row in rows]))
        .values(next_attempt_at=now + claim, attempts=Refund.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return [
        Due(r[0], out_refund_no(r[0], r[1]), r[2], r[3], r[4], r[5], r[6], bool(r[7])) for r in rows
    ]


Answer = ProviderRefund | WechatPayError


async def _call(client: WechatPayClient, due: Due) -> ProviderRefund:
    if due.state is RefundState.PROCESSING:
        return await client.query_refund(due.out_refund_no)
    return await client.refund(
        out_trade_no=due.order_number,
        out_refund_no=due.out_refund_no,
        refund=due.amount_fen,
        total=due.order_total_fen,
        reason=REASON_TEXT.get(due.reason, "售后退款"),
    )


async def call_provider(client: WechatPayClient, claimed: Sequence[Due]) -> dict[int, Answer]:
    """Send or ask about each claimed refund, a few at a time. Once the
    provider proves unreachable, the rest are not called this run."""
    gate, down = asyncio.Semaphore(CONCURRENCY), asyncio.Event()
    answers: dict[int, Answer] = {}

    async def one(due: Due) -> None:
        async with gate:
            if down.is_set():
                answers[due.refund_id] = WechatPayUnavailable("not called: WeChat Pay is down")
                return
            try:
                answers[due.refund_id] = await _call(client, due)
            except WechatPayUnavailable as exc:
                down.set()
                answers[due.refund_id] = exc
            except WechatPayError as exc:
                answers[due.refund_id] = exc

    await asyncio.gather(*(one(due) for due in claimed if not due.in_cash))
    return answers


async def record_answers(
    session: AsyncSession,
    claimed: Sequence[Due],
    answers: dict[int, Answer],
    now: datetime,
    report: SendReport,
) -> None:
    """Record every claimed refund's answer (or its settling in cash, which
    the leader's ledger then counts off the cash they hold)."""
    in_cash = [due.refund_id for due in claimed if due.in_cash]
    for refund_id in in_cash:
        await settle_in_cash(session, refund_id, now)
    if in_cash:
        await book_cash_returns(session, now, in_cash)
        report.in_cash += len(in_cash)
    for due in claimed:
        if due.in_cash:
            continue
        answer = answers[due.refund_id]
        if due.state is RefundState.PROCESSING:
            report.asked += 1
        else:
            report.sent += 1
        if isinstance(answer, ProviderRefund):
            applied = await apply_provider_refund(session, answer, now)
            report.succeeded += applied.state is RefundState.SUCCESS
            continue
        report.failed += 1
        report.provider_down |= isinstance(answer, WechatPayUnavailable)
        final = isinstance(answer, WechatPayRefused) and answer.code not in LATER
        await record_failure(session, due.refund_id, f"{answer}", now, final=final)


async def send_due_refunds(
    sessions: async_sessionmaker[AsyncSession],
    client: WechatPayClient | None,
    now: datetime,
    *,
    pages: int = 10,
    claim: timedelta = CLAIM,
) -> SendReport:
    """One run of the sender: up to ``pages`` pages of due refunds claimed,
    called about and recorded. ``client`` None (WeChat Pay off): only the
    refunds of cash-paid orders are settled; the rest wait."""
    report = SendReport()
    for _ in range(pages):
        async with unit_of_work(sessions) as session:
            claimed = await claim_due(session, now, with_provider=client is not None, claim=claim)
        if not claimed:
            break
        answers = await call_provider(client, claimed) if client is not None else {}
        async with unit_of_work(sessions) as session:
            await record_answers(session, claimed, answers, now, report)
        if report.provider_down or len(claimed) < PAGE:
            break
    return report
