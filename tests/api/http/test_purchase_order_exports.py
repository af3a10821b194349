"""Purchase orders as CSV and XLSX over HTTP: the supplier's download, hidden
from everyone else as if missing, and earlier revisions kept."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from api.graphql.ids import encode
from fulfilment.campaigns.models import Product, Supplier
from fulfilment.orders.cancelling import cancel_order
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.models import PurchaseOrder
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.exports import XLSX, csv_rows, get, other_supplier, supplier_user, xlsx_sheet
from tests.support.factories import open_shop

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
