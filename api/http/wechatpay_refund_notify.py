"""WeChat Pay v3's refund callback, ``POST /payments/wechatpay/refund-notify``
(the notify_url every refund is sent with): verified and decrypted by the
client, then applied by the same rules as the sender's answers
(fulfilment/orders/refund_outcomes.py). Answered 204 once recorded, a
replay included; a notification that cannot be believed or names no refund
of ours is refused (non-2xx, so WeChat sends it again, and it is logged)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from api.http.wechatpay_notify import verified
from fulfilment.orders.refund_outcomes import apply_provider_refund
from kernel.clock import utcnow
from kernel.db import unit_of_work

log = logging.getLogger("tuangou.payments")


def _fail(status: int, message: str) -> Response:
    log.warning("WeChat Pay refund notification refused (%s): %s", status, message)
    return JSONResponse({"code": "FAIL", "message": message}, status)


async def wechatpay_refund_notify(request: Request) -> Response:
    state: Any = request.app.state
    notification = await verified(request)
    if isinstance(notification, Response):
        return notification
    try:
        refund = notification.refund
    except (KeyError, ValueError, TypeError) as exc:
        return _fail(400, f"malformed refund: {exc!r}")
    if refund is None:
        return _fail(400, f"not a refund event: {notification.event_type}")
    async with unit_of_work(state.sessions) as session:
        applied = await apply_provider_refund(session, refund, utcnow())
    if applied.state is None or applied.refused == "amount differs":
        return _fail(400, f"refund {refund.out_refund_no}: {applied.refused}")
    log.info(
        "refund %s is %s (%s)",
        refund.out_refund_no,
        refund.status,
        "recorded" if applied.changed else "already known",
    )
    return Response(status_code=204)
