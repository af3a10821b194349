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

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import PaymentOutcome
from fulfilment.orders.payment_rules import FACTS_LOCKED, Decision, OrderFacts, plan
from fulfilment.orders.payments_sqlite import record_on_sqlite
from fulfilment.orders.pickup_codes import issue_new_order_code
from kernel.db import write_in_transaction

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
        decision, order_id = await _record_on_postgres(
            session, order_number, amount_fen, transaction_id, now
        )
    else:
        decision, order_id = await record_on_sqlite(
            session, order_number, amount_fen, transaction_id, now
        )
    if decision.outcome is PaymentOutcome.REJECTED:
        log.warning("payment rejected: %s (order %s)", decision.reason, order_number)
    return PaymentResult(decision.outcome, decision.reason, order_id)


async def _record_on_postgres(
    session: AsyncSession,
    number: str,
    amount_fen: int,
    transaction_id: str | None,
    now: datetime,
) -> tuple[Decision, int | None]:
    # The locked read goes through the session, which so begins the
    # transaction the writes below join on the driver.
    row = (
        await session.execute(
            FACTS_LOCKED, {"number": number, "tx": transaction_id, "tx64": _tx64(transaction_id)}
        )
    ).one_or_none()
    facts = None if row is None else OrderFacts(*row)
    decision, planned = plan(
        facts, number=number, amount_fen=amount_fen, transaction_id=transaction_id, now=now
    )
    for statement, params in planned:
        await write_in_transaction(session, statement, **params)
    if facts is not None and decision.issue_code:
        await issue_new_order_code(
            session, facts.order_id, facts.pickup_point_id, facts.delivery_date, now
        )
    return decision, None if facts is None else facts.order_id


def _tx64(transaction_id: str | None) -> str | None:
    """As the notifications table keeps it (None: cash, which matches none)."""
    return None if transaction_id is None else transaction_id[:64]
