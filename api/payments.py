"""Booking a payment whichever way it was authenticated: ``book_payment``
applies one in its own transaction. WeChat Pay v3's callback
(api/http/wechatpay_notify.py) authenticates and decrypts the notification
first; the sandbox's pay-now button (``paymentSimulate``) and the demo pay
through the sandbox, whose notifications take that same callback."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from fulfilment.orders.models import PaymentOutcome
from fulfilment.orders.payments import PaymentResult, record_payment, record_payment_alone
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.metrics import count_order_paid

log = logging.getLogger("tuangou.payments")


@dataclass(frozen=True)
class Answer:
    status: int
    code: str
    message: str
    result: PaymentResult | None = None


def fits_columns(order_number: str, transaction_id: str) -> bool:
    """Within the columns that keep them; anything longer is not ours."""
    return 1 <= len(order_number) <= 32 and 1 <= len(transaction_id) <= 64


async def book_payment(
    sessions: async_sessionmaker[AsyncSession],
    *,
    order_number: str,
    amount_fen: int,
    transaction_id: str,
) -> Answer:
    """Book one authenticated payment in its own transaction, whichever
    protocol brought it (this module's, or WeChat Pay v3's in
    api/http/wechatpay_notify.py): 200 once recorded (a replay included),
    400 for a payment refused by the rules (``payment_rules.decide``)."""
    result = await _record(sessions, order_number, amount_fen, transaction_id)
    if result.outcome is PaymentOutcome.REJECTED:
        return Answer(400, "FAIL", result.reason or "rejected", result)
    if result.outcome is PaymentOutcome.ACCEPTED and result.reason is None:
        # Committed, and an order went from awaiting payment to paid (an
        # accepted payment with a reason is money on its way back: GMV not).
        count_order_paid(amount_fen)
    return Answer(200, "SUCCESS", result.reason or "ok", result)


async def _record(
    sessions: async_sessionmaker[AsyncSession],
    order_number: str,
    amount_fen: int,
    transaction_id: str,
) -> PaymentResult:
    # On PostgreSQL a bare pooled connection, not a session: the booking is
    # one call, its own transaction (migration 0026), and the session, its
    # BEGIN and COMMIT were most of a notification's CPU (docs/wechatpay.md,
    # Throughput). The sessions' engine is the pool every request shares.
    engine = sessions.kw.get("bind")
    if isinstance(engine, AsyncEngine) and engine.dialect.name == "postgresql":
        async with engine.connect() as connection:
            return await record_payment_alone(
                connection,
                order_number=order_number,
                amount_fen=amount_fen,
                transaction_id=transaction_id,
                now=utcnow(),
            )
    async with unit_of_work(sessions) as session:
        return await record_payment(
            session,
            order_number=order_number,
            amount_fen=amount_fen,
            transaction_id=transaction_id,
            now=utcnow(),
        )
