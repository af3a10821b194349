"""Planning a warehouse's morning through the API: the planning job, plans
that keep every window and capacity (checked from the stored rows), the
stops no vehicle can serve reported with their reason, and who may plan."""

from __future__ import annotations

from datetime import time
from typing import Any

from api.graphql.ids import decode, encode
from kernel.accounts import Role
from tests.api.test_pagination import counting_statements
from tests.conftest import app_client, error_codes
from tests.fulfilment.purchasing.test_purchase_orders_api import finished
from tests.fulfilment.sorting.test_sorting import sorted_day
from tests.support.route_plans import (
    PLAN,
    PLAN_CREATE,
    Load,
    check_stored_plan,
    plan_day,
    planned,
    routing_day,
    spread,
    van,
)


def _codes(body: dict[str, Any], mutation: str = "routePlanCreate") -> list[str]:
    assert "errors" not in body, body
    return [e["code"] for e in body["data"][mutation]["userErrors"]]


async def test_a_morning_of_twenty_stops_is_planned_within_every_window_and_capacity(db):
    loads = [Load(80 + 15 * (i % 7), 3 + i % 4) for i in range(20)]
    loads[3] = Load(120, 4, window=(time(7, 30), time(9)))
    loads[11] = Load(90, 3, window=(time(8), time(10)))
    day = await routing_day(db, loads, [van(count=3), van("小面包车", capacity_kg=600, count=2)])
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
    assert plan["status"] == "DRAFT" and plan["version"] == 1
    assert plan["job"]["status"] == "SUCCEEDED" and plan["job"]["progress"] == 1.0
    assert plan["unservedStops"] == []
    assert plan["stopCount"] == 20
    assert sum(len(r["stops"]) for r in plan["routes"]) == 20
    # 2.1 t in all: more than one van's 1.5 t, so at least two vehicles.
    assert 2 <= plan["vehiclesUsed"] == len(plan["routes"])
    assert plan["distanceM"] == sum(r["distanceM"] for r in plan["routes"])
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))


async def test_sorted_goods_become_the_stop_demand(db):
    shop, _, _ = await sorted_day(db)
    async with app_client(db.url, jobs_mode="inline", routing_time_limit_s=2) as gql:
        sort = await gql(
            "mutation($w: ID!, $d: Date!) { sortingRun(input: {warehouseId: $w, "
            "deliveryDate: $d}) { job { id } } }",
            {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
            token=shop.operator_token,
        )
        await finished(gql, shop.operator_token, sort["data"]["sortingRun"]["job"]["id"])
        created = await gql(
            'mutation($w: ID!) { vehicleTypeCreate(input: {warehouseId: $w, name: "厢式货车", '
            "capacityKg: 1000, capacityTotes: 40, count: 1, fixedCostFen: 20000, "
            'costPerKmFen: 200, shiftStart: "06:00:00", maxShiftMinutes: 480}) '
            "{ userErrors { code } } }",
            {"w": encode("Warehouse", shop.warehouse_id)},
            token=shop.operator_token,
        )
        assert _codes(created, "vehicleTypeCreate") == []
        body = await gql(
            PLAN_CREATE,
            {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
            token=shop.operator_token,
        )
        started = body["data"]["routePlanCreate"]
        # The settings' default time limit when none is given.
        assert started["routePlan"]["status"] == "PLANNING"
        plan = await planned(gql, shop.operator_token, started)
    assert plan["timeLimitSeconds"] == 2
    ((route,),) = [plan["routes"]]
    ((stop,),) = [route["stops"]]
    # Five units of 500 g in one tote, as sorting counted them.
    assert (stop["weightG"], stop["totes"]) == (2500, 1)
    assert stop["pickupPoint"]["id"] == shop.pickup_point_gid
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))


async def test_stops_no_vehicle_can_serve_are_reported_with_the_reason(db):
    loads = spread(6, weight_kg=150, totes=4)
    loads.append(Load(2_000, 10))  # more than any vehicle carries
    loads.append(Load(50, 2, window=(time(5), time(6))))  # closes before any van leaves
    loads.append(Load(50, 70))  # more totes than any vehicle holds
    day = await routing_day(db, loads, [van(count=2)])
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
    reasons = {u["pickupPoint"]["id"]: u["reason"] for u in plan["unservedStops"]}
    assert reasons == {
        day.points[6].gid: "TOO_HEAVY",
        day.points[7].gid: "WINDOW_UNREACHABLE",
        day.points[8].gid: "TOO_HEAVY",
    }
    unserved = {u["pickupPoint"]["id"]: u for u in plan["unservedStops"]}
    assert unserved[day.points[6].gid]["weightG"] == 2_000_000
    assert plan["stopCount"] == 6
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))


async def test_a_fleet_too_small_for_the_day_leaves_stops_for_want_of_vehicles(db):
    # Ten stops of 400 kg and one 1,000 kg truck: two stops fit, the rest wait.
    day = await routing_day(
        db, spread(10, weight_kg=400, totes=5), [van(capacity_kg=1000, count=1)]
    )
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
    assert plan["vehiclesUsed"] == 1 and plan["stopCount"] == 2
    assert [u["reason"] for u in plan["unservedStops"]] == ["NOT_ENOUGH_VEHICLES"] * 8
    await check_stored_plan(db, decode(plan["id"], "RoutePlan", []))


async def test_nothing_to_plan_no_vehicles_and_a_bad_time_limit_are_refused(db):
    day = await routing_day(db, spread(3, weight_kg=100, totes=2), [van(count=0)])
    variables = {"w": day.warehouse_gid, "d": day.day.isoformat(), "t": 1}
    async with app_client(db.url, jobs_mode="inline") as gql:
        none = await gql(PLAN_CREATE, variables, token=day.operator)
        assert _codes(none) == ["NO_VEHICLES"]
        later = day.day.replace(year=day.day.year + 1)
        empty = await gql(PLAN_CREATE, {**variables, "d": later.isoformat()}, token=day.operator)
        assert _codes(empty) == ["NOTHING_TO_PLAN"]
        too_long = await gql(PLAN_CREATE, {**variables, "t": 601}, token=day.operator)
        assert _codes(too_long) == ["INVALID"]
        assert too_long["data"]["routePlanCreate"]["userErrors"][0]["field"] == ["timeLimitSeconds"]
    assert await db.scalar("SELECT count(*) FROM route_plans") == 0
    assert await db.scalar("SELECT count(*) FROM jobs WHERE kind = 'routes.plan'") == 0


PLANS = """
query($w: ID!, $d: Date!) { routePlans(warehouseId: $w, deliveryDate: $d, first: 10) {
  nodes { id status stopCount } pageInfo { hasNextPage } } }
"""


async def test_dispatchers_plan_and_nobody_else_sees_plans(db):
    day = await routing_day(db, spread(4, weight_kg=100, totes=2), [van(count=1)])
    _, dispatcher = await db.user(Role.DISPATCHER)
    _, customer = await db.user(Role.CUSTOMER)
    _, supplier = await db.user(Role.SUPPLIER)
    leader = day.points[0].token
    variables = {"w": day.warehouse_gid, "d": day.day.isoformat()}
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day, token=dispatcher)
        listed = await gql(PLANS, variables, token=dispatcher)
        assert listed["data"]["routePlans"]["nodes"] == [
            {"id": plan["id"], "status": "DRAFT", "stopCount": 4}
        ]
        for token in (leader, customer, supplier):
            assert error_codes(await gql(PLANS, variables, token=token)) == ["FORBIDDEN"]
            started = await gql(PLAN_CREATE, {**variables, "t": 1}, token=token)
            assert error_codes(started) == ["FORBIDDEN"]
            # Hidden objects read exactly like missing ones.
            hidden = await gql(PLAN, {"id": plan["id"]}, token=token)
            assert hidden["data"] == {"node": None}
            route = await gql(
                "query($id: ID!) { node(id: $id) { id } }",
                {"id": plan["routes"][0]["id"]},
                token=token,
            )
            assert route["data"] == {"node": None}
        assert error_codes(await gql(PLANS, variables)) == ["UNAUTHENTICATED"]


PLANS_IN_DEPTH = """
query($w: ID!, $d: Date!) { routePlans(warehouseId: $w, deliveryDate: $d, first: 10) { nodes {
  id job { status } warehouse { name } parent { id }
  routes { number vehicleType { name } stops { position locked pickupPoint { name } } }
  unservedStops { reason pickupPoint { name } } } } }
"""


async def test_listing_plans_in_depth_costs_the_same_statements_for_small_and_large_days(
    db, app_for, gql
):
    small = await routing_day(
        db, [*spread(3, weight_kg=100, totes=2), Load(5_000, 5)], [van(count=1)]
    )
    large = await routing_day(
        db, [*spread(20, weight_kg=150, totes=3), Load(5_000, 5)], [van(count=3)]
    )
    async with app_client(db.url, jobs_mode="inline") as planner:
        await plan_day(planner, small)
        for _ in range(2):
            await plan_day(planner, large)

    async def count(day: Any) -> tuple[int, list[dict[str, Any]]]:
        variables = {"w": day.warehouse_gid, "d": day.day.isoformat()}
        with counting_statements(app_for.state.engine) as statements:
            body = await gql(PLANS_IN_DEPTH, variables, token=day.operator)
        assert "errors" not in body, body
        return len(statements), body["data"]["routePlans"]["nodes"]

    few, (one,) = await count(small)
    many, plans = await count(large)
    assert sum(len(r["stops"]) for r in one["routes"]) == 3
    assert [sum(len(r["stops"]) for r in p["routes"]) for p in plans] == [20, 20]
    assert all(s["pickupPoint"]["name"] for p in plans for r in p["routes"] for s in r["stops"])
    assert [len(p["unservedStops"]) for p in plans] == [1, 1]
    # One query per kind of object whatever the number of plans, routes and
    # stops (a loader batch may split in two while it waits for the session).
    assert many <= few + 1, (few, many)


async def test_a_plan_whose_job_fails_is_marked_failed(db):
    day = await routing_day(db, spread(3, weight_kg=100, totes=2), [van(count=1)])
    # Road distances from an OSRM server that is not there.
    async with app_client(
        db.url, jobs_mode="inline", routing_matrix="osrm", osrm_url="http://127.0.0.1:9"
    ) as gql:
        body = await gql(
            PLAN_CREATE,
            {"w": day.warehouse_gid, "d": day.day.isoformat(), "t": 1},
            token=day.operator,
        )
        started = body["data"]["routePlanCreate"]
        job = await finished(gql, day.operator, started["job"]["id"])
        plan = (await gql(PLAN, {"id": started["routePlan"]["id"]}, token=day.operator))["data"]
    assert job["status"] == "FAILED" and "OSRM" in job["error"]
    assert plan["node"]["status"] == "FAILED" and plan["node"]["routes"] == []
