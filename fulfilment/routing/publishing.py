"""Publishing a plan (发布线路): it is frozen, becomes the day's plan, and
each leader on it hears when the truck is expected. Leaders then read
their own stop's expected arrival, and nothing else of the plan."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import PlanKind, Route, RoutePlan, RoutePlanStatus, RouteStop
from fulfilment.routing.plans import editable_plan
from kernel.accounts import User
from kernel.errors import DomainError
from kernel.notifications import Gateway, notify
from leaders.points.models import Leader, PickupPoint

ETA_KIND = "route.eta"


def _day_taken() -> DomainError:
    return DomainError(
        RoutingErrorCode.DAY_ALREADY_PUBLISHED,
        "Another plan of this kind for this warehouse and delivery date is published already.",
        ["planId"],
    )


async def publish_plan(
    session: AsyncSession,
    plan_id: int,
    version: int,
    *,
    by: User,
    now: datetime,
    zone: ZoneInfo,
    gateway: Gateway | None = None,
) -> RoutePlan:
    """Publish a draft: no edits after this; at most one published plan of
    each kind (delivery, trunk) per warehouse and day; every leader on a
    delivery route is told their stop's expected arrival time."""
    plan = await editable_plan(session, plan_id, version)
    taken = await session.execute(
        select(RoutePlan.id).where(
            RoutePlan.warehouse_id == plan.warehouse_id,
            RoutePlan.delivery_date == plan.delivery_date,
            RoutePlan.kind == plan.kind,
            RoutePlan.status == RoutePlanStatus.PUBLISHED,
        )
    )
    if taken.first() is not None:
        raise _day_taken()
    plan.status = RoutePlanStatus.PUBLISHED
    plan.published_at = now
    plan.published_by_id = by.id
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent publish won the unique index
        raise _day_taken() from exc
    await _tell_leaders(session, plan, zone, gateway)
    return plan


async def _tell_leaders(
    session: AsyncSession, plan: RoutePlan, zone: ZoneInfo, gateway: Gateway | None
) -> None:
    rows = await session.execute(
        select(Leader.user_id, PickupPoint.id, PickupPoint.name, RouteStop.service_start_at)
        .join(PickupPoint, PickupPoint.id == RouteStop.pickup_point_id)
        .join(Leader, Leader.id == PickupPoint.leader_id)
        .where(RouteStop.plan_id == plan.id)
        .order_by(PickupPoint.id)
    )
    day = plan.delivery_date.isoformat()
    for user_id, point_id, name, expected in rows:
        local = expected.astimezone(zone)
        await notify(
            session,
            user_ids=[user_id],
            kind=ETA_KIND,
            title="明日配送预计到达时间",
            body=f"{day} 配送车预计 {local:%H:%M} 到达{name}，请留意签收。",
            data={
                "pickup_point_id": point_id,
                "delivery_date": day,
                "expected_arrival_at": expected.isoformat(),
            },
            gateway=gateway,
        )


async def expected_arrival(
    session: AsyncSession, leader_user_id: int, day: date
) -> tuple[PickupPoint, RouteStop] | None:
    """The leader's pickup point and its stop on the day's published plan,
    or None when no published plan serves it."""
    row = (
        await session.execute(
            select(PickupPoint, RouteStop)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .join(RouteStop, RouteStop.pickup_point_id == PickupPoint.id)
            .join(RoutePlan, RoutePlan.id == RouteStop.plan_id)
            .where(
                Leader.user_id == leader_user_id,
                RoutePlan.delivery_date == day,
                RoutePlan.status == RoutePlanStatus.PUBLISHED,
            )
        )
    ).first()
    return None if row is None else (row[0], row[1])


async def published_routes(
    session: AsyncSession, warehouse_id: int, day: date, kind: PlanKind = PlanKind.DELIVERY
) -> list[Route]:
    """The routes of the warehouse's published plan of ``kind`` for ``day``,
    by number (none before a plan is published)."""
    rows = await session.execute(
        select(Route)
        .join(RoutePlan, RoutePlan.id == Route.plan_id)
        .where(
            RoutePlan.warehouse_id == warehouse_id,
            RoutePlan.delivery_date == day,
            RoutePlan.kind == kind,
            RoutePlan.status == RoutePlanStatus.PUBLISHED,
        )
        .order_by(Route.number)
    )
    return list(rows.scalars())
