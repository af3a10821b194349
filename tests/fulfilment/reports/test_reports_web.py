"""The operator's reports section in a real browser: the known day's sales
drawn as an SVG line chart with its table, then the leader ranking as bars;
the payout register with a grid warehouse's row beside a leader's."""

from __future__ import annotations

from pathlib import Path

from tests.fulfilment.reports.known_day import known_day
from tests.fulfilment.reports.test_grid_registers import GRID_NAME, OPERATOR_NAME, grid_payday
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file

pytestmark = needs_chromium


async def test_the_operator_sees_a_report_chart_and_its_figures(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await known_day(db)
    token = day.counter.shop.operator_token
    start, end = day.days.start, day.days.end
    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            form = page.locator("#report-form")
            await form.wait_for()
            await form.locator("input[name=start]").fill(start.isoformat())
            await form.locator("input[name=end]").fill(end.isoformat())
            await form.locator("select[name=report]").select_option("sales")
            await form.locator("button[type=submit]").click()
            chart = page.locator("#reports svg.chart[data-kind=line]")
            await chart.wait_for()
            assert await chart.locator("circle.point").count() == day.days.days
            total = page.locator("#reports table.report tr", has_text="Total")
            assert "96.10" in await total.inner_text()  # GMV, yuan
            await screenshot(page, "operator-report-sales")

            await form.locator("select[name=report]").select_option("leaders")
            await form.locator("button[type=submit]").click()
            bars = page.locator("#reports svg.chart[data-kind=bar] rect.bar")
            await bars.first.wait_for()
            assert await bars.count() == 3
            assert "53.00" in await page.locator("#reports table.report").inner_text()


async def test_the_payout_register_shows_a_grid_beside_a_leader(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        day = await grid_payday(db)
    with live_server(db, tmp_path) as base:
        async with signed_in(base, day.shop.operator_token) as page:
            form = page.locator("#report-form")
            await form.wait_for()
            await form.locator("input[name=start]").fill(day.days.start.isoformat())
            await form.locator("input[name=end]").fill(day.days.end.isoformat())
            await form.locator("select[name=report]").select_option("payouts")
            await form.locator("button[type=submit]").click()
            rows = page.locator("#reports table.report tbody tr")
            await rows.first.wait_for()
            assert await rows.count() == 2
            grid = await rows.nth(0).inner_text()
            assert f"网格仓 {GRID_NAME}" in grid and OPERATOR_NAME in grid and "20.00" in grid
            assert day.leader_name in await rows.nth(1).inner_text()
            await screenshot(page, "operator-report-payouts-grid")
