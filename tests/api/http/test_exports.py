"""File exports over HTTP: purchase orders, pick lists and warehouse totals as
CSV and XLSX, with the same visibility rules as the GraphQL API."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

import openpyxl
import pytest
from sqlalchemy import select

from api.graphql.ids import encode
from fulfilment.campaigns import catalog
from fulfilment.campaigns.models import Product, Supplier
from fulfilment.orders.cancelling import cancel_order
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.models import PurchaseOrder
from fulfilment.sorting.exports import pick_list_rows, pick_lists_rows
from fulfilment.sorting.sorting import pick_list
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.errors import NotFound
from kernel.money import yuan
from kernel.tables import Rows, Yuan, to_csv, to_xlsx
from tests.api.test_pagination import counting_statements
from tests.conftest import TOKEN_SECRET
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.fulfilment.sorting.test_sorting import sorted_day
from tests.support.factories import approved_pickup_point, open_shop
from tests.support.routing import sorted_day as three_points_day

PO_HEADER = [
    "供应商",
    "仓库",
    "送货日期",
    "版本",
    "商品",
    "单位",
    "订购数量",
    "箱规",
    "箱数",
    "采购数量",
    "余量",
    "单价(元)",
    "金额(元)",
]


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def get(gql: Any, url: str, token: str | None) -> Any:
    return await gql.http.get(url, headers=auth(token))


def csv_rows(body: bytes) -> list[list[str]]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:10]
    return list(csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")))


def xlsx_sheet(body: bytes) -> Any:
    return openpyxl.load_workbook(io.BytesIO(body)).active


async def supplier_user(db: Any, supplier_id: int) -> str:
    async with unit_of_work(db.sessions) as session:
        _, token = await catalog.create_supplier_user(
            session, supplier_id=supplier_id, name="供应商账号", secret=TOKEN_SECRET
        )
    return token


async def other_supplier(db: Any) -> str:
    async with unit_of_work(db.sessions) as session:
        supplier = await catalog.create_supplier(
            session, name="别家供应商", contact_name="老张", contact_phone="13600136000"
        )
    return await supplier_user(db, supplier.id)


async def priced_day(db: Any):
    """Two products at 12.99 and 0.05 yuan a unit (cases of 12); alice orders
    3 + 1, bob 2 of the first; cutoff and consolidation: one PO."""
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 1990, "list_price_fen": 2490},
            {"group_price_fen": 350, "list_price_fen": 400},
        ],
    )
    first = shop.extra["product_id"]
    async with unit_of_work(db.sessions) as session:
        for product_id, cost in ((first, 1299), (first + 1, 5)):
            product = await session.get(Product, product_id)
            assert product is not None
            product.cost_fen = cost
    alice, _ = await db.user(Role.CUSTOMER, "爱丽丝")
    bob, _ = await db.user(Role.CUSTOMER, "鲍勃")
    await order(db, shop, alice, {0: 3, 1: 1}, pay=True)
    bobs = await order(db, shop, bob, {0: 2}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    return shop, po.id, bobs


def po_line(shop: Any, revision: int, name: str, ordered: int, unit: str, amount: str):
    return [
        "",  # supplier and warehouse names are checked separately
        "",
        shop.delivery_date.isoformat(),
        str(revision),
        name,
        "500g/盒",
        str(ordered),
        "12",
        "1",
        "12",
        str(12 - ordered),
        unit,
        amount,
    ]


def without_names(rows: list[list[str]]) -> list[list[str]]:
    return [["", "", *row[2:]] if row and row[0] != "合计" else row for row in rows]


async def test_the_supplier_downloads_its_purchase_order_as_csv_and_xlsx(db, gql):
    shop, po_id, _ = await priced_day(db)
    token = await supplier_user(db, shop.extra["supplier_id"])
    urls = await gql("{ purchaseOrders { nodes { id downloadUrls { csv xlsx } } } }", token=token)
    (node,) = urls["data"]["purchaseOrders"]["nodes"]
    gid = encode("PurchaseOrder", po_id)
    assert node["id"] == gid
    assert node["downloadUrls"] == {
        "csv": f"/exports/purchase-orders/{gid}.csv",
        "xlsx": f"/exports/purchase-orders/{gid}.xlsx",
    }

    response = await get(gql, node["downloadUrls"]["csv"], token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    day = shop.delivery_date.isoformat()
    assert f'filename="purchase-order-{po_id}-{day}-r1.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"采购单-{po_id}-{day}-第1版.csv"

    rows = csv_rows(response.content)
    assert rows[0] == PO_HEADER
    async with db.sessions() as session:
        po = await session.get(PurchaseOrder, po_id)
        supplier = await session.get(Supplier, shop.extra["supplier_id"])
        assert po is not None and supplier is not None
    assert {(r[0], r[1]) for r in rows[1:-1]} == {(supplier.name, rows[1][1])}
    assert rows[1][1].startswith("仓-")
    # 5 units → one case of 12 at 12.99; 1 unit → one case of 12 at 0.05.
    assert without_names(rows[1:-1]) == [
        po_line(shop, 1, "商品0", 5, "12.99", "155.88"),
        po_line(shop, 1, "商品1", 1, "0.05", "0.60"),
    ]
    total = rows[-1]
    assert total == ["合计", *[""] * 11, "156.48"]
    assert Decimal(total[-1]) == sum(Decimal(r[-1]) for r in rows[1:-1])

    response = await get(gql, node["downloadUrls"]["xlsx"], token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert 'filename="purchase-order-' in response.headers["content-disposition"]
    sheet = xlsx_sheet(response.content)
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert cells[0] == PO_HEADER
    assert all(sheet.cell(row=1, column=c).font.bold for c in range(1, 14))
    assert not sheet.cell(row=2, column=1).font.bold
    for line, expected in zip(cells[1:-1], rows[1:-1], strict=True):
        assert line[:2] == expected[:2]
        assert isinstance(line[2], datetime) and line[2].date() == shop.delivery_date
        quantities = line[3:4] + line[6:11]
        assert all(type(q) is int for q in quantities), quantities
        assert [str(q) for q in quantities] == expected[3:4] + expected[6:11]
        assert line[4:6] == expected[4:6]
        assert all(isinstance(m, (int, float)) for m in line[11:])
        assert [f"{m:.2f}" for m in line[11:]] == expected[11:]
    assert cells[-1][0] == "合计" and f"{cells[-1][-1]:.2f}" == "156.48"
    assert sheet.cell(row=2, column=13).number_format == "0.00"
    assert sheet.column_dimensions["A"].width >= 10


async def test_nobody_else_can_tell_a_purchase_order_exists(db, gql):
    shop, po_id, _ = await priced_day(db)
    url = f"/exports/purchase-orders/{encode('PurchaseOrder', po_id)}.csv"
    missing = f"/exports/purchase-orders/{encode('PurchaseOrder', po_id + 1000)}.csv"
    other = await other_supplier(db)
    _, customer = await db.user(Role.CUSTOMER)
    _, dispatcher = await db.user(Role.DISPATCHER)

    for token in (other, customer, dispatcher, shop.leader_token):
        hidden = await get(gql, url, token)
        assert (hidden.status_code, hidden.json()) == (404, {"code": "NOT_FOUND"})
    gone = await get(gql, missing, shop.operator_token)
    assert (gone.status_code, gone.json()) == (404, {"code": "NOT_FOUND"})
    assert gone.content == (await get(gql, url, other)).content

    for token in (None, "tg_not-a-real-token", "garbage"):
        refused = await get(gql, url, token)
        assert (refused.status_code, refused.json()) == (401, {"code": "UNAUTHENTICATED"})
        assert refused.headers["www-authenticate"] == "Bearer"

    assert (await get(gql, url, shop.operator_token)).status_code == 200
    for bad in (
        url.replace(".csv", ".pdf"),
        "/exports/purchase-orders/not-an-id.csv",
        f"/exports/purchase-orders/{po_id}.csv",  # numeric ids are not accepted
        f"/exports/purchase-orders/{encode('Warehouse', po_id)}.csv",
        f"{url}?revision=abc",
        f"{url}?revision=0",
    ):
        response = await get(gql, bad, shop.operator_token)
        assert (response.status_code, response.json()) == (400, {"code": "BAD_REQUEST"}), bad


async def test_earlier_revisions_stay_downloadable(db, gql):
    shop, po_id, bobs = await priced_day(db)
    async with unit_of_work(db.sessions) as session:
        await cancel_order(session, bobs.id, shop.operator, now=utcnow())
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        assert po.revision == 2
    url = f"/exports/purchase-orders/{encode('PurchaseOrder', po_id)}.csv"
    token = shop.operator_token

    current = await get(gql, url, token)
    assert "-r2.csv" in current.headers["content-disposition"]
    assert without_names(csv_rows(current.content)[1:-1])[0] == po_line(
        shop, 2, "商品0", 3, "12.99", "155.88"
    )
    first = await get(gql, f"{url}?revision=1", token)
    assert first.status_code == 200
    assert without_names(csv_rows(first.content)[1:-1])[0] == po_line(
        shop, 1, "商品0", 5, "12.99", "155.88"
    )
    assert (await get(gql, f"{url}?revision=3", token)).status_code == 404
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on PurchaseOrder { downloadUrls(revision: 1) "
        "{ csv } } } }",
        {"id": encode("PurchaseOrder", po_id)},
        token=token,
    )
    assert body["data"]["node"]["downloadUrls"]["csv"] == f"{url}?revision=1"


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


def test_yuan_is_exact_without_floats():
    assert [yuan(f) for f in (0, 5, 60, 1299, -5, -123456, 10**20 + 1)] == [
        "0.00",
        "0.05",
        "0.60",
        "12.99",
        "-0.05",
        "-1234.56",
        "1000000000000000000.01",
    ]


def test_text_that_looks_like_a_formula_stays_text():
    rows = Rows()
    rows.header(["商品", "数量"])
    rows.add('=HYPERLINK("http://x")', 1)
    rows.add("+86 138", 2)
    rows.add("普通", date(2026, 1, 2))
    assert csv_rows(to_csv(rows)) == [
        ["商品", "数量"],
        ['\'=HYPERLINK("http://x")', "1"],
        ["'+86 138", "2"],
        ["普通", "2026-01-02"],
    ]
    sheet = xlsx_sheet(to_xlsx(rows, "a/b:c"))
    assert sheet.title == "a_b_c"
    assert sheet["A2"].value == '=HYPERLINK("http://x")' and sheet["A2"].data_type == "s"


def test_xlsx_money_is_the_exact_yuan_text_in_a_number_cell():
    rows = Rows()
    rows.header(["金额(元)"])
    for fen in (15588, 5, 123456789012345678):
        rows.add(Yuan(fen))
    body = to_xlsx(rows, "钱")
    xml = zipfile.ZipFile(io.BytesIO(body)).read("xl/worksheets/sheet1.xml").decode()
    numbers = re.findall(r'<c r="A\d+" s="\d+" t="n"><v>([^<]*)</v>', xml)
    assert numbers == ["155.88", "0.05", "1234567890123456.78"]
    assert xlsx_sheet(body)["A2"].value == 155.88
