"""The driver's phone page in a real browser: the link the dispatcher gives
(warehouse and date), the published routes with stops in order, arrival and
hand-over taps that stay reported after a reload, and the route sheet."""

from __future__ import annotations

from pathlib import Path

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.routing import sorted_day, store_plan

pytestmark = needs_chromium


async def test_driver_reports_arrival_and_hand_over_stop_by_stop(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await sorted_day(db)
        shop = day.shop
        plan = await store_plan(
            db, shop.warehouse_id, shop.delivery_date, [[day.point2, shop.pickup_point_id]]
        )
        _, token = await db.user(Role.DRIVER, "司机老张")
        names = {
            point: await db.scalar("SELECT name FROM pickup_points WHERE id = :p", p=point)
            for point in (day.point2, shop.pickup_point_id)
        }
    link = f"/app/?warehouse={encode('Warehouse', shop.warehouse_id)}&date={shop.delivery_date}"

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True, path=link) as page:
            stops = page.locator("#routes li.stop")
            await stops.first.wait_for()
            assert await page.get_attribute("html", "lang") == "zh-CN"
            assert await page.locator("#routes section.route").count() == 1
            assert await stops.count() == 2
            first, second = stops.first, stops.nth(1)
            assert names[day.point2] in await first.inner_text()
            assert names[shop.pickup_point_id] in await second.inner_text()

            await first.locator("button[value=routeStopArrive]").click()
            await first.locator(".state", has_text="到达").wait_for()
            assert await first.locator("button[value=routeStopArrive]").is_disabled()
            await first.locator("button[value=routeStopHandOver]").click()
            await first.locator(".state", has_text="交接").wait_for()
            await screenshot(page, "driver-stops")

            async with page.expect_popup() as popup:
                await page.locator("#routes button", has_text="路线单 PDF").click()
            sheet = await popup.value
            assert sheet.url.startswith("blob:")
            await sheet.close()

            # A reload (the warehouse remembered) shows what was reported.
            await page.goto(f"{base}/app/")
            await page.locator("input[name=date]").fill(shop.delivery_date.isoformat())
            await page.click("#route-day button[type=submit]")
            await page.locator("#routes li.stop .state", has_text="交接").wait_for()
            again = page.locator("#routes li.stop")
            assert await again.first.locator("button[value=routeStopHandOver]").is_disabled()
            assert await again.nth(1).locator("button[value=routeStopArrive]").is_enabled()

    arrived = await db.scalar(
        "SELECT count(*) FROM route_stops WHERE id = :s AND handed_over_at IS NOT NULL",
        s=plan.stop_ids[day.point2],
    )
    assert arrived == 1
