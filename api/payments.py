"""The payment provider's notification protocol: authenticate, parse and apply
one notification (in its own transaction), and the development payer that signs
notifications the same way. ``api/http/payments.py`` is the callback that
receives them; ``paymentSimulate`` and the demo use the payer."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from fulfilment.orders.models import Order, PaymentOutcome
from fulfilment.orders.payments import PaymentResult, record_payment, signature, signature_valid
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.metrics import count_order_paid
from kernel.settings import Settings

log = logging.getLogger("tuangou.payments")


# Signed messages older (or newer) than this are refused: a captured request
# cannot be replayed days later.
MAX_SKEW_S = 300


TIMESTAMP, NONCE, SIGNATURE = "Wechatpay-Timestamp", "Wechatpay-Nonce", "Wechatpay-Signature"


@dataclass(frozen=True)
class Answer:
    status: int
    code: str
    message: str
    result: PaymentResult | None = None


def _rejected(status: int, message: str) -> Answer:
    log.warning("payment notification refused: %s", message)
    return Answer(status, "FAIL", message)


def fits_columns(order_number: str, transaction_id: str) -> bool:
    """Within the columns that keep them; anything longer is not ours."""
    return 1 <= len(order_number) <= 32 and 1 <= len(transaction_id) <= 64


def _parse(body: bytes) -> tuple[str, str, int, str] | None:
    try:
        data = json.loads(body)
        amount = data["amount"]["total"]
        if isinstance(amount, bool) or not isinstance(amount, int):
            return None
        if not fits_columns(str(data["out_trade_no"]), str(data["transaction_id"])):
            return None
        return (
            str(data["out_trade_no"]),
            str(data["transaction_id"]),
            amount,
            str(data.get("trade_state", "SUCCESS")),
        )
    except (ValueError, KeyError, TypeError):
        return None


async def process_notification(
    settings: Settings,
    sessions: async_sessionmaker[AsyncSession],
    body: bytes,
    headers: Mapping[str, str],
) -> Answer:
    """Authenticate, parse and apply one notification."""
    timestamp, nonce, given = (headers.get(h, "") for h in (TIMESTAMP, NONCE, SIGNATURE))
    if not (timestamp and nonce and given) or not signature_valid(
        settings.payment_secret, timestamp, nonce, body, given
    ):
        return _rejected(401, "bad signature")
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > MAX_SKEW_S:
        return _rejected(401, "stale timestamp")
    parsed = _parse(body)
    if parsed is None:
        return _rejected(400, "malformed notification")
    number, transaction_id, amount, state = parsed
    if state != "SUCCESS":
        log.info("payment %s for order %s is %s; nothing to do", transaction_id, number, state)
        return Answer(200, "SUCCESS", "ignored")
    return await book_payment(
        sessions, order_number=number, amount_fen=amount, transaction_id=transaction_id
    )


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
    async with unit_of_work(sessions) as session:
        result = await record_payment(
            session,
            order_number=order_number,
            amount_fen=amount_fen,
            transaction_id=transaction_id,
            now=utcnow(),
        )
    if result.outcome is PaymentOutcome.REJECTED:
        return Answer(400, "FAIL", result.reason or "rejected", result)
    if result.outcome is PaymentOutcome.ACCEPTED and result.reason is None:
        # Committed, and an order went from awaiting payment to paid (an
        # accepted payment with a reason is money on its way back: GMV not).
        count_order_paid(amount_fen)
    return Answer(200, "SUCCESS", result.reason or "ok", result)


def signed_notification(
    secret: str, order: Order, transaction_id: str | None = None
) -> tuple[bytes, dict[str, str]]:
    """What the provider would send for paying ``order`` in full."""
    body = json.dumps(
        {
            "out_trade_no": order.number,
            "transaction_id": transaction_id or f"SIM{secrets.token_hex(12)}",
            "trade_state": "SUCCESS",
            "amount": {"total": order.total_fen, "currency": "CNY"},
        }
    ).encode()
    timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
    return body, {
        TIMESTAMP: timestamp,
        NONCE: nonce,
        SIGNATURE: signature(secret, timestamp, nonce, body),
    }
