"""Stage one's documents for a grid warehouse: the central's pick list for
the grid (whole cases and loose units, product by product) and one label
per handling unit the trunk carries (grid, date, zone, n/m); the grid's
own operator and the central's staff download them, another grid's
operator gets a 404."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from api.graphql.ids import encode
from fulfilment.routing.models import RoutePlanStatus
from kernel.accounts import Role
from tests.fulfilment.network.test_stage_one import day_with_a_grid, sort_both_stages
from tests.fulfilment.network.test_trunk_delay import at, grid_day, trunk_plan
from tests.support.exports import csv_rows, get
from tests.support.network import grid_of, grid_operator
from tests.support.pdf import pdf_pages, pdf_text

URLS = """
query($c: ID!, $d: Date!) { gridShipments(centralId: $c, deliveryDate: $d) {
  downloadUrls { pickListCsv pickListXlsx labelsPdf }
} }
"""


async def test_a_grid_gets_its_pick_list_and_a_label_per_handling_unit(db, gql):
    shop, grid, _ = await day_with_a_grid(db)
    await sort_both_stages(db, shop)
    _, staff = await db.user(Role.WAREHOUSE, "仓管")
    variables = {"c": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()}
    [shipment] = (await gql(URLS, variables, token=staff))["data"]["gridShipments"]
    urls = shipment["downloadUrls"]

    listed = await get(gql, urls["pickListCsv"], staff)
    assert listed.status_code == 200
    rows = csv_rows(listed.content)
    # 9 apples, 4 a case: 2 cases and 1 loose; 1 milk, loose.
    assert [r[3:7] for r in rows[1:]] == [["4", "9", "2", "1"], ["6", "1", "0", "1"]]
    assert (await get(gql, urls["pickListXlsx"], staff)).status_code == 200

    mine = await grid_operator(db, grid)
    labels = await get(gql, urls["labelsPdf"], mine)
    assert labels.status_code == 200
    # 2 cases of apples and 1 tote of loose units: 3 labels on one sheet.
    assert pdf_pages(labels.content) == 1
    text = pdf_text(labels.content)
    if text is not None:
        assert "网格仓-雨花" in text
        assert all(f"第{n}件 共3件" in text for n in (1, 2, 3))
        assert "第4件" not in text

    other = await grid_of(db, shop.warehouse_id, shop.operator, name="网格仓-岳麓")
    stranger = await grid_operator(db, other)
    assert (await get(gql, urls["labelsPdf"], stranger)).status_code == 404
    assert (await get(gql, urls["pickListCsv"], shop.leader_token)).status_code == 404


async def test_a_grid_operator_prints_its_own_points_stage_two_only(db, gql):
    shop, grid, _ = await day_with_a_grid(db)
    await sort_both_stages(db, shop)
    mine = await grid_operator(db, grid)
    direct = await db.scalar(
        "SELECT max(id) FROM pickup_points"  # day_with_a_grid's point served directly
    )
    day = shop.delivery_date.isoformat()

    def url(point: int, fmt: str, kind: str) -> str:
        return f"/exports/pick-lists/{encode('PickupPoint', point)}/{day}.{fmt}?kind={kind}"

    totals = await get(gql, url(shop.pickup_point_id, "csv", "totals"), mine)
    assert totals.status_code == 200
    # The point's 5 apples and 1 milk, for the grid's sorter.
    assert sorted(r[4] for r in csv_rows(totals.content)[1:]) == ["1", "5"]
    assert (await get(gql, url(shop.pickup_point_id, "pdf", "labels"), mine)).status_code == 200
    # Not the residents' hand-out list, and nothing of the central's own point.
    assert (await get(gql, url(shop.pickup_point_id, "csv", "handout"), mine)).status_code == 404
    assert (await get(gql, url(direct, "csv", "totals"), mine)).status_code == 404


INCOMING = """
query($c: ID!, $d: Date!) { gridShipments(centralId: $c, deliveryDate: $d) {
  incomingTrunk { planStatus routeNumber arrivalAt unloadedAt handlingUnits }
} }
"""


async def test_the_grid_sees_its_incoming_trunk_from_the_plan_in_force(db, gql):
    day, grid, _ = await grid_day(db)
    d, central = day.shop.delivery_date, day.shop.warehouse_id
    mine = await grid_operator(db, grid)
    variables = {"c": encode("Warehouse", central), "d": d.isoformat()}

    async def incoming() -> dict[str, Any] | None:
        [shipment] = (await gql(INCOMING, variables, token=mine))["data"]["gridShipments"]
        found: dict[str, Any] | None = shipment["incomingTrunk"]
        return found

    assert await incoming() is None  # no trunk planned yet
    await trunk_plan(db, central, grid, d, at(db, d, 5.5))
    draft = await incoming()
    assert draft is not None and draft["planStatus"] == "DRAFT"
    assert datetime.fromisoformat(draft["unloadedAt"]) == at(db, d, 5.5)
    # A published plan is in force over a later draft.
    await trunk_plan(db, central, grid, d, at(db, d, 4), status=RoutePlanStatus.PUBLISHED)
    await trunk_plan(db, central, grid, d, at(db, d, 6))
    published = await incoming()
    assert published is not None and published["planStatus"] == "PUBLISHED"
    assert datetime.fromisoformat(published["arrivalAt"]) == at(db, d, 4) - timedelta(minutes=40)
    assert published["handlingUnits"] == 8
