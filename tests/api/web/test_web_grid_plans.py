"""The late trunk on both desks: the grid operator's page shows its vans'
published plan and its points' receipts; the dispatcher sees the central's
day with both tiers in one picture, then opens the grid's draft made before
the trunk became an hour late and sees which point's window is now at risk
and the hint to plan the grid again."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import expect

from api.graphql.ids import encode
from fulfilment.delivery.models import DeliveryIssueKind
from fulfilment.delivery.receipts import IssueReport
from kernel.accounts import Role
from tests.fulfilment.delivery.test_delivery import arrive, sign
from tests.fulfilment.network.test_trunk_delay import at, grid_day, trunk_plan
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.network import grid_operator
from tests.support.routing import store_plan

pytestmark = needs_chromium


async def test_the_grid_sees_its_plan_and_receipts_and_the_dispatcher_the_late_trunk(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day, grid, draft = await grid_day(db)
        d = day.shop.delivery_date
        await trunk_plan(db, day.shop.warehouse_id, grid, d, at(db, d, 6.5))
        published = await store_plan(db, grid, d, [[day.shop.pickup_point_id]])
        await arrive(db, published.stop_ids[day.shop.pickup_point_id])
        await sign(db, day, published, IssueReport(day.product_a, DeliveryIssueKind.MISSING, 1))
        grid_token = await grid_operator(db, grid)
        _, dispatcher = await db.user(Role.DISPATCHER, "调度小王")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, grid_token, path=f"/app/?date={d.isoformat()}") as page:
            plan = page.locator("#grid-plan")
            await expect(plan.locator("h2")).to_contain_text("已发布")
            await expect(plan.locator("tr.grid-stop")).to_contain_text("桃子湖小区")
            # Planned before any trunk plan, its first stop is now at risk.
            await expect(page.locator("#grid-trunk-late")).to_contain_text("桃子湖小区")
            signed = page.locator("#grid-deliveries tr.grid-delivery")
            await expect(signed).to_contain_text("已签收")
            await expect(signed).to_contain_text("缺件 1 件，退款 ¥9.90")
            await screenshot(page, "grid-plan-receipts")

        async with signed_in(base, dispatcher) as page:
            form = page.locator("#plan-create")
            await form.locator("input[name=deliveryDate]").fill(d.isoformat())
            # The central's day with both tiers, as a picture.
            warehouse = form.locator("select[name=warehouseId]")
            await warehouse.select_option(encode("Warehouse", day.shop.warehouse_id))
            await page.click("#network-map")
            picture = page.locator("#network-map-img")
            await expect(picture).to_have_attribute("src", re.compile("^blob:"))
            await warehouse.select_option(encode("Warehouse", grid))
            await page.click("#plans-show")
            draft_row = page.locator(f"tr.plan-row[data-id='{encode('RoutePlan', draft.plan_id)}']")
            await draft_row.locator("button").click()
            late = page.locator("#trunk-late")
            await expect(late).to_contain_text("60 min later")
            await expect(late.locator("li.at-risk")).to_have_count(1)
            await expect(late.locator("li.at-risk")).to_contain_text("桃子湖小区")
            await expect(late).to_contain_text("Plan this grid again")
            await screenshot(page, "dispatcher-trunk-late")
