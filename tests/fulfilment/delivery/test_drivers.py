"""Drivers on routes (issue 17): the dispatcher gives a published plan's
route to a driver; that driver sees it under myRoutes and reports at its
stops; another driver is refused there; dispatchers may report for anyone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from api.graphql.ids import encode
from fulfilment.routing.models import RoutePlanStatus
from kernel.accounts import Role
from tests.conftest import GraphQLClient, TestDB, error_codes
from tests.fulfilment.delivery.test_delivery import ARRIVE, planned

ASSIGN = """mutation($route: ID!, $driver: ID) {
  routeDriverAssign(input: {routeId: $route, driverId: $driver}) {
    route { id driver { id name } } userErrors { field code } } }"""
MY_ROUTES = """query($day: Date!) { myRoutes(deliveryDate: $day) {
  id number driver { name } stops { id pickupPoint { name } } } }"""


async def _assign(gql: GraphQLClient, token: str, route: str, driver: str | None) -> dict[str, Any]:
    body = await gql(ASSIGN, {"route": route, "driver": driver}, token=token)
    payload: dict[str, Any] = body["data"]["routeDriverAssign"]
    return payload


async def test_only_the_assigned_driver_reports_at_a_routes_stops(
    db: TestDB, gql: GraphQLClient
) -> None:
    day, plan = await planned(db)
    stop = encode("RouteStop", plan.stop_ids[day.shop.pickup_point_id])
    route = encode("Route", plan.route_ids[0])
    when = day.shop.delivery_date.isoformat()
    zhang, zhang_token = await db.user(Role.DRIVER, "司机老张")
    _, li_token = await db.user(Role.DRIVER, "司机小李")
    _, dispatcher = await db.user(Role.DISPATCHER)

    unassigned = (await gql(ARRIVE, {"id": stop}, token=zhang_token))["data"]["routeStopArrive"]
    assert [e["code"] for e in unassigned["userErrors"]] == ["NOT_YOUR_ROUTE"]
    assert (await gql(MY_ROUTES, {"day": when}, token=zhang_token))["data"]["myRoutes"] == []

    given = await _assign(gql, dispatcher, route, encode("User", zhang.id))
    assert given["userErrors"] == [] and given["route"]["driver"]["name"] == "司机老张"
    mine = (await gql(MY_ROUTES, {"day": when}, token=zhang_token))["data"]["myRoutes"]
    assert [r["id"] for r in mine] == [route]
    assert {s["id"] for s in mine[0]["stops"]} >= {stop}
    assert (await gql(MY_ROUTES, {"day": when}, token=li_token))["data"]["myRoutes"] == []

    other = (await gql(ARRIVE, {"id": stop}, token=li_token))["data"]["routeStopArrive"]
    assert [e["code"] for e in other["userErrors"]] == ["NOT_YOUR_ROUTE"]
    assert await db.scalar("SELECT count(*) FROM route_stops WHERE arrived_at IS NOT NULL") == 0
    ok = (await gql(ARRIVE, {"id": stop}, token=zhang_token))["data"]["routeStopArrive"]
    assert ok["userErrors"] == [] and ok["delivery"]["status"] == "ARRIVED"

    taken = await _assign(gql, dispatcher, route, None)
    assert taken["userErrors"] == [] and taken["route"]["driver"] is None
    again = (await gql(ARRIVE, {"id": stop}, token=zhang_token))["data"]["routeStopArrive"]
    assert [e["code"] for e in again["userErrors"]] == ["NOT_YOUR_ROUTE"]
    # A dispatcher taking a driver's call may report at any stop.
    by_phone = (await gql(ARRIVE, {"id": stop}, token=dispatcher))["data"]["routeStopArrive"]
    assert by_phone["userErrors"] == []


async def test_bad_assignments_are_refused_and_change_nothing(
    db: TestDB, gql: GraphQLClient
) -> None:
    day, plan = await planned(db)
    route = encode("Route", plan.route_ids[0])
    _, dispatcher = await db.user(Role.DISPATCHER)
    leader = day.shop.leader_user
    disabled, _ = await db.user(Role.DRIVER, "停用司机")
    async with db.engine.begin() as conn:
        await conn.execute(
            text("UPDATE users SET disabled_at = CURRENT_TIMESTAMP WHERE id = :id"),
            {"id": disabled.id},
        )
    cases = [
        (route, encode("User", leader.id), ["driverId"], "NOT_FOUND"),
        (route, encode("User", disabled.id), ["driverId"], "DRIVER_DISABLED"),
        (route, encode("User", 10**9), ["driverId"], "NOT_FOUND"),
        (encode("Route", 10**9), None, ["routeId"], "NOT_FOUND"),
        ("not-an-id", None, ["routeId"], "INVALID_ID"),
        (route, encode("Product", 1), ["driverId"], "INVALID_ID"),
    ]
    for route_id, driver_id, field, code in cases:
        payload = await _assign(gql, dispatcher, route_id, driver_id)
        assert [(e["field"], e["code"]) for e in payload["userErrors"]] == [(field, code)]
    assert await db.scalar("SELECT count(*) FROM routes WHERE driver_id IS NOT NULL") == 0


async def test_drafts_have_no_drivers_and_only_dispatchers_assign(
    db: TestDB, gql: GraphQLClient
) -> None:
    _, plan = await planned(db, RoutePlanStatus.DRAFT)
    route = encode("Route", plan.route_ids[0])
    driver, driver_token = await db.user(Role.DRIVER)
    _, dispatcher = await db.user(Role.DISPATCHER)
    draft = await _assign(gql, dispatcher, route, encode("User", driver.id))
    assert [e["code"] for e in draft["userErrors"]] == ["PLAN_NOT_PUBLISHED"]
    body = await gql(
        ASSIGN, {"route": route, "driver": encode("User", driver.id)}, token=driver_token
    )
    assert error_codes(body) == ["FORBIDDEN"]
    assert await db.scalar("SELECT count(*) FROM routes WHERE driver_id IS NOT NULL") == 0
