"""The operator copies a campaign to another delivery date from the
campaigns table: refused for a date the warehouse sells already, then a new
row for the next day with the same items."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import open_shop

pytestmark = needs_chromium


async def test_operator_copies_a_campaign_to_the_next_day(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
    next_day = (shop.delivery_date + timedelta(days=1)).isoformat()

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.operator_token) as page:
            copy = page.locator("form.campaign-copy").first
            await copy.wait_for()
            date = copy.locator("input[name=deliveryDate]")
            assert await date.input_value() == next_day
            await date.fill(shop.delivery_date.isoformat())
            await copy.locator("button[type=submit]").click()
            refused = copy.locator(".field-error, .form-error")
            await refused.first.wait_for()
            assert await page.locator("tr.campaign").count() == 1

            await date.fill(next_day)
            await copy.locator("button[type=submit]").click()
            await page.wait_for_function("document.querySelectorAll('tr.campaign').length === 2")
            copied = await page.locator("tr.campaign").nth(1).inner_text()
            assert copied.startswith(next_day)
            assert "商品0 ¥9.90" in copied
            await screenshot(page, "operator-campaign-copied")
    copies = await db.scalar("SELECT count(*) FROM campaigns WHERE delivery_date = :d", d=next_day)
    assert copies == 1
