"""A late trunk (干线晚到) and a grid's plan made before it was late.

A grid warehouse's delivery plan stores the trunk's unloading time it was
planned with (``RoutePlan.trunk_ready_at``, taken from the central's trunk
plan in force then: fulfilment/routing/trunk.py). The trunk plan may change
afterwards: a new draft, or a publish, may bring the trunk to the grid later.
Nothing is rewritten then: the grid's plan keeps what it was planned with,
and this module compares it with the trunk now in force.

The rule, in one place:

- **The bound now**: ``trunk_ready_at`` of the grid and day (the published
  trunk plan, else the latest draft serving the grid); the **delay** is
  the bound now less the bound planned with (unknown while either is).
- **A van's push**: a van may not leave before the trunk has unloaded and
  it has been loaded (the grid's loading minutes), so a van planned to leave
  at ``d`` now leaves at ``max(d, bound now + loading)``: a van that left at
  the bound it was planned with is pushed by the whole delay ("every van
  leaves that much later"); one that left later anyway (a later shift, or
  leaving late rather than waiting at its first stop) only by what its
  slack does not cover. A plan made before any trunk plan had no bound: its
  vans are pushed the same way.
- **A stop at risk**: its planned arrival plus its van's push is after its
  pickup point's receiving window closes (today's window, platform zone),
  the same test the planner uses for a broken window. Waiting further along
  the route could absorb part of a push; it is not counted, so the list
  errs towards warning.

The answer is for the dispatcher: the grid's plan is planned again (a new
plan, or re-optimising a draft, both take the bound now).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.network.models import GridWarehouse
from fulfilment.routing.fleet import default_routing_settings
from fulfilment.routing.models import PlanKind, Route, RoutePlan, RouteStop, RoutingSettings
from fulfilment.routing.problem import local_midnight, seconds_of_day
from fulfilment.routing.trunk import trunk_ready_times
from leaders.points.models import PickupPoint


@dataclass(frozen=True)
class StopAtRisk:
    """A stop whose receiving window its van would now miss."""

    route_stop_id: int
    pickup_point_id: int
    route_number: int
    position: int
    arrival_at: datetime  # as planned
    expected_arrival_at: datetime  # once its van leaves after the late trunk
    window_end_at: datetime  # the point's receiving window closes (UTC)


@dataclass(frozen=True)
class TrunkBound:
    """A grid's delivery plan against the trunk now in force."""

    plan_id: int
    planned: datetime | None  # the bound it was planned with
    current: datetime | None  # the bound now; None: no trunk plan serves the grid
    stops_at_risk: list[StopAtRisk]

    @property
    def delay(self) -> timedelta | None:
        """How much later the trunk now unloads than the plan assumed
        (negative: earlier); None when either time is unknown."""
        if self.planned is None or self.current is None:
            return None
        return self.current - self.planned


async def trunk_bounds(
    session: AsyncSession, plan_ids: Sequence[int], zone: ZoneInfo
) -> dict[int, TrunkBound]:
    """The ``TrunkBound`` of each of ``plan_ids`` that is a grid warehouse's
    delivery plan (others are left out): four statements however many."""
    plans = (
        await session.scalars(
            select(RoutePlan)
            .join(GridWarehouse, GridWarehouse.warehouse_id == RoutePlan.warehouse_id)
            .where(RoutePlan.id.in_(plan_ids), RoutePlan.kind == PlanKind.DELIVERY)
        )
    ).all()
    if not plans:
        return {}
    now_ready = await trunk_ready_times(
        session, {(plan.warehouse_id, plan.delivery_date) for plan in plans}
    )
    current = {plan.id: now_ready.get((plan.warehouse_id, plan.delivery_date)) for plan in plans}
    late = [plan for plan in plans if current[plan.id] is not None]
    at_risk = await _stops_at_risk(session, late, current, zone) if late else {}
    return {
        plan.id: TrunkBound(
            plan.id, plan.trunk_ready_at, current[plan.id], at_risk.get(plan.id, [])
        )
        for plan in plans
    }


async def _loading(session: AsyncSession, warehouse_ids: set[int]) -> dict[int, timedelta]:
    """Each warehouse's loading time before its vans leave (the default when unset)."""
    stored = dict(
        (
            await session.execute(
                select(RoutingSettings.warehouse_id, RoutingSettings.loading_minutes).where(
                    RoutingSettings.warehouse_id.in_(warehouse_ids)
                )
            )
        ).all()
    )
    return {
        w: timedelta(minutes=stored.get(w, default_routing_settings(w).loading_minutes))
        for w in warehouse_ids
    }


async def _stops_at_risk(
    session: AsyncSession,
    plans: Sequence[RoutePlan],
    current: dict[int, datetime | None],
    zone: ZoneInfo,
) -> dict[int, list[StopAtRisk]]:
    """The stops at risk of ``plans`` (each with a bound now), by route and position."""
    by_id = {plan.id: plan for plan in plans}
    loading = await _loading(session, {plan.warehouse_id for plan in plans})
    rows = await session.execute(
        select(RouteStop, Route.number, Route.departure_at, PickupPoint.window_end)
        .join(Route, Route.id == RouteStop.route_id)
        .join(PickupPoint, PickupPoint.id == RouteStop.pickup_point_id)
        .where(RouteStop.plan_id.in_(by_id))
        .order_by(RouteStop.plan_id, Route.number, RouteStop.position)
    )
    found: dict[int, list[StopAtRisk]] = {}
    for stop, number, departure, window_end in rows:
        plan = by_id[stop.plan_id]
        ready = current[plan.id]
        assert ready is not None
        push = max(timedelta(0), ready + loading[plan.warehouse_id] - departure)
        closes = local_midnight(plan.delivery_date, zone) + timedelta(
            seconds=seconds_of_day(window_end)
        )
        if push and stop.arrival_at + push > closes:
            found.setdefault(plan.id, []).append(
                StopAtRisk(
                    route_stop_id=stop.id,
                    pickup_point_id=stop.pickup_point_id,
                    route_number=number,
                    position=stop.position,
                    arrival_at=stop.arrival_at,
                    expected_arrival_at=stop.arrival_at + push,
                    window_end_at=closes,
                )
            )
    return found
