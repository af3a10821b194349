"""What pickup runs by: its settings, and the SQL tests of what is still open
to collect, shared by verification and recording."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, exists, func, select

from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.orders.models import Order, OrderLine, Refund
from fulfilment.routing.models import RoutePlan, RoutePlanStatus, RouteStop
from kernel.settings import Settings


def refunded(column: Any) -> ColumnElement[int]:
    """Units (or fen) refunded so far on the order line in the outer query;
    the order id narrows the search to that order's refunds (indexed)."""
    return (
        select(func.coalesce(func.sum(column), 0))
        .where(Refund.order_id == OrderLine.order_id, Refund.order_line_id == OrderLine.id)
        .scalar_subquery()
    )


def has_open_line() -> ColumnElement[bool]:
    """The order in the outer query has a line with units not refunded."""
    return exists().where(
        OrderLine.order_id == Order.id, OrderLine.quantity - refunded(Refund.quantity) > 0
    )


def unsigned_published_stop(point_id: Any, day: Any) -> ColumnElement[bool]:
    """A published plan's stop at ``point_id`` on ``day`` that its leader has
    not signed for."""
    return exists().where(
        RouteStop.pickup_point_id == point_id,
        RoutePlan.id == RouteStop.plan_id,
        RoutePlan.status == RoutePlanStatus.PUBLISHED,
        RoutePlan.delivery_date == day,
        ~exists().where(DeliveryReceipt.route_stop_id == RouteStop.id),
    )


@dataclass(frozen=True)
class PickupRules:
    """The settings pickup runs by."""

    zone: ZoneInfo
    qr_secret: str
    max_wrong: int
    window: timedelta
    lockout: timedelta
    auto_complete_days: int

    @classmethod
    def of(cls, settings: Settings) -> PickupRules:
        return cls(
            zone=settings.zone,
            qr_secret=settings.pickup_qr_secret,
            max_wrong=settings.pickup_max_wrong_codes,
            window=timedelta(minutes=settings.pickup_wrong_code_window_minutes),
            lockout=timedelta(minutes=settings.pickup_lockout_minutes),
            auto_complete_days=settings.pickup_auto_complete_days,
        )
