"""Trunk plans (干线): the central's trunk trucks carry what stage one sorted
for each grid to the grids, inside their receiving windows, planned and
published (and edited: test_trunk_edits.py) like deliveries; delivery
plans never use trunk trucks; a grid's
vans leave no earlier than the trunk has unloaded its goods, and a grid
plan made before any trunk plan says so."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any

from api.graphql.ids import decode, encode
from fulfilment.campaigns.models import StorageZone
from fulfilment.campaigns.warehouses import create_warehouse
from fulfilment.network.grids import GridTerms, assign_points, set_grid
from fulfilment.routing.documents.map import plan_map, plan_map_svg
from fulfilment.routing.fleet import create_vehicle_type
from fulfilment.sorting.models import GridLoad
from kernel.db import unit_of_work
from kernel.geo import LatLon
from tests.conftest import app_client
from tests.fulfilment.routing.test_route_publishing import PUBLISH
from tests.support.route_plans import RoutingDay, planned, routing_day, spread, van

TRUNK_PLAN = """
query($id: ID!) { node(id: $id) { ... on RoutePlan {
  id kind status version stopCount trunkReadyAt
  trunkStops { routeNumber position serviceStartAt departureAt weightG handlingUnits
               gridWarehouse { name } }
  unservedGrids { reason gridWarehouse { name } }
  routes { departureAt vehicleType { name } }
} } }
"""
CREATE = """
mutation($w: ID!, $d: Date!, $k: RoutePlanKind) {
  routePlanCreate(input: {warehouseId: $w, deliveryDate: $d, timeLimitSeconds: 1, kind: $k}) {
    routePlan { id status } job { id } userErrors { field code message } } }
"""
# Three grids around Changsha, each receiving between 01:00 and 04:00.
GRIDS = [
    ("网格仓-岳麓", 28.21, 112.89),
    ("网格仓-开福", 28.25, 112.99),
    ("网格仓-雨花", 28.11, 113.01),
]


def trunk_truck(**changes: Any) -> Any:
    fields = {"capacity_kg": 5000, "capacity_totes": 300, "count": 2, "shift_start": time(0)}
    return van("9.6米干线车", trunk=True, **{**fields, **changes})


async def _grids(db: Any, day: RoutingDay, *, trucks: bool = True) -> list[int]:
    """Three grids of the day's central, each serving two of its first six points,
    with what stage one sorted for them (240 kg and 8 units a grid); and,
    with ``trucks``, the central's trunk trucks."""
    made = []
    async with unit_of_work(db.sessions) as session:
        for index, (name, lat, lon) in enumerate(GRIDS):
            grid = await create_warehouse(
                session,
                name=name,
                address="长沙",
                location=LatLon(lat, lon),
                created_by=day.shop.operator,
            )
            terms = GridTerms(day.shop.warehouse_id, 10, time(1), time(4), 20_000)
            await set_grid(session, grid.id, terms, expected_version=None)
            await assign_points(
                session, grid.id, [p.id for p in day.points[2 * index : 2 * index + 2]]
            )
            # Ready from 00:30: only the trunk's arrival keeps them waiting.
            early_van = van("金杯面包车", capacity_kg=800, count=1, shift_start=time(0, 30))
            await create_vehicle_type(session, grid.id, early_van)
            session.add(
                GridLoad(
                    central_id=day.shop.warehouse_id,
                    delivery_date=day.day,
                    grid_id=grid.id,
                    storage_zone=StorageZone.AMBIENT,
                    units=48,
                    cases=8,
                    loose_units=0,
                    weight_g=240_000,
                    volume_ml=280_000,
                    totes=0,
                    handling_units=8,
                )
            )
            made.append(grid.id)
        if trucks:
            await create_vehicle_type(session, day.shop.warehouse_id, trunk_truck())
    return made


async def _plan(
    gql: Any, day: RoutingDay, warehouse: int, kind: str = "DELIVERY"
) -> dict[str, Any]:
    body = await gql(
        CREATE,
        {"w": encode("Warehouse", warehouse), "d": day.day.isoformat(), "k": kind},
        token=day.operator,
    )
    started = await planned(gql, day.operator, body["data"]["routePlanCreate"])
    read = await gql(TRUNK_PLAN, {"id": started["id"]}, token=day.operator)
    plan: dict[str, Any] = read["data"]["node"]
    return plan


def _local(moment: str, db: Any) -> time:
    return datetime.fromisoformat(moment).astimezone(db.settings.zone).time()


async def test_the_trunk_serves_every_grid_in_its_window_and_the_grids_wait_for_it(db):
    # Six points served by the grids, a seventh by the central directly;
    # they receive from 00:30, so only the trunk keeps the grids' vans in.
    loads = spread(7, weight_kg=120, totes=4, window=(time(0, 30), time(11)))
    day = await routing_day(db, loads, [van(count=2)])
    grids = await _grids(db, day)
    async with app_client(db.url, jobs_mode="inline") as gql:
        early = await _plan(gql, day, grids[0])
        # Made before any trunk plan: a draft all the same, flagged.
        assert (early["status"], early["trunkReadyAt"]) == ("DRAFT", None)

        trunk = await _plan(gql, day, day.shop.warehouse_id, "TRUNK")
        assert (trunk["kind"], trunk["status"], trunk["stopCount"]) == ("TRUNK", "DRAFT", 3)
        assert trunk["unservedGrids"] == []
        assert {s["gridWarehouse"]["name"] for s in trunk["trunkStops"]} == {g[0] for g in GRIDS}
        for stop in trunk["trunkStops"]:
            assert time(1) <= _local(stop["serviceStartAt"], db) <= time(4)
            assert (stop["weightG"], stop["handlingUnits"]) == (240_000, 8)
        assert {r["vehicleType"]["name"] for r in trunk["routes"]} == {"9.6米干线车"}

        # The central's own delivery plan never takes a trunk truck.
        delivery = await _plan(gql, day, day.shop.warehouse_id)
        assert {r["vehicleType"]["name"] for r in delivery["routes"]} == {"4.2米厢式货车"}

        # A grid's vans leave once the trunk has unloaded there.
        last_mile = await _plan(gql, day, grids[1])
        unloaded = next(
            s["departureAt"]
            for s in trunk["trunkStops"]
            if s["gridWarehouse"]["name"] == GRIDS[1][0]
        )
        assert last_mile["trunkReadyAt"] == unloaded
        for route in last_mile["routes"]:
            assert datetime.fromisoformat(route["departureAt"]) >= datetime.fromisoformat(unloaded)

        # Its picture draws the trunk dashed, to the grids, never as a van route.
        async with db.sessions() as session:
            picture = plan_map_svg(await plan_map(session, decode(trunk["id"], "RoutePlan", [])))
            vans = plan_map_svg(await plan_map(session, decode(last_mile["id"], "RoutePlan", [])))
        assert b'class="trunk"' in picture and b'stroke-dasharray="12 6"' in picture
        assert b'class="route"' not in picture and b'class="route"' in vans
        assert all(name.encode() in picture for name, _, _ in GRIDS)

        # Published like any plan: one of each kind for the central's day.
        for plan in (trunk, delivery):
            body = await gql(PUBLISH, {"id": plan["id"], "v": plan["version"]}, token=day.operator)
            assert body["data"]["routePlanPublish"]["userErrors"] == []
        published = (
            "query($w: ID!, $d: Date!, $k: RoutePlanKind!) { publishedRoutes(warehouseId: $w, "
            "deliveryDate: $d, kind: $k) { vehicleType { name } } }"
        )
        for kind, vehicle in (("DELIVERY", "4.2米厢式货车"), ("TRUNK", "9.6米干线车")):
            variables = {"w": day.warehouse_gid, "d": day.day.isoformat(), "k": kind}
            routes = (await gql(published, variables, token=day.operator))["data"]
            assert {r["vehicleType"]["name"] for r in routes["publishedRoutes"]} == {vehicle}


async def test_a_trunk_needs_stage_one_and_trunk_trucks_and_its_stops_are_grids(db):
    day = await routing_day(db, spread(6, weight_kg=120, totes=4), [van(count=2)])
    variables = {"w": encode("Warehouse", day.shop.warehouse_id), "d": day.day.isoformat()}

    async def refused() -> list[str]:
        body = await gql(CREATE, {**variables, "k": "TRUNK"}, token=day.operator)
        return [e["code"] for e in body["data"]["routePlanCreate"]["userErrors"]]

    async with app_client(db.url, jobs_mode="inline") as gql:
        assert await refused() == ["NOTHING_TO_PLAN"]  # stage one has sorted nothing
        await _grids(db, day, trucks=False)
        assert await refused() == ["NO_VEHICLES"]  # the delivery vans do not count
        async with unit_of_work(db.sessions) as session:
            await create_vehicle_type(session, day.shop.warehouse_id, trunk_truck())
        trunk = await _plan(gql, day, day.shop.warehouse_id, "TRUNK")
        lock = {
            "planId": trunk["id"],
            "version": trunk["version"],
            "pickupPointIds": [day.points[0].gid],
            "locked": True,
        }
        body = await gql(
            "mutation($input: RoutePlanStopLockInput!) { routePlanStopLock(input: $input) "
            "{ userErrors { field code } } }",
            {"input": lock},
            token=day.operator,
        )
    # A trunk plan's stops are grids (gridIds: test_trunk_edits.py), not pickup points.
    assert body["data"]["routePlanStopLock"]["userErrors"] == [
        {"field": ["pickupPointIds"], "code": "INVALID"}
    ]
