"""ordersPay: pay 2 to 10 of one's orders with one WeChat Pay confirmation
(合单支付, fulfilment/orders/prepay_together.py). Answers as orderPay does:
JSAPI's signed ``wx.requestPayment`` parameters or NATIVE's ``code_url``.
Each order is paid when the combined payment's notification arrives, which
names every order with its own transaction (api/http/wechatpay_notify.py)."""

from __future__ import annotations

from collections.abc import Awaitable

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.context import Info
from api.graphql.ids import decode
from api.graphql.orders.pay import (
    Kept,
    OrderPayPayload,
    PaymentChannelEnum,
    open_and_keep,
    unavailable,
)
from api.graphql.transactions import in_one_statement, in_transaction
from api.wechatpay_client import app_wechatpay
from fulfilment.orders.models import PaymentChannel
from fulfilment.orders.prepay_together import (
    FIELD,
    PayableTogether,
    payable_together,
    record_prepay_together,
)
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.wechatpay.client import WechatPayClient
from kernel.wechatpay.combine import MAX_SUB_ORDERS, SubOrder


@strawberry.input
class OrdersPayInput:
    order_ids: list[strawberry.ID] = strawberry.field(
        description="2 to 10 different orders of yours, awaiting payment."
    )
    channel: PaymentChannelEnum  # type: ignore[valid-type]


async def _open(
    client: WechatPayClient, payable: PayableTogether, channel: PaymentChannel
) -> tuple[str | None, str | None]:
    subs = [SubOrder(o.number, f"社区团购订单 {o.number}", o.total_fen) for o in payable.orders]
    number = payable.combine_out_trade_no
    if channel is PaymentChannel.NATIVE:
        code_url = await client.combine.prepay_native(
            combine_out_trade_no=number, sub_orders=subs, time_expire=payable.expires_at
        )
        return None, code_url
    assert payable.payer_openid is not None  # payable_together refuses JSAPI without one
    prepay = await client.combine.prepay_jsapi(
        combine_out_trade_no=number,
        sub_orders=subs,
        openid=payable.payer_openid,
        time_expire=payable.expires_at,
    )
    return prepay.prepay_id, None


async def orders_pay(info: Info, input: OrdersPayInput) -> OrderPayPayload:
    """Open (or reuse) one WeChat Pay payment for several orders awaiting payment."""
    ctx = info.context
    viewer = ctx.require(Role.CUSTOMER)
    client = app_wechatpay(ctx.request.app.state) if ctx.request is not None else None
    if client is None:
        return unavailable(FIELD)
    channel = PaymentChannel(input.channel)

    async def read(session: AsyncSession) -> PayableTogether:
        # At most one more than allowed: a huge list is refused without
        # decoding (or reading) the rest of it.
        ids = [decode(raw, "Order", FIELD) for raw in input.order_ids[: MAX_SUB_ORDERS + 1]]
        return await payable_together(
            session,
            order_ids=ids,
            viewer_id=viewer.id,
            channel=channel,
            appid=client.config.appid,
            now=utcnow(),
        )

    payable, errors = await in_one_statement(ctx, read)
    if payable is None:
        return OrderPayPayload(user_errors=errors)

    def keep(prepay_id: str | None, code_url: str | None) -> Kept:
        return in_transaction(
            ctx,
            lambda session: record_prepay_together(
                session,
                payable=payable,
                channel=channel,
                prepay_id=prepay_id,
                code_url=code_url,
                now=utcnow(),
            ),
        )

    def opening() -> Awaitable[tuple[str | None, str | None]]:
        return _open(client, payable, channel)

    number = payable.combine_out_trade_no
    return await open_and_keep(client, payable.reusable, number, opening, keep, FIELD)
