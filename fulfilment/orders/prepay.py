"""Paying an order through WeChat Pay: which order may be paid, by whom and
with which payer, and the prepays opened for it. The prepay itself is a call
to WeChat Pay, made by the caller between two transactions (``payable_order``
reads, the call happens with no transaction open, ``record_prepay`` writes):
a slow provider must never hold a database connection or a row lock."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import cast

from sqlalchemy import Table, bindparam, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.errors import OrderErrorCode
from fulfilment.orders.models import Order, OrderStatus, PaymentChannel, PaymentPrepay
from kernel.db import fetch_row, write_statement
from kernel.errors import DomainError, NotFound
from kernel.identity.models import WechatIdentity
from leaders.points.models import Leader, PickupPoint

# WeChat keeps a prepay_id for two hours; a prepay older than this is opened
# again (the same out_trade_no and amount: WeChat answers the same payment).
PREPAY_REUSE = timedelta(minutes=110)
FIELD = ["orderId"]
PREPAY_COLUMNS = ("order_id", "channel", "prepay_id", "code_url", "created_at")


_PREPAYS = cast(Table, PaymentPrepay.__table__)
# The order's columns and its latest reusable prepay's id in one round trip,
# built once: orderPay runs for every order of the evening, and building and
# caching the statement each time cost more than running it.
_REUSABLE = (
    select(_PREPAYS.c.id)
    .where(
        _PREPAYS.c.order_id == Order.id,
        _PREPAYS.c.channel == bindparam("channel", type_=PaymentPrepay.channel.type),
        _PREPAYS.c.created_at > bindparam("fresh_after", type_=PaymentPrepay.created_at.type),
        _PREPAYS.c.combine_out_trade_no.is_(None),
    )
    .order_by(_PREPAYS.c.created_at.desc(), _PREPAYS.c.id.desc())
    .limit(1)
    .scalar_subquery()
)
_PAYABLE = select(
    Order.id,
    Order.number,
    Order.total_fen,
    Order.expires_at,
    Order.status,
    Order.customer_id,
    Order.pickup_point_id,
    _REUSABLE.label("reusable_id"),
    exists()
    .where(_PREPAYS.c.order_id == Order.id, _PREPAYS.c.combine_out_trade_no.is_not(None))
    .label("combined"),
).where(Order.id == bindparam("order_id"))
_RECORD = (
    insert(_PREPAYS)
    .values({name: bindparam(name) for name in PREPAY_COLUMNS})
    .returning(_PREPAYS.c.id)
)


PAYMENT_OPENED = DomainError(
    OrderErrorCode.PAYMENT_OPENED,
    "This order's payment was opened with other orders (or alone): pay it the same way.",
    FIELD,
)


class PaymentOpening(Enum):
    """How an order's WeChat Pay payment was opened, which decides how it may
    be paid: its number is taken at WeChat Pay the first way it is used."""

    NOT_OPENED = "not_opened"  # either way
    ALONE = "alone"  # orderPay, alone again
    TOGETHER = "together"  # ordersPay, with the same orders again


@dataclass(frozen=True)
class Opened:
    """An order's payment as opened so far."""

    how: PaymentOpening
    combine_out_trade_no: str | None = None  # TOGETHER: the combined payment


def opened(prepays: Iterable[PaymentPrepay]) -> Opened:
    """How the order whose ``prepays`` these are was opened (all of them are
    one payment: a combined one names the same combined number in each)."""
    combined = {p.combine_out_trade_no for p in prepays}
    if not combined:
        return Opened(PaymentOpening.NOT_OPENED)
    together = next((c for c in combined if c is not None), None)
    if together is not None:
        return Opened(PaymentOpening.TOGETHER, together)
    return Opened(PaymentOpening.ALONE)


@dataclass(frozen=True)
class PayableOrder:
    """An order that may be paid now, and what its prepay needs."""

    order_id: int
    number: str
    total_fen: int
    expires_at: datetime
    payer_openid: str | None  # JSAPI: the customer's openid under the merchant's appid
    reusable: PaymentPrepay | None  # a prepay of the same channel still valid


async def payer_openid(
    session: AsyncSession, customer_id: int, appid: str, field: list[str]
) -> str:
    """The customer's openid under the merchant's appid, which a JSAPI
    payment names as its payer; PAYER_NOT_WECHAT when they never signed in
    with WeChat."""
    openid = await session.scalar(
        select(WechatIdentity.openid)
        .where(WechatIdentity.user_id == customer_id, WechatIdentity.appid == appid)
        .limit(1)
    )
    if openid is None:
        raise DomainError(
            OrderErrorCode.PAYER_NOT_WECHAT,
            "Sign in with WeChat to pay in the mini-program.",
            field,
        )
    return str(openid)


async def _leads_the_point(session: AsyncSession, point_id: int, user_id: int) -> bool:
    point = await session.get(PickupPoint, point_id)
    leader = await session.get(Leader, point.leader_id) if point else None
    return leader is not None and leader.user_id == user_id


async def payable_order(
    session: AsyncSession,
    *,
    order_id: int,
    viewer_id: int,
    channel: PaymentChannel,
    appid: str,
    now: datetime,
) -> PayableOrder:
    """The order ``viewer_id`` asks to pay through ``channel``. Its customer
    may pay by either channel; its pickup point's leader may ask for the
    Native QR code (a resident's 代下单 order, scanned at the counter);
    anyone else finds no such order. Only an order awaiting payment, before
    its expiry, is payable; JSAPI needs the customer's WeChat identity."""
    order = await fetch_row(
        session, _PAYABLE, order_id=order_id, channel=channel, fresh_after=now - PREPAY_REUSE
    )
    if order is None or not (
        order["customer_id"] == viewer_id
        or (
            channel is PaymentChannel.NATIVE
            and await _leads_the_point(session, order["pickup_point_id"], viewer_id)
        )
    ):
        raise NotFound("Order", FIELD)
    # The driver gives the stored value, SQLAlchemy the member (fetch_row).
    status = OrderStatus(order["status"])
    if status is not OrderStatus.PENDING_PAYMENT or order["expires_at"] <= now:
        state = "expired" if status is OrderStatus.PENDING_PAYMENT else status.value
        raise DomainError(
            OrderErrorCode.NOT_PAYABLE, f"The order is {state}; it cannot be paid.", FIELD
        )
    if order["combined"]:
        raise PAYMENT_OPENED
    openid = None
    if channel is PaymentChannel.JSAPI:
        openid = await payer_openid(session, order["customer_id"], appid, FIELD)
    reusable = None
    if order["reusable_id"] is not None:
        reusable = await session.get(PaymentPrepay, order["reusable_id"])
    return PayableOrder(
        order["id"], order["number"], order["total_fen"], order["expires_at"], openid, reusable
    )


async def record_prepay(
    session: AsyncSession,
    *,
    order_id: int,
    channel: PaymentChannel,
    prepay_id: str | None,
    code_url: str | None,
    now: datetime,
) -> PaymentPrepay:
    """Keep a prepay WeChat Pay opened: a JSAPI ``prepay_id`` or a Native
    ``code_url``. Two callers racing both keep theirs; WeChat answered both
    the same payment (same out_trade_no), so either serves."""
    values = {
        "order_id": order_id,
        "channel": channel,
        "prepay_id": prepay_id,
        "code_url": code_url,
        "created_at": now,
    }
    # One prebuilt INSERT, not the ORM's add and flush (its unit-of-work
    # machinery showed in orderPay's profile in the evening rush); the
    # prepay handed back holds the row's values, not tracked by the session.
    # In a caller's transaction (a leader's, audited) it is part of it.
    ((new_id,),) = await write_statement(session, _RECORD, **values)
    return PaymentPrepay(id=new_id, **values)
