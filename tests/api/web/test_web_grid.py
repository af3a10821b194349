"""A grid operator's night on a tablet: what the central sends the grid
(cases, loose units, totes), the handover signed with units missing, the
receipt with what was refunded to the grid's customers, and the points the
grid serves."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from tests.api.web.test_web_receiving import TABLET
from tests.fulfilment.delivery.test_delivery import refunds
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
