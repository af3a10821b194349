"""A dispatcher's edits of a draft trunk plan (干线), stop by stop as on a
delivery plan: a grid moved to another trunk route, a place or a spare
truck is checked by the same schedule (the trucks' capacity in kg and
handling units, the grids' receiving windows, the shift) and refused,
changing nothing, when it breaks one; locked grids stay on their truck and
in their place when the trunk is re-optimised; only operators and
dispatchers edit, and a grid is never named on a delivery plan."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time
from typing import Any

import pytest
from sqlalchemy import text

from api.graphql.ids import decode, encode
from fulfilment.network.models import GridWarehouse
from fulfilment.routing.edits import lock_stops, move_stop
from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.fleet import create_vehicle_type
from fulfilment.routing.problem import matrix_provider
from fulfilment.routing.sites import POINTS
from kernel.db import unit_of_work
from kernel.errors import CommonErrorCode, DomainError
from tests.conftest import GraphQLClient, TestDB, app_client, error_codes
from tests.fulfilment.network.test_trunk import GRIDS, _grids, trunk_truck
from tests.support.network import grid_operator
from tests.support.route_plans import RoutingDay, plan_day, planned, routing_day, spread, van

TRUNK_FIELDS = """id kind status version stopCount distanceM vehiclesUsed parent { id }
  routes { id number vehicleNumber vehicleType { id } departureAt returnAt weightG totes }
  trunkStops { routeNumber position arrivalAt serviceStartAt departureAt weightG
               handlingUnits locked gridWarehouse { id name } }
  unservedGrids { gridWarehouse { id } }"""
TRUNK = f"query($id: ID!) {{ node(id: $id) {{ ... on RoutePlan {{ {TRUNK_FIELDS} }} }} }}"
CREATE = """
mutation($w: ID!, $d: Date!) {
  routePlanCreate(input: {warehouseId: $w, deliveryDate: $d, timeLimitSeconds: 1, kind: TRUNK}) {
    routePlan { id } job { id } userErrors { field code message } } }
"""
MOVE = f"""mutation($input: RoutePlanStopMoveInput!) {{ routePlanStopMove(input: $input) {{
  routePlan {{ {TRUNK_FIELDS} }} userErrors {{ field code message }} }} }}"""
LOCK = f"""mutation($input: RoutePlanStopLockInput!) {{ routePlanStopLock(input: $input) {{
  routePlan {{ {TRUNK_FIELDS} }} userErrors {{ field code message }} }} }}"""
REOPTIMIZE = """
mutation($input: RoutePlanReoptimizeInput!) { routePlanReoptimize(input: $input) {
  routePlan { id } job { id } userErrors { field code message } } }
"""
YUELU = GRIDS[0][0]


async def trunk_day(db: TestDB) -> tuple[RoutingDay, dict[str, int]]:
    """The three grids of test_trunk (8 handling units each) and two trunk
    trucks of 20 units, so a truck takes two grids at most; 岳麓 receives
    only until 01:20, so it is reachable only as a truck's first stop."""
    day = await routing_day(db, spread(7, weight_kg=120, totes=4), [van(count=2)])
    grids = dict(zip((g[0] for g in GRIDS), await _grids(db, day, trucks=False), strict=True))
    async with unit_of_work(db.sessions) as session:
        await create_vehicle_type(session, day.shop.warehouse_id, trunk_truck(capacity_totes=20))
        yuelu = await session.get(GridWarehouse, grids[YUELU])
        assert yuelu is not None
        yuelu.receiving_end = time(1, 20)
    return day, grids


@dataclass(frozen=True)
class Trunk:
    """The day's trunk plan as read, and how it goes: 岳麓 alone on one
    truck (route ``alone``), 开福 and 雨花 on the other (``pair``: ``head``
    then ``tail``, in the order the solver chose)."""

    plan: dict[str, Any]
    alone: dict[str, Any]
    pair: dict[str, Any]
    head: str
    tail: str


async def plan_trunk(gql: GraphQLClient, day: RoutingDay) -> Trunk:
    variables = {"w": day.warehouse_gid, "d": day.day.isoformat()}
    body = await gql(CREATE, variables, token=day.operator)
    started = await planned(gql, day.operator, body["data"]["routePlanCreate"])
    plan = await read(gql, day, started["id"])
    alone = route(plan, stop(plan, YUELU)["routeNumber"])
    (pair,) = [r for r in plan["routes"] if r is not alone]
    assert names(plan, alone["number"]) == [YUELU], plan
    head, tail = names(plan, pair["number"])
    return Trunk(plan, alone, pair, head, tail)


async def read(gql: GraphQLClient, day: RoutingDay, plan_id: str) -> dict[str, Any]:
    plan: dict[str, Any] = (await gql(TRUNK, {"id": plan_id}, token=day.operator))["data"]["node"]
    return plan


def names(plan: dict[str, Any], route_number: int) -> list[str]:
    stops = [s for s in plan["trunkStops"] if s["routeNumber"] == route_number]
    return [s["gridWarehouse"]["name"] for s in sorted(stops, key=lambda s: s["position"])]


def stop(plan: dict[str, Any], grid: str) -> dict[str, Any]:
    return next(s for s in plan["trunkStops"] if s["gridWarehouse"]["name"] == grid)


def route(plan: dict[str, Any], number: int) -> dict[str, Any]:
    return next(r for r in plan["routes"] if r["number"] == number)


async def trunk_rows(db: TestDB) -> list[Any]:
    """Everything an edit may change, to compare before and after a refusal."""
    async with db.engine.connect() as conn:
        return [
            (await conn.execute(text(sql))).all()
            for sql in (
                "SELECT id, version, distance_m, cost_fen, vehicles_used, stops FROM route_plans",
                "SELECT id, vehicle_type_id, vehicle_number, departure_at, return_at, distance_m, "
                "weight_g, totes FROM routes ORDER BY id",
                "SELECT route_id, position, grid_id, arrival_at, departure_at, load_g_after, "
                "totes_after, locked FROM trunk_stops ORDER BY id",
                "SELECT grid_id FROM trunk_unserved ORDER BY id",
            )
        ]


async def move(db: TestDB, plan: dict[str, Any], grid: int, **where: Any) -> None:
    """move_stop on the trunk plan as ``plan`` was read, in one transaction."""
    async with unit_of_work(db.sessions) as session:
        await move_stop(
            session,
            decode(plan["id"], "RoutePlan", []),
            plan["version"],
            grid,
            to_route_id=where.pop("to_route_id", None),
            vehicle_type_id=where.pop("vehicle_type_id", None),
            zone=db.settings.zone,
            provider=matrix_provider(db.settings),
            **where,
        )


async def test_a_grid_moves_to_another_trunk_route_which_is_rescheduled(db):
    day, grids = await trunk_day(db)
    async with app_client(db.url, jobs_mode="inline") as gql:
        trunk = await plan_trunk(gql, day)
        plan, tail = trunk.plan, trunk.tail
        alone = decode(trunk.alone["id"], "Route", [])
        await move(db, plan, grids[tail], to_route_id=alone, position=2)
        after = await read(gql, day, plan["id"])
    assert after["version"] == plan["version"] + 1
    joined, left = route(after, trunk.alone["number"]), route(after, trunk.pair["number"])
    assert (names(after, joined["number"]), names(after, left["number"])) == (
        [YUELU, tail],
        [trunk.head],
    )
    # Loads and times follow the grids: 岳麓's truck now goes on to the tail.
    assert (joined["weightG"], joined["totes"]) == (480_000, 16)
    assert (left["weightG"], left["totes"]) == (240_000, 8)
    assert stop(after, tail)["position"] == 2
    assert stop(after, tail)["arrivalAt"] > stop(after, YUELU)["departureAt"]
    assert stop(after, tail)["arrivalAt"] != stop(plan, tail)["arrivalAt"]
    assert joined["returnAt"] > trunk.alone["returnAt"]
    assert after["distanceM"] != plan["distanceM"] and after["stopCount"] == 3

    # A spare trunk truck opens a route of its own; a delivery van never does.
    async with unit_of_work(db.sessions) as session:
        spare_truck = van("备用干线车", trunk=True, capacity_kg=5000, count=1, shift_start=time(0))
        spare = await create_vehicle_type(session, day.shop.warehouse_id, spare_truck)
    await move(db, after, grids[trunk.head], vehicle_type_id=spare.id, position=1)
    later = {**after, "version": after["version"] + 1}
    with pytest.raises(DomainError) as refused:
        await move(db, later, grids[tail], vehicle_type_id=day.vehicle_type_ids[0], position=1)
    assert (refused.value.code, refused.value.field) == (CommonErrorCode.INVALID, ["vehicleTypeId"])
    assert await db.scalar("SELECT vehicles_used FROM route_plans") == 2
    assert await db.scalar("SELECT count(*) FROM routes") == 2  # the emptied route went


async def test_moves_that_break_a_rule_are_refused_and_change_nothing(db):
    day, grids = await trunk_day(db)
    async with app_client(db.url, jobs_mode="inline") as gql:
        trunk = await plan_trunk(gql, day)
    plan = trunk.plan
    alone, pair = (decode(r["id"], "Route", []) for r in (trunk.alone, trunk.pair))
    before = await trunk_rows(db)

    async def refused(grid: str, **where: Any) -> DomainError:
        with pytest.raises(DomainError) as caught:
            await move(db, where.pop("plan", plan), grids[grid], **where)
        return caught.value

    # 岳麓 on the other truck: 24 handling units for 20.
    full = await refused(YUELU, to_route_id=pair, position=1)
    assert (full.code, full.field) == (RoutingErrorCode.CAPACITY_EXCEEDED, ["toRouteId"])
    assert "would carry 24 handling units, 4 more than its 20" in full.message
    assert YUELU in full.message
    # Another grid before 岳麓: 岳麓 would be reached after its window closes at 01:20.
    late = await refused(trunk.tail, to_route_id=alone, position=1)
    assert (late.code, late.field) == (RoutingErrorCode.WINDOW_MISSED, ["position"])
    assert YUELU in late.message and "closes at 01:20" in late.message
    stale = await refused(trunk.tail, to_route_id=alone, position=2, plan={**plan, "version": 0})
    assert stale.code is RoutingErrorCode.STALE_PLAN
    nowhere = await refused(trunk.tail, to_route_id=alone, position=3)
    assert nowhere.code is RoutingErrorCode.INVALID_POSITION
    # A pickup point's id is no stop of a trunk plan.
    wrong = await refused(trunk.tail, to_route_id=alone, position=2, named=POINTS)
    assert (wrong.code, wrong.field) == (CommonErrorCode.INVALID, ["pickupPointId"])
    assert await trunk_rows(db) == before

    async with unit_of_work(db.sessions) as session:
        plan_id = decode(plan["id"], "RoutePlan", [])
        await lock_stops(session, plan_id, 1, [grids[trunk.tail]], True)
    locked = await refused(trunk.tail, to_route_id=alone, position=2, plan={**plan, "version": 2})
    assert (locked.code, locked.field) == (RoutingErrorCode.LOCKED_STOP, ["gridId"])


async def test_locked_grids_stay_on_their_truck_and_place_when_re_optimised(db):
    day, grids = await trunk_day(db)
    async with app_client(db.url, jobs_mode="inline") as gql:
        trunk = await plan_trunk(gql, day)
        pair = [trunk.head, trunk.tail]
        kept = [encode("Warehouse", grids[g]) for g in pair]
        lock = {"planId": trunk.plan["id"], "version": 1, "gridIds": kept, "locked": True}
        body = await gql(LOCK, {"input": lock}, token=day.operator)
        assert body["data"]["routePlanStopLock"]["userErrors"] == []
        plan = body["data"]["routePlanStopLock"]["routePlan"]
        assert plan["version"] == 2
        assert [stop(plan, g)["locked"] for g in (YUELU, *pair)] == [False, True, True]

        reoptimise = {"planId": plan["id"], "version": 2, "timeLimitSeconds": 1}
        started = await gql(REOPTIMIZE, {"input": reoptimise}, token=day.operator)
        done = await planned(gql, day.operator, started["data"]["routePlanReoptimize"])
        again = await read(gql, day, done["id"])
    assert (again["kind"], again["status"], again["parent"]) == (
        "TRUNK",
        "DRAFT",
        {"id": plan["id"]},
    )
    assert again["unservedGrids"] == [] and again["stopCount"] == 3

    def truck(plan: dict[str, Any], grid: str) -> tuple[str, int]:
        found = route(plan, stop(plan, grid)["routeNumber"])
        return found["vehicleType"]["id"], found["vehicleNumber"]

    for place, grid in enumerate(pair, start=1):
        assert truck(again, grid) == truck(plan, grid)
        assert stop(again, grid)["position"] == place
        assert stop(again, grid)["locked"]
    assert not stop(again, YUELU)["locked"]


async def test_the_api_moves_and_locks_grids_only_on_a_trunk_plan_for_dispatchers(db):
    day, grids = await trunk_day(db)
    async with app_client(db.url, jobs_mode="inline") as gql:
        trunk = await plan_trunk(gql, day)
        plan, tail = trunk.plan, encode("Warehouse", grids[trunk.tail])
        to_alone = {"planId": plan["id"], "version": 1, "toRouteId": trunk.alone["id"]}

        async def moved(token: str = day.operator, **fields: Any) -> dict[str, Any]:
            body = await gql(MOVE, {"input": {**to_alone, **fields}}, token=token)
            assert "errors" not in body, body
            payload: dict[str, Any] = body["data"]["routePlanStopMove"]
            return payload

        def refusal(payload: dict[str, Any]) -> list[tuple[str, list[str]]]:
            return [(e["code"], e["field"]) for e in payload["userErrors"]]

        point = day.points[0].gid
        assert refusal(await moved(position=2)) == [("INVALID", ["pickupPointId"])]
        both = await moved(position=2, gridId=tail, pickupPointId=point)
        assert refusal(both) == [("INVALID", ["gridId"])]
        assert refusal(await moved(position=2, pickupPointId=point)) == [
            ("INVALID", ["pickupPointId"])
        ]
        late = await moved(position=1, gridId=tail)
        assert refusal(late) == [("WINDOW_MISSED", ["position"])]
        for token in (await grid_operator(db, grids[YUELU]), day.points[1].token):
            body = await gql(
                MOVE, {"input": {**to_alone, "position": 2, "gridId": tail}}, token=token
            )
            assert error_codes(body) == ["FORBIDDEN"]
            lock = {"planId": plan["id"], "version": 1, "gridIds": [tail], "locked": True}
            assert error_codes(await gql(LOCK, {"input": lock}, token=token)) == ["FORBIDDEN"]

        done = await moved(position=2, gridId=tail)
        assert done["userErrors"] == []
        after = done["routePlan"]
        assert (after["version"], names(after, trunk.alone["number"])) == (2, [YUELU, trunk.tail])
        stale = await moved(position=1, gridId=tail, toRouteId=trunk.pair["id"])
        assert refusal(stale) == [("STALE_PLAN", ["version"])]

        # A delivery plan's stops are pickup points: a grid is no stop of it.
        delivery = await plan_day(gql, day)
        on_delivery = {
            "planId": delivery["id"],
            "version": 1,
            "toRouteId": delivery["routes"][0]["id"],
            "position": 1,
            "gridId": tail,
        }
        body = await gql(MOVE, {"input": on_delivery}, token=day.operator)
        assert refusal(body["data"]["routePlanStopMove"]) == [("INVALID", ["gridId"])]
        lock = {"planId": delivery["id"], "version": 1, "gridIds": [tail], "locked": True}
        body = await gql(LOCK, {"input": lock}, token=day.operator)
        assert refusal(body["data"]["routePlanStopLock"]) == [("INVALID", ["gridIds"])]
