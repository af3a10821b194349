"""Drivers on routes: the dispatcher gives each vehicle's trip of a published
plan to a driver, and from then on only that driver (or a dispatcher, taking
a driver's call) reports at its stops. A draft has no drivers: its routes
may still be replaced by the planner."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.models import Route, RoutePlan, RoutePlanStatus
from kernel.accounts import Role, User
from kernel.errors import DomainError, NotFound


async def assign_driver(session: AsyncSession, route_id: int, driver_id: int | None) -> Route:
    """Give route ``route_id`` of a published plan to the active driver
    ``driver_id``, or take it from its driver (None). A driver may drive
    several routes of a day (a second trip after the first)."""
    found = (
        await session.execute(
            select(Route, RoutePlan)
            .join(RoutePlan, RoutePlan.id == Route.plan_id)
            .where(Route.id == route_id)
            .with_for_update(of=Route)
        )
    ).first()
    if found is None:
        raise NotFound("Route", ["routeId"])
    route, plan = found
    if plan.status is not RoutePlanStatus.PUBLISHED:
        raise DomainError(
            RoutingErrorCode.PLAN_NOT_PUBLISHED,
            "Drivers are given routes of a published plan.",
            ["routeId"],
        )
    if driver_id is not None:
        driver = await session.get(User, driver_id)
        if driver is None or driver.role is not Role.DRIVER:
            raise NotFound("Driver", ["driverId"])
        if driver.disabled_at is not None:
            raise DomainError(
                RoutingErrorCode.DRIVER_DISABLED, "This driver's account is disabled.", ["driverId"]
            )
    route.driver_id = driver_id
    await session.flush()
    return route


async def driver_routes(session: AsyncSession, driver_id: int, day: date) -> list[Route]:
    """The routes of published plans for ``day`` given to ``driver_id``, by
    departure, across warehouses."""
    rows = await session.scalars(
        select(Route)
        .join(RoutePlan, RoutePlan.id == Route.plan_id)
        .where(
            Route.driver_id == driver_id,
            RoutePlan.delivery_date == day,
            RoutePlan.status == RoutePlanStatus.PUBLISHED,
        )
        .order_by(Route.departure_at, Route.id)
    )
    return list(rows)


async def check_driver_of(session: AsyncSession, route_id: int, driver_id: int) -> None:
    """Refuse a driver's report at a stop of a route that is not theirs."""
    owner = await session.scalar(select(Route.driver_id).where(Route.id == route_id))
    if owner != driver_id:
        raise DomainError(
            RoutingErrorCode.NOT_YOUR_ROUTE,
            "This stop is on a route the dispatcher has not given you.",
            ["id"],
        )
