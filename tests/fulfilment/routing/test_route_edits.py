"""A dispatcher's edits of a draft: moves refused when they break a
capacity, a window or the fleet (and then nothing changes), moves that
reschedule the routes they touch, locks that re-optimisation respects."""

from __future__ import annotations

from datetime import time
from typing import Any

from sqlalchemy import text

from api.graphql.ids import decode
from tests.conftest import GraphQLClient, TestDB, app_client
from tests.support.route_plans import (
    PLAN_FIELDS,
    Load,
    RoutingDay,
    check_stored_plan,
    plan_day,
    planned,
    routing_day,
    spread,
    van,
)

MOVE = (
    PLAN_FIELDS
    + """
mutation($input: RoutePlanStopMoveInput!) { routePlanStopMove(input: $input) {
  routePlan { ...Plan } userErrors { field code message } } }
"""
)


LOCK = (
    PLAN_FIELDS
    + """
mutation($input: RoutePlanStopLockInput!) { routePlanStopLock(input: $input) {
  routePlan { ...Plan } userErrors { field code message } } }
"""
)


REOPTIMIZE = """
mutation($input: RoutePlanReoptimizeInput!) { routePlanReoptimize(input: $input) {
  routePlan { id status } job { id } userErrors { field code message } } }
"""


async def full_vans_day(db: TestDB) -> RoutingDay:
    """Eight 300 kg stops for three 1 t vans, so the routes carry 3, 3 and 2
    of them (a fourth never fits); and 自提点09, a light stop near the
    warehouse whose window closes at 07:40, reachable only as a first stop.
    A stop takes 20 minutes or more."""
    loads = spread(8, weight_kg=300, totes=4)
    loads.append(Load(50, 1, window=(time(7), time(7, 40)), at=(28.25, 112.90)))
    vans = [van(capacity_kg=1000, capacity_totes=40, count=3, fixed_cost_fen=50_000)]
    return await routing_day(db, loads, vans, stop_fixed_s=1200)


def route_of(plan: dict[str, Any], point_gid: str) -> dict[str, Any]:
    return next(
        r for r in plan["routes"] if any(s["pickupPoint"]["id"] == point_gid for s in r["stops"])
    )


def points_of(route: dict[str, Any]) -> list[str]:
    return [s["pickupPoint"]["id"] for s in route["stops"]]


async def stored_rows(db: TestDB) -> list[Any]:
    """Everything an edit may change, to compare before and after a refusal."""
    async with db.engine.connect() as conn:
        rows: list[Any] = []
        for sql in (
            "SELECT id, version, distance_m, cost_fen, vehicles_used FROM route_plans",
            "SELECT id, vehicle_type_id, vehicle_number, departure_at, return_at, distance_m, "
            "weight_g FROM routes ORDER BY id",
            "SELECT route_id, position, pickup_point_id, arrival_at, locked FROM route_stops "
            "ORDER BY id",
            "SELECT pickup_point_id FROM unserved_stops ORDER BY id",
        ):
            rows.append((await conn.execute(text(sql))).all())
        return rows


async def move(
    gql: GraphQLClient, day: RoutingDay, plan: dict[str, Any], point: str, **fields: Any
) -> dict[str, Any]:
    body = await gql(
        MOVE,
        {
            "input": {
                "planId": plan["id"],
                "version": plan["version"],
                "pickupPointId": point,
                **fields,
            }
        },
        token=day.operator,
    )
    assert "errors" not in body, body
    payload: dict[str, Any] = body["data"]["routePlanStopMove"]
    return payload


async def test_moves_that_break_a_rule_are_refused_and_change_nothing(db):
    day = await full_vans_day(db)
    early = day.points[8].gid
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
        assert plan["unservedStops"] == [] and len(plan["routes"]) == 3
        before = await stored_rows(db)
        full = next(r for r in plan["routes"] if r["weightG"] >= 900_000)
        other = next(r for r in plan["routes"] if r is not full)
        heavy = next(p for p in points_of(other) if p != early)

        refused = await move(gql, day, plan, heavy, toRouteId=full["id"], position=1)
        ((error,),) = [refused["userErrors"]]
        assert (error["code"], error["field"]) == ("CAPACITY_EXCEEDED", ["toRouteId"])
        assert "1200.0 kg, 200.0 kg more than its 1000 kg" in error["message"]

        later = next(r for r in plan["routes"] if early not in points_of(r))
        late = await move(gql, day, plan, early, toRouteId=later["id"], position=3)
        ((error,),) = [late["userErrors"]]
        assert (error["code"], error["field"]) == ("WINDOW_MISSED", ["position"])
        assert "自提点09" in error["message"] and "closes at 07:40" in error["message"]

        vans = plan["routes"][0]["vehicleType"]["id"]
        no_van = await move(gql, day, plan, heavy, vehicleTypeId=vans, position=1)
        assert [e["code"] for e in no_van["userErrors"]] == ["NO_VEHICLES"]
        nowhere = await move(gql, day, plan, heavy, toRouteId=full["id"], position=9)
        assert [e["code"] for e in nowhere["userErrors"]] == ["INVALID_POSITION"]
        stale = await move(
            gql, day, {**plan, "version": 0}, heavy, toRouteId=full["id"], position=1
        )
        assert [e["code"] for e in stale["userErrors"]] == ["STALE_PLAN"]
        assert refused["routePlan"] is None
    assert await stored_rows(db) == before


async def test_a_valid_move_reschedules_both_routes_and_an_emptied_route_disappears(db):
    day = await full_vans_day(db)
    early = day.points[8].gid
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
        plan_id = decode(plan["id"], "RoutePlan", [])

        def heavy(route: dict[str, Any]) -> list[str]:
            return [p for p in points_of(route) if p != early]

        full = next(r for r in plan["routes"] if len(heavy(r)) == 3)
        short = next(r for r in plan["routes"] if len(heavy(r)) == 2)
        moved = heavy(full)[1]
        done = await move(
            gql, day, plan, moved, toRouteId=short["id"], position=len(short["stops"]) + 1
        )
        assert done["userErrors"] == []
        after = done["routePlan"]
        assert after["version"] == 2
        source, target = (
            next(r for r in after["routes"] if r["id"] == x["id"]) for x in (full, short)
        )
        assert points_of(source) == [p for p in points_of(full) if p != moved]
        assert points_of(target) == [*points_of(short), moved]
        assert [s["position"] for s in source["stops"]] == list(range(1, len(full["stops"])))
        # One stop fewer: the van is back sooner and carries less.
        assert source["returnAt"] < full["returnAt"]
        assert source["weightG"] == full["weightG"] - 300_000
        assert target["stops"][-1]["arrivalAt"] > short["stops"][-1]["departureAt"]
        assert after["distanceM"] != plan["distanceM"]
        await check_stored_plan(db, plan_id)

        # A small van added to the fleet takes one stop on a new route...
        small = await gql(
            'mutation($w: ID!) { vehicleTypeCreate(input: {warehouseId: $w, name: "小面包车", '
            "capacityKg: 400, capacityTotes: 20, count: 1, fixedCostFen: 20000, "
            'costPerKmFen: 150, shiftStart: "06:00:00", maxShiftMinutes: 300}) '
            "{ vehicleType { id } } }",
            {"w": day.warehouse_gid},
            token=day.operator,
        )
        small_id = small["data"]["vehicleTypeCreate"]["vehicleType"]["id"]
        alone = points_of(target)[-1]
        opened = await move(gql, day, after, alone, vehicleTypeId=small_id, position=1)
        assert opened["userErrors"] == []
        three = opened["routePlan"]
        assert three["vehiclesUsed"] == 4
        assert route_of(three, alone)["vehicleType"]["name"] == "小面包车"
        await check_stored_plan(db, plan_id)
        # ...and moving it back empties that route, which goes.
        back = await move(
            gql, day, three, alone, toRouteId=target["id"], position=len(target["stops"])
        )
        assert back["userErrors"] == []
        assert back["routePlan"]["vehiclesUsed"] == 3 and back["routePlan"]["version"] == 4
        assert points_of(route_of(back["routePlan"], alone)) == points_of(target)
    assert await db.scalar("SELECT count(*) FROM routes") == 3
    await check_stored_plan(db, plan_id)


async def test_locked_stops_stay_on_their_vehicle_and_place_when_re_optimised(db):
    day = await full_vans_day(db)
    early = day.points[8].gid
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
        kept = next(r for r in plan["routes"] if early not in points_of(r))
        first = route_of(plan, early)
        locked = [*points_of(kept), early]
        body = await gql(
            LOCK,
            {
                "input": {
                    "planId": plan["id"],
                    "version": 1,
                    "pickupPointIds": locked,
                    "locked": True,
                }
            },
            token=day.operator,
        )
        plan = body["data"]["routePlanStopLock"]["routePlan"]
        assert plan["version"] == 2
        assert all(s["locked"] for s in route_of(plan, early)["stops"] if s["position"] == 1)
        elsewhere = next(r for r in plan["routes"] if r["id"] != kept["id"])
        refused = await move(
            gql, day, plan, points_of(kept)[0], toRouteId=elsewhere["id"], position=1
        )
        assert [e["code"] for e in refused["userErrors"]] == ["LOCKED_STOP"]

        # 3 s, not 1: with one second this failed once on a loaded machine
        # (its error not kept); the plan is full and the locks narrow it, so
        # serving every stop may take the search more than a second.
        started = await gql(
            REOPTIMIZE,
            {"input": {"planId": plan["id"], "version": 2, "timeLimitSeconds": 3}},
            token=day.operator,
        )
        again = await planned(gql, day.operator, started["data"]["routePlanReoptimize"])
        assert again["parent"] == {"id": plan["id"]} and again["status"] == "DRAFT"
        assert again["unservedStops"] == []

        def vehicle(route: dict[str, Any]) -> tuple[str, int]:
            return route["vehicleType"]["id"], route["vehicleNumber"]

        same = route_of(again, points_of(kept)[0])
        assert vehicle(same) == vehicle(kept)
        assert points_of(same)[: len(kept["stops"])] == points_of(kept)
        assert all(s["locked"] for s in same["stops"][: len(kept["stops"])])
        leading = route_of(again, early)
        assert vehicle(leading) == vehicle(first) and points_of(leading)[0] == early
        await check_stored_plan(db, decode(again["id"], "RoutePlan", []))

        # The draft it came from is untouched; unlocking is an edit too.
        unlocked = await gql(
            LOCK,
            {
                "input": {
                    "planId": plan["id"],
                    "version": 2,
                    "pickupPointIds": [early],
                    "locked": False,
                }
            },
            token=day.operator,
        )
        result = unlocked["data"]["routePlanStopLock"]["routePlan"]
        assert result["version"] == 3
        assert not route_of(result, early)["stops"][0]["locked"]


async def test_an_unserved_stop_goes_onto_a_route_only_where_it_fits(db):
    # Four 400 kg stops and one 1 t van: two wait for want of a vehicle.
    day = await routing_day(db, spread(4, weight_kg=400, totes=5), [van(capacity_kg=1000, count=1)])
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
        (route,) = plan["routes"]
        waiting = [u["pickupPoint"]["id"] for u in plan["unservedStops"]]
        assert len(waiting) == 2
        full = await move(gql, day, plan, waiting[0], toRouteId=route["id"], position=1)
        assert [e["code"] for e in full["userErrors"]] == ["CAPACITY_EXCEEDED"]

        lorry = await gql(
            'mutation($w: ID!) { vehicleTypeCreate(input: {warehouseId: $w, name: "备用车", '
            "capacityKg: 800, capacityTotes: 30, count: 1, fixedCostFen: 40000, "
            'costPerKmFen: 300, shiftStart: "06:30:00", maxShiftMinutes: 360}) '
            "{ vehicleType { id } } }",
            {"w": day.warehouse_gid},
            token=day.operator,
        )
        spare = lorry["data"]["vehicleTypeCreate"]["vehicleType"]["id"]
        opened = await move(gql, day, plan, waiting[0], vehicleTypeId=spare, position=1)
        assert opened["userErrors"] == []
        plan = opened["routePlan"]
        taken = await move(gql, day, plan, waiting[1], vehicleTypeId=spare, position=1)
        assert [e["code"] for e in taken["userErrors"]] == ["NO_VEHICLES"]
        new_route = route_of(plan, waiting[0])
        joined = await move(gql, day, plan, waiting[1], toRouteId=new_route["id"], position=2)
        assert joined["userErrors"] == []
        plan = joined["routePlan"]
        assert plan["unservedStops"] == [] and plan["stopCount"] == 4
        assert points_of(route_of(plan, waiting[0])) == waiting
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))
