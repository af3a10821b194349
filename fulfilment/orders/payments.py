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

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import (
    Order,
    OrderStatus,
    PaymentNotification,
    PaymentOutcome,
    Refund,
    RefundReason,
)
from fulfilment.pickup_codes import issue_pickup_code

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
    order = (
        await session.execute(select(Order).where(Order.number == order_number).with_for_update())
    ).scalar_one_or_none()
    outcome, reason = PaymentOutcome.ACCEPTED, None
    if order is None:
        outcome, reason = PaymentOutcome.REJECTED, "unknown order"
    elif amount_fen != order.total_fen:
        outcome, reason = (
            PaymentOutcome.REJECTED,
            (f"amount {amount_fen} fen does not match the order total {order.total_fen} fen"),
        )
    elif await _paid_another_order(session, order, transaction_id):
        outcome, reason = PaymentOutcome.REJECTED, "transaction already paid another order"
    elif order.payment_transaction_id == transaction_id or await _accepted_before(
        session, order_number, transaction_id
    ):
        # Also a retried notification of a second payment, already refunded.
        outcome, reason = PaymentOutcome.DUPLICATE, "already recorded"
    elif order.payment_transaction_id is not None:
        reason = "second payment for one order; refunded"
        _refund(session, order, RefundReason.DOUBLE_PAYMENT, now)
    elif order.status is OrderStatus.PENDING_PAYMENT:
        await session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(status=OrderStatus.PAID, paid_at=now, payment_transaction_id=transaction_id)
            .execution_options(synchronize_session=False)
        )
        # In the same transaction: no paid order is ever without its code.
        await issue_pickup_code(session, order.id, now)
    else:  # cancelled or expired before the money arrived: it goes back
        reason = f"paid after the order was {order.status.value}; refunded"
        await session.execute(
            update(Order)
            .where(Order.id == order.id)
            .values(paid_at=now, payment_transaction_id=transaction_id)
            .execution_options(synchronize_session=False)
        )
        _refund(session, order, RefundReason.PAID_AFTER_CLOSE, now)
    session.add(
        PaymentNotification(
            order_number=order_number[:64],
            transaction_id=transaction_id[:64],
            amount_fen=amount_fen,
            outcome=outcome,
            reason=reason,
            received_at=now,
        )
    )
    if outcome is PaymentOutcome.REJECTED:
        log.warning("payment notification rejected: %s (order %s)", reason, order_number)
    await session.flush()
    if order is not None:
        await session.refresh(order)
    return PaymentResult(outcome, reason, order)


async def _paid_another_order(session: AsyncSession, order: Order, transaction_id: str) -> bool:
    """A provider's transaction pays one order; the same id for another order
    is a forgery or a provider fault, never a payment."""
    other = await session.execute(
        select(Order.id)
        .where(Order.payment_transaction_id == transaction_id, Order.id != order.id)
        .limit(1)
    )
    return other.first() is not None


async def _accepted_before(session: AsyncSession, order_number: str, transaction_id: str) -> bool:
    """Whether this transaction was accepted for this order already. Callers
    hold the order's row lock, so notifications of one order take turns."""
    seen = await session.execute(
        select(PaymentNotification.id)
        .where(
            PaymentNotification.order_number == order_number[:64],
            PaymentNotification.transaction_id == transaction_id[:64],
            PaymentNotification.outcome == PaymentOutcome.ACCEPTED,
        )
        .limit(1)
    )
    return seen.first() is not None


def _refund(session: AsyncSession, order: Order, reason: RefundReason, now: datetime) -> None:
    session.add(
        Refund(order_id=order.id, amount_fen=order.total_fen, reason=reason, created_at=now)
    )
