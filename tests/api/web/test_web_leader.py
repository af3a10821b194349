"""The leader's phone page in a real browser (Chinese): today's campaign with
share code and QR code, ordering for a resident, the day's orders by
customer, signing for a delivery with missing and damaged units, checking a
customer's pickup code, commission and payouts; API errors in Chinese."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Route

from fulfilment.delivery.stops import record_arrival
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.leaders.commission.test_payouts import earn
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commission import team
from tests.support.factories import open_shop
from tests.support.pickup import code_of, counter_day, move_day
from tests.support.routing import store_plan

pytestmark = needs_chromium


async def test_leader_shares_the_campaign_and_orders_for_a_resident(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(
            db, items=[{"group_price_fen": 990, "list_price_fen": 1290, "cap": 3}]
        )
        share_code = await db.scalar(
            "SELECT share_code FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
        )
    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            campaign = page.locator("#campaign")
            await campaign.wait_for()
            assert await page.get_attribute("html", "lang") == "zh-CN"
            assert await campaign.locator(".share-code").inner_text() == share_code
            link = await campaign.locator(".share-link").inner_text()
            assert link.endswith(f"/app/?share={share_code}")
            text = await campaign.inner_text()
            assert "商品0" in text and "¥9.90" in text and "¥12.90" in text
            qr = campaign.locator("img.share-qr")
            await page.wait_for_function(
                "document.querySelector('img.share-qr').complete"
                " && document.querySelector('img.share-qr').naturalWidth > 0"
            )
            box = await qr.bounding_box()
            assert box is not None and box["width"] > 100 and box["height"] > 100
            await screenshot(page, "leader-campaign")

            # Ordering for a resident: a bad phone is refused in Chinese next to
            # the phone, what was typed stays; then the order's number and total.
            form = page.locator("#resident-order-form")
            await form.locator("input[name=customerPhone]").fill("12345")
            await form.locator("input[name=customerName]").fill("王阿姨")
            await form.locator("input[data-item]").first.fill("2")
            await form.locator("button[type=submit]").click()
            error = form.locator(".field-error[data-field=customerPhone]")
            await error.wait_for()
            assert (await error.inner_text()).startswith("请输入正确的手机号")
            assert await form.locator("input[data-item]").first.input_value() == "2"
            await screenshot(page, "leader-resident-order-refused")

            await form.locator("input[name=customerPhone]").fill("138 0013 8000")
            await form.locator("button[type=submit]").click()
            placed = form.locator(".notice")
            await placed.wait_for()
            number = await db.scalar(
                "SELECT o.number FROM orders o JOIN users u ON u.id = o.customer_id"
                " WHERE u.phone = '13800138000' AND u.name = '王阿姨'"
            )
            assert await placed.inner_text() == f"下单成功：订单 {number}，合计 ¥19.80"
            # The campaign is drawn again for what is left: 1 of the 3.
            assert "剩 1" in await page.locator("#campaign").inner_text()
            assert "剩 1" in await form.inner_text()
            await screenshot(page, "leader-resident-ordered")

            # Two more than are left: refused with what is left, in Chinese.
            await form.locator("input[name=customerPhone]").fill("13800138001")
            await form.locator("input[data-item]").first.fill("2")
            await form.locator("button[type=submit]").click()
            sold_out = form.locator(".field-error")
            await sold_out.wait_for()
            assert "仅剩 1 件" in await sold_out.inner_text()

            # The last one sells it out: the item can no longer be ordered.
            await form.locator("input[data-item]").first.fill("1")
            await form.locator("button[type=submit]").click()
            await page.wait_for_function(
                "document.querySelector('#resident-order-form input[data-item]').disabled"
            )
            assert "剩 0" in await page.locator("#campaign").inner_text()

            await page.click("#sign-out")
            await page.wait_for_selector("#sign-in")
            assert await page.evaluate("localStorage.length") == 0


async def test_leader_reads_orders_signs_with_missing_units_and_verifies_a_code(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        counter = await counter_day(db)
        shop = counter.shop
        plan = await store_plan(db, shop.warehouse_id, shop.delivery_date, [[shop.pickup_point_id]])
        async with unit_of_work(db.sessions) as session:
            await record_arrival(session, plan.stop_ids[shop.pickup_point_id], utcnow())
        await move_day(db, counter, 0)  # the page opens on today
        alice_code = await code_of(db, counter.orders["alice"])
    alice, bob = counter.day.alice.name, counter.day.bob.name

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            orders = page.locator("#orders")
            await orders.wait_for()
            rows = orders.locator("tr.customer")
            assert await rows.count() == 2
            by_name = {
                (await row.locator("td").first.inner_text()).split("\n")[0]: [
                    await cell.inner_text() for cell in await row.locator("td.num").all()
                ]
                for row in await rows.all()
            }
            assert by_name == {alice: ["1", "4", "¥33.20"], bob: ["1", "2", "¥19.80"]}
            assert "¥53.00" in await orders.locator("tr.total").inner_text()

            delivery = page.locator("#delivery")
            assert "车已到" in await delivery.locator(".arrival").inner_text()
            missing_a = delivery.locator("input[data-kind=MISSING]").first
            await missing_a.fill("9")
            await page.fill("#delivery-sign input[name=note]", "少了三盒")
            await page.click("#delivery-sign button[type=submit]")
            error = delivery.locator(".field-error")
            await error.wait_for()
            # In Chinese, from the client's catalogue; the row says 5 were due.
            assert await error.inner_text() == "缺损数量不能超过应到数量"
            assert await missing_a.input_value() == "9"
            assert await page.input_value("#delivery-sign input[name=note]") == "少了三盒"
            await screenshot(page, "leader-sign-refused")

            await missing_a.fill("3")
            await delivery.locator("input[data-kind=DAMAGED]").nth(1).fill("1")
            await page.click("#delivery-sign button[type=submit]")
            receipt = page.locator("#delivery .receipt")
            await receipt.wait_for()
            assert "退款 ¥33.20" in await receipt.inner_text()  # 3 × ¥9.90 + 1 × ¥3.50
            assert "已签收" in await page.inner_text("#delivery .arrival")
            signed = await page.inner_text("#delivery")
            assert "商品0 缺 3" in signed and "商品1 损 1" in signed

            wrong = "000000" if alice_code != "000000" else "111111"
            await page.fill("#pickup-verify input[name=code]", wrong)
            await page.click("#pickup-verify button[type=submit]")
            await page.wait_for_selector("#pickup-verify .field-error[data-field=code]")
            await page.fill("#pickup-verify input[name=code]", alice_code)
            await page.click("#pickup-verify button[type=submit]")
            await page.wait_for_selector("#pickup-verify .notice")
            assert "核销成功" in await page.inner_text("#pickup-verify .notice")
            handed = await page.inner_text("#verify-result")
            # Her one 商品1 was the damaged unit, refunded: she collects 商品0 only.
            assert alice in handed and "商品0 × 2" in handed and "商品1" not in handed
            await screenshot(page, "leader-verified")


async def test_leader_reads_the_balance_and_requests_a_payout(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        t = await team(db, 1)
        await earn(db, (t.leaders[0], 5_000))  # settled: ¥50 available
    with live_server(db, tmp_path) as base:
        async with signed_in(base, t.tokens[0], mobile=True) as page:
            money = page.locator("#commission")
            await money.wait_for()
            assert "可提现 ¥50.00" in await money.locator(".balance").inner_text()
            assert await money.locator("tr.statement").count() == 1

            await page.fill("#payout-request input[name=amountFen]", "60")
            await page.click("#payout-request button[type=submit]")
            error = page.locator("#payout-request .field-error[data-field=amountFen]")
            await error.wait_for()
            assert await error.inner_text() == "可提现余额不足"
            assert "5000" in (await error.get_attribute("title") or "")  # the server's words
            assert await page.input_value("#payout-request input[name=amountFen]") == "60"

            await page.fill("#payout-request input[name=amountFen]", "20")
            await page.click("#payout-request button[type=submit]")
            await page.wait_for_selector("#payout-request .notice")
            payout = await money.locator("tr.payout").inner_text()
            assert "20.00" in payout and "审核中" in payout
            assert "可提现 ¥30.00" in await money.locator(".balance").inner_text()
            await screenshot(page, "leader-payout")


async def test_a_failed_redraw_after_an_order_does_not_ask_for_a_second_order(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            form = page.locator("#resident-order-form")
            await form.wait_for()
            refreshes = 0

            async def drop_the_refresh(route: Route) -> None:
                nonlocal refreshes
                if "openCampaign" in (route.request.post_data or ""):
                    refreshes += 1
                    await route.abort()  # the network fails after the order
                else:
                    await route.continue_()

            await page.route("**/graphql", drop_the_refresh)
            await form.locator("input[name=customerPhone]").fill("13800138000")
            await form.locator("input[data-item]").first.fill("2")
            await form.locator("button[type=submit]").click()
            placed = form.locator(".notice")
            await placed.wait_for()
            number = await db.scalar("SELECT number FROM orders")
            assert (await placed.inner_text()).startswith(f"下单成功：订单 {number}")
            assert "页面未能刷新" in await placed.inner_text()
            assert await form.locator(".field-error, .form-error").count() == 0
            assert "请再提交" not in await form.inner_text()
            assert refreshes == 1
            assert await db.scalar("SELECT count(*) FROM orders") == 1
