"""Pickup reminders (提货提醒): a customer whose order reached their pickup
point today and is still not collected at the configured local time
(``pickup_reminder_at``, 18:00 by default) is reminded once per order.

Once is kept by the notification's dedupe key (``pickup.reminder:<order
id>``): the query skips orders already reminded, and the unique index on
(user, key) skips any a concurrent run wrote first. So the periodic job may
run every few minutes, or twice, and each order gets one reminder.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, String, cast, exists, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Campaign
from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.orders.models import Order, OrderPickup, OrderStatus
from fulfilment.pickup.rules import has_open_line
from fulfilment.routing.models import RoutePlan, RoutePlanStatus, RouteStop
from kernel.clock import business_date
from kernel.notifications import Gateway, Note, Notification, notify_each
from leaders.points.models import PickupPoint

REMINDER_KIND = "pickup.reminder"
KEY_PREFIX = "pickup.reminder:"
# Orders per transaction: the job loops until none is left.
REMINDER_BATCH = 2000


def reminder_key(order_id: int) -> str:
    """The dedupe key of an order's reminder."""
    return f"{KEY_PREFIX}{order_id}"


def _delivered_to(point_id: Any, day: Any) -> ColumnElement[bool]:
    """The day's published plan brought the goods to ``point_id``: the
    driver handed them over, or the leader signed for them."""
    return exists().where(
        RouteStop.pickup_point_id == point_id,
        RoutePlan.id == RouteStop.plan_id,
        RoutePlan.status == RoutePlanStatus.PUBLISHED,
        RoutePlan.delivery_date == day,
        or_(
            RouteStop.handed_over_at.is_not(None),
            exists().where(DeliveryReceipt.route_stop_id == RouteStop.id),
        ),
    )


async def remind_uncollected(
    session: AsyncSession,
    now: datetime,
    *,
    zone: ZoneInfo,
    remind_at: time,
    limit: int = REMINDER_BATCH,
    gateway: Gateway | None = None,
) -> int:
    """Remind up to ``limit`` customers of today's delivered, paid, not yet
    collected orders (with something left to collect), once per order, if
    the local time is ``remind_at`` or later; returns how many were reminded."""
    if now.astimezone(zone).time() < remind_at:
        return 0
    today = business_date(now, zone)
    key = literal(KEY_PREFIX) + cast(Order.id, String)
    due = (
        select(
            Order.id,
            Order.number,
            Order.customer_id,
            PickupPoint.id,
            PickupPoint.name,
            PickupPoint.address,
            Campaign.pickup_end,
        )
        .join(Campaign, Campaign.id == Order.campaign_id)
        .join(PickupPoint, PickupPoint.id == Order.pickup_point_id)
        .where(
            Order.status == OrderStatus.PAID,
            Campaign.delivery_date == today,
            ~exists().where(OrderPickup.order_id == Order.id),
            _delivered_to(Order.pickup_point_id, Campaign.delivery_date),
            has_open_line(),
            ~exists().where(
                Notification.user_id == Order.customer_id, Notification.dedupe_key == key
            ),
        )
        .order_by(Order.id)
        .limit(limit)
    )
    notes = [
        Note(
            user_id=customer_id,
            title="提货提醒",
            body=f"您的订单 {number} 已到{name}（{address}），还未提货，"
            f"请在今天 {until:%H:%M} 前凭提货码取货。",
            data={
                "order_id": order_id,
                "order_number": number,
                "pickup_point_id": point_id,
                "delivery_date": today.isoformat(),
            },
            key=reminder_key(order_id),
        )
        for order_id, number, customer_id, point_id, name, address, until in await session.execute(
            due
        )
    ]
    return await notify_each(session, kind=REMINDER_KIND, notes=notes, gateway=gateway)
