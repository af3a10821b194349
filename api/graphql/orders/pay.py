"""orderPay: pay an order through WeChat Pay v3 (docs/wechatpay.md, "Paying
an order"). JSAPI answers the signed ``wx.requestPayment`` parameters, NATIVE
a ``code_url`` to show as a QR code. The order is paid when WeChat Pay's
notification arrives (api/http/wechatpay_notify.py), never here."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.transactions import in_one_statement
from api.qr import qr_svg
from api.wechatpay_client import app_wechatpay
from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import PaymentChannel, PaymentPrepay
from fulfilment.orders.prepay import FIELD, PayableOrder, payable_order, record_prepay
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.errors import WechatPayError, WechatPayRefused, WechatPayUnavailable

log = logging.getLogger("tuangou.payments")

PaymentChannelEnum = strawberry.enum(
    PaymentChannel,
    name="PaymentChannel",
    description="JSAPI: in the mini-program, by the customer's WeChat; "
    "NATIVE: a QR code the payer scans (the pickup point's leader may show it).",
)

# WeChat Pay's answers to a prepay that mean the order is past paying.
_PAST_PAYING = {"ORDERPAID", "ORDER_CLOSED"}


@strawberry.input
class OrderPayInput:
    order_id: strawberry.ID
    channel: PaymentChannelEnum  # type: ignore[valid-type]


@strawberry.type(description="The arguments of wx.requestPayment, signed, as they are.")
class JsapiPayment:
    app_id: str
    time_stamp: str
    nonce_str: str
    package: str
    sign_type: str
    pay_sign: str


@strawberry.type
class OrderPayPayload:
    jsapi: JsapiPayment | None = None
    code_url: str | None = strawberry.field(
        default=None, description="NATIVE: the weixin:// URL to show as a QR code."
    )
    user_errors: list[UserError] = strawberry.field(default_factory=list)

    @strawberry.field(
        description="NATIVE: code_url as a QR code (an SVG document) for a page to show."
    )
    def code_qr_svg(self) -> str | None:
        return None if self.code_url is None else qr_svg(self.code_url)


def refused(code: OrderErrorCode, message: str, field: list[str] = FIELD) -> OrderPayPayload:
    return OrderPayPayload(user_errors=[user_error(DomainError(code, message, field))])


def unavailable(field: list[str] = FIELD) -> OrderPayPayload:
    message = "WeChat Pay is not available now; try again later."
    return refused(OrderErrorCode.PAYMENT_UNAVAILABLE, message, field)


def answer(client: WechatPayClient, prepay: PaymentPrepay) -> OrderPayPayload:
    if prepay.prepay_id is None:
        return OrderPayPayload(code_url=prepay.code_url)
    # Signed afresh each time: a new timestamp and nonce for the same prepay.
    params = client.request_payment(prepay.prepay_id)
    return OrderPayPayload(
        jsapi=JsapiPayment(
            app_id=params["appId"],
            time_stamp=params["timeStamp"],
            nonce_str=params["nonceStr"],
            package=params["package"],
            sign_type=params["signType"],
            pay_sign=params["paySign"],
        )
    )


async def _open_prepay(
    client: WechatPayClient, order: PayableOrder, channel: PaymentChannel
) -> tuple[str | None, str | None]:
    """The prepay_id (JSAPI) or code_url (NATIVE) WeChat Pay opens; the order
    number is the out_trade_no, so asking again opens the same payment."""
    description = f"社区团购订单 {order.number}"
    if channel is PaymentChannel.NATIVE:
        code_url = await client.prepay_native(
            out_trade_no=order.number, description=description, total=order.total_fen
        )
        return None, code_url
    assert order.payer_openid is not None  # payable_order refuses JSAPI without one
    prepay = await client.prepay_jsapi(
        out_trade_no=order.number,
        description=description,
        total=order.total_fen,
        openid=order.payer_openid,
        time_expire=order.expires_at,
    )
    return prepay.prepay_id, None


def provider_failed(number: str, exc: WechatPayError, field: list[str] = FIELD) -> OrderPayPayload:
    """What the payer is told when WeChat Pay did not open payment ``number``."""
    if isinstance(exc, WechatPayRefused):
        log.warning("prepay of %s refused: %s", number, exc)
        if exc.code in _PAST_PAYING:
            message = "The order is paid or closed already."
            return refused(OrderErrorCode.NOT_PAYABLE, message, field)
        return refused(OrderErrorCode.PAYMENT_REJECTED, exc.message or exc.code, field)
    if isinstance(exc, WechatPayUnavailable):
        log.warning("prepay of %s: WeChat Pay unavailable: %s", number, exc)
    else:
        # An answer not to be believed (signature, shape): nothing recorded.
        log.error("prepay of %s: untrusted answer: %r", number, exc)
    return unavailable(field)


Kept = Awaitable[tuple[PaymentPrepay | None, list[UserError]]]


async def open_and_keep(
    client: WechatPayClient,
    reusable: PaymentPrepay | None,
    number: str,
    opening: Callable[[], Awaitable[tuple[str | None, str | None]]],
    keep: Callable[[str | None, str | None], Kept],
    field: list[str] = FIELD,
) -> OrderPayPayload:
    """Paying, once what is paid is found payable: a prepay still valid is
    answered again; otherwise WeChat Pay opens one (``opening``: its
    prepay_id or code_url) with no transaction open, so that the provider's
    seconds hold no connection, and ``keep`` records it."""
    if reusable is not None:
        return answer(client, reusable)
    try:
        prepay_id, code_url = await opening()
    except WechatPayError as exc:
        return provider_failed(number, exc, field)
    prepay, errors = await keep(prepay_id, code_url)
    if prepay is None:
        return OrderPayPayload(user_errors=errors)
    return answer(client, prepay)


async def order_pay(info: Info, input: OrderPayInput) -> OrderPayPayload:
    """Open (or reuse) a WeChat Pay prepay for a PENDING_PAYMENT order."""
    ctx = info.context
    viewer = ctx.require(Role.CUSTOMER, Role.LEADER)
    client = app_wechatpay(ctx.request.app.state) if ctx.request is not None else None
    if client is None:
        return unavailable()
    channel = PaymentChannel(input.channel)

    async def read(session: AsyncSession) -> PayableOrder:
        return await payable_order(
            session,
            order_id=decode(input.order_id, "Order", FIELD),
            viewer_id=viewer.id,
            channel=channel,
            appid=client.config.appid,
            now=utcnow(),
        )

    # Reads only, then one INSERT: no transaction needs to hold them together.
    payable, errors = await in_one_statement(ctx, read)
    if payable is None:
        return OrderPayPayload(user_errors=errors)

    def keep(prepay_id: str | None, code_url: str | None) -> Kept:
        return in_one_statement(
            ctx,
            lambda session: record_prepay(
                session,
                order_id=payable.order_id,
                channel=channel,
                prepay_id=prepay_id,
                code_url=code_url,
                now=utcnow(),
            ),
        )

    def opening() -> Awaitable[tuple[str | None, str | None]]:
        return _open_prepay(client, payable, channel)

    return await open_and_keep(client, payable.reusable, payable.number, opening, keep)
