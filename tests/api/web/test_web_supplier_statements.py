"""The supplier's statements in a real browser: the lines of an issued
statement, one confirmed, one disputed with a reason, and the
return-to-supplier document of its QC failure downloaded."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from fulfilment.supplier_settlement.statements import issue_statement
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.commission.settlement import latest_closed_period
from tests.fulfilment.supplier_settlement.day import received_day
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.exports import supplier_user

pytestmark = needs_chromium


async def test_supplier_confirms_a_line_and_disputes_another(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        built = await received_day(db)
        now = utcnow()
        end = latest_closed_period(now, db.settings)
        async with db.engine.begin() as conn:
            await conn.execute(
                text("UPDATE purchase_orders SET delivery_date = :d"),
                {"d": end - timedelta(days=3)},
            )
        async with unit_of_work(db.sessions) as session:
            await issue_statement(session, built.supplier_id, end, db.settings, by=None, now=now)
        token = await supplier_user(db, built.supplier_id)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            card = page.locator("section.supplier-statement")
            await card.wait_for()
            assert "total ¥108.00" in await card.locator("h2").inner_text()
            lines = card.locator("tr.line")
            assert await lines.count() == 4
            assert "货款" in await lines.nth(0).inner_text()

            await lines.nth(0).locator("form.confirm-line button").click()
            await page.wait_for_selector("section.supplier-statement tr.line[data-state=CONFIRMED]")

            shortage = card.locator("tr.line").nth(1)
            await shortage.locator("input[name=reason]").fill("实际送了 10 件")
            await shortage.locator("form.dispute-line button").click()
            await page.wait_for_selector("section.supplier-statement tr.line[data-state=DISPUTED]")
            disputed = card.locator("tr.line[data-state=DISPUTED]")
            assert "异议：实际送了 10 件" in await disputed.inner_text()
            assert "有异议" in await disputed.inner_text()
            await screenshot(page, "supplier-statement-disputed")

            # The QC failure's return-to-supplier document, with the token.
            async with page.expect_download() as download:
                await card.locator("tr.line").nth(2).locator("button.return").click()
            pdf = await download.value
            saved = tmp_path / "return.pdf"
            await pdf.save_as(saved)
            assert saved.read_bytes().startswith(b"%PDF")
