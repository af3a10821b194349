"""A late trunk: a grid's plan drafted against one trunk plan is read
against the trunk now in force (a later draft, or the published plan): the
bound now beside the bound it was planned with, the delay, and the stops
whose window would be missed now that their van leaves later. A stop with
slack is not at risk, nor is a van that was leaving later anyway; planning
the grid again starts from the bound now."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta
from typing import Any

from api.graphql.ids import encode
from fulfilment.routing.models import (
    PlanKind,
    Route,
    RoutePlan,
    RoutePlanStatus,
    RouteStop,
    TrunkStop,
    VehicleType,
)
from fulfilment.routing.plans import request_reoptimisation
from fulfilment.routing.problem import local_midnight
from kernel.db import unit_of_work
from leaders.points.models import PickupPoint
from tests.support.network import grid_of
from tests.support.routing import Day, StoredPlan, sorted_day, store_plan

BOUND = """
query($id: ID!) { node(id: $id) { ... on RoutePlan {
  plannedTrunkReadyAt trunkReadyAt trunkDelayMinutes
  stopsAtRisk { routeNumber position plannedArrivalAt expectedArrivalAt windowEndAt lateMinutes
    pickupPoint { name } }
} } }
"""


def at(db: Any, day: date, hours: float) -> datetime:
    """``hours`` after the delivery date's local midnight, in UTC."""
    return local_midnight(day, db.settings.zone) + timedelta(hours=hours)


async def trunk_plan(
    db: Any,
    central: int,
    grid: int,
    day: date,
    unloaded: datetime,
    status: RoutePlanStatus = RoutePlanStatus.DRAFT,
) -> int:
    """A trunk plan of the central unloading at the grid until ``unloaded``."""
    async with unit_of_work(db.sessions) as session:
        truck = VehicleType(
            warehouse_id=central,
            name=f"干线车-{uuid.uuid4().hex[:4]}",
            capacity_g=5_000_000,
            capacity_totes=300,
            count=1,
            fixed_cost_fen=50_000,
            cost_per_km_fen=400,
            shift_start=time(0),
            max_shift_minutes=600,
            trunk=True,
        )
        plan = RoutePlan(
            warehouse_id=central,
            delivery_date=day,
            status=status,
            time_limit_s=30,
            kind=PlanKind.TRUNK,
        )
        session.add_all([truck, plan])
        await session.flush()
        start = unloaded - timedelta(hours=2)
        route = Route(
            plan_id=plan.id,
            number=1,
            vehicle_type_id=truck.id,
            vehicle_number=1,
            departure_at=start,
            return_at=unloaded + timedelta(hours=1),
            distance_m=40_000,
            weight_g=200_000,
            totes=8,
        )
        session.add(route)
        await session.flush()
        session.add(
            TrunkStop(
                plan_id=plan.id,
                route_id=route.id,
                position=1,
                grid_id=grid,
                weight_g=200_000,
                totes=8,
                arrival_at=unloaded - timedelta(minutes=40),
                service_start_at=unloaded - timedelta(minutes=40),
                departure_at=unloaded,
                load_g_after=0,
                totes_after=0,
            )
        )
        return int(plan.id)


async def grid_day(db: Any) -> tuple[Day, int, StoredPlan]:
    """A grid serving the day's three points, with a draft planned against
    a trunk unloading at 05:30 (vans leave at 06:00, after 30 minutes'
    loading). Route 1: the shop's point at 06:30 (window closes 07:00), the
    second at 07:00 (closes 11:00). Route 2 leaves at 07:00 anyway: the
    third point at 07:30 (closes 08:00)."""
    day = await sorted_day(db)
    points = [day.shop.pickup_point_id, day.point2, day.point3]
    grid = await grid_of(db, day.shop.warehouse_id, day.shop.operator, points=points)
    plan = await store_plan(
        db, grid, day.shop.delivery_date, [points[:2], points[2:]], status=RoutePlanStatus.DRAFT
    )
    d = day.shop.delivery_date
    async with unit_of_work(db.sessions) as session:
        stored = await session.get(RoutePlan, plan.plan_id)
        assert stored is not None
        stored.trunk_ready_at = at(db, d, 5.5)
        late_van = await session.get(Route, plan.route_ids[1])
        assert late_van is not None
        late_van.departure_at += timedelta(hours=1)
        third = await session.get(RouteStop, plan.stop_ids[points[2]])
        assert third is not None
        third.arrival_at += timedelta(hours=1)
        for point_id, closes in zip(points, (time(7), time(11), time(8)), strict=True):
            point = await session.get(PickupPoint, point_id)
            assert point is not None
            point.window_start, point.window_end = time(6), closes
    return day, grid, plan


async def test_a_later_trunk_draft_puts_the_stops_without_slack_at_risk(db, gql):
    day, grid, plan = await grid_day(db)
    d, central = day.shop.delivery_date, day.shop.warehouse_id
    gid = encode("RoutePlan", plan.plan_id)

    async def bound() -> dict[str, Any]:
        body = await gql(BOUND, {"id": gid}, token=day.shop.operator_token)
        found: dict[str, Any] = body["data"]["node"]
        return found

    def utc(hours: float) -> str:
        return at(db, d, hours).isoformat()

    # No trunk plan yet: nothing bounds the vans now.
    assert await bound() == {
        "plannedTrunkReadyAt": utc(5.5),
        "trunkReadyAt": None,
        "trunkDelayMinutes": None,
        "stopsAtRisk": [],
    }
    on_time = await trunk_plan(db, central, grid, d, at(db, d, 5.5))
    assert (await bound())["trunkDelayMinutes"] == 0
    assert (await bound())["stopsAtRisk"] == []

    # A later draft unloads an hour later: the vans leave at 07:00.
    await trunk_plan(db, central, grid, d, at(db, d, 6.5))
    late = await bound()
    assert (late["trunkReadyAt"], late["trunkDelayMinutes"]) == (utc(6.5), 60)
    # The shop's point (07:30 after 07:00) is at risk; the second point has
    # slack, and route 2 was leaving at 07:00 anyway.
    assert late["stopsAtRisk"] == [
        {
            "routeNumber": 1,
            "position": 1,
            "plannedArrivalAt": utc(6.5),
            "expectedArrivalAt": utc(7.5),
            "windowEndAt": utc(7),
            "lateMinutes": 30,
            "pickupPoint": {"name": "桃子湖小区"},
        }
    ]

    # The published trunk plan is the one in force, however many drafts follow.
    async with unit_of_work(db.sessions) as session:
        published = await session.get(RoutePlan, on_time)
        assert published is not None
        published.status = RoutePlanStatus.PUBLISHED
    assert (await bound())["trunkDelayMinutes"] == 0

    # Re-planning the draft waits for the trunk as it is now (the late
    # draft, once the on-time plan is a draft again and older).
    async with unit_of_work(db.sessions) as session:
        published = await session.get(RoutePlan, on_time)
        assert published is not None
        published.status = RoutePlanStatus.DRAFT
        again = await request_reoptimisation(
            session, plan.plan_id, 1, time_limit_s=1, by=day.shop.operator
        )
        assert again.trunk_ready_at == at(db, d, 6.5)
