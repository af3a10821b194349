"""The supplier's web page in a real browser: a purchase order with two
revisions, a refused and an accepted partial confirmation, the CSV download."""

from __future__ import annotations

from pathlib import Path

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.conftest import app_client
from tests.fulfilment.purchasing.test_purchase_orders_api import (
    CONSOLIDATE,
    CUTOFF,
    finished,
    supplier_token,
)
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import ORDER_CREATE, open_shop, order_input
from tests.support.paying import book

pytestmark = needs_chromium


CANCEL = "mutation($id: ID!) { orderCancel(input: {id: $id}) { userErrors { code } } }"


async def test_supplier_reads_revisions_confirms_in_part_and_downloads(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
        operator = shop.operator_token
        _, alice = await db.user(Role.CUSTOMER)
        _, bob = await db.user(Role.CUSTOMER)
        async with app_client(db.url, jobs_mode="inline") as gql:
            orders = []
            for token, quantity in ((alice, 5), (bob, 3)):
                body = await gql(ORDER_CREATE, order_input(shop, {0: quantity}), token=token)
                orders.append(body["data"]["orderCreate"]["order"]["id"])
                await book(gql, orders[-1])
            cutoff = await gql(CUTOFF, {"id": shop.campaign_gid}, token=operator)
            await finished(gql, operator, cutoff["data"]["campaignCutoff"]["job"]["id"])
            # Alice cancels after cutoff: consolidating again makes revision 2 (8 -> 3).
            await gql(CANCEL, {"id": orders[0]}, token=operator)
            again = await gql(
                CONSOLIDATE,
                {"w": encode("Warehouse", shop.warehouse_id), "d": shop.delivery_date.isoformat()},
                token=operator,
            )
            await finished(gql, operator, again["data"]["purchaseOrdersConsolidate"]["job"]["id"])
            supplier = await supplier_token(gql, operator, shop.extra["supplier_id"])

    with live_server(db, tmp_path) as base:
        async with signed_in(base, supplier) as page:
            order = page.locator("section.purchase-order")
            await order.wait_for()
            assert "current revision 2" in await order.locator("h2").inner_text()
            assert "商品0: 8 → 3 units" in await order.locator(".changes").inner_text()
            line = order.locator("tr.line")
            assert (await line.locator("td").nth(1).inner_text()) == "3"

            # Revision 1 still reads as it was, without a confirm form.
            await order.locator("select[name=revision]").select_option("1")
            await page.wait_for_function(
                "document.querySelectorAll('section.purchase-order tr.line td')[1]"
                ".textContent === '8'"
            )
            assert await order.locator("form.confirm button").count() == 0
            await order.locator("select[name=revision]").select_option("2")
            units = order.locator("input[name='lines.0.units']")
            await units.wait_for()

            # More than is bought: refused next to the line, the typed value kept.
            await units.fill("999")
            await order.locator("form.confirm button[type=submit]").click()
            error = order.locator(".field-error[data-field='lines.0.units']")
            await error.wait_for()
            assert await error.inner_text()
            assert await units.input_value() == "999"
            await screenshot(page, "supplier-confirm-refused")

            # Two of the three ordered: accepted, one unit short.
            await units.fill("2")
            await order.locator("form.confirm button[type=submit]").click()
            accepted = order.locator(".notice")
            await accepted.wait_for()
            assert "1 units short" in await accepted.inner_text()
            assert await line.locator("td.confirmed").inner_text() == "2"
            await screenshot(page, "supplier-confirmed")

            async with page.expect_download() as download:
                await order.locator("button.csv").click()
            csv = await download.value
            assert csv.suggested_filename.endswith("-r2.csv")
            saved = tmp_path / csv.suggested_filename
            await csv.save_as(saved)
            assert "商品0" in saved.read_text(encoding="utf-8-sig")
