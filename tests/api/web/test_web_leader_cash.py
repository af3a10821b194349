"""The leader's page in a real browser: a resident's order placed by the
leader is marked paid in cash with "收现金", after a confirmation."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Dialog

from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import open_shop

pytestmark = needs_chromium


async def test_leader_takes_cash_for_a_residents_order(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            form = page.locator("#resident-order-form")
            await form.wait_for()
            await form.locator("input[name=customerPhone]").fill("13800138000")
            await form.locator("input[data-item]").first.fill("2")
            await form.locator("button[type=submit]").click()
            button = page.locator("#resident-cash button.mark-cash")
            await button.wait_for()
            assert await button.inner_text() == "收现金 ¥19.80"

            # Dismissed: nothing happens.
            page.once("dialog", lambda dialog: dialog.dismiss())
            await button.click()
            assert await db.scalar("SELECT count(*) FROM cash_payments") == 0

            seen: list[str] = []

            async def accept(dialog: Dialog) -> None:
                seen.append(dialog.message)
                await dialog.accept()

            page.once("dialog", accept)
            await button.click()
            box = page.locator("#resident-cash")
            await page.wait_for_function(
                "document.querySelector('#resident-cash').innerText.startsWith('已收现金')"
            )
            code = await db.scalar("SELECT code FROM pickup_codes")
            assert await box.inner_text() == f"已收现金 ¥19.80，取货码 {code}"
            assert "¥19.80" in seen[0]
            assert await db.scalar("SELECT status FROM orders") == "paid"
            assert await db.scalar("SELECT amount_fen FROM cash_payments") == 1980
            await screenshot(page, "leader-cash-taken")
