"""Payment notifications, modelled on WeChat Pay's callback: the provider
tells us an order number, an amount and its transaction id; we check them
against the order and record every notification, accepted or not."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, exists, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.orm.attributes import set_committed_value

from fulfilment.models import (
    Campaign,
    Order,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundReason,
)
from fulfilment.pickup_codes import issue_new_order_code
from kernel.db import write_in_transaction

Order2 = aliased(Order)

# Built once: the evening pays thousands of orders a minute, and building these
# statements (and their cache keys) each time cost more than running them.
_ORDER_TO_PAY = (
    select(
        Order,
        Campaign.delivery_date,
        # A provider's transaction pays one order; the same id for another
        # order is a forgery or a provider fault, never a payment.
        exists()
        .where(Order2.payment_transaction_id == bindparam("tx"), Order2.id != Order.id)
        .label("paid_another"),
        exists()
        .where(
            PaymentNotification.order_number == Order.number,
            PaymentNotification.transaction_id == bindparam("tx64"),
            PaymentNotification.outcome == PaymentOutcome.ACCEPTED,
        )
        .label("accepted_before"),
    )
    .join(Campaign, Campaign.id == Order.campaign_id)
    .where(Order.number == bindparam("number"))
    # Locked: notifications of one order take turns.
    .with_for_update(of=Order)
)
_orders, _notifications = Order.__table__.c, PaymentNotification.__table__.c
_MARK_PAID = (
    update(Order)
    .where(_orders.id == bindparam("order_id"))
    .values(
        status=bindparam("status", type_=_orders.status.type),
        paid_at=bindparam("paid_at", type_=_orders.paid_at.type),
        payment_transaction_id=bindparam("tx", type_=_orders.payment_transaction_id.type),
    )
)
_NOTIFICATION = insert(PaymentNotification).values(
    {
        name: bindparam(name, type_=_notifications[name].type)
        for name in (
            "order_number",
            "transaction_id",
            "amount_fen",
            "outcome",
            "reason",
            "received_at",
        )
    }
)

log = logging.getLogger(__name__)


def signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 over WeChat Pay v3's message layout:
    ``timestamp\\nnonce\\nbody\\n``, base64-encoded."""
    message = timestamp.encode() + b"\n" + nonce.encode() + b"\n" + body + b"\n"
    return base64.b64encode(hmac.new(secret.encode(), message, hashlib.sha256).digest()).decode()


def signature_valid(secret: str, timestamp: str, nonce: str, body: bytes, given: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters, which a
    # forged header may well contain.
    return hmac.compare_digest(signature(secret, timestamp, nonce, body).encode(), given.encode())


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    reason: str | None
    order: Order | None


async def record_payment(
    session: AsyncSession,
    *,
    order_number: str,
    amount_fen: int,
    transaction_id: str,
    now: datetime,
) -> PaymentResult:
    """Apply one (authenticated) payment notification. Replays are harmless;
    money that arrives for a closed order, or twice, is booked as a refund."""
    # One statement for the order and the facts the decision needs; through
    # the session, which so begins the transaction the writes below join.
    row = (
        await session.execute(
            _ORDER_TO_PAY,
            {"number": order_number, "tx": transaction_id, "tx64": transaction_id[:64]},
        )
    ).one_or_none()
    order = None if row is None else row.Order
    outcome, reason = PaymentOutcome.ACCEPTED, None
    if row is None or order is None:
        outcome, reason = PaymentOutcome.REJECTED, "unknown order"
    elif amount_fen != order.total_fen:
        outcome, reason = (
            PaymentOutcome.REJECTED,
            (f"amount {amount_fen} fen does not match the order total {order.total_fen} fen"),
        )
    elif row.paid_another:
        outcome, reason = PaymentOutcome.REJECTED, "transaction already paid another order"
    elif order.payment_transaction_id == transaction_id or row.accepted_before:
        # Also a retried notification of a second payment, already refunded.
        outcome, reason = PaymentOutcome.DUPLICATE, "already recorded"
    elif order.payment_transaction_id is not None:
        reason = "second payment for one order; refunded"
        await _refund(session, order, RefundReason.DOUBLE_PAYMENT, now)
    elif order.status is OrderStatus.PENDING_PAYMENT:
        await _mark_paid(session, order, transaction_id, now, OrderStatus.PAID)
        # In the same transaction: no paid order is ever without its code.
        await issue_new_order_code(session, order.id, order.pickup_point_id, row.delivery_date, now)
    else:  # cancelled or expired before the money arrived: it goes back
        reason = f"paid after the order was {order.status.value}; refunded"
        await _mark_paid(session, order, transaction_id, now, order.status)
        await _refund(session, order, RefundReason.PAID_AFTER_CLOSE, now)
    await write_in_transaction(
        session,
        _NOTIFICATION,
        order_number=order_number[:64],
        transaction_id=transaction_id[:64],
        amount_fen=amount_fen,
        outcome=outcome,
        reason=reason,
        received_at=now,
    )
    if outcome is PaymentOutcome.REJECTED:
        log.warning("payment notification rejected: %s (order %s)", reason, order_number)
    return PaymentResult(outcome, reason, order)


async def _mark_paid(
    session: AsyncSession, order: Order, transaction_id: str, now: datetime, status: OrderStatus
) -> None:
    await write_in_transaction(
        session, _MARK_PAID, order_id=order.id, status=status, paid_at=now, tx=transaction_id
    )
    # The loaded order shows what was written, without a second read.
    for name, value in (
        ("status", status),
        ("paid_at", now),
        ("payment_transaction_id", transaction_id),
    ):
        set_committed_value(order, name, value)


async def _refund(session: AsyncSession, order: Order, reason: RefundReason, now: datetime) -> None:
    await session.execute(
        insert(Refund).values(
            order_id=order.id, amount_fen=order.total_fen, reason=reason, created_at=now
        )
    )
