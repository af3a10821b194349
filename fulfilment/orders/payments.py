"""Payment notifications, modelled on WeChat Pay's callback: the provider
tells us an order number, an amount and its transaction id; we check them
against the order and record every notification, accepted or not. The rules
are payment_rules.py's: on PostgreSQL one call of their SQL spelling
(payments_postgres.py), on SQLite their statements in one hop
(payments_sqlite.py)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fulfilment.orders.models import PaymentOutcome
from fulfilment.orders.payments_postgres import book_in_session, book_on_driver
from fulfilment.orders.payments_sqlite import record_on_sqlite
from kernel.db import driver_connection

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentResult:
    outcome: PaymentOutcome
    reason: str | None
    order_id: int | None  # the order the notification named, if it exists


async def record_payment(
    session: AsyncSession,
    *,
    order_number: str,
    amount_fen: int,
    transaction_id: str | None,
    now: datetime,
) -> PaymentResult:
    """Apply one (authenticated) payment notification in the session's unit
    of work, and record the notification, accepted or not. Replays are
    harmless; money that arrives for a closed order, or twice, is booked as a
    refund (``payment_rules.decide``). ``transaction_id`` None is cash a
    leader took (fulfilment/orders/cash.py): no notification is recorded.
    The order is written as a row: an Order already loaded in ``session``
    does not show the payment."""
    if session.get_bind().dialect.name == "postgresql":
        # The rules' PostgreSQL spelling, in one statement (payments_postgres.sql).
        outcome, reason, order_id = await book_in_session(
            session, order_number, amount_fen, transaction_id, now
        )
    else:
        decision, order_id = await record_on_sqlite(
            session, order_number, amount_fen, transaction_id, now
        )
        outcome, reason = decision.outcome, decision.reason
    return booked(order_number, outcome, reason, order_id)


async def record_payment_alone(
    connection: AsyncConnection,
    *,
    order_number: str,
    amount_fen: int,
    transaction_id: str,
    now: datetime,
) -> PaymentResult:
    """``record_payment`` as a transaction of its own, on a bare pooled
    PostgreSQL connection with nothing begun on it: one round trip, committed
    when this returns. For WeChat Pay's notifications in the evening rush,
    where the session, its BEGIN and COMMIT cost more than the booking."""
    driver = await driver_connection(connection)
    if driver.is_in_transaction():
        # The booking would silently join, and commit with, someone's work.
        raise RuntimeError("record_payment_alone needs a connection with no transaction")
    outcome, reason, order_id = await book_on_driver(
        driver, order_number, amount_fen, transaction_id, now
    )
    return booked(order_number, outcome, reason, order_id)


def booked(
    order_number: str, outcome: PaymentOutcome, reason: str | None, order_id: int | None
) -> PaymentResult:
    """The result of a booking, a refusal logged (by every booking path)."""
    if outcome is PaymentOutcome.REJECTED:
        log.warning("payment rejected: %s (order %s)", reason, order_number)
    return PaymentResult(outcome, reason, order_id)
