"""Cutoff and purchase orders through the API: jobs, supplier visibility,
revisions and what changed, shortfalls shown on the customer's lines."""

from __future__ import annotations

import asyncio
from typing import Any

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.conftest import GraphQLClient, app_client, error_codes
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import book

CUTOFF = """
mutation($id: ID!) { campaignCutoff(input: {id: $id, early: true}) {
  job { id } userErrors { code } } }
"""


CONSOLIDATE = """
mutation($w: ID!, $d: Date!) {
  purchaseOrdersConsolidate(input: {warehouseId: $w, deliveryDate: $d}) {
    job { id } userErrors { code } } }
"""


POS = """
{ purchaseOrders { nodes { id revision totalCostFen supplier { name }
    lines { orderedUnits cases purchaseUnits surplusUnits costFen product { name } }
    changes { unitsBefore unitsAfter product { name } } } } }
"""


JOB = "query($id: ID!) { job(id: $id) { status result error } }"


async def finished(gql: GraphQLClient, token: str, job_id: str) -> dict[str, Any]:
    for _ in range(200):
        job = (await gql(JOB, {"id": job_id}, token=token))["data"]["job"]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return dict(job)
        await asyncio.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


async def supplier_token(gql: GraphQLClient, operator: str, supplier_id: int) -> str:
    body = await gql(
        'mutation($s: ID!) { supplierUserCreate(input: {supplierId: $s, name: "供应商"}) '
        "{ token userErrors { code } } }",
        {"s": encode("Supplier", supplier_id)},
        token=operator,
    )
    return str(body["data"]["supplierUserCreate"]["token"])


async def test_cutoff_job_then_the_supplier_sees_its_purchase_order(db):
    shop = await open_shop(
        db,
        items=[
            {"group_price_fen": 990, "list_price_fen": 1290},
            {"group_price_fen": 350, "list_price_fen": 400, "group_threshold": 50},
        ],
    )
    _, customer = await db.user(Role.CUSTOMER)
    # Inline jobs on both databases: the job runs inside this app.
    async with app_client(db.url, jobs_mode="inline") as gql:
        placed = await gql(ORDER_CREATE, order_input(shop, {0: 13, 1: 2}), token=customer)
        order_id = placed["data"]["orderCreate"]["order"]["id"]
        await book(gql, order_id)

        started = await gql(CUTOFF, {"id": shop.campaign_gid}, token=shop.operator_token)
        job = await finished(
            gql, shop.operator_token, started["data"]["campaignCutoff"]["job"]["id"]
        )
        assert job["status"] == "SUCCEEDED", job
        assert job["result"]["cancelled_items"] == 1
        again = await gql(CUTOFF, {"id": shop.campaign_gid}, token=shop.operator_token)
        assert (
            again["data"]["campaignCutoff"]["job"]["id"]
            == started["data"]["campaignCutoff"]["job"]["id"]
        )

        supplier = await supplier_token(gql, shop.operator_token, shop.extra["supplier_id"])
        pos = (await gql(POS, token=supplier))["data"]["purchaseOrders"]["nodes"]
        assert len(pos) == 1
        assert pos[0]["revision"] == 1
        assert pos[0]["lines"] == [
            {
                "orderedUnits": 13,
                "cases": 2,
                "purchaseUnits": 24,
                "surplusUnits": 11,
                "costFen": 14400,
                "product": {"name": "商品0"},
            }
        ]
        assert pos[0]["totalCostFen"] == 14400
        assert pos[0]["changes"] == []

        # The customer sees the cancelled item's line shorted and refunded.
        mine = await gql(
            "{ myOrders { nodes { lines { quantity "
            "shortfalls { quantity reason refundFen } } } } }",
            token=customer,
        )
        lines = mine["data"]["myOrders"]["nodes"][0]["lines"]
        assert {
            "quantity": 2,
            "shortfalls": [{"quantity": 2, "reason": "GROUP_THRESHOLD", "refundFen": 700}],
        } in lines
        assert {"quantity": 13, "shortfalls": []} in lines

        # Another supplier sees nothing, and cannot tell the PO exists.
        other_shop = await open_shop(db)
        other = await supplier_token(gql, shop.operator_token, other_shop.extra["supplier_id"])
        assert (await gql(POS, token=other))["data"]["purchaseOrders"]["nodes"] == []
        hidden = await gql(
            "query($id: ID!) { node(id: $id) { id } }", {"id": pos[0]["id"]}, token=other
        )
        assert hidden["data"] == {"node": None}
        refused = await gql(POS, token=customer)
        assert error_codes(refused) == ["FORBIDDEN"]


async def test_consolidating_again_after_a_late_cancellation_makes_revision_two(db):
    shop = await open_shop(db)
    _, alice = await db.user(Role.CUSTOMER)
    _, bob = await db.user(Role.CUSTOMER)
    async with app_client(db.url, jobs_mode="inline") as gql:
        ids = []
        for token, quantity in ((alice, 5), (bob, 3)):
            body = await gql(ORDER_CREATE, order_input(shop, {0: quantity}), token=token)
            ids.append(body["data"]["orderCreate"]["order"]["id"])
            await book(gql, ids[-1])
        started = await gql(CUTOFF, {"id": shop.campaign_gid}, token=shop.operator_token)
        await finished(gql, shop.operator_token, started["data"]["campaignCutoff"]["job"]["id"])

        cancel = await gql(
            "mutation($id: ID!) { orderCancel(input: {id: $id}) "
            "{ order { status } userErrors { code } } }",
            {"id": ids[0]},
            token=shop.operator_token,
        )
        # Paid, so refunded whole: it reads REFUNDED (and leaves the PO all the same).
        assert cancel["data"]["orderCancel"]["order"]["status"] == "REFUNDED"
        rerun = await gql(
            CONSOLIDATE,
            {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
            token=shop.operator_token,
        )
        job = await finished(
            gql, shop.operator_token, rerun["data"]["purchaseOrdersConsolidate"]["job"]["id"]
        )
        assert job["status"] == "SUCCEEDED", job

        pos = (await gql(POS, token=shop.operator_token))["data"]["purchaseOrders"]["nodes"]
        assert [(po["revision"], po["lines"][0]["orderedUnits"]) for po in pos] == [(2, 3)]
        assert pos[0]["changes"] == [
            {"unitsBefore": 8, "unitsAfter": 3, "product": {"name": "商品0"}}
        ]


CONFIRM = """
mutation($id: ID!, $p: ID!, $u: Int!) {
  purchaseOrderConfirm(input: {id: $id, lines: [{productId: $p, units: $u}]}) {
    purchaseOrder { lines { confirmedUnits } } shortedUnits userErrors { code field } } }
"""


async def test_a_supplier_short_confirms_and_the_customers_see_why(db):
    shop = await open_shop(db)
    _, early = await db.user(Role.CUSTOMER)
    _, late = await db.user(Role.CUSTOMER)
    async with app_client(db.url, jobs_mode="inline") as gql:
        for token, quantity in ((early, 4), (late, 3)):
            body = await gql(ORDER_CREATE, order_input(shop, {0: quantity}), token=token)
            await book(gql, body["data"]["orderCreate"]["order"]["id"])
        started = await gql(CUTOFF, {"id": shop.campaign_gid}, token=shop.operator_token)
        await finished(gql, shop.operator_token, started["data"]["campaignCutoff"]["job"]["id"])
        supplier = await supplier_token(gql, shop.operator_token, shop.extra["supplier_id"])
        (po,) = (await gql(POS, token=supplier))["data"]["purchaseOrders"]["nodes"]
        product = encode("Product", shop.extra["product_id"])

        too_many = await gql(CONFIRM, {"id": po["id"], "p": product, "u": 13}, token=supplier)
        assert too_many["data"]["purchaseOrderConfirm"]["userErrors"] == [
            {"code": "INVALID_UNITS", "field": ["lines", "0", "units"]}
        ]
        confirmed = await gql(CONFIRM, {"id": po["id"], "p": product, "u": 5}, token=supplier)
        result = confirmed["data"]["purchaseOrderConfirm"]
        assert result["userErrors"] == []
        assert result["shortedUnits"] == 2
        assert result["purchaseOrder"]["lines"] == [{"confirmedUnits": 5}]

        # The later payer loses 2 units, refunded; the earlier keeps all 4.
        query = "{ myOrders { nodes { lines { shortfalls { quantity reason refundFen } } } } }"
        late_lines = (await gql(query, token=late))["data"]["myOrders"]["nodes"][0]["lines"]
        early_lines = (await gql(query, token=early))["data"]["myOrders"]["nodes"][0]["lines"]
        assert late_lines == [
            {"shortfalls": [{"quantity": 2, "reason": "SUPPLIER_SHORT", "refundFen": 1980}]}
        ]
        assert early_lines == [{"shortfalls": []}]

        # Another supplier cannot confirm it: it reads as missing.
        other = await supplier_token(
            gql, shop.operator_token, (await open_shop(db)).extra["supplier_id"]
        )
        refused = await gql(CONFIRM, {"id": po["id"], "p": product, "u": 1}, token=other)
        assert refused["data"]["purchaseOrderConfirm"]["userErrors"][0]["code"] == "NOT_FOUND"


ON_TIME_CUTOFF = """
mutation($id: ID!) { campaignCutoff(input: {id: $id, early: false}) {
  job { id } userErrors { code field } } }
"""


async def test_a_night_step_that_cannot_run_yet_is_refused_at_once(db, gql):
    shop = await open_shop(db)
    jobs = await db.scalar("SELECT count(*) FROM jobs")
    body = await gql(ON_TIME_CUTOFF, {"id": shop.campaign_gid}, token=shop.operator_token)
    payload = body["data"]["campaignCutoff"]
    assert payload["job"] is None
    assert payload["userErrors"] == [{"code": "INVALID_TIMES", "field": ["id"]}]
    variables = {
        "w": encode("Warehouse", shop.warehouse_id),
        "d": shop.delivery_date.isoformat(),
    }
    body = await gql(CONSOLIDATE, variables, token=shop.operator_token)
    payload = body["data"]["purchaseOrdersConsolidate"]
    assert payload["job"] is None
    assert payload["userErrors"] == [{"code": "CAMPAIGN_STARTED"}]
    assert await db.scalar("SELECT count(*) FROM jobs") == jobs
