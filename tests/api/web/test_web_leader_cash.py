"""The leader's page in a real browser: a resident's order placed by the
leader is marked paid in cash with "收现金", after a confirmation."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Dialog

from tests.support.browser import leader_at_work, needs_chromium, screenshot

pytestmark = needs_chromium


async def test_leader_takes_cash_for_a_residents_order(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with leader_at_work(sqlite_template, tmp_path) as leader:
        db, page = leader.db, leader.page
        await leader.order_for_resident()
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
