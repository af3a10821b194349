"""The customer's phone page behind a leader's share link, in a real browser:
the open campaign with prices and what is left, an order refused over the
per-customer limit (in Chinese, next to the quantity), a lost answer retried
without ordering twice, paying (the WeChat Pay QR code, and the embedded
sandbox's simulated scan), the pickup code, cancelling before cutoff."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Locator, Page, Route

from kernel.accounts import Role
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import open_shop
from tests.support.pickup import code_of

pytestmark = needs_chromium


async def shop_behind_a_share_link(db: TestDB) -> str:
    """An open campaign of two items, the first capped at 20 and 3 a customer;
    the share code of the pickup point it serves."""
    shop = await open_shop(
        db,
        items=[
            {
                "group_price_fen": 990,
                "list_price_fen": 1290,
                "cap": 20,
                "per_customer_limit": 3,
            },
            {"group_price_fen": 350, "list_price_fen": 400},
        ],
    )
    share_code: str = await db.scalar(
        "SELECT share_code FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
    )
    return share_code


async def pay_through_the_sandbox(page: Page, order: Locator) -> None:
    """WeChat Pay's Native QR code under the order (orderPay), then, in
    development, the embedded sandbox's payer scans it (paymentSimulate)."""
    await order.locator("button[value=pay]").click()
    pay_code = order.locator(".pay-code")
    await pay_code.wait_for()
    assert (await pay_code.get_attribute("data-code-url") or "").startswith("weixin://")
    assert await pay_code.locator("img.pay-qr").count() == 1
    await screenshot(page, "customer-pay-code")
    await pay_code.locator("button[value=simulate]").click()


async def test_customer_orders_through_a_share_link_pays_and_cancels(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        share_code = await shop_behind_a_share_link(db)
        customer, token = await db.user(Role.CUSTOMER, "小红")

    with live_server(db, tmp_path, process=True) as base:
        async with signed_in(base, token, mobile=True, path=f"/app/?share={share_code}") as page:
            shop_card = page.locator("#shop")
            await shop_card.wait_for()
            assert await page.get_attribute("html", "lang") == "zh-CN"
            items = page.locator("#order-form label.item")
            first = await items.first.inner_text()
            assert "商品0 ¥9.90" in first and "剩 20" in first and "限购 3" in first
            assert "商品1 ¥3.50" in await items.nth(1).inner_text()

            quantities = page.locator("#order-form input[data-item]")
            await quantities.first.fill("5")
            await page.click("#order-form button[type=submit]")
            error = page.locator("#order-form .field-error[data-field='lines.0.quantity']")
            await error.wait_for()
            assert await error.inner_text() == "超过限购，还可买 3 件"
            assert await quantities.first.input_value() == "5"
            await screenshot(page, "customer-limit-refused")

            # The first answer is lost on the way back (the server did place
            # the order); submitting again sends the same key and gets that order.
            lost: list[str] = []

            async def lose_first_order_answer(route: Route) -> None:
                if not lost and "orderCreate" in (route.request.post_data or ""):
                    await route.fetch()
                    lost.append(route.request.url)
                    await route.abort()
                else:
                    await route.continue_()

            await page.route("**/graphql", lose_first_order_answer)
            await quantities.first.fill("2")
            await quantities.nth(1).fill("1")
            await page.click("#order-form button[type=submit]")
            await page.locator("#order-form .form-error", has_text="网络异常").wait_for()
            await page.click("#order-form button[type=submit]")
            placed = page.locator("#order-result .notice")
            await placed.wait_for()
            await page.unroute("**/graphql")
            mine_sql = "FROM orders WHERE customer_id = :c"
            assert await db.scalar(f"SELECT count(*) {mine_sql}", c=customer.id) == 1
            assert await db.scalar(f"SELECT total_fen {mine_sql}", c=customer.id) == 2_330
            order_id = await db.scalar(f"SELECT id {mine_sql}", c=customer.id)
            number = await db.scalar(f"SELECT number {mine_sql}", c=customer.id)
            assert await placed.inner_text() == f"下单成功：订单 {number}，合计 ¥23.30"
            assert "剩 18" in await page.locator("#order-form label.item").first.inner_text()

            mine = page.locator(f"#my-orders form.order[data-number='{number}']")
            assert "待支付" in await mine.inner_text()
            await pay_through_the_sandbox(page, mine)
            code = page.locator(f"form.order[data-number='{number}'] .pickup-code")
            await code.wait_for()
            assert (
                "已支付" in await page.locator(f"form.order[data-number='{number}']").inner_text()
            )
            assert (await code.inner_text()).endswith(await code_of(db, order_id))
            await screenshot(page, "customer-paid")

            await page.locator(f"form.order[data-number='{number}'] button[value=cancel]").click()
            # Paid, then cancelled: refunded whole, so it reads 已退款 (REFUNDED).
            await page.wait_for_selector(f"form.order[data-number='{number}']:has-text('已退款')")
            cancelled = page.locator(f"form.order[data-number='{number}']")
            assert await cancelled.locator(".pickup-code").count() == 0
            assert await cancelled.locator("button").count() == 0
            status = await db.scalar("SELECT status FROM orders WHERE id = :o", o=order_id)
            assert str(status).upper() == "REFUNDED"
            await screenshot(page, "customer-cancelled")
