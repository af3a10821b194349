"""The operator's pickup points in a real browser: a point's receiving window
and phone edited (its version goes up, its history shows the change), an edit
made from the old version refused as STALE beside the form and changing
nothing, and a location typed in GCJ-02 stored converted to WGS-84."""

from __future__ import annotations

from pathlib import Path

import pytest

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from kernel.geo import CoordSystem, to_wgs84
from leaders.points.editing import PointChanges, update_point
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commerce import make_warehouse
from tests.support.factories import approved_pickup_point

pytestmark = needs_chromium

POINT = "SELECT {} FROM pickup_points"


async def test_operator_edits_a_pickup_point(sqlite_template: Path, tmp_path: Path) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        operator, token = await db.user(Role.OPERATOR, "运营")
        other, _ = await db.user(Role.OPERATOR, "另一位运营")
        warehouse_id = await make_warehouse(db, operator)
        point_id, _, _ = await approved_pickup_point(db, operator, warehouse_id)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            row = page.locator("#points article.point").first
            await row.wait_for()
            assert await row.get_attribute("data-version") == "1"
            assert "幸福小区" in await row.locator("h3").inner_text()
            assert "07:00–11:00" in await row.locator(".summary").inner_text()
            edit = row.locator("form.point-edit")
            await edit.locator("input[name='receivingWindow.start']").fill("08:30")
            await edit.locator("input[name='receivingWindow.end']").fill("12:00")
            await edit.locator("input[name=contactPhone]").fill("139-0013-9000")
            await edit.locator("button[type=submit]").click()
            row = page.locator("#points article.point[data-version='2']")
            await row.wait_for()
            assert "08:30–12:00" in await row.locator(".summary").inner_text()
            assert str(await db.scalar(POINT.format("window_start"))).startswith("08:30")
            assert str(await db.scalar(POINT.format("window_end"))).startswith("12:00")
            assert await db.scalar(POINT.format("contact_phone")) == "13900139000"
            assert await db.scalar(POINT.format("version")) == 2
            await row.locator("button.history-show").click()
            entry = row.locator(".setup-history li[data-version='2']")
            await entry.wait_for()
            assert "window_start" in await entry.inner_text()
            assert "contact_phone" in await entry.inner_text()

            # Another operator edits the point meanwhile: this page's form is stale.
            async with unit_of_work(db.sessions) as session:
                await update_point(
                    session,
                    point_id,
                    PointChanges(name="幸福小区东门"),
                    expected_version=2,
                    actor_id=other.id,
                    now=utcnow(),
                )
            edit = row.locator("form.point-edit")
            await edit.locator("input[name=contactPhone]").fill("13700137000")
            await edit.locator("button[type=submit]").click()
            stale = edit.locator(".form-error[data-code=STALE]")
            await stale.wait_for()
            assert "reload" in await stale.inner_text()
            assert await db.scalar(POINT.format("contact_phone")) == "13900139000"
            assert await db.scalar(POINT.format("version")) == 3
            assert await db.scalar("SELECT count(*) FROM setup_changes") == 2

            await stale.locator("button.reload").click()
            row = page.locator("#points article.point[data-version='3']")
            await row.wait_for()
            assert "幸福小区东门" in await row.locator("h3").inner_text()
            edit = row.locator("form.point-edit")
            await edit.locator("input[name='location.lat']").fill("28.21")
            await edit.locator("input[name='location.lon']").fill("112.95")
            await edit.locator("select[name='location.system']").select_option("GCJ02")
            await edit.locator("button[type=submit]").click()
            await page.locator("#points article.point[data-version='4']").wait_for()
            expected = to_wgs84(28.21, 112.95, CoordSystem.GCJ02)
            lat = await db.scalar(POINT.format("lat"))
            lon = await db.scalar(POINT.format("lon"))
            assert lat == pytest.approx(expected.lat, abs=1e-9)
            assert lon == pytest.approx(expected.lon, abs=1e-9)
            assert (lat, lon) != pytest.approx((28.21, 112.95), abs=1e-4)  # it did move
            assert await db.scalar(POINT.format("contact_phone")) == "13900139000"
            await screenshot(page, "operator-points")
