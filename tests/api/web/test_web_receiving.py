"""Warehouse staff receive a purchase order on a tablet: two deliveries of a
line (the second partly failing QC), expected vs received vs accepted
updating, a delivery accepting more than arrived refused beside its form,
then closing receiving, which shorts and refunds what is missing."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Locator, Page, ViewportSize, expect
from sqlalchemy import text

from kernel.accounts import Role
from kernel.clock import business_date, utcnow
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_receiving_api import consolidated_day
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import Shop

pytestmark = needs_chromium

TABLET: ViewportSize = {"width": 1024, "height": 768}


async def record(card: Locator, received: int, accepted: int, ref: str) -> Locator:
    """Fill the line's delivery form and send it; the form as it is now."""
    form = card.locator("form.receipt")
    await form.locator("input[name=receivedUnits]").fill(str(received))
    await form.locator("input[name=acceptedUnits]").fill(str(accepted))
    await form.locator("input[name=deliveryRef]").fill(ref)
    await form.locator("button[type=submit]").click()
    return form


async def expect_line(card: Locator, expected: str, received: str, accepted: str) -> None:
    line = card.locator("tr.line")
    await expect(line.locator("td.expected")).to_have_text(expected)
    await expect(line.locator("td.received")).to_have_text(received)
    await expect(line.locator("td.accepted")).to_have_text(accepted)


async def show_day(page: Page, db: TestDB, shop: Shop) -> Locator:
    """Today's (empty) day first, then the PO's delivery date."""
    day = page.locator("#receiving-day input[name=date]")
    await page.locator("#purchase-orders .empty").wait_for()
    assert await day.input_value() == business_date(utcnow(), db.settings.zone).isoformat()
    await day.fill(shop.delivery_date.isoformat())
    await page.locator("#receiving-day button[type=submit]").click()
    card = page.locator("section.purchase-order")
    await card.wait_for()
    return card


async def test_warehouse_staff_receive_and_close_a_purchase_order(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await consolidated_day(db)
        _, warehouse = await db.user(Role.WAREHOUSE, "仓管小李")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, warehouse, viewport=TABLET) as page:
            assert await page.get_attribute("html", "lang") == "zh-CN"
            card = await show_day(page, db, shop)
            assert "供应商-" in await card.locator("h2").inner_text()
            await expect(card.locator(".state")).to_contain_text("收货中")
            await expect_line(card, "9", "0", "0")
            # A tablet: the delivery form's controls are big enough for a finger.
            box = await card.locator("form.receipt button[type=submit]").bounding_box()
            assert box is not None and box["height"] >= 44

            await record(card, 6, 6, "SH-001")
            await expect_line(card, "9", "6", "6")
            form = await record(card, 3, 1, "SH-002")  # two fail QC
            await expect_line(card, "9", "9", "7")
            await expect(form.locator(".notice")).to_contain_text("合格 1")
            await expect(card.locator("ul.deliveries li")).to_have_count(2)

            # More accepted than received: refused beside the field, in Chinese.
            form = await record(card, 2, 3, "SH-003")
            error = form.locator(".field-error[data-field=acceptedUnits]")
            await expect(error).to_have_text("合格件数不能超过实收件数")
            assert await form.locator("input[name=acceptedUnits]").input_value() == "3"
            await expect_line(card, "9", "9", "7")
            await screenshot(page, "warehouse-receiving")

            # Closing asks first; cancelling keeps receiving open.
            await card.locator("button.close-receiving").click()
            await card.locator("form.close-confirm button.cancel").click()
            await expect(card.locator("form.close-confirm")).to_be_hidden()
            await card.locator("button.close-receiving").click()
            await card.locator("form.close-confirm button[type=submit]").click()
            await expect(card.locator(".shortage")).to_contain_text("缺货 2 件")
            await expect(card.locator(".state")).to_contain_text("已结束收货")
            assert await card.locator("form").count() == 0
            await expect_line(card, "9", "9", "7")
            await screenshot(page, "warehouse-receiving-closed")

    receipts = await rows(db, "SELECT received_units, accepted_units, delivery_ref FROM receipts")
    assert receipts == [(6, 6, "SH-001"), (3, 1, "SH-002")]
    assert await db.scalar("SELECT receiving_closed_at FROM purchase_orders") is not None
    assert await db.scalar("SELECT sum(quantity) FROM order_line_shortfalls") == 2


async def rows(db: TestDB, sql: str) -> list[tuple[object, ...]]:
    async with db.engine.connect() as conn:
        return [tuple(r) for r in (await conn.execute(text(sql + " ORDER BY id"))).all()]
