"""A grid operator reads its own grid's vans' plans (routes, stops, loads)
and its points' deliveries and receipts; another grid's and the central's
own read exactly like missing ones (FORBIDDEN when asked for by
warehouse), and it changes no plan."""

from __future__ import annotations

from typing import Any

from api.graphql.downloads import route_map_path, route_sheet_path
from api.graphql.ids import encode
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport
from fulfilment.routing.models import RoutePlanStatus
from tests.conftest import error_codes
from tests.fulfilment.delivery.test_delivery import arrive, sign
from tests.fulfilment.routing.test_route_publishing import PUBLISH
from tests.support.exports import get
from tests.support.network import grid_of, grid_operator
from tests.support.routing import sorted_day, store_plan

CURRENT = """
query($w: ID!, $d: Date!) { currentRoutePlan(warehouseId: $w, deliveryDate: $d) {
  id status trunkReadyAt
  routes { id number departureAt weightG totes
    stops { id position arrivalAt weightG totes pickupPoint { name } } } } }
"""
PLANS = """
query($w: ID!, $d: Date!) { routePlans(warehouseId: $w, deliveryDate: $d, first: 10) {
  nodes { id status } } }
"""
DELIVERIES = """
query($w: ID!, $d: Date!) { stopDeliveries(warehouseId: $w, deliveryDate: $d) {
  status pickupPoint { name }
  receipt { signedAt issues { kind quantity refundedFen product { name } } } } }
"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { id } }"


async def test_a_grid_operator_reads_its_own_grids_plan_and_receipts_only(db, gql):
    day = await sorted_day(db)
    d = day.shop.delivery_date
    mine = await grid_of(
        db, day.shop.warehouse_id, day.shop.operator, points=[day.shop.pickup_point_id]
    )
    other = await grid_of(
        db, day.shop.warehouse_id, day.shop.operator, name="网格仓-二", points=[day.point2]
    )
    points = [day.shop.pickup_point_id]
    published = await store_plan(db, mine, d, [points])
    draft = await store_plan(db, mine, d, [points], status=RoutePlanStatus.DRAFT)
    theirs = await store_plan(db, other, d, [[day.point2]])
    centrals = await store_plan(db, day.shop.warehouse_id, d, [[day.point3]])
    await arrive(db, published.stop_ids[day.shop.pickup_point_id])
    await sign(db, day, published, IssueReport(day.product_a, DeliveryIssueKind.MISSING, 1))
    token = await grid_operator(db, mine)

    async def read(query: str, warehouse: int) -> dict[str, Any]:
        variables = {"w": encode("Warehouse", warehouse), "d": d.isoformat()}
        body: dict[str, Any] = await gql(query, variables, token=token)
        return body

    # Its vans' plan: the published one rather than the later draft.
    plan = (await read(CURRENT, mine))["data"]["currentRoutePlan"]
    assert (plan["id"], plan["status"]) == (encode("RoutePlan", published.plan_id), "PUBLISHED")
    [route] = plan["routes"]
    [stop] = route["stops"]
    assert stop["pickupPoint"] == {"name": "桃子湖小区"} and stop["weightG"] > 0
    assert len((await read(PLANS, mine))["data"]["routePlans"]["nodes"]) == 2
    [delivery] = (await read(DELIVERIES, mine))["data"]["stopDeliveries"]
    assert delivery["status"] == "SIGNED"
    assert delivery["pickupPoint"] == {"name": "桃子湖小区"}
    [issue] = delivery["receipt"]["issues"]
    assert (issue["kind"], issue["quantity"], issue["refundedFen"]) == ("MISSING", 1, 990)

    # Another grid's and the central's own: refused by warehouse, missing by id.
    for warehouse in (other, day.shop.warehouse_id):
        for query in (CURRENT, PLANS, DELIVERIES):
            assert error_codes(await read(query, warehouse)) == ["FORBIDDEN"]
    ids = [
        encode("RoutePlan", published.plan_id),
        encode("RoutePlan", theirs.plan_id),
        encode("Route", theirs.route_ids[0]),
        encode("RouteStop", centrals.stop_ids[day.point3]),
        encode("RoutePlan", centrals.plan_id),
        encode("Route", published.route_ids[0]),
    ]
    nodes = (await gql(NODES, {"ids": ids}, token=token))["data"]["nodes"]
    assert [n is not None for n in nodes] == [True, False, False, False, False, True]

    # It reads plans; it does not publish them.
    body = await gql(PUBLISH, {"id": encode("RoutePlan", draft.plan_id), "v": 1}, token=token)
    assert error_codes(body) == ["FORBIDDEN"]
    status = await db.scalar("SELECT status FROM route_plans WHERE id = :id", id=draft.plan_id)
    assert status == "draft"

    # It prints its own vans' route sheets and map, nobody else's.
    for plan_id, found in ((published.plan_id, 200), (theirs.plan_id, 404)):
        sheet = route_sheet_path(plan_id, 1, "csv")
        assert (await get(gql, sheet, token)).status_code == found
        assert (await get(gql, route_map_path(plan_id), token)).status_code == found
    assert (await get(gql, route_map_path(centrals.plan_id), token)).status_code == 404
