"""A point's pick lists over HTTP (the sorter's totals, the leader's
hand-out list, tote labels) and warehouse totals as CSV, XLSX and PDF, with
the same visibility rules as the GraphQL API; many points' documents for the
statements of one."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from api.graphql.ids import encode
from fulfilment.sorting.documents import hand_out_lists, point_totals
from kernel.accounts import Role
from kernel.errors import NotFound
from tests.api.test_pagination import counting_statements
from tests.fulfilment.sorting.test_documents import zoned_day
from tests.fulfilment.sorting.test_sorting import sorted_day
from tests.support.exports import XLSX, csv_rows, get, supplier_user, xlsx_sheet
from tests.support.factories import approved_pickup_point
from tests.support.routing import sorted_day as three_points_day

PDF = "application/pdf"


async def test_the_leader_downloads_their_pick_list_and_nobody_elses(db, gql):
    shop, _, _ = await sorted_day(db)
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
    header = ["存储区", "商品", "规格", "箱规(件/箱)", "数量", "整箱", "散件", "已分拣"]
    body = [
        ["常温", "商品0", "500g/盒", "12", "4", "0", "4", ""],
        ["常温", "商品1", "500g/盒", "12", "1", "0", "1", ""],
    ]
    assert csv_rows(response.content) == [header, *body]
    totals = f"{url}?kind=totals"
    assert (await get(gql, totals, shop.leader_token)).content == response.content

    xlsx = await get(gql, totals.replace(".csv", ".xlsx"), shop.leader_token)
    sheet = xlsx_sheet(xlsx.content)
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[1] == ["常温", "商品0", "500g/盒", 12, 4, 0, 4, None]
    assert sheet["A1"].font.bold and not sheet["A2"].font.bold
    pdf = await get(gql, totals.replace(".csv", ".pdf"), shop.leader_token)
    assert pdf.headers["content-type"] == PDF and b"/FontFile2" in pdf.content

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
        f"{url}?kind=everything",
        f"{url}?kind=labels",  # labels are PDF only
    ):
        assert (await get(gql, bad, shop.leader_token)).status_code == 400, bad
    assert (await get(gql, url, None)).status_code == 401


async def test_the_hand_out_list_is_for_the_points_leader_and_operators(db, gql):
    day = await zoned_day(db)
    shop = day.shop
    url = f"/exports/pick-lists/{shop.pickup_point_gid}/{shop.delivery_date}.csv?kind=handout"
    _, _, other_leader = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    _, dispatcher = await db.user(Role.DISPATCHER)

    response = await get(gql, url, shop.leader_token)
    assert response.status_code == 200, response.text
    assert unquote(response.headers["content-disposition"].split("''")[1]) == (
        f"取货清单-幸福小区-{shop.delivery_date}.csv"
    )
    rows = csv_rows(response.content)
    assert rows[0] == ["手机", "顾客", "订单号", "取货码尾号", "商品", "规格", "数量", "已取"]
    assert {(r[2], r[3]) for r in rows[1:]} == {
        (number, "***" + code[-3:]) for number, code in day.codes.items()
    }
    pdf = await get(gql, url.replace(".csv?", ".pdf?"), shop.operator_token)
    assert pdf.headers["content-type"] == PDF
    for code in day.codes.values():
        assert code.encode() not in response.content + pdf.content
    for token in (dispatcher, other_leader):
        hidden = await get(gql, url, token)
        assert (hidden.status_code, hidden.json()) == (404, {"code": "NOT_FOUND"})

    labels = url.replace(".csv?kind=handout", ".pdf?kind=labels")
    for token in (dispatcher, shop.leader_token, shop.operator_token):
        sheet = await get(gql, labels, token)
        assert sheet.status_code == 200 and sheet.headers["content-type"] == PDF
        assert b"/FontFile2" in sheet.content
    assert (await get(gql, labels, other_leader)).status_code == 404


async def test_many_points_documents_cost_the_statements_of_one(db):
    day = await three_points_day(db)
    points = [day.shop.pickup_point_id, day.point2, day.point3]
    when = day.shop.delivery_date
    for read in (point_totals, hand_out_lists):
        async with db.sessions() as session:
            with counting_statements(db.engine) as one:
                first = await read(session, points[:1], when)
            with counting_statements(db.engine) as three:
                found = await read(session, points, when)
            assert len(three) == len(one)
            assert found[points[0]] == first[points[0]]
            for point in points[1:]:
                assert found[point] == (await read(session, [point], when))[point]
            with pytest.raises(NotFound):
                await read(session, [points[0], 10**6], when)
    async with db.sessions() as session:
        totals = await point_totals(session, points, when)
        handouts = await hand_out_lists(session, points, when)
    assert [(ln.product, ln.units) for ln in totals[day.point2].lines] == [("商品0", 4)]
    assert [(ln.product, ln.units) for ln in totals[day.point3].lines] == [("商品1", 1)]
    (carol,) = handouts[day.point2].orders
    assert carol.resident == day.carol.name
    assert [(i.product, i.units) for i in carol.items] == [("商品0", 4)]


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
