"""What ``paymentSimulate`` does in development: the WeChat Pay sandbox's
"pay now" button. A Native prepay is opened the way ``orderPay`` opens one
(``payable_order``, the provider's prepay, ``record_prepay``), the sandbox's
payer pays it, and the order is booked by the sandbox's signed, encrypted
notification arriving at ``/payments/wechatpay/notify``: nothing here marks
an order paid, it only waits (briefly) to see that it was."""

from __future__ import annotations

import asyncio
import logging
import time
from urllib.parse import quote

import httpx
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Context
from api.graphql.errors import UserError, user_error
from api.graphql.transactions import in_transaction
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order, OrderStatus, PaymentChannel, PaymentPrepay
from fulfilment.orders.prepay import PayableOrder, opened, payable_order, record_prepay
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayError
from kernel.wechatpay.models import DEFAULT_BASE_URL

log = logging.getLogger("tuangou.payments")

# How long the button waits for the notification to book the order. The
# sandbox sends it at once; seconds mean it cannot reach this server.
BOOKED_WITHIN_S = 5.0
POLL_S = 0.05
FIELD = ["id"]


def is_sandbox(base_url: str) -> bool:
    """Whether a WeChat Pay base URL is a sandbox's: anything but WeChat's own."""
    return base_url.rstrip("/") != DEFAULT_BASE_URL


def _error(code: OrderErrorCode, message: str) -> list[UserError]:
    return [user_error(DomainError(code, message, FIELD))]


async def _open_native(ctx: Context, client: WechatPayClient, order: Order) -> list[UserError]:
    """The order's Native prepay, opened as orderPay opens it unless one is
    still valid. The button stands in for the customer scanning the code,
    so the order is read as its customer's."""

    async def read(session: AsyncSession) -> PayableOrder:
        return await payable_order(
            session,
            order_id=order.id,
            viewer_id=order.customer_id,
            channel=PaymentChannel.NATIVE,
            appid=client.config.appid,
            now=utcnow(),
        )

    payable, errors = await in_transaction(ctx, read)
    if payable is None:
        return errors
    if payable.reusable is not None:
        return []
    try:
        # orderPay's description: asking again must open the same payment.
        code_url = await client.prepay_native(
            out_trade_no=payable.number,
            description=f"社区团购订单 {payable.number}",
            total=payable.total_fen,
        )
    except WechatPayError as exc:
        log.warning("sandbox prepay of order %s failed: %r", payable.number, exc)
        return _error(OrderErrorCode.PAYMENT_UNAVAILABLE, f"The sandbox refused the prepay: {exc}")

    async def keep(session: AsyncSession) -> PaymentPrepay:
        return await record_prepay(
            session,
            order_id=payable.order_id,
            channel=PaymentChannel.NATIVE,
            prepay_id=None,
            code_url=code_url,
            now=utcnow(),
        )

    prepay, errors = await in_transaction(ctx, keep)
    return [] if prepay is not None else errors


async def _combined_number(ctx: Context, order_id: int) -> str | None:
    """The combined payment the order's prepay belongs to, if any."""
    async with ctx.sessions() as session:
        prepays = await session.scalars(
            select(PaymentPrepay).where(PaymentPrepay.order_id == order_id)
        )
        return opened(prepays).combine_out_trade_no


async def _payer_pays(client: WechatPayClient, number: str) -> str | None:
    """``POST /sandbox/pay/{number}``; why it failed, or None. Paid there
    already (an earlier press whose notification is still on its way)
    counts as paid: the notification books it."""
    url = f"{client.config.base_url.rstrip('/')}/sandbox/pay/{quote(number, safe='')}"
    try:
        async with httpx.AsyncClient(timeout=client.config.timeout_s) as http:
            response = await http.post(url)
    except httpx.HTTPError as exc:
        return f"The WeChat Pay sandbox did not answer: {exc!r}"
    if response.status_code == 200:
        return None
    try:
        message = str(response.json().get("message", ""))
    except ValueError:
        message = response.text[:200]
    if response.status_code == 400 and message.endswith("SUCCESS"):
        return None
    return f"The sandbox refused to pay ({response.status_code}): {message}"


async def _booked(ctx: Context, order_id: int, within: float) -> bool:
    """Whether the order left awaiting payment within ``within`` seconds.
    Each look is a short session of its own: nothing is held while the
    notification's own transaction books the payment."""
    deadline = time.monotonic() + within
    while True:
        async with ctx.sessions() as session:
            status = await session.scalar(select(Order.status).where(Order.id == order_id))
        if status is not OrderStatus.PENDING_PAYMENT:
            return True
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(POLL_S)


async def sandbox_pays(
    ctx: Context, client: WechatPayClient, order: Order, within: float = BOOKED_WITHIN_S
) -> list[UserError]:
    """Pay ``order`` at the sandbox and wait for its notification to book
    it; the user errors if any step fails."""
    # An order paid with others (ordersPay) is paid by paying them all.
    combined = await _combined_number(ctx, order.id)
    errors = [] if combined is not None else await _open_native(ctx, client, order)
    if errors:
        return errors
    refused = await _payer_pays(client, combined or order.number)
    if refused is not None:
        return _error(OrderErrorCode.PAYMENT_REJECTED, refused)
    if not await _booked(ctx, order.id, within):
        return _error(
            OrderErrorCode.PAYMENT_UNAVAILABLE,
            f"Paid at the sandbox, but its notification did not book the order within "
            f"{within:.0f} s: is wechatpay_notify_url_base this server's URL?",
        )
    return []
