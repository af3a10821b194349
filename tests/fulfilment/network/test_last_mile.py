"""Last-mile routes: a grid warehouse plans its own vans, from its own
door, to the points it serves, with the goods its central bought and sorted
for them; the central's own plan keeps only the points it serves directly.
With no grids, a central plans every point as before the two tiers."""

from __future__ import annotations

from api.graphql.ids import decode, encode
from fulfilment.routing.fleet import create_vehicle_type, set_routing_settings
from fulfilment.routing.problem import day_demand
from kernel.db import unit_of_work
from kernel.geo import LatLon
from tests.conftest import app_client
from tests.support.network import grid_of
from tests.support.route_plans import (
    PLAN_CREATE,
    Load,
    RoutingDay,
    check_stored_plan,
    plan_day,
    planned,
    routing_day,
    spread,
    van,
)


async def _grid_of_the_first(db, day: RoutingDay, count: int = 3) -> int:
    """A grid warehouse in the city, serving the day's first ``count`` points."""
    grid = await grid_of(
        db,
        day.shop.warehouse_id,
        day.shop.operator,
        name="网格仓-芙蓉",
        at=LatLon(28.17, 112.97),
        points=[p.id for p in day.points[:count]],
    )
    async with unit_of_work(db.sessions) as session:
        await create_vehicle_type(session, grid, van("金杯面包车", capacity_kg=800, count=2))
        await set_routing_settings(
            session, grid, loading_minutes=20, stop_fixed_s=240, stop_per_tote_s=15
        )
    return grid


async def test_a_grid_plans_its_own_points_and_the_central_keeps_the_rest(db):
    day = await routing_day(db, spread(6, weight_kg=120, totes=4), [van(count=2)])
    ids = [p.id for p in day.points]
    async with db.sessions() as session:
        assert [row[0] for row in await day_demand(session, day.shop.warehouse_id, day.day)] == ids
    grid = await _grid_of_the_first(db, day)
    async with db.sessions() as session:
        central = await day_demand(session, day.shop.warehouse_id, day.day)
        last_mile = await day_demand(session, grid, day.day)
    assert [row[0] for row in central] == ids[3:]
    assert last_mile == [(point, 120_000, 4) for point in ids[:3]]

    async with app_client(db.url, jobs_mode="inline") as gql:
        grid_plan = await gql(
            PLAN_CREATE,
            {"w": encode("Warehouse", grid), "d": day.day.isoformat(), "t": 1},
            token=day.operator,
        )
        plan = await planned(gql, day.operator, grid_plan["data"]["routePlanCreate"])
        central_plan = await plan_day(gql, day)
    served = {s["pickupPoint"]["id"] for r in plan["routes"] for s in r["stops"]}
    assert served == {p.gid for p in day.points[:3]} and plan["unservedStops"] == []
    assert {r["vehicleType"]["name"] for r in plan["routes"]} == {"金杯面包车"}
    central_served = {s["pickupPoint"]["id"] for r in central_plan["routes"] for s in r["stops"]}
    assert central_served == {p.gid for p in day.points[3:]}
    # Times, windows and loads hold, from the grid's own door.
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))
    await check_stored_plan(db, decode(central_plan["id"], "RoutePlan", []))


async def test_a_grid_with_nothing_to_deliver_has_nothing_to_plan(db):
    day = await routing_day(db, [Load(100, 3)], [van(count=1)])
    grid = await _grid_of_the_first(db, day, count=0)
    async with app_client(db.url, jobs_mode="inline") as gql:
        body = await gql(
            PLAN_CREATE,
            {"w": encode("Warehouse", grid), "d": day.day.isoformat(), "t": 1},
            token=day.operator,
        )
    assert [e["code"] for e in body["data"]["routePlanCreate"]["userErrors"]] == ["NOTHING_TO_PLAN"]
