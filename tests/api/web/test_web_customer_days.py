"""Two campaigns open at once at a point (tomorrow's and a weekend's
presale): the customer's and the leader's pages show one tab per delivery
date and sell from the chosen one; each order says its own delivery date.
An item with a sale window of its own says when it opens."""

from __future__ import annotations

from datetime import date, time, timedelta
from pathlib import Path

from fulfilment.campaigns import campaigns
from fulfilment.campaigns.models import CampaignItem
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import Shop, open_shop

pytestmark = needs_chromium


async def two_open_campaigns(db: TestDB) -> tuple[Shop, date]:
    """The shop's campaign (9.90) and a weekend's (19.90) open at its point."""
    shop = await open_shop(db)
    weekend = shop.delivery_date + timedelta(days=3)
    now = utcnow()
    async with unit_of_work(db.sessions) as session:
        await campaigns.create_campaign(
            session,
            campaigns.CampaignDraft(
                warehouse_id=shop.warehouse_id,
                delivery_date=weekend,
                opens_at=now - timedelta(minutes=5),
                cutoff_at=now + timedelta(days=2),
                pickup_start=time(9),
                pickup_end=time(18),
            ),
            [campaigns.ItemDraft(int(shop.extra["product_id"]), 1990, 2590)],
            created_by=shop.operator,
            zone=db.settings.zone,
            now=now,
        )
    return shop, weekend


async def test_customer_picks_a_delivery_date_and_orders_from_it(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, weekend = await two_open_campaigns(db)
        share = await db.scalar(
            "SELECT share_code FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
        )
        _, token = await db.user(Role.CUSTOMER, "小红")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True, path=f"/app/?share={share}") as page:
            tabs = page.locator("#shop .day-tab")
            await tabs.first.wait_for()
            assert await tabs.count() == 2
            assert await tabs.first.get_attribute("aria-pressed") == "true"
            assert "¥9.90" in await page.locator("#order-form label.item").first.inner_text()

            await page.click(f"#shop .day-tab[data-day='{weekend.isoformat()}']")
            later = page.locator(f"#shop .day-tab[data-day='{weekend.isoformat()}']")
            await page.wait_for_function(
                "d => document.querySelector(`#shop .day-tab[data-day='${d}']`)"
                "?.getAttribute('aria-pressed') === 'true'",
                arg=weekend.isoformat(),
            )
            assert await later.get_attribute("aria-pressed") == "true"
            assert "¥19.90" in await page.locator("#order-form label.item").first.inner_text()
            await page.locator("#order-form input[data-item]").first.fill("2")
            await page.click("#order-form button[type=submit]")
            await page.locator("#order-result .notice").wait_for()
            # The form stays on the weekend's campaign after ordering.
            assert await later.get_attribute("aria-pressed") == "true"
            order = page.locator("#my-orders form.order").first
            assert f"{weekend.isoformat()} 到货" in await order.inner_text()
            await screenshot(page, "customer-two-delivery-dates")
    total = await db.scalar("SELECT total_fen FROM orders")
    assert total == 3980


async def test_the_leader_switches_between_delivery_dates(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, weekend = await two_open_campaigns(db)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            tabs = page.locator("#campaign .day-tab")
            await tabs.first.wait_for()
            assert await tabs.count() == 2
            assert "¥9.90" in await page.locator("#campaign table").inner_text()
            await page.click(f"#campaign .day-tab[data-day='{weekend.isoformat()}']")
            await page.wait_for_function(
                "d => document.querySelector(`#campaign .day-tab[data-day='${d}']`)"
                "?.getAttribute('aria-pressed') === 'true'",
                arg=weekend.isoformat(),
            )
            assert "¥19.90" in await page.locator("#campaign table").inner_text()
            # The resident's order form sells the weekend's campaign now.
            form_items = await page.locator("#resident-order-form label.item").first.inner_text()
            assert "¥19.90" in form_items


async def test_an_item_before_its_own_sale_window_shows_when_it_opens(
    sqlite_template: Path, tmp_path: Path
) -> None:
    starts = (utcnow() + timedelta(minutes=30)).replace(second=0, microsecond=0)
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db, items=[{"group_price_fen": 990, "list_price_fen": 1290}] * 2)
        async with unit_of_work(db.sessions) as session:
            flash = await session.get(CampaignItem, shop.item_ids[1])
            assert flash is not None
            flash.sale_starts_at = starts
        share = await db.scalar(
            "SELECT share_code FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
        )
        _, token = await db.user(Role.CUSTOMER, "小红")

    local = starts.astimezone(db.settings.zone).strftime("%H:%M")
    with live_server(db, tmp_path) as base:
        async with signed_in(base, token, mobile=True, path=f"/app/?share={share}") as page:
            rows = page.locator("#order-form label.item")
            await rows.first.wait_for()
            assert f"{local} 开售" in await rows.nth(1).inner_text()
            assert await rows.nth(1).locator("input").is_disabled()
            assert "开售" not in await rows.nth(0).inner_text()
            assert not await rows.nth(0).locator("input").is_disabled()
