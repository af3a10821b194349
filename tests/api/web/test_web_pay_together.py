"""The customer's phone page, in a real browser: two orders awaiting payment
are paid with one WeChat Pay QR code (ordersPay, 合单支付), and the embedded
sandbox's payer scanning it pays both, each with its own pickup code."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

from kernel.accounts import Role
from tests.api.web.test_web_customer import shop_behind_a_share_link
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file

pytestmark = needs_chromium


async def _order(page: Page, quantity: int) -> None:
    await page.locator("#order-form input[data-item]").first.fill(str(quantity))
    await page.click("#order-form button[type=submit]")
    await page.locator("#order-result .notice").wait_for()


async def test_a_customer_pays_two_orders_with_one_code(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        share_code = await shop_behind_a_share_link(db)
        customer, token = await db.user(Role.CUSTOMER, "小明")

    with live_server(db, tmp_path, process=True) as base:
        async with signed_in(base, token, mobile=True, path=f"/app/?share={share_code}") as page:
            await page.locator("#shop").wait_for()
            # One order alone: nothing to pay together yet.
            await _order(page, 1)
            await page.locator("#my-orders form.order").first.wait_for()
            assert await page.locator("form.pay-together").count() == 0
            await _order(page, 2)

            together = page.locator("form.pay-together")
            await together.wait_for()
            assert "2 笔待支付订单" in await together.inner_text()
            assert "合计 ¥29.70" in await together.inner_text()  # 1 + 2 at ¥9.90
            await together.locator("button[value=pay]").click()
            code = together.locator(".pay-code")
            await code.wait_for()
            first_code = await code.get_attribute("data-code-url") or ""
            assert first_code.startswith("weixin://")
            await screenshot(page, "customer-pay-together")

            # Back later: the payment is open, so the orders are offered as
            # that payment again, and neither alone (WeChat Pay has their
            # numbers in the combined payment).
            await page.reload()
            together = page.locator("form.pay-together")
            await together.wait_for()
            assert "已发起合并支付" in await together.inner_text()
            assert await page.locator("form.order button[value=pay]").count() == 0
            await together.locator("button[value=pay]", has_text="继续合并支付").click()
            again = together.locator(".pay-code")
            await again.wait_for()
            # The same payment (its prepay reused), not a new one.
            assert await again.get_attribute("data-code-url") == first_code
            await again.locator("button[value=simulate]").click()

            await page.wait_for_selector("form.order .pickup-code >> nth=1")
            assert await page.locator("form.pay-together").count() == 0
            assert await page.locator("form.order", has_text="已支付").count() == 2
            await screenshot(page, "customer-paid-together")
    await _both_paid_once(db, customer.id)


async def _both_paid_once(db: TestDB, customer_id: int) -> None:
    rows = await db.rows(
        "SELECT status, payment_transaction_id FROM orders WHERE customer_id = :c", c=customer_id
    )
    assert [status for status, _ in rows] == ["paid", "paid"]
    assert len({tx for _, tx in rows}) == 2
    prepays = "SELECT count(DISTINCT combine_out_trade_no), count(*) FROM payment_prepays"
    assert await db.rows(prepays) == [(1, 2)]
