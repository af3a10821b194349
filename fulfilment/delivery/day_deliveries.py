"""A warehouse's deliveries of a day (配送与签收): every stop of its
published delivery plan, in route and visiting order, with the leader's
receipt once signed. A grid warehouse's are the points it serves."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.delivery.stops import Delivery
from fulfilment.routing.models import PlanKind, Route, RoutePlan, RoutePlanStatus, RouteStop


async def day_deliveries(session: AsyncSession, warehouse_id: int, day: date) -> list[Delivery]:
    """The stops of the warehouse's published delivery plan for ``day``, by
    route number and position, each with its receipt (None until signed);
    empty before a plan is published (drafts are not driven)."""
    rows = await session.execute(
        select(RouteStop, RoutePlan, DeliveryReceipt)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .join(Route, Route.id == RouteStop.route_id)
        .outerjoin(DeliveryReceipt, DeliveryReceipt.route_stop_id == RouteStop.id)
        .where(
            RoutePlan.warehouse_id == warehouse_id,
            RoutePlan.delivery_date == day,
            RoutePlan.kind == PlanKind.DELIVERY,
            RoutePlan.status == RoutePlanStatus.PUBLISHED,
        )
        .order_by(Route.number, RouteStop.position)
    )
    return [Delivery(stop, plan, receipt) for stop, plan, receipt in rows]
