"""A resident asks for after-sale on her phone: under her collected order a
form takes the product, the units, the reason and a note. Asking for more
units than she collected is refused beside the quantity in Chinese, and
nothing is recorded; the request she then sends is listed under 我的售后 as
waiting, and once an operator approves it, as refunded with its amount."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from fulfilment.after_sale.requests import approve_after_sale
from fulfilment.pickup.verification import Verified
from kernel.accounts import issue_token
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TOKEN_SECRET
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.pickup import code_of, counter_day, move_day, rows, verify

pytestmark = needs_chromium


async def test_a_resident_asks_for_after_sale_and_sees_it_refunded(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        counter = await counter_day(db)
        await move_day(db, counter, -1)  # delivered yesterday
        alice = counter.day.alice
        code = await code_of(db, counter.orders["alice"])
        picked = await verify(
            db, counter.shop.leader_user, utcnow() - timedelta(hours=3), code=code
        )
        assert isinstance(picked, Verified)
        async with unit_of_work(db.sessions) as session:
            token = await issue_token(session, alice, TOKEN_SECRET)
        number = await db.scalar(
            "SELECT number FROM orders WHERE id = :o", o=counter.orders["alice"]
        )

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True) as page:
            order = page.locator(f"form.order[data-number='{number}']")
            await order.locator("button[value=afterSale]").click()
            form = page.locator(f"form.after-sale-form[data-number='{number}']")
            await form.wait_for()
            options = await form.locator("select[name=productId] option").all_inner_texts()
            assert options == ["商品0（买了 3 件）", "商品1（买了 1 件）"]

            # She collected 3 of 商品0: 4 is refused beside the quantity.
            await form.locator("input[name=quantity]").fill("4")
            await form.locator("button[type=submit]").click()
            refused = form.locator(".field-error[data-field=quantity]")
            await refused.wait_for()
            assert await refused.get_attribute("data-code") == "QUANTITY_EXCEEDED"
            assert await refused.inner_text() == "数量超过可退数量"
            assert await rows(db, "SELECT id FROM after_sale_requests") == []
            assert "没有售后申请" in await page.locator("#my-after-sale").inner_text()

            await form.locator("input[name=quantity]").fill("1")
            await form.locator("select[name=reason]").select_option("QUALITY")
            await form.locator("input[name=note]").fill("盒子压坏了")
            await form.locator("button[type=submit]").click()
            await form.locator(".notice").wait_for()
            waiting = page.locator("#my-after-sale .after-sale-request[data-status=PENDING]")
            await waiting.wait_for()
            text = await waiting.inner_text()
            assert f"订单 {number}" in text and "商品0 × 1 · 质量问题" in text and "待处理" in text
            await screenshot(page, "customer-after-sale-sent")

            columns = "id, quantity, reason, note, status, customer_id"
            (request,) = await rows(db, f"SELECT {columns} FROM after_sale_requests")
            assert request[1:] == (1, "quality", "盒子压坏了", "pending", alice.id)
            async with unit_of_work(db.sessions) as session:
                await approve_after_sale(session, request[0], decided_by_id=None, now=utcnow())

            await page.reload()
            approved = page.locator("#my-after-sale .after-sale-request[data-status=APPROVED]")
            await approved.wait_for()
            assert "已同意 · 已退款 ¥9.90" in await approved.inner_text()
            await screenshot(page, "customer-after-sale-refunded")
