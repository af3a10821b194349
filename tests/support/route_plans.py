"""A morning to plan: pickup points around Changsha with sorted loads (rows
written as sorting writes them), a fleet, and stop timings; GraphQL calls
that plan it through the job; and a check of a stored plan that recomputes
every time and load from the stored rows alone, without the solver or the
schedule module."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from api.graphql.ids import encode
from fulfilment.campaigns.models import StorageZone, Warehouse
from fulfilment.network.queries import buying_warehouse, delivered_by
from fulfilment.routing.fleet import (
    VehicleTypeDraft,
    create_vehicle_type,
    routing_settings_of,
    set_routing_settings,
)
from fulfilment.routing.models import Route, RoutePlan, RouteStop, UnservedStop, VehicleType
from fulfilment.routing.plans import route_cost_fen
from fulfilment.routing.problem import local_midnight, seconds_of_day
from fulfilment.routing.solver.distances import StraightLine
from fulfilment.sorting.models import PickupPointLoad
from kernel.accounts import User
from kernel.db import unit_of_work
from leaders.points.models import PickupPoint
from tests.conftest import GraphQLClient, TestDB
from tests.fulfilment.purchasing.test_purchase_orders_api import finished
from tests.support.factories import Shop, approved_pickup_point, open_shop

WIDE = (time(7), time(11))


@dataclass(frozen=True)
class Load:
    """One pickup point's goods for the day, where it is and when it receives."""

    weight_kg: int
    totes: int
    window: tuple[time, time] = WIDE
    at: tuple[float, float] | None = None  # (lat, lon); else a grid spot in the city


def van(name: str = "4.2米厢式货车", **changes: Any) -> VehicleTypeDraft:
    """A typical city delivery van; ``changes`` override any field."""
    fields: dict[str, Any] = {
        "name": name,
        "capacity_kg": 1500,
        "capacity_totes": 60,
        "count": 3,
        "fixed_cost_fen": 30_000,
        "cost_per_km_fen": 250,
        "shift_start": time(6),
        "max_shift_minutes": 480,
    }
    return VehicleTypeDraft(**{**fields, **changes})


def spread(count: int, **load: Any) -> list[Load]:
    """``count`` equal loads at different spots."""
    return [Load(**load) for _ in range(count)]


def _spot(index: int) -> tuple[float, float]:
    # A 5 x n grid about 2 km apart in Changsha's Furong/Tianxin districts,
    # some 20 km from the warehouse in Wangcheng.
    return 28.15 + 0.018 * (index % 5), 112.95 + 0.02 * (index // 5)


@dataclass
class Point:
    id: int
    leader: User
    token: str

    @property
    def gid(self) -> str:
        return encode("PickupPoint", self.id)


@dataclass
class RoutingDay:
    shop: Shop
    points: list[Point]
    vehicle_type_ids: list[int]

    @property
    def operator(self) -> str:
        return self.shop.operator_token

    @property
    def warehouse_gid(self) -> str:
        return encode("Warehouse", self.shop.warehouse_id)

    @property
    def day(self) -> date:
        return self.shop.delivery_date

    def point_of(self, gid: str) -> Point:
        return next(p for p in self.points if p.gid == gid)


async def routing_day(
    db: TestDB,
    loads: Sequence[Load],
    vehicles: Sequence[VehicleTypeDraft] = (),
    *,
    stop_fixed_s: int = 300,
    stop_per_tote_s: int = 20,
    loading_minutes: int = 30,
) -> RoutingDay:
    """A warehouse with one pickup point per load (the shop's own first)."""
    shop = await open_shop(db)
    points = [Point(shop.pickup_point_id, shop.leader_user, shop.leader_token)]
    while len(points) < len(loads):
        points.append(Point(*await approved_pickup_point(db, shop.operator, shop.warehouse_id)))
    async with unit_of_work(db.sessions) as session:
        for index, (point, load) in enumerate(zip(points, loads, strict=True)):
            row = await session.get(PickupPoint, point.id)
            assert row is not None
            row.lat, row.lon = load.at or _spot(index)
            row.window_start, row.window_end = load.window
            row.name = f"自提点{index + 1:02d}"
            session.add(
                PickupPointLoad(
                    warehouse_id=shop.warehouse_id,
                    delivery_date=shop.delivery_date,
                    pickup_point_id=point.id,
                    storage_zone=StorageZone.AMBIENT,
                    units=load.totes * 6,
                    weight_g=load.weight_kg * 1000,
                    volume_ml=load.totes * 35_000,
                    totes=load.totes,
                )
            )
        ids = [
            (await create_vehicle_type(session, shop.warehouse_id, draft)).id for draft in vehicles
        ]
        await set_routing_settings(
            session,
            shop.warehouse_id,
            loading_minutes=loading_minutes,
            stop_fixed_s=stop_fixed_s,
            stop_per_tote_s=stop_per_tote_s,
        )
    return RoutingDay(shop, points, ids)


PLAN_FIELDS = """
fragment Plan on RoutePlan {
  id status version distanceM durationS costFen vehiclesUsed stopCount timeLimitSeconds
  parent { id } job { id status progress }
  routes { id number vehicleNumber vehicleType { id name } departureAt returnAt distanceM
    durationS weightG totes
    stops { position arrivalAt serviceStartAt departureAt weightG totes loadWeightGAfter
      loadTotesAfter locked pickupPoint { id name } } }
  unservedStops { reason weightG totes pickupPoint { id } }
}
"""


PLAN_CREATE = """
mutation($w: ID!, $d: Date!, $t: Int) {
  routePlanCreate(input: {warehouseId: $w, deliveryDate: $d, timeLimitSeconds: $t}) {
    routePlan { id status } job { id } userErrors { field code message } } }
"""


PLAN = PLAN_FIELDS + "query($id: ID!) { node(id: $id) { ...Plan } }"


async def planned(gql: GraphQLClient, token: str, started: dict[str, Any]) -> dict[str, Any]:
    """Wait for a started plan's job, then read the whole plan."""
    assert started["userErrors"] == [], started
    job = await finished(gql, token, started["job"]["id"])
    assert job["status"] == "SUCCEEDED", job
    body = await gql(PLAN, {"id": started["routePlan"]["id"]}, token=token)
    plan: dict[str, Any] = body["data"]["node"]
    return plan


async def plan_day(
    gql: GraphQLClient, day: RoutingDay, token: str | None = None, seconds: int = 1
) -> dict[str, Any]:
    token = token or day.operator
    body = await gql(
        PLAN_CREATE,
        {"w": day.warehouse_gid, "d": day.day.isoformat(), "t": seconds},
        token=token,
    )
    return await planned(gql, token, body["data"]["routePlanCreate"])


@dataclass
class StoredRows:
    """A stored plan's rows, and what its check needs beside them."""

    plan: RoutePlan
    warehouse: Warehouse
    routes: Sequence[Route]
    stops: Sequence[RouteStop]
    unserved: Sequence[UnservedStop]
    points: dict[int, PickupPoint]
    vehicles: dict[int, VehicleType]
    with_goods: set[int]
    timings: Any


async def stored_rows(db: TestDB, plan_id: int) -> StoredRows:
    """The plan's rows as stored, every pickup point and vehicle type, the
    points with goods that day, and the warehouse's stop timings."""
    async with db.sessions() as session:
        plan = await session.get(RoutePlan, plan_id)
        assert plan is not None
        warehouse = await session.get(Warehouse, plan.warehouse_id)
        assert warehouse is not None
        routes = (
            (await session.execute(select(Route).where(Route.plan_id == plan_id))).scalars().all()
        )
        stops = (
            (
                await session.execute(
                    select(RouteStop)
                    .where(RouteStop.plan_id == plan_id)
                    .order_by(RouteStop.route_id, RouteStop.position)
                )
            )
            .scalars()
            .all()
        )
        unserved = (
            (await session.execute(select(UnservedStop).where(UnservedStop.plan_id == plan_id)))
            .scalars()
            .all()
        )
        points = {p.id: p for p in (await session.execute(select(PickupPoint))).scalars()}
        vehicles = {v.id: v for v in (await session.execute(select(VehicleType))).scalars()}
        with_goods = set(
            (
                await session.execute(
                    select(PickupPointLoad.pickup_point_id).where(
                        # A grid's goods are sorted at its central (fulfilment/network).
                        PickupPointLoad.warehouse_id
                        == await buying_warehouse(session, plan.warehouse_id),
                        PickupPointLoad.delivery_date == plan.delivery_date,
                        delivered_by(plan.warehouse_id, PickupPointLoad.pickup_point_id),
                    )
                )
            ).scalars()
        )
        timings = await routing_settings_of(session, plan.warehouse_id)
    return StoredRows(
        plan, warehouse, routes, stops, unserved, points, vehicles, with_goods, timings
    )


@dataclass
class Roads:
    """Road estimates between the warehouse (node 0) and the pickup points,
    and the delivery date's midnight and loading time."""

    node: dict[int, int]  # pickup point id -> matrix index
    travel: Any
    metres: Any
    midnight: datetime
    loading: timedelta


def check_route(rows: StoredRows, roads: Roads, route: Route) -> None:
    """One stored route recomputed from its stops: times within the windows,
    loads within capacity, the shift within its length, the distance."""
    points, timings = rows.points, rows.timings
    node, travel, metres = roads.node, roads.travel, roads.metres
    midnight, loading = roads.midnight, roads.loading
    vehicle = rows.vehicles[route.vehicle_type_id]
    mine = [s for s in rows.stops if s.route_id == route.id]
    assert [s.position for s in mine] == list(range(1, len(mine) + 1))
    assert mine, "a route without stops is stored"
    assert (
        route.departure_at
        >= midnight + timedelta(seconds=seconds_of_day(vehicle.shift_start)) + loading
    )
    clock, at, distance = route.departure_at, 0, 0
    load_g, load_totes = sum(s.weight_g for s in mine), sum(s.totes for s in mine)
    assert (route.weight_g, route.totes) == (load_g, load_totes)
    assert load_g <= vehicle.capacity_g and load_totes <= vehicle.capacity_totes
    for stop in mine:
        point = points[stop.pickup_point_id]
        here = node[point.id]
        arrival = clock + timedelta(seconds=int(travel[at, here]))
        opens = midnight + timedelta(seconds=seconds_of_day(point.window_start))
        closes = midnight + timedelta(seconds=seconds_of_day(point.window_end))
        start = max(arrival, opens)
        service = timings.stop_fixed_s + timings.stop_per_tote_s * stop.totes
        assert stop.arrival_at == arrival, (stop.position, stop.arrival_at, arrival)
        assert stop.service_start_at == start
        assert start <= closes, f"{point.name} served at {start}, window closes {closes}"
        clock = start + timedelta(seconds=service)
        assert stop.departure_at == clock
        load_g, load_totes = load_g - stop.weight_g, load_totes - stop.totes
        assert (stop.load_g_after, stop.totes_after) == (load_g, load_totes)
        distance += int(metres[at, here])
        at = here
    back = clock + timedelta(seconds=int(travel[at, 0]))
    assert route.return_at == back
    assert back - (route.departure_at - loading) <= timedelta(minutes=vehicle.max_shift_minutes)
    assert route.distance_m == distance + int(metres[at, 0])


async def check_stored_plan(db: TestDB, plan_id: int) -> None:
    """Recompute the stored plan from its rows: each stop's times from the
    stored sequence and the road estimates between the stored points, within
    windows; loads within capacity; shifts within their length; totals the
    sum of the routes; every point with goods on a route or unserved, once."""
    rows = await stored_rows(db, plan_id)
    plan, warehouse, routes, stops = rows.plan, rows.warehouse, rows.routes, rows.stops
    unserved, points, vehicles = rows.unserved, rows.points, rows.vehicles
    with_goods, timings = rows.with_goods, rows.timings

    on_routes = [s.pickup_point_id for s in stops]
    left_out = [u.pickup_point_id for u in unserved]
    assert len(set(on_routes)) == len(on_routes) and not set(on_routes) & set(left_out)
    assert set(on_routes) | set(left_out) == with_goods

    order = [0, *sorted(points)]
    node = {point_id: n for n, point_id in enumerate(order) if point_id}
    matrices = await StraightLine(1.3, 30.0).matrices(
        [(warehouse.lat, warehouse.lon)] + [(points[i].lat, points[i].lon) for i in order[1:]]
    )
    roads = Roads(
        node,
        matrices.travel_s,
        matrices.distance_m,
        local_midnight(plan.delivery_date, db.settings.zone),
        timedelta(minutes=timings.loading_minutes),
    )

    distance_total = cost_total = 0
    for route in routes:
        check_route(rows, roads, route)
        distance_total += route.distance_m
        cost_total += route_cost_fen(route, vehicles[route.vehicle_type_id])
    assert (plan.distance_m, plan.cost_fen) == (distance_total, cost_total)
    assert (plan.vehicles_used, plan.stops) == (len(routes), len(stops))
