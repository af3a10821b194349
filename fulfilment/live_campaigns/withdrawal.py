"""An item withdrawn from a live campaign, or the whole campaign called off,
before the cutoff.

Withdrawing an item: its paid lines are refunded whole (reason WITHDRAWN,
with the shortfall that takes the units out of the purchase and the hand-out,
as a missed group threshold does at cutoff); unpaid orders holding it are
cancelled and give their units back, their open WeChat payments closed by
the provider check (a payment that lands anyway is refunded by the payment
rules); no order for it is taken from then on (orderCreate's items section,
in both spellings, refuses an item whose ``cancelled_at`` is set).

Cancelling a campaign: every paid order refunded what is left of it
(OPERATOR_CANCELLED, as an operator's cancellation of one order), every
unpaid order cancelled, every item withdrawn, the cutoff stamped so the
night's jobs have nothing to do. Customers are told in both cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign, CampaignItem
from fulfilment.live_campaigns.editing import check_still_selling, locked_item
from fulfilment.orders.expiry import close_unpaid
from fulfilment.orders.line_refunds import refund_whole_lines
from fulfilment.orders.models import (
    Order,
    OrderLine,
    OrderStatus,
    Refund,
    RefundReason,
    ShortfallReason,
)
from fulfilment.orders.refunded import mark_refunded
from fulfilment.orders.reservations import release
from kernel.accounts import User
from kernel.db import execute_counting
from kernel.errors import NotFound
from kernel.notifications import Gateway, notify
from kernel.versioning import check_version


@dataclass(frozen=True)
class CalledOff:
    """What a withdrawal or a cancellation did."""

    cancelled_orders: int  # unpaid, closed
    refunded_orders: int  # paid, refunded (whole lines, or what was left)
    refunded_fen: int


async def _lock_unpaid(session: AsyncSession, which: ColumnElement[bool]) -> list[int]:
    rows = await session.scalars(
        select(Order.id)
        .where(Order.status == OrderStatus.PENDING_PAYMENT, which)
        .order_by(Order.id)
        .with_for_update()
    )
    return list(rows)


async def _customers_of(session: AsyncSession, which: ColumnElement[bool]) -> list[int]:
    """The customers of the orders, paid or awaiting payment, that a
    withdrawal or cancellation touches (read before it changes them)."""
    rows = await session.scalars(
        select(Order.customer_id).where(
            which, Order.status.in_([OrderStatus.PAID, OrderStatus.PENDING_PAYMENT])
        )
    )
    return list(rows)


async def withdraw_item(
    session: AsyncSession,
    item_id: int,
    *,
    expected_version: int,
    now: datetime,
    gateway: Gateway | None = None,
) -> tuple[CampaignItem, CalledOff]:
    """Take a live item off the sale, made from ``expected_version``."""
    item = await locked_item(session, item_id, now)
    check_version(item.version, expected_version, "campaign item")
    holding = Order.id.in_(select(OrderLine.order_id).where(OrderLine.campaign_item_id == item.id))
    customers = await _customers_of(session, holding)
    cancelled = await close_unpaid(
        session, await _lock_unpaid(session, holding), now, OrderStatus.CANCELLED
    )
    lines, fen = await refund_whole_lines(
        session, [item.id], now, reason=RefundReason.WITHDRAWN, shortfall=ShortfallReason.WITHDRAWN
    )
    item.cancelled_at = item.withdrawn_at = now
    item.version += 1
    await session.flush()
    await notify(
        session,
        user_ids=customers,
        kind="campaign.item_withdrawn",
        title="商品已下架",
        body="您订购的商品已下架：已付款的将原路退款，未付款的订单已取消，可重新下单。",
        data={"campaignItemId": item.id, "campaignId": item.campaign_id},
        gateway=gateway,
    )
    return item, CalledOff(cancelled, lines, fen)


async def cancel_campaign(
    session: AsyncSession,
    campaign_id: int,
    *,
    by: User,
    now: datetime,
    gateway: Gateway | None = None,
) -> tuple[Campaign, CalledOff]:
    """Call off a campaign before its cutoff: everything paid is refunded,
    everything unpaid cancelled, nothing more sold or bought."""
    campaign = await session.scalar(
        select(Campaign).where(Campaign.id == campaign_id).with_for_update()
    )
    if campaign is None:
        raise NotFound("Campaign", ["campaignId"])
    check_still_selling(campaign, now, "campaignId")
    ours = Order.campaign_id == campaign.id
    customers = await _customers_of(session, ours)
    cancelled = await close_unpaid(
        session, await _lock_unpaid(session, ours), now, OrderStatus.CANCELLED
    )
    paid = list(
        await session.scalars(
            select(Order.id)
            .where(ours, Order.status == OrderStatus.PAID)
            .order_by(Order.id)
            .with_for_update()
        )
    )
    fen = await _refund_rest(session, paid, by, now)
    await session.execute(
        update(CampaignItem)
        .where(CampaignItem.campaign_id == campaign.id, CampaignItem.cancelled_at.is_(None))
        .values(cancelled_at=now, withdrawn_at=now, version=CampaignItem.version + 1)
        .execution_options(synchronize_session=False)
    )
    # Stamped as cut off: the cutoff job finds nothing to do, and every edit
    # is refused. The cutoff time stays (it must follow the opening), and
    # orderCreate refuses the campaign by its items, all withdrawn.
    campaign.cancelled_at = campaign.cutoff_processed_at = now
    await session.flush()
    await notify(
        session,
        user_ids=customers,
        kind="campaign.cancelled",
        title="团购已取消",
        body="本期团购已取消：已付款的订单将原路全额退款，未付款的订单已关闭。",
        data={"campaignId": campaign.id},
        gateway=gateway,
    )
    return campaign, CalledOff(cancelled, len(paid), fen)


async def _refund_rest(session: AsyncSession, paid: list[int], by: User, now: datetime) -> int:
    """Refund each paid order what it still holds (paid less refunded, the
    database's own cap), close it and give its units back."""
    if not paid:
        return 0
    rest = Order.paid_fen - Order.refunded_fen
    owed = int(
        await session.scalar(
            select(func.coalesce(func.sum(rest), 0)).where(Order.id.in_(paid), rest > 0)
        )
        or 0
    )
    await execute_counting(
        session,
        insert(Refund).from_select(
            ["order_id", "amount_fen", "reason", "created_by_id", "created_at"],
            select(
                Order.id,
                rest,
                literal(RefundReason.OPERATOR_CANCELLED.value),
                literal(by.id),
                literal(now, type_=Refund.created_at.type),
            ).where(Order.id.in_(paid), rest > 0),
        ),
    )
    await release(session, paid)
    await session.execute(
        update(Order)
        .where(Order.id.in_(paid))
        .values(status=OrderStatus.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    await mark_refunded(session, paid)
    return owed
