"""Delivery (配送): what happens at a stop of a published route plan.

The driver marks arrival and hand-over; marking again keeps the first time,
so a retried tap changes nothing. The leader then signs for the stop once
(签收, see ``fulfilment.delivery_receipts``). Only published plans are
driven: a draft may still change under the driver.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.errors import RoutingErrorCode
from fulfilment.models import DeliveryReceipt, RoutePlan, RoutePlanStatus, RouteStop
from fulfilment.route_publishing import expected_arrival
from kernel.errors import CommonErrorCode, DomainError, NotFound
from leaders.models import PickupPoint
from leaders.queries import leader_of_user, pickup_points_by_leader


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
    session: AsyncSession, stop_id: int, field: str = "id"
) -> tuple[RouteStop, RoutePlan]:
    """A stop of a published plan and its plan; the stop's row is locked
    (PostgreSQL) so concurrent events at one stop take turns. ``field``
    names the input the stop came from, for errors."""
    stop = await session.get(RouteStop, stop_id, with_for_update=True)
    if stop is None:
        raise NotFound("Route stop", [field])
    plan = await session.get(RoutePlan, stop.plan_id)
    assert plan is not None
    if plan.status is not RoutePlanStatus.PUBLISHED:
        raise _not_published(field)
    return stop, plan


async def record_arrival(session: AsyncSession, stop_id: int, now: datetime) -> Delivery:
    """The truck reached the stop (the first report counts)."""
    stop, plan = await locked_stop(session, stop_id)
    if stop.arrived_at is None:
        stop.arrived_at = now
    await session.flush()
    return Delivery(stop, plan, await receipt_of(session, stop.id))


async def record_hand_over(session: AsyncSession, stop_id: int, now: datetime) -> Delivery:
    """The totes were handed to the leader; implies arrival if that was not
    reported (drivers forget the first tap)."""
    stop, plan = await locked_stop(session, stop_id)
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
    leader = await leader_of_user(session, user_id)
    if leader is None:
        return None
    return (await pickup_points_by_leader(session, [leader.id])).get(leader.id)


async def leader_stop_id(
    session: AsyncSession,
    user_id: int,
    *,
    route_stop_id: int | None = None,
    delivery_date: date | None = None,
) -> int:
    """The stop a leader means: the given one if it is at their own pickup
    point (else NotFound, like a missing one), or their point's stop on the
    published plan of ``delivery_date`` (PLAN_NOT_PUBLISHED while it is
    only in drafts)."""
    point = await own_pickup_point(session, user_id)
    if point is None:
        raise NotFound("Route stop", ["routeStopId"])
    if route_stop_id is not None:
        stop = await session.get(RouteStop, route_stop_id)
        if stop is None or stop.pickup_point_id != point.id:
            raise NotFound("Route stop", ["routeStopId"])
        return stop.id
    if delivery_date is None:
        raise DomainError(
            CommonErrorCode.REQUIRED, "Name the stop or the delivery date.", ["routeStopId"]
        )
    published = await expected_arrival(session, user_id, delivery_date)
    if published is not None:
        return published[1].id
    drafted = await session.execute(
        select(RouteStop.id)
        .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
        .where(RouteStop.pickup_point_id == point.id, RoutePlan.delivery_date == delivery_date)
        .limit(1)
    )
    if drafted.first() is not None:
        raise _not_published("deliveryDate")
    raise NotFound("Route stop", ["deliveryDate"])


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
