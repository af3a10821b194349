"""The platform's side of a bill date, read set-based: the notifications of
the bill's orders and the refunds the bill names (in chunks of ids, each an
indexed look-up), and what the platform booked in the date's China day.

A day may hold 50k lines: never a query per line."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from typing import TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import (
    Order,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundState,
)
from fulfilment.reconciliation.matching import PlatformPayment, PlatformRefund

# WeChat Pay bills by Beijing time whatever our business zone is.
CHINA = ZoneInfo("Asia/Shanghai")

# Big enough to make few round trips, small enough for any driver's limit
# on bound parameters (SQLite's is 32766 nowadays, 999 on old builds).
CHUNK = 900

T = TypeVar("T")


def china_day(bill_date: date) -> tuple[datetime, datetime]:
    """The bill date's China day as a [start, end) pair of instants."""
    start = datetime.combine(bill_date, time(0), CHINA)
    return start, start + timedelta(days=1)


def out_refund_no(refund_id: int, resend_no: int) -> str:
    """The out_refund_no a refund's current attempt has at WeChat: its id,
    then ``-n`` once re-sent after the provider closed it."""
    return str(refund_id) if resend_no == 0 else f"{refund_id}-{resend_no}"


def _chunks(items: Iterable[T]) -> Iterable[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) == CHUNK:
            yield batch
            batch = []
    if batch:
        yield batch


_PAYMENT_COLUMNS = (
    PaymentNotification.id,
    PaymentNotification.order_number,
    PaymentNotification.transaction_id,
    PaymentNotification.amount_fen,
    PaymentNotification.outcome,
)


def _payment(row: Sequence[object]) -> PlatformPayment:
    outcome = row[4]
    assert isinstance(outcome, PaymentOutcome)
    return PlatformPayment(
        notification_id=int(str(row[0])),
        order_number=str(row[1]),
        transaction_id=str(row[2]),
        amount_fen=int(str(row[3])),
        outcome=outcome.value,
    )


async def notifications_of(
    session: AsyncSession, order_numbers: Iterable[str]
) -> dict[str, list[PlatformPayment]]:
    """Every notification of these orders, whenever received, by order
    number (``order_number`` is indexed)."""
    found: dict[str, list[PlatformPayment]] = {}
    for batch in _chunks(sorted(set(order_numbers))):
        rows = await session.execute(
            select(*_PAYMENT_COLUMNS).where(PaymentNotification.order_number.in_(batch))
        )
        for row in rows:
            payment = _payment(tuple(row))
            found.setdefault(payment.order_number, []).append(payment)
    return found


async def payments_in(session: AsyncSession, bill_date: date) -> list[PlatformPayment]:
    """Money the platform booked in the date's China day: accepted
    notifications of orders paid through WeChat Pay (a cash order has no
    transaction: it is not at WeChat and never missing there)."""
    start, end = china_day(bill_date)
    rows = await session.execute(
        select(*_PAYMENT_COLUMNS)
        .join(Order, Order.number == PaymentNotification.order_number)
        .where(
            PaymentNotification.outcome == PaymentOutcome.ACCEPTED,
            PaymentNotification.received_at >= start,
            PaymentNotification.received_at < end,
            Order.payment_transaction_id.is_not(None),
        )
    )
    return [_payment(tuple(row)) for row in rows]


_REFUND_COLUMNS = (
    Refund.id,
    Refund.resend_no,
    Refund.amount_fen,
    Refund.state,
    Order.number,
    Refund.transaction_id,
    Order.payment_transaction_id,
    Refund.provider_refund_id,
)


def _refund(row: Sequence[object]) -> PlatformRefund:
    state = row[3]
    assert isinstance(state, RefundState)
    refund_id, resend_no = int(str(row[0])), int(str(row[1]))
    return PlatformRefund(
        refund_id=refund_id,
        out_refund_no=out_refund_no(refund_id, resend_no),
        amount_fen=int(str(row[2])),
        state=state.value,
        order_number=str(row[4]),
        transaction_id=str(row[5] or row[6] or "") or None,
        provider_refund_id=None if row[7] is None else str(row[7]),
    )


async def refunds_by_id(
    session: AsyncSession, refund_ids: Iterable[int]
) -> dict[int, PlatformRefund]:
    """These refunds (by primary key), whatever their state or date."""
    found: dict[int, PlatformRefund] = {}
    for batch in _chunks(sorted(set(refund_ids))):
        rows = await session.execute(
            select(*_REFUND_COLUMNS)
            .join(Order, Order.id == Refund.order_id)
            .where(Refund.id.in_(batch))
        )
        for row in rows:
            refund = _refund(tuple(row))
            found[refund.refund_id] = refund
    return found


async def refunds_in(session: AsyncSession, bill_date: date) -> list[PlatformRefund]:
    """Refunds the platform saw succeed in the date's China day, of money
    that came through WeChat Pay (the refund's own payment, or its order's)."""
    start, end = china_day(bill_date)
    rows = await session.execute(
        select(*_REFUND_COLUMNS)
        .join(Order, Order.id == Refund.order_id)
        .where(
            Refund.state == RefundState.SUCCESS,
            Refund.succeeded_at >= start,
            Refund.succeeded_at < end,
            or_(Refund.transaction_id.is_not(None), Order.payment_transaction_id.is_not(None)),
        )
    )
    return [_refund(tuple(row)) for row in rows]
