"""What warehouse staff read of a purchase order while receiving it: its
supplier and warehouse, each line's received and accepted units summed over
the deliveries, and the deliveries themselves."""

from __future__ import annotations

from api.graphql.ids import encode
from fulfilment.purchasing.consolidation import consolidate
from fulfilment.purchasing.receiving import confirm
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import GraphQLClient, TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import cut_off, order
from tests.support.factories import Shop, open_shop


async def consolidated_day(db: TestDB) -> Shop:
    """One product ordered 5 + 4 (9 units, one case of 12 bought), paid, cut
    off and consolidated; the supplier confirms the 9."""
    shop = await open_shop(db)
    for quantity in (5, 4):
        customer, _ = await db.user(Role.CUSTOMER)
        await order(db, shop, customer, {0: quantity}, pay=True)
    await cut_off(db, shop)
    async with unit_of_work(db.sessions) as session:
        (po,) = await consolidate(session, shop.warehouse_id, shop.delivery_date, utcnow())
        await confirm(
            session, po.id, shop.extra["supplier_id"], {shop.extra["product_id"]: 9}, utcnow()
        )
    return shop


RECORD = """
mutation($input: ReceiptRecordInput!) { receiptRecord(input: $input) {
  purchaseOrder { id } userErrors { field code } } }
"""

READ = """
query($d: Date!) { purchaseOrders(deliveryDate: $d) { nodes {
  supplier { name } warehouse { name }
  lines { confirmedUnits receivedUnits acceptedUnits product { name } }
  receipts { receivedUnits acceptedUnits deliveryRef product { name } } } } }
"""


async def test_lines_sum_the_deliveries_recorded(db: TestDB, gql: GraphQLClient) -> None:
    shop = await consolidated_day(db)
    _, warehouse = await db.user(Role.WAREHOUSE)
    day = {"d": shop.delivery_date.isoformat()}
    po_id = (await gql(READ.replace("supplier", "id supplier"), day, token=warehouse))["data"][
        "purchaseOrders"
    ]["nodes"][0]["id"]
    product = encode("Product", shop.extra["product_id"])
    for received, accepted, ref in ((6, 6, "A"), (3, 1, "B"), (2, 3, "C")):
        body = await gql(
            RECORD,
            {
                "input": {
                    "purchaseOrderId": po_id,
                    "productId": product,
                    "receivedUnits": received,
                    "acceptedUnits": accepted,
                    "deliveryRef": ref,
                }
            },
            token=warehouse,
        )
    # The last one accepted more than arrived: refused, nothing recorded.
    assert body["data"]["receiptRecord"]["userErrors"] == [
        {"field": ["acceptedUnits"], "code": "INVALID_UNITS"}
    ]

    (po,) = (await gql(READ, day, token=warehouse))["data"]["purchaseOrders"]["nodes"]
    assert po["supplier"]["name"].startswith("供应商-")
    assert po["warehouse"]["name"].startswith("仓-")
    assert po["lines"] == [
        {"confirmedUnits": 9, "receivedUnits": 9, "acceptedUnits": 7, "product": {"name": "商品0"}}
    ]
    assert [(r["receivedUnits"], r["acceptedUnits"], r["deliveryRef"]) for r in po["receipts"]] == [
        (6, 6, "A"),
        (3, 1, "B"),
    ]
