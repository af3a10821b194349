"""Purchase orders as CSV and XLSX over HTTP: the supplier's download, hidden
from everyone else as if missing, and earlier revisions kept."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import unquote

from sqlalchemy import update

from api.graphql.ids import encode
from fulfilment.campaigns.models import Product, ProductCost, Supplier, Warehouse
from fulfilment.orders.cancelling import cancel_order
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.models import PurchaseOrder
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.exports import XLSX, csv_rows, get, other_supplier, supplier_user, xlsx_sheet
from tests.support.factories import open_shop
from tests.support.pdf import pdf_text

CSV_HEADER = [
    "采购单号",
    "版本",
    "签发日期",
    "供应商",
    "供应商联系人",
    "供应商电话",
    "收货仓库",
    "仓库地址",
    "送货日期",
    "送货开始",
    "送货截止",
    "商品编号",
    "商品",
    "规格",
    "存储区",
    "箱规",
    "箱数",
    "采购数量",
    "单价(元)",
    "金额(元)",
    "采购单合计(元)",
]
LINES_HEADER = [
    "序号",
    "商品编号",
    "商品",
    "规格",
    "存储区",
    "箱规",
    "箱数",
    "采购数量",
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
            # The cost a PO takes is its schedule's (fulfilment/campaigns/costs.py).
            await session.execute(
                update(ProductCost)
                .where(ProductCost.product_id == product_id)
                .values(cost_fen=cost)
            )
    alice, _ = await db.user(Role.CUSTOMER, "爱丽丝")
    bob, _ = await db.user(Role.CUSTOMER, "鲍勃")
    await order(db, shop, alice, {0: 3, 1: 1}, pay=True)
    bobs = await order(db, shop, bob, {0: 2}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
    return shop, po.id, bobs


def po_line(name: str, units: int, unit: str, amount: str) -> list[str]:
    """A CSV row's line columns after the product id: one case of 12 each."""
    return [name, "500g/盒", "常温", "12", "1", str(units), unit, amount]


def lines_of(rows: list[list[str]]) -> list[list[str]]:
    return [row[12:20] for row in rows[1:]]


async def facts(db: Any, shop: Any, po_id: int) -> list[str]:
    """The PO's facts every CSV row starts with."""
    async with db.sessions() as session:
        po = await session.get(PurchaseOrder, po_id)
        supplier = await session.get(Supplier, shop.extra["supplier_id"])
        warehouse = await session.get(Warehouse, shop.warehouse_id)
        assert po is not None and supplier is not None and warehouse is not None
    issued = po.revised_at.astimezone(db.settings.zone).date()
    return [
        f"PO-{shop.delivery_date:%Y%m%d}-{po_id}",
        str(po.revision),
        issued.isoformat(),
        supplier.name,
        "老王",
        "13900139000",
        warehouse.name,
        "长沙市望城区",
        shop.delivery_date.isoformat(),
        "04:00",
        "06:00",
    ]


async def test_the_supplier_downloads_its_purchase_order_as_csv_and_xlsx(db, gql):
    shop, po_id, _ = await priced_day(db)
    token = await supplier_user(db, shop.extra["supplier_id"])
    urls = await gql(
        "{ purchaseOrders { nodes { id downloadUrls { csv xlsx pdf } } } }", token=token
    )
    (node,) = urls["data"]["purchaseOrders"]["nodes"]
    gid = encode("PurchaseOrder", po_id)
    assert node["id"] == gid
    assert node["downloadUrls"] == {
        fmt: f"/exports/purchase-orders/{gid}.{fmt}" for fmt in ("csv", "xlsx", "pdf")
    }

    response = await get(gql, node["downloadUrls"]["csv"], token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    disposition = response.headers["content-disposition"]
    day = shop.delivery_date.isoformat()
    assert f'filename="purchase-order-{po_id}-{day}-r1.csv"' in disposition
    assert unquote(disposition.split("filename*=UTF-8''")[1]) == f"采购单-{po_id}-{day}-第1版.csv"

    # One table: one heading row, every row as wide, each carrying the PO's
    # facts (number, revision, supplier contact, warehouse, date and slot).
    rows = csv_rows(response.content)
    assert rows[0] == CSV_HEADER
    assert {len(row) for row in rows} == {len(CSV_HEADER)}
    assert [row for row in rows if row == CSV_HEADER] == [CSV_HEADER]
    expected_facts = await facts(db, shop, po_id)
    assert all(row[:11] == expected_facts for row in rows[1:])
    first = shop.extra["product_id"]
    assert [row[11] for row in rows[1:]] == [str(first), str(first + 1)]
    # 5 units → one case of 12 at 12.99; 1 unit → one case of 12 at 0.05.
    assert lines_of(rows) == [
        po_line("商品0", 12, "12.99", "155.88"),
        po_line("商品1", 12, "0.05", "0.60"),
    ]
    assert {row[-1] for row in rows[1:]} == {"156.48"}
    assert Decimal("156.48") == sum(Decimal(r[19]) for r in rows[1:])

    response = await get(gql, node["downloadUrls"]["xlsx"], token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert 'filename="purchase-order-' in response.headers["content-disposition"]
    sheet = xlsx_sheet(response.content)
    cells = [list(r) for r in sheet.iter_rows(values_only=True)]
    number, revision, issued, supplier, contact, phone, warehouse, address = expected_facts[:8]
    assert cells[0][0] == f"采购单 {number}" and sheet.cell(row=1, column=1).font.bold
    block = {row[0]: row[1] for row in cells[1:11]}
    assert block["采购单号"] == number and block["版本"] == int(revision)
    assert block["签发日期"].date().isoformat() == issued
    assert (block["供应商"], block["联系人"], block["联系电话"]) == (supplier, contact, phone)
    assert (block["收货仓库"], block["仓库地址"]) == (warehouse, address)
    assert block["送货日期"].date() == shop.delivery_date
    assert block["送货时段"] == "04:00-06:00"
    heading = cells.index([*LINES_HEADER, *[None] * (len(cells[0]) - len(LINES_HEADER))])
    assert all(sheet.cell(row=heading + 1, column=c).font.bold for c in range(1, 11))
    lines = cells[heading + 1 : heading + 3]
    assert [line[:10] for line in lines] == [
        [1, first, "商品0", "500g/盒", "常温", 12, 1, 12, 12.99, 155.88],
        [2, first + 1, "商品1", "500g/盒", "常温", 12, 1, 12, 0.05, 0.6],
    ]
    assert all(type(q) is int for line in lines for q in line[5:8])
    total = cells[heading + 3]
    assert total[0] == "合计" and total[6:8] == [2, 24] and f"{total[9]:.2f}" == "156.48"
    assert sheet.cell(row=heading + 2, column=10).number_format == "0.00"
    assert [c for c in cells[-1] if c] == ["供应商签字", "仓库收货人签字"]


async def test_the_purchase_order_prints_as_a_pdf(db, gql):
    shop, po_id, _ = await priced_day(db)
    token = await supplier_user(db, shop.extra["supplier_id"])
    url = f"/exports/purchase-orders/{encode('PurchaseOrder', po_id)}.pdf"
    response = await get(gql, url, token)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    day = shop.delivery_date.isoformat()
    disposition = response.headers["content-disposition"]
    assert disposition.startswith("attachment;")
    assert f'filename="purchase-order-{po_id}-{day}-r1.pdf"' in disposition
    assert response.content.startswith(b"%PDF-")
    assert b"/FontFile2" in response.content  # the Chinese font travels inside
    text = pdf_text(response.content)
    if text is not None:
        for fact in await facts(db, shop, po_id):
            if fact not in ("1", "04:00", "06:00"):
                assert fact in text, fact
        # pdftotext drops the spaces between Chinese characters and digits.
        flat = "".join(text.split())
        assert "04:00-06:00" in flat and "156.48" in flat and "第1页/共1页" in flat
        assert "供应商（签字/盖章）" in flat and "仓库收货人（签字）" in flat


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
        url.replace(".csv", ".svg"),
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
    (line,) = [row for row in csv_rows(current.content)[1:] if row[12] == "商品0"]
    assert line[1] == "2" and line[12:20] == po_line("商品0", 12, "12.99", "155.88")
    first = await get(gql, f"{url}?revision=1", token)
    assert first.status_code == 200
    (line,) = [row for row in csv_rows(first.content)[1:] if row[12] == "商品0"]
    async with db.sessions() as session:
        po = await session.get(PurchaseOrder, po_id)
        assert po is not None
    # The first revision was issued when the PO was created.
    assert line[1:3] == ["1", po.created_at.astimezone(db.settings.zone).date().isoformat()]
    pdf = await get(gql, f"{url.removesuffix('.csv')}.pdf?revision=1", token)
    assert pdf.status_code == 200 and "-r1.pdf" in pdf.headers["content-disposition"]
    assert (await get(gql, f"{url}?revision=3", token)).status_code == 404
    body = await gql(
        "query($id: ID!) { node(id: $id) { ... on PurchaseOrder { downloadUrls(revision: 1) "
        "{ csv pdf } } } }",
        {"id": encode("PurchaseOrder", po_id)},
        token=token,
    )
    links = body["data"]["node"]["downloadUrls"]
    assert links == {"csv": f"{url}?revision=1", "pdf": url.replace(".csv", ".pdf?revision=1")}
