"""The dispatcher's web page in a real browser: plan a day with progress,
read the plan, move a stop (refused, then accepted), publish, print, give a
route to a driver (a disabled one refused) and take it back; lock a stop,
re-optimise around it, reopen the date's earlier plan."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.route_plans import Load, RoutingDay, routing_day, spread, van

pytestmark = needs_chromium


async def plan_the_day(page: Page, day: RoutingDay) -> None:
    """Ask for the day's plan, searching for a second."""
    await page.select_option("select[name=warehouseId]", day.warehouse_gid)
    await page.fill("#plan-create input[name=deliveryDate]", day.day.isoformat())
    await page.fill("#plan-create input[name=timeLimitSeconds]", "1")
    await page.click("#plan-create button[type=submit]")


async def route_driver(db: TestDB, number: int) -> int | None:
    """The driver of route ``number`` of the published plan."""
    driver: int | None = await db.scalar(
        "SELECT r.driver_id FROM routes r JOIN route_plans p ON p.id = r.plan_id"
        " WHERE p.status = 'published' AND r.number = :n",
        n=number,
    )
    return driver


async def _assign_drivers(page: Page, db: TestDB, driver_id: int, gone_id: int) -> None:
    """Route 1 given, refused for a disabled driver, taken back and given again."""
    # Route 1 to a driver: the row names them, the database has it.
    row = page.locator("#route-drivers tr.route-driver[data-number='1']")
    assert await row.locator("td.driver").inner_text() == "No driver"
    await row.locator("select[name=driverId]").select_option(label="司机老张")
    await row.locator("button[value=assign]").click()
    await row.locator("td.driver", has_text="司机老张").wait_for()
    assert await route_driver(db, 1) == driver_id
    await screenshot(page, "dispatcher-published")

    # A driver disabled since the page was drawn: refused, next to the choice.
    async with unit_of_work(db.sessions) as session:
        disabled = await session.get(User, gone_id)
        assert disabled is not None
        disabled.disabled_at = utcnow()
    await row.locator("select[name=driverId]").select_option(label="司机老赵")
    await row.locator("button[value=assign]").click()
    error = row.locator(".field-error[data-code=DRIVER_DISABLED]")
    await error.wait_for()
    assert await row.locator("td.driver").inner_text() == "司机老张"
    assert await route_driver(db, 1) == driver_id

    # Taken back.
    await row.locator("button[value=unassign]").click()
    await row.locator("td.driver", has_text="No driver").wait_for()
    assert await route_driver(db, 1) is None
    await row.locator("select[name=driverId]").select_option(label="司机老张")
    await row.locator("button[value=assign]").click()
    await row.locator("td.driver", has_text="司机老张").wait_for()
    assert await route_driver(db, 1) == driver_id


async def test_dispatcher_plans_moves_a_stop_publishes_and_prints(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        # Five ordinary points and one too heavy for any van: it stays unserved.
        day = await routing_day(
            db, [*spread(5, weight_kg=100, totes=5), Load(weight_kg=2000, totes=10)], [van()]
        )
        _, token = await db.user(Role.DISPATCHER, "调度小李")
        driver, _ = await db.user(Role.DRIVER, "司机老张")
        gone, _ = await db.user(Role.DRIVER, "司机老赵")
    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            await plan_the_day(page, day)

            await page.wait_for_selector("#job-progress[data-status=SUCCEEDED]")
            assert await page.get_attribute("#job-progress progress", "value") == "1"
            await page.wait_for_selector("#plan-summary")
            assert "Status DRAFT" in await page.inner_text("#plan-summary")
            stops = page.locator("#routes tr.stop")
            assert await stops.count() == 5
            first = await stops.first.inner_text()
            assert "自提点" in first and ":" in first  # a name and clock times
            unserved = await page.inner_text("#unserved")
            assert "自提点06" in unserved and "2000.0" in unserved
            await page.wait_for_function(
                "document.querySelector('img.map').complete"
                " && document.querySelector('img.map').naturalWidth > 0"
            )
            assert (await page.get_attribute("img.map", "src") or "").startswith("blob:")
            await screenshot(page, "dispatcher-plan")

            # A place the route does not have: refused, the reason next to the field,
            # what was typed still there.
            await page.fill("#stop-move input[name=position]", "99")
            await page.click("#stop-move button[type=submit]")
            error = page.locator("#stop-move .field-error[data-field=position]")
            await error.wait_for()
            assert await error.inner_text()
            assert await page.input_value("#stop-move input[name=position]") == "99"
            await screenshot(page, "dispatcher-move-refused")

            # The route's last stop to the front: accepted, a new version.
            last = await stops.last.locator("td").nth(1).inner_text()
            await page.select_option("#stop-move select[name=pickupPointId]", label=last)
            await page.fill("#stop-move input[name=position]", "1")
            await page.click("#stop-move button[type=submit]")
            await page.wait_for_selector("#stop-move .notice")
            assert "version 2" in await page.inner_text("#stop-move .notice")
            assert last in await stops.first.inner_text()

            async with page.expect_popup() as popup:
                await page.locator("#routes tr.route button", has_text="Print sheet").click()
            sheet = await popup.value
            assert sheet.url.startswith("blob:")
            await sheet.close()

            await page.click("#plan-publish button[type=submit]")
            await page.wait_for_selector("#plan-summary:has-text('Status PUBLISHED')")
            assert await page.locator("#stop-move").count() == 0
            assert await page.locator("#driver-link").count() == 0

            await _assign_drivers(page, db, driver.id, gone.id)
            await screenshot(page, "dispatcher-published")


async def test_dispatcher_locks_a_stop_reoptimises_and_reopens_the_first_plan(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await routing_day(db, spread(5, weight_kg=100, totes=5), [van()])
        _, token = await db.user(Role.DISPATCHER, "调度小李")
    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            await plan_the_day(page, day)
            await page.wait_for_selector("#plan-summary:has-text('Status DRAFT')")

            stops = page.locator("#routes tr.stop")
            last = await stops.last.locator("td").nth(1).inner_text()
            await stops.last.locator("form.lock button").click()
            await page.wait_for_selector("#plan-summary:has-text('version 2')")
            locked = page.locator("#routes tr.stop", has_text=last)
            assert await locked.locator(".is-locked").count() == 1
            assert await locked.locator("form.lock button").inner_text() == "Unlock"
            position = await locked.locator("td").first.inner_text()

            await page.fill("#plan-reoptimize input[name=timeLimitSeconds]", "1")
            await page.click("#plan-reoptimize button[type=submit]")
            await page.wait_for_selector("#plan h2:has-text('re-optimised')")
            assert "Status DRAFT" in await page.inner_text("#plan-summary")
            kept = page.locator("#routes tr.stop", has_text=last)
            assert await kept.locator("td").first.inner_text() == position
            assert await kept.locator(".is-locked").count() == 1
            await screenshot(page, "dispatcher-reoptimised")

            await page.click("#plans-show")
            rows = page.locator("#plans tr.plan-row")
            await rows.first.wait_for()
            assert await rows.count() == 2
            assert "re-optimised" in await rows.nth(1).inner_text()
            await rows.first.locator("button", has_text="Open").click()
            await page.wait_for_function(
                "!document.querySelector('#plan h2').textContent.includes('re-optimised')"
            )
            assert "version 2" in await page.inner_text("#plan-summary")
            await screenshot(page, "dispatcher-plans")
