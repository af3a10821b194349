"""Paying several orders at once (``ordersPay``; WeChat Pay's combined
payment, 合单支付, kernel/wechatpay/combine.py). A resident orders several
things an evening; one confirmation pays them all, and each order is still
paid by a transaction of its own (its notification, refunds, bill line).

As for one order (prepay.py): ``payable_together`` reads, the caller opens
the payment with no transaction open, ``record_prepay_together`` writes.
The combined payment's number is derived from its orders' numbers, so asking
again for the same orders is the same payment at WeChat Pay; an order whose
payment was opened another way (alone, or with other orders) has its number
taken there and is refused here (PAYMENT_OPENED)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order, OrderStatus, PaymentChannel, PaymentPrepay
from fulfilment.orders.prepay import PAYMENT_OPENED, PREPAY_REUSE, payer_openid
from kernel.errors import DomainError, NotFound
from kernel.wechatpay.combine import MAX_SUB_ORDERS, MIN_SUB_ORDERS

FIELD = ["orderIds"]


@dataclass(frozen=True)
class TogetherOrder:
    """One order of a combined payment: what its sub-order needs."""

    order_id: int
    number: str
    total_fen: int


@dataclass(frozen=True)
class PayableTogether:
    """Orders that may be paid together now, in the order they were asked."""

    combine_out_trade_no: str
    orders: tuple[TogetherOrder, ...]
    expires_at: datetime  # the earliest order's: WeChat takes no payment after it
    payer_openid: str | None  # JSAPI
    reusable: PaymentPrepay | None  # this combination's prepay, still valid


def combine_number(order_numbers: list[str]) -> str:
    """The combined payment's out_trade_no for these orders: the same orders,
    the same number, in any order; 32 characters, never an order's (those
    are digits)."""
    digest = hashlib.sha256("|".join(sorted(order_numbers)).encode()).hexdigest()
    return f"C{digest[:31]}"


def _count_refused() -> DomainError:
    return DomainError(
        OrderErrorCode.PAY_TOGETHER_COUNT,
        f"Pay {MIN_SUB_ORDERS} to {MAX_SUB_ORDERS} different orders together.",
        FIELD,
    )


async def payable_together(
    session: AsyncSession,
    *,
    order_ids: list[int],
    viewer_id: int,
    channel: PaymentChannel,
    appid: str,
    now: datetime,
) -> PayableTogether:
    """The orders ``viewer_id`` asks to pay in one payment: 2 to 10 different
    orders of their own (anyone else's is not found), each awaiting payment
    before its expiry, none with a payment opened another way."""
    if len(set(order_ids)) != len(order_ids) or not (
        MIN_SUB_ORDERS <= len(order_ids) <= MAX_SUB_ORDERS
    ):
        raise _count_refused()
    rows = {
        row.id: row
        for row in await session.execute(
            select(Order.id, Order.number, Order.total_fen, Order.expires_at, Order.status).where(
                Order.id.in_(order_ids), Order.customer_id == viewer_id
            )
        )
    }
    if len(rows) != len(order_ids):
        raise NotFound("Order", FIELD)
    for row in rows.values():
        if row.status is not OrderStatus.PENDING_PAYMENT or row.expires_at <= now:
            state = "expired" if row.status is OrderStatus.PENDING_PAYMENT else row.status.value
            raise DomainError(
                OrderErrorCode.NOT_PAYABLE,
                f"Order {row.number} is {state}; it cannot be paid.",
                FIELD,
            )
    orders = tuple(TogetherOrder(i, rows[i].number, rows[i].total_fen) for i in order_ids)
    number = combine_number([o.number for o in orders])
    prepays = list(
        await session.scalars(select(PaymentPrepay).where(PaymentPrepay.order_id.in_(order_ids)))
    )
    if any(p.combine_out_trade_no != number for p in prepays):
        raise PAYMENT_OPENED
    fresh = [p for p in prepays if p.channel is channel and p.created_at > now - PREPAY_REUSE]
    openid = None
    if channel is PaymentChannel.JSAPI:
        openid = await payer_openid(session, viewer_id, appid, FIELD)
    return PayableTogether(
        combine_out_trade_no=number,
        orders=orders,
        expires_at=min(row.expires_at for row in rows.values()),
        payer_openid=openid,
        reusable=max(fresh, key=lambda p: (p.created_at, p.id)) if fresh else None,
    )


async def record_prepay_together(
    session: AsyncSession,
    *,
    payable: PayableTogether,
    channel: PaymentChannel,
    prepay_id: str | None,
    code_url: str | None,
    now: datetime,
) -> PaymentPrepay:
    """Keep the combined payment WeChat Pay opened: a prepay row for each of
    its orders, sharing its number (each order's expiry closes it). Returns
    one of them, which holds what the payer is shown."""
    values = [
        {
            "order_id": order.order_id,
            "channel": channel,
            "prepay_id": prepay_id,
            "code_url": code_url,
            "combine_out_trade_no": payable.combine_out_trade_no,
            "created_at": now,
        }
        for order in payable.orders
    ]
    await session.execute(insert(PaymentPrepay), values)
    return PaymentPrepay(**values[0])
