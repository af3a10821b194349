"""Publishing a plan: it freezes, it is the only published plan of its
day, and each leader on it is told (and can read) when the truck comes;
nothing else of the plan is theirs to see."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from api.graphql.downloads import route_sheet_path
from api.graphql.ids import decode
from kernel.accounts import Role
from tests.conftest import app_client, error_codes
from tests.support.route_plans import PLAN, Load, plan_day, routing_day, spread, van

PUBLISH = """
mutation($id: ID!, $v: Int!) { routePlanPublish(input: {planId: $id, version: $v}) {
  routePlan { id status version } userErrors { field code message } } }
"""


LOCK = """
mutation($id: ID!, $v: Int!, $p: [ID!]!) {
  routePlanStopLock(input: {planId: $id, version: $v, pickupPointIds: $p, locked: true}) {
    routePlan { version } userErrors { code } } }
"""


ETA = """
query($d: Date!) { leaderDelivery(deliveryDate: $d) { deliveryDate expectedArrivalAt
  pickupPoint { id name } } }
"""


def codes(body: dict[str, Any], mutation: str = "routePlanPublish") -> list[str]:
    assert "errors" not in body, body
    return [e["code"] for e in body["data"][mutation]["userErrors"]]


async def test_publishing_freezes_the_plan_and_tells_each_leader_their_arrival_time(db):
    loads = [*spread(5, weight_kg=120, totes=3), Load(3_000, 10)]  # the last is too heavy
    day = await routing_day(db, loads, [van(count=2)])
    _, dispatcher = await db.user(Role.DISPATCHER)
    _, customer = await db.user(Role.CUSTOMER)
    served, unserved = day.points[0], day.points[5]
    date = day.day.isoformat()
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day, token=dispatcher)
        assert (await gql(ETA, {"d": date}, token=served.token))["data"] == {"leaderDelivery": None}

        stale = await gql(PUBLISH, {"id": plan["id"], "v": 7}, token=dispatcher)
        assert codes(stale) == ["STALE_PLAN"]
        assert await db.scalar("SELECT count(*) FROM notifications WHERE kind = 'route.eta'") == 0

        body = await gql(PUBLISH, {"id": plan["id"], "v": 1}, token=dispatcher)
        assert codes(body) == []
        assert body["data"]["routePlanPublish"]["routePlan"]["status"] == "PUBLISHED"

        # Frozen: no edits, no second publication.
        locked = await gql(LOCK, {"id": plan["id"], "v": 1, "p": [served.gid]}, token=dispatcher)
        assert codes(locked, "routePlanStopLock") == ["PLAN_NOT_EDITABLE"]
        again = await gql(PUBLISH, {"id": plan["id"], "v": 1}, token=dispatcher)
        assert codes(again) == ["PLAN_NOT_EDITABLE"]

        # The leader sees the expected arrival at their point, nothing else.
        stop = next(
            s for r in plan["routes"] for s in r["stops"] if s["pickupPoint"]["id"] == served.gid
        )
        eta = (await gql(ETA, {"d": date}, token=served.token))["data"]["leaderDelivery"]
        assert eta["pickupPoint"]["id"] == served.gid and eta["deliveryDate"] == date
        assert eta["expectedArrivalAt"] == stop["serviceStartAt"]
        assert (await gql(ETA, {"d": date}, token=unserved.token))["data"] == {
            "leaderDelivery": None
        }
        assert (await gql(PLAN, {"id": plan["id"]}, token=served.token))["data"] == {"node": None}
        for token in (dispatcher, customer):
            assert error_codes(await gql(ETA, {"d": date}, token=token)) == ["FORBIDDEN"]

    told = await db.scalar("SELECT count(*) FROM notifications WHERE kind = 'route.eta'")
    assert told == 5
    for point in day.points[:5]:
        assert (
            await db.scalar(
                "SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'route.eta'",
                u=point.leader.id,
            )
            == 1
        )
    assert (
        await db.scalar(
            "SELECT count(*) FROM notifications WHERE user_id = :u AND kind = 'route.eta'",
            u=unserved.leader.id,
        )
        == 0
    )
    body = await db.scalar(
        "SELECT body FROM notifications WHERE user_id = :u AND kind = 'route.eta'",
        u=served.leader.id,
    )
    local = datetime.fromisoformat(stop["serviceStartAt"]).astimezone(db.settings.zone)
    assert f"{local:%H:%M}" in body and "自提点01" in body


async def test_a_second_plan_for_a_published_day_cannot_be_published(db):
    day = await routing_day(db, spread(4, weight_kg=100, totes=2), [van(count=1)])
    async with app_client(db.url, jobs_mode="inline") as gql:
        first = await plan_day(gql, day)
        second = await plan_day(gql, day)
        assert codes(await gql(PUBLISH, {"id": first["id"], "v": 1}, token=day.operator)) == []
        refused = await gql(PUBLISH, {"id": second["id"], "v": 1}, token=day.operator)
        assert codes(refused) == ["DAY_ALREADY_PUBLISHED"]
        still = await gql(PLAN, {"id": second["id"]}, token=day.operator)
        assert still["data"]["node"]["status"] == "DRAFT"
    assert await db.scalar("SELECT count(*) FROM route_plans WHERE status = 'published'") == 1
    assert await db.scalar("SELECT count(*) FROM notifications WHERE kind = 'route.eta'") == 4


ROUTES = """
query($w: ID!, $d: Date!) { publishedRoutes(warehouseId: $w, deliveryDate: $d) {
  number downloadUrls { csv pdf } stops { id position pickupPoint { id } } } }
"""


async def test_dispatchers_see_the_published_routes_and_drivers_print_their_sheets(db):
    day = await routing_day(db, spread(4, weight_kg=100, totes=2), [van(count=2)])
    _, driver = await db.user(Role.DRIVER)
    _, customer = await db.user(Role.CUSTOMER)
    variables = {"w": day.warehouse_gid, "d": day.day.isoformat()}
    async with app_client(db.url, jobs_mode="inline") as gql:
        plan = await plan_day(gql, day)
        draft = await gql(ROUTES, variables, token=day.operator)
        assert draft["data"] == {"publishedRoutes": []}
        plan_id = decode(plan["id"], "RoutePlan", ["id"])
        sheet = route_sheet_path(plan_id, plan["routes"][0]["number"], "csv")
        refused = await gql.http.get(sheet, headers={"Authorization": f"Bearer {driver}"})
        assert refused.status_code == 404, "a draft's sheet reads like a missing one"

        assert codes(await gql(PUBLISH, {"id": plan["id"], "v": 1}, token=day.operator)) == []
        routes = (await gql(ROUTES, variables, token=day.operator))["data"]["publishedRoutes"]
        assert [r["number"] for r in routes] == [r["number"] for r in plan["routes"]]
        stops = [s["pickupPoint"]["id"] for r in routes for s in r["stops"]]
        assert sorted(stops) == sorted(p.gid for p in day.points)
        printed = await gql.http.get(
            routes[0]["downloadUrls"]["pdf"], headers={"Authorization": f"Bearer {driver}"}
        )
        assert printed.status_code == 200 and printed.content.startswith(b"%PDF")
        # Drivers read the routes given to them (myRoutes), not the whole day's.
        for outsider in (driver, customer):
            assert error_codes(await gql(ROUTES, variables, token=outsider)) == ["FORBIDDEN"]
