"""The driver's phone page in a real browser: the routes the dispatcher gave
this driver on a date (and not the others of the plan), stops in order,
arrival and hand-over taps that stay reported after a reload, the route
sheet, a tap refused in Chinese once the route is someone else's; a driver
given nothing reads that there is nothing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from kernel.accounts import Role
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.routing import sorted_day, store_plan

pytestmark = needs_chromium


async def _give(db: TestDB, route_ids: list[int], driver_ids: list[int]) -> None:
    """The dispatcher gives each route its driver."""
    async with db.engine.begin() as conn:
        for route_id, driver_id in zip(route_ids, driver_ids, strict=True):
            await conn.execute(
                text("UPDATE routes SET driver_id = :d WHERE id = :r"),
                {"d": driver_id, "r": route_id},
            )


async def test_driver_reports_arrival_and_hand_over_stop_by_stop(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await sorted_day(db)
        shop = day.shop
        # Route 1 is this driver's, route 2 another's.
        plan = await store_plan(
            db,
            shop.warehouse_id,
            shop.delivery_date,
            [[day.point2, shop.pickup_point_id], [day.point3]],
        )
        driver, token = await db.user(Role.DRIVER, "司机老张")
        other, _ = await db.user(Role.DRIVER, "司机老王")
        _, idle_token = await db.user(Role.DRIVER, "司机小刘")
        await _give(db, plan.route_ids, [driver.id, other.id])
        names = {
            p: await db.scalar("SELECT name FROM pickup_points WHERE id = :p", p=p)
            for p in (day.point2, shop.pickup_point_id, day.point3)
        }
    link = f"/app/?date={shop.delivery_date}"

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True, path=link) as page:
            stops = page.locator("#routes li.stop")
            await stops.first.wait_for()
            assert await page.get_attribute("html", "lang") == "zh-CN"
            assert await page.input_value("#route-day input[name=date]") == str(shop.delivery_date)
            routes = page.locator("#routes section.route")
            assert await routes.count() == 1
            assert await routes.first.get_attribute("data-number") == "1"
            assert names[day.point3] not in await page.inner_text("#routes")
            assert await stops.count() == 2
            first = stops.first
            assert names[day.point2] in await first.inner_text()
            assert names[shop.pickup_point_id] in await stops.nth(1).inner_text()

            await first.locator("button[value=routeStopArrive]").click()
            await first.locator(".state", has_text="到达").wait_for()
            assert await first.locator("button[value=routeStopArrive]").is_disabled()
            await first.locator("button[value=routeStopHandOver]").click()
            await first.locator(".state", has_text="交接").wait_for()

            async with page.expect_popup() as popup:
                await page.locator("#routes button", has_text="路线单 PDF").click()
            assert (await popup.value).url.startswith("blob:")

            # A reload shows what was reported.
            await page.reload()
            await page.locator("#routes li.stop .state", has_text="交接").wait_for()
            again = page.locator("#routes li.stop")
            assert await again.first.locator("button[value=routeStopHandOver]").is_disabled()
            assert await again.nth(1).locator("button[value=routeStopArrive]").is_enabled()

            # The dispatcher gives the route to someone else meanwhile: refused, in Chinese.
            await _give(db, plan.route_ids[:1], [other.id])
            await again.nth(1).locator("button[value=routeStopArrive]").click()
            refused = again.nth(1).locator(".form-error[data-code=NOT_YOUR_ROUTE]")
            await refused.wait_for()
            assert "没有分配给你" in await refused.inner_text()

        # A driver the dispatcher gave nothing: no route of the plan, a plain message.
        async with signed_in(base, idle_token, mobile=True, path=link) as page:
            empty = page.locator("#routes p.empty")
            await empty.wait_for()
            assert await empty.inner_text() == "今天还没有分配给你的路线。"
            assert await page.locator("#routes section.route").count() == 0
            await screenshot(page, "driver-no-routes")

    arrived = await db.scalar(
        "SELECT count(*) FROM route_stops WHERE id = :s AND handed_over_at IS NOT NULL",
        s=plan.stop_ids[day.point2],
    )
    assert arrived == 1
    not_arrived = await db.scalar(
        "SELECT count(*) FROM route_stops WHERE id = :s AND arrived_at IS NULL",
        s=plan.stop_ids[shop.pickup_point_id],
    )
    assert not_arrived == 1
