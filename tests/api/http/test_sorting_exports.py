"""Pick lists and warehouse totals as CSV and XLSX over HTTP, with the same
visibility rules as the GraphQL API; many pick lists for the statements of
one."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from sqlalchemy import select

from api.graphql.ids import encode
from fulfilment.campaigns.models import Product
from fulfilment.sorting.exports import pick_list_rows, pick_lists_rows
from fulfilment.sorting.sorting import pick_list
from kernel.accounts import Role
from kernel.errors import NotFound
from tests.api.test_pagination import counting_statements
from tests.fulfilment.sorting.test_sorting import sorted_day
from tests.support.exports import XLSX, csv_rows, get, supplier_user, xlsx_sheet
from tests.support.factories import approved_pickup_point
from tests.support.routing import sorted_day as three_points_day


async def test_the_leader_downloads_their_pick_list_and_nobody_elses(db, gql):
    shop, alice, bob = await sorted_day(db)
    day = shop.delivery_date.isoformat()
    url = f"/exports/pick-lists/{shop.pickup_point_gid}/{day}.csv"
    _, _, other_leader = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    _, dispatcher = await db.user(Role.DISPATCHER)
    supplier = await supplier_user(db, shop.extra["supplier_id"])

    response = await get(gql, url, shop.leader_token)
    assert response.status_code == 200, response.text
    assert (
        f'filename="pick-list-{shop.pickup_point_id}-{day}.csv"'
        in (response.headers["content-disposition"])
    )
    rows = csv_rows(response.content)
    leader = shop.leader_user.name
    assert rows[:3] == [
        ["自提点", "团长", "商品", "数量"],
        ["幸福小区", leader, "商品0", "4"],
        ["幸福小区", leader, "商品1", "1"],
    ]
    assert rows[3] == []
    assert rows[4] == ["顾客", "电话", "商品", "数量"]
    async with db.sessions() as session:
        _, customers = await pick_list(
            session, shop.warehouse_id, shop.delivery_date, shop.pickup_point_id
        )
        names = dict(
            (p.id, p.name)
            for p in (
                await session.execute(
                    select(Product).where(Product.supplier_id == shop.extra["supplier_id"])
                )
            ).scalars()
        )
    who = {alice.id: "爱丽丝", bob.id: "鲍勃"}
    expected = [[who[c.customer_id], "", names[c.product_id], str(c.units)] for c in customers]
    assert rows[5:] == expected
    assert sorted(rows[5:]) == sorted(
        [["爱丽丝", "", "商品0", "3"], ["爱丽丝", "", "商品1", "1"], ["鲍勃", "", "商品0", "1"]]
    )

    sheet = xlsx_sheet((await get(gql, url.replace(".csv", ".xlsx"), shop.leader_token)).content)
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[1] == ["幸福小区", leader, "商品0", 4]
    assert cells[5:] == [[row[0], None, row[2], int(row[3])] for row in expected]
    assert sheet["A1"].font.bold and sheet["A5"].font.bold and not sheet["A6"].font.bold

    for token in (other_leader, supplier):
        hidden = await get(gql, url, token)
        assert (hidden.status_code, hidden.json()) == (404, {"code": "NOT_FOUND"})
    assert (await get(gql, url, dispatcher)).status_code == 200
    assert (await get(gql, url, shop.operator_token)).status_code == 200
    missing = f"/exports/pick-lists/{encode('PickupPoint', 10**6)}/{day}.csv"
    assert (await get(gql, missing, shop.operator_token)).status_code == 404
    for bad in (
        f"/exports/pick-lists/{shop.pickup_point_gid}/2026-13-01.csv",
        f"/exports/pick-lists/{shop.pickup_point_gid}/tomorrow.csv",
        url.replace(".csv", ".json"),
    ):
        assert (await get(gql, bad, shop.leader_token)).status_code == 400, bad
    assert (await get(gql, url, None)).status_code == 401


async def test_many_pick_lists_cost_the_statements_of_one(db):
    day = await three_points_day(db)
    points = [day.shop.pickup_point_id, day.point2, day.point3]
    when = day.shop.delivery_date
    async with db.sessions() as session:
        with counting_statements(db.engine) as one:
            first = await pick_list_rows(session, points[0], when)
        with counting_statements(db.engine) as three:
            lists = await pick_lists_rows(session, points, when)
        assert len(three) == len(one)
        assert lists[points[0]] == first
        for point in points[1:]:
            assert lists[point] == await pick_list_rows(session, point, when)
        with pytest.raises(NotFound):
            await pick_lists_rows(session, [points[0], 10**6], when)
    carol = day.carol.name
    assert lists[day.point2].rows[1][2:] == ("商品0", 4)
    assert lists[day.point2].rows[4:] == [(carol, "", "商品0", 4)]
    assert [r[2:] for r in lists[day.point3].rows[1:2]] == [("商品1", 1)]


async def test_warehouse_totals_for_operators_and_dispatchers(db, gql):
    shop, _, _ = await sorted_day(db)
    day = shop.delivery_date.isoformat()
    url = f"/exports/warehouse-totals/{encode('Warehouse', shop.warehouse_id)}/{day}.csv"
    _, dispatcher = await db.user(Role.DISPATCHER)

    response = await get(gql, url, shop.operator_token)
    assert response.status_code == 200, response.text
    assert csv_rows(response.content) == [["商品", "数量"], ["商品0", "4"], ["商品1", "1"]]
    assert unquote(response.headers["content-disposition"].split("''")[1]) == (
        f"仓库汇总-{shop.warehouse_id}-{day}.csv"
    )
    xlsx = await get(gql, url.replace(".csv", ".xlsx"), dispatcher)
    assert xlsx.headers["content-type"] == XLSX
    assert [list(r) for r in xlsx_sheet(xlsx.content).iter_rows(values_only=True)] == [
        ["商品", "数量"],
        ["商品0", 4],
        ["商品1", 1],
    ]
    another_day = f"/exports/warehouse-totals/{encode('Warehouse', shop.warehouse_id)}/2000-01-01"
    assert csv_rows((await get(gql, f"{another_day}.csv", dispatcher)).content) == [
        ["商品", "数量"]
    ]
    for token in (shop.leader_token, await supplier_user(db, shop.extra["supplier_id"])):
        hidden = await get(gql, url, token)
        assert (hidden.status_code, hidden.json()) == (404, {"code": "NOT_FOUND"})
    missing = f"/exports/warehouse-totals/{encode('Warehouse', 10**6)}/{day}.csv"
    assert (await get(gql, missing, shop.operator_token)).status_code == 404
    assert (await get(gql, url.replace(".csv", ".CSV"), shop.operator_token)).status_code == 400
