"""The two tiers on the dispatcher's page: the night's trunk plan from the
central to its grid warehouses (each inside its receiving window) planned,
a grid locked in place, and published; then a grid's own plan, whose vans
leave once the trunk has unloaded there."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import expect

from api.graphql.ids import encode
from kernel.accounts import Role
from tests.fulfilment.network.test_trunk import GRIDS, _grids
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.route_plans import routing_day, spread, van

pytestmark = needs_chromium


async def test_a_dispatcher_plans_the_trunk_then_a_grids_vans(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await routing_day(db, spread(7, weight_kg=120, totes=4), [van(count=2)])
        grids = await _grids(db, day)
        _, token = await db.user(Role.DISPATCHER, "调度小王")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            form = page.locator("#plan-create")
            await form.locator("select[name=warehouseId]").select_option(day.warehouse_gid)
            await form.locator("input[name=deliveryDate]").fill(day.day.isoformat())
            await form.locator("input[name=timeLimitSeconds]").fill("1")
            await form.locator("select[name=kind]").select_option("TRUNK")
            await form.locator("button[type=submit]").click()
            stops = page.locator("#trunk-stops tr.trunk-stop")
            await stops.first.wait_for()
            assert await stops.count() == 3
            names = [await s.locator("td").nth(2).inner_text() for s in await stops.all()]
            assert sorted(names) == sorted(g[0] for g in GRIDS)
            await expect(page.locator("#plan h2").first).to_contain_text("Trunk plan")
            # A draft trunk plan's grids move and lock like pickup points.
            assert await page.locator("#stop-move select[name=gridId] option").count() == 3
            first = stops.first
            locked_name = await first.locator("td").nth(2).inner_text()
            await first.locator("form.lock button[type=submit]").click()
            await expect(page.locator("#plan-summary")).to_contain_text("version 2")
            locked = page.locator("#trunk-stops tr.trunk-stop", has=page.locator(".is-locked"))
            await expect(locked).to_have_count(1)
            assert await locked.locator("td").nth(2).inner_text() == locked_name
            await expect(locked.locator("form.lock button")).to_have_text("Unlock")
            await screenshot(page, "dispatcher-trunk")
            await page.click("#plan-publish button[type=submit]")
            await expect(page.locator("#plan-summary")).to_contain_text("Status PUBLISHED")

            await form.locator("select[name=warehouseId]").select_option(
                encode("Warehouse", grids[0])
            )
            await form.locator("select[name=kind]").select_option("DELIVERY")
            await form.locator("button[type=submit]").click()
            ready = page.locator("#trunk-ready")
            await ready.wait_for()
            await expect(ready).to_contain_text("once the trunk has unloaded here")
            assert await page.locator("#routes tr.stop").count() == 2
    published = await db.scalar(
        "SELECT count(*) FROM route_plans WHERE kind = 'trunk' AND status = 'published'"
    )
    assert published == 1
    assert await db.scalar("SELECT count(*) FROM trunk_stops WHERE locked") == 1
