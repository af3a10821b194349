"""WeChat Pay v3's payment callback, ``POST /payments/wechatpay/notify``:
verified and decrypted by the client (kernel/wechatpay/client.py), then
booked like every payment (``api.payments.book_payment``). WeChat sends a
notification again until it is answered 2xx, so a refusal is non-2xx and a
replay of one already booked is 204 like the first."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.payments import book_payment, fits_columns
from api.wechatpay_client import app_wechatpay
from kernel.wechatpay.combine import CombineTransaction, is_combined
from kernel.wechatpay.errors import DecryptionError, SignatureError
from kernel.wechatpay.models import Notification

log = logging.getLogger("tuangou.payments")

PAID = "TRANSACTION.SUCCESS"


def _fail(status: int, message: str) -> Response:
    log.warning("WeChat Pay notification refused (%s): %s", status, message)
    return JSONResponse({"code": "FAIL", "message": message}, status)


async def verified(request: Request) -> Notification | Response:
    """The request's notification, verified and decrypted, or the answer
    that refuses it (WeChat Pay off, or not a byte of it to be believed).
    Both callbacks, payments and refunds, start here."""
    client = app_wechatpay(request.app.state)
    if client is None:
        return _fail(404, "WeChat Pay is off")
    body = await request.body()
    try:
        return client.read_notification(request.headers, body)
    except (SignatureError, DecryptionError) as exc:
        return _fail(401, f"{type(exc).__name__}: {exc}")


async def wechatpay_notify(request: Request) -> Response:
    state: Any = request.app.state
    notification = await verified(request)
    if isinstance(notification, Response):
        return notification
    if notification.event_type != PAID:
        log.info(
            "WeChat Pay notification %s (%s): nothing to book",
            notification.id,
            notification.event_type,
        )
        return Response(status_code=204)
    try:
        if is_combined(notification.resource):
            # Several orders paid at once: each its own transaction, booked alone.
            paid = list(CombineTransaction.from_json(notification.resource).sub_orders)
        else:
            transaction = notification.transaction
            assert transaction is not None  # a TRANSACTION.* event
            paid = [transaction]
    except (KeyError, ValueError, TypeError) as exc:
        return _fail(400, f"malformed transaction: {exc!r}")
    for transaction in paid:
        tx_id = transaction.transaction_id or ""
        if transaction.trade_state != "SUCCESS" or not fits_columns(
            transaction.out_trade_no, tx_id
        ):
            return _fail(400, "malformed transaction")
    for transaction in paid:
        # Each booking is its own transaction and a replay books nothing: a
        # failure part-way is answered non-2xx, and WeChat's next attempt
        # books what is left.
        answer = await book_payment(
            state.sessions,
            order_number=transaction.out_trade_no,
            amount_fen=transaction.total,
            transaction_id=transaction.transaction_id or "",
        )
        if answer.status != 200:
            return JSONResponse({"code": answer.code, "message": answer.message}, answer.status)
    return Response(status_code=204)
