"""The fleet in a real browser: an operator adds a vehicle type to a
warehouse (costs typed in yuan, stored in fen) and edits its count (its
version goes up), an edit over another operator's refused as STALE with a
reload beside the form; a dispatcher sees the same fleet without the forms."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import text

from fulfilment.routing.fleet_editing import edit_vehicle_type
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commerce import make_warehouse

pytestmark = needs_chromium

TYPE = (
    "SELECT name, capacity_g, capacity_totes, count, fixed_cost_fen, cost_per_km_fen,"
    " max_shift_minutes, version FROM vehicle_types"
)


async def stored(db: TestDB) -> list[tuple[Any, ...]]:
    """Every vehicle type as the database holds it (TYPE's columns)."""
    async with db.engine.connect() as conn:
        return [tuple(row) for row in await conn.execute(text(TYPE))]


async def test_operator_adds_and_edits_a_vehicle_type(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        operator, token = await db.user(Role.OPERATOR, "运营")
        other, _ = await db.user(Role.OPERATOR, "另一位运营")
        _, dispatcher_token = await db.user(Role.DISPATCHER, "调度")
        await make_warehouse(db, operator, name="岳麓仓")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            fleet = page.locator("#fleet .warehouse-fleet").first
            await fleet.locator("form.vehicle-type-create").wait_for()
            assert "岳麓仓" in await fleet.locator("h3").inner_text()
            assert await db.scalar("SELECT count(*) FROM vehicle_types") == 0
            add = fleet.locator("form.vehicle-type-create")
            await add.locator("input[name=name]").fill("依维柯")
            await add.locator("input[name=capacityKg]").fill("1500")
            await add.locator("input[name=capacityTotes]").fill("60")
            await add.locator("input[name=count]").fill("3")
            await add.locator("input[name=fixedCostFen]").fill("250.50")
            await add.locator("input[name=costPerKmFen]").fill("2.35")
            await add.locator("input[name=shiftStart]").fill("05:30")
            await add.locator("input[name=maxShiftMinutes]").fill("540")
            await add.locator("button[type=submit]").click()
            row = fleet.locator("article.vehicle-type[data-version='1']")
            await row.wait_for()
            assert "¥250.50 a day + ¥2.35/km" in await row.locator(".summary").inner_text()
            assert await stored(db) == [("依维柯", 1_500_000, 60, 3, 25050, 235, 540, 1)]
            assert str(await db.scalar("SELECT shift_start FROM vehicle_types")).startswith("05:30")

            edit = row.locator("form.vehicle-type-edit")
            await edit.locator("input[name=count]").fill("5")
            await edit.locator("button[type=submit]").click()
            row = fleet.locator("article.vehicle-type[data-version='2']")
            await row.wait_for()
            assert "5 × 1500 kg / 60 totes" in await row.locator(".summary").inner_text()
            assert await stored(db) == [("依维柯", 1_500_000, 60, 5, 25050, 235, 540, 2)]
            assert await db.scalar("SELECT count(*) FROM setup_changes") == 1

            # Another operator edits the type meanwhile: this page's form is stale.
            async with unit_of_work(db.sessions) as session:
                await edit_vehicle_type(
                    session,
                    await db.scalar("SELECT id FROM vehicle_types"),
                    {"max_shift_minutes": 600},
                    expected_version=2,
                    actor_id=other.id,
                    now=utcnow(),
                )
            edit = row.locator("form.vehicle-type-edit")
            await edit.locator("input[name=count]").fill("7")
            await edit.locator("button[type=submit]").click()
            stale = edit.locator(".form-error[data-code=STALE]")
            await stale.wait_for()
            assert "reload" in await stale.inner_text()
            assert await stored(db) == [("依维柯", 1_500_000, 60, 5, 25050, 235, 600, 3)]
            await stale.locator("button.reload").click()
            row = fleet.locator("article.vehicle-type[data-version='3']")
            await row.wait_for()
            assert "at most 600 min" in await row.locator(".summary").inner_text()
            await screenshot(page, "operator-fleet")

        async with signed_in(base, dispatcher_token) as page:
            row = page.locator("#fleet article.vehicle-type[data-version='3']")
            await row.wait_for()
            assert "依维柯" in await row.locator("h4").inner_text()
            assert await page.locator("#fleet form").count() == 0
            await screenshot(page, "dispatcher-fleet")
