"""Delivery (配送): what happens at a stop of a published route plan.

The driver marks arrival and hand-over; marking again keeps the first time,
so a retried tap changes nothing. The leader then signs for the stop once
(签收, see ``fulfilment.delivery.receipts``). Only published plans are
driven: a draft may still change under the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.delivery.models import DeliveryReceipt
from fulfilment.routing.drivers import check_driver_of
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import RoutePlan, RoutePlanStatus, RouteStop
from fulfilment.routing.publishing import expected_arrival
from kernel.errors import CommonErrorCode, DomainError, NotFound
from leaders.points.models import Leader, PickupPoint


class DeliveryStatus(Enum):
    SCHEDULED = "scheduled"  # the truck is on its way (or not yet out)
    ARRIVED = "arrived"
    HANDED_OVER = "handed_over"
    SIGNED = "signed"


def delivery_status(stop: RouteStop, receipt: DeliveryReceipt | None) -> DeliveryStatus:
    """How far a stop's delivery has got."""
    if receipt is not None:
        return DeliveryStatus.SIGNED
    if stop.handed_over_at is not None:
        return DeliveryStatus.HANDED_OVER
    if stop.arrived_at is not None:
        return DeliveryStatus.ARRIVED
    return DeliveryStatus.SCHEDULED


@dataclass(frozen=True)
class Delivery:
    """A stop of a published plan, and its receipt once signed."""

    stop: RouteStop
    plan: RoutePlan
    receipt: DeliveryReceipt | None

    @property
    def status(self) -> DeliveryStatus:
        return delivery_status(self.stop, self.receipt)


def _not_published(field: str) -> DomainError:
    return DomainError(
        RoutingErrorCode.PLAN_NOT_PUBLISHED, "This stop's route plan is not published.", [field]
    )


async def locked_stop(
    session: AsyncSession, stop_id: int, field: str = "id", *, pickup_point_id: int | None = None
) -> tuple[RouteStop, RoutePlan]:
    """A stop of a published plan and its plan; the stop's row is locked
    (PostgreSQL) so concurrent events at one stop take turns. ``field``
    names the input the stop came from, for errors; with ``pickup_point_id``
    a stop of another point reads exactly like a missing one."""
    query = (
        select(RouteStop, RoutePlan)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .where(RouteStop.id == stop_id)
        # The plan comes in the same statement, unlocked: a published plan
        # never changes back, so what it says cannot go stale meanwhile.
        .with_for_update(of=RouteStop)
    )
    if pickup_point_id is not None:
        query = query.where(RouteStop.pickup_point_id == pickup_point_id)
    found = (await session.execute(query)).first()
    if found is None:
        raise NotFound("Route stop", [field])
    stop, plan = found
    if plan.status is not RoutePlanStatus.PUBLISHED:
        raise _not_published(field)
    return stop, plan


async def driven_stop(
    session: AsyncSession, stop_id: int, driver_id: int | None
) -> tuple[RouteStop, RoutePlan]:
    """``locked_stop``, reported by ``driver_id``: it must be on their route
    (None: a dispatcher reporting for a driver, any stop)."""
    stop, plan = await locked_stop(session, stop_id)
    if driver_id is not None:
        await check_driver_of(session, stop.route_id, driver_id)
    return stop, plan


async def record_arrival(
    session: AsyncSession, stop_id: int, now: datetime, driver_id: int | None = None
) -> Delivery:
    """The truck reached the stop (the first report counts)."""
    stop, plan = await driven_stop(session, stop_id, driver_id)
    if stop.arrived_at is None:
        stop.arrived_at = now
    await session.flush()
    return Delivery(stop, plan, await receipt_of(session, stop.id))


async def record_hand_over(
    session: AsyncSession, stop_id: int, now: datetime, driver_id: int | None = None
) -> Delivery:
    """The totes were handed to the leader; implies arrival if that was not
    reported (drivers forget the first tap)."""
    stop, plan = await driven_stop(session, stop_id, driver_id)
    if stop.arrived_at is None:
        stop.arrived_at = now
    if stop.handed_over_at is None:
        stop.handed_over_at = now
    await session.flush()
    return Delivery(stop, plan, await receipt_of(session, stop.id))


async def receipt_of(session: AsyncSession, stop_id: int) -> DeliveryReceipt | None:
    """The leader's receipt for a stop, if signed."""
    return (
        await session.execute(
            select(DeliveryReceipt).where(DeliveryReceipt.route_stop_id == stop_id)
        )
    ).scalar_one_or_none()


async def own_pickup_point(session: AsyncSession, user_id: int) -> PickupPoint | None:
    """The pickup point of the leader signed in as ``user_id``, if any."""
    return (
        await session.execute(
            select(PickupPoint)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .where(Leader.user_id == user_id)
        )
    ).scalar_one_or_none()


async def leader_stop(
    session: AsyncSession,
    user_id: int,
    *,
    route_stop_id: int | None = None,
    delivery_date: date | None = None,
) -> tuple[RouteStop, RoutePlan, PickupPoint]:
    """The stop a leader means, locked, with its plan (``locked_stop``) and
    the leader's pickup point: the given stop if it is at that point (else
    NotFound, like a missing one), or the point's stop on the published plan
    of ``delivery_date`` (PLAN_NOT_PUBLISHED while it is only in drafts)."""
    field = "routeStopId" if route_stop_id is not None else "deliveryDate"
    point = await own_pickup_point(session, user_id)
    if point is None:
        raise NotFound("Route stop", ["routeStopId"])
    if route_stop_id is not None:
        stop, plan = await locked_stop(session, route_stop_id, field, pickup_point_id=point.id)
        return stop, plan, point
    if delivery_date is None:
        raise DomainError(
            CommonErrorCode.REQUIRED, "Name the stop or the delivery date.", ["routeStopId"]
        )
    published = await expected_arrival(session, user_id, delivery_date)
    if published is not None:
        stop, plan = await locked_stop(session, published[1].id, field)
        return stop, plan, point
    drafted = await session.execute(
        select(RouteStop.id)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .where(RouteStop.pickup_point_id == point.id, RoutePlan.delivery_date == delivery_date)
        .limit(1)
    )
    if drafted.first() is not None:
        raise _not_published(field)
    raise NotFound("Route stop", [field])


async def leader_delivery(
    session: AsyncSession, user_id: int, delivery_date: date
) -> Delivery | None:
    """The leader's stop on the published plan of ``delivery_date``, with its
    receipt once signed; None before a plan is published."""
    published = await expected_arrival(session, user_id, delivery_date)
    if published is None:
        return None
    stop = published[1]
    plan = await session.get(RoutePlan, stop.plan_id)
    assert plan is not None
    return Delivery(stop, plan, await receipt_of(session, stop.id))
