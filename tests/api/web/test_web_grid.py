"""A grid operator's night on a tablet: what the central sends the grid
(cases, loose units, totes), the handover signed with units missing, the
receipt with what was refunded to the grid's customers, and the points the
grid serves."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from playwright.async_api import expect

from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.settlement import latest_closed_period, settle
from tests.api.web.test_web_receiving import TABLET
from tests.fulfilment.delivery.test_delivery import refunds
from tests.fulfilment.network.test_grid_fees import a_day_at_a_grid, sign_at
from tests.fulfilment.network.test_stage_one import day_with_a_grid, sort_both_stages
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.network import grid_operator

pytestmark = needs_chromium


async def test_a_grid_operator_sees_the_shipment_and_signs_with_units_missing(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, grid, customers = await day_with_a_grid(db)
        await sort_both_stages(db, shop)
        token = await grid_operator(db, grid)

    with live_server(db, tmp_path) as base:
        path = f"/app/?date={shop.delivery_date.isoformat()}"
        async with signed_in(base, token, path=path, viewport=TABLET) as page:
            zones = page.locator("table.grid-zones tbody tr")
            await zones.first.wait_for()
            # 10 units: 2 cases of apples, 2 loose units in one tote, 3 to load.
            assert [await c.inner_text() for c in await zones.first.locator("td").all()] == [
                "常温",
                "10",
                "2",
                "2",
                "1",
                "3",
                "5.0",
            ]
            assert await page.locator("#grid-points li").count() == 2
            await expect(page.locator("#incoming-trunk")).to_contain_text("尚未排干线")
            # Stage one's pick list for the grid, as the central's sorter prints it.
            async with page.expect_download() as caught:
                await page.get_by_role("button", name="分拣单 Excel").click()
            assert (await caught.value).suggested_filename.endswith(".xlsx")
            # Stage two at the grid: a point's own sorter totals.
            async with page.expect_download() as caught:
                await (
                    page.locator("#grid-points li")
                    .first.get_by_role("button", name="分拣单")
                    .click()
                )
            assert (await caught.value).suggested_filename.startswith("分拣汇总-")
            apples = page.locator("#grid-handover tr[data-product]").first
            await expect(apples).to_contain_text("2 箱 × 4 + 1")
            await apples.locator("input[data-kind=MISSING]").fill("3")
            await page.locator("#grid-handover input[name=note]").fill("一箱未到")
            await screenshot(page, "grid-handover")
            await page.click("#grid-handover button[type=submit]")
            signed = page.locator("#grid-receipt")
            await signed.wait_for()
            await expect(signed).to_contain_text("缺件 3 件，退款 ¥29.70")
            await screenshot(page, "grid-receipt")
    # The second point's customer paid last of the grid's customers.
    assert await refunds(db) == [(customers[2], "delivery_missing", 3, 2970)]


async def test_a_grid_operator_sees_its_fees_and_asks_to_be_paid(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, grid, second, stops = await a_day_at_a_grid(db)
        await sign_at(db, shop.pickup_point_id, stops[shop.pickup_point_id])
        later = utcnow() + timedelta(days=15)
        async with unit_of_work(db.sessions) as session:
            period = latest_closed_period(later, db.settings)
            await settle(session, later, db.settings, period_end=period)
        await sign_at(db, second, stops[second])  # after the settlement: still pending
        token = await grid_operator(db, grid)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, path="/app/", viewport=TABLET) as page:
            card = page.locator("#grid-fees")
            # 6 pieces settled at ¥3 each, 4 pending.
            await expect(card.locator(".balance")).to_have_text("可提现 ¥18.00 · 待结算 ¥12.00")
            await expect(card.locator("tr.statement")).to_contain_text("18.00")
            await card.locator("input[name=amountFen]").fill("20")
            await card.locator("#payout-request button").click()
            refused = card.locator("[data-code=INSUFFICIENT_BALANCE]")
            await expect(refused).to_be_visible()
            await card.locator("input[name=amountFen]").fill("15")
            await card.locator("#payout-request button").click()
            await expect(card.locator("tr.payout")).to_contain_text("审核中")
            await expect(card.locator(".balance")).to_have_text("可提现 ¥3.00 · 待结算 ¥12.00")
            await screenshot(page, "grid-fees")
    assert (
        await db.scalar("SELECT count(*) FROM commission_payouts WHERE grid_id = :g", g=grid) == 1
    )
