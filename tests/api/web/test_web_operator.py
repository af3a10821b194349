"""The operator's web page in a real browser: approve a leader, create a
campaign (a refused cutoff first), cut a campaign off and consolidate its
purchase orders, watching both jobs; reject a leader, add an item to an open
campaign (a duplicate refused first), run sorting and a settlement."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kernel.accounts import Role, User
from leaders.points.models import LeaderStatus
from tests.conftest import TestDB
from tests.fulfilment.purchasing.test_cutoff_purchasing import order
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commerce import make_product
from tests.support.factories import Shop, approved_pickup_point, open_shop

pytestmark = needs_chromium


async def shop_and_applicant(db: TestDB) -> tuple[Shop, User]:
    """An open shop, and someone else's leader application waiting."""
    shop = await open_shop(db)
    _, applicant, _ = await approved_pickup_point(
        db, shop.operator, None, status=LeaderStatus.PENDING
    )
    return shop, applicant


async def test_operator_approves_creates_a_campaign_and_runs_the_night_jobs(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, applicant = await shop_and_applicant(db)
        customer, _ = await db.user(Role.CUSTOMER)
        await order(db, shop, customer, {0: 13}, pay=True)
    later = shop.delivery_date + timedelta(days=2)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.operator_token) as page:
            application = page.locator("form.leader")
            await application.wait_for()
            assert applicant.name in await application.inner_text()
            await application.locator("button[value=approve]").click()
            decided = page.locator("#leaders .decided")
            await decided.wait_for()
            assert await decided.inner_text() == f"{applicant.name}: APPROVED"

            form = page.locator("#campaign-create")
            await form.locator("input[name=deliveryDate]").fill(later.isoformat())
            await form.locator("input[name=opensAt]").fill("2026-01-01T08:00")
            await form.locator("input[name=cutoffAt]").fill("2026-01-02T20:00")  # past
            await form.locator("input[name='items.0.groupPriceFen']").fill("8.80")
            await form.locator("input[name='items.0.listPriceFen']").fill("12.00")
            await form.locator("button[type=submit]").click()
            error = form.locator(".field-error[data-field=cutoffAt]")
            await error.wait_for()
            assert "past" in await error.inner_text()
            assert await form.locator("input[name='items.0.groupPriceFen']").input_value() == "8.80"

            cutoff = f"{(later - timedelta(days=1)).isoformat()}T20:00"
            await form.locator("input[name=cutoffAt]").fill(cutoff)
            await form.locator("button[type=submit]").click()
            await form.locator(".notice").wait_for()
            created = page.locator("tr.campaign", has_text=later.isoformat())
            await created.wait_for()
            assert "¥8.80" in await created.inner_text()
            await screenshot(page, "operator-campaign-created")

            night = page.locator("tr.campaign", has_text=shop.delivery_date.isoformat())
            await night.locator("button", has_text="Cut off now").click()
            await page.wait_for_selector("#jobs .job[data-status=SUCCEEDED]")
            await page.wait_for_function(
                "[...document.querySelectorAll('tr.campaign .status')]"
                ".some((cell) => cell.textContent === 'CLOSED')"
            )
            night = page.locator("tr.campaign", has_text=shop.delivery_date.isoformat())
            assert await night.locator(".status").inner_text() == "CLOSED"
            await night.locator("button", has_text="Consolidate POs").click()
            await page.wait_for_function(
                "document.querySelectorAll('#jobs .job[data-status=SUCCEEDED]').length === 2"
            )
            jobs = page.locator("#jobs .job")
            assert await jobs.count() == 2
            assert "100%" in await jobs.last.inner_text()
            await screenshot(page, "operator-jobs")


async def test_operator_rejects_a_leader_adds_an_item_sorts_and_settles(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop, applicant = await shop_and_applicant(db)
        await make_product(db, shop.extra["supplier_id"], "赣南脐橙")
        customer, _ = await db.user(Role.CUSTOMER)
        await order(db, shop, customer, {0: 3}, pay=True)
    day = shop.delivery_date.isoformat()

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.operator_token) as page:
            application = page.locator("form.leader")
            await application.wait_for()
            await application.locator("button[value=reject]").click()
            error = application.locator(".field-error[data-field=reason]")
            await error.wait_for()
            assert await error.get_attribute("data-code") == "REASON_REQUIRED"
            await application.locator("input[name=reason]").fill("地址不在服务范围")
            await application.locator("button[value=reject]").click()
            decided = page.locator("#leaders .decided")
            await decided.wait_for()
            assert await decided.inner_text() == f"{applicant.name}: REJECTED"

            row = page.locator("tr.campaign", has_text=day)
            await row.locator("summary", has_text="Add items").click()
            adding = row.locator("form.items-add")
            await adding.locator("select[name='items.0.productId']").select_option(
                label="商品0 (500g/盒)"
            )
            await adding.locator("input[name='items.0.groupPriceFen']").fill("9.90")
            await adding.locator("input[name='items.0.listPriceFen']").fill("12.90")
            await adding.locator("button[type=submit]").click()
            refused = adding.locator(".field-error, .form-error")
            await refused.wait_for()
            assert await refused.get_attribute("data-code") == "DUPLICATE_ITEM"
            await adding.locator("select[name='items.0.productId']").select_option(
                label="赣南脐橙 (5斤/箱)"
            )
            await adding.locator("input[name='items.0.groupPriceFen']").fill("39.90")
            await adding.locator("input[name='items.0.listPriceFen']").fill("59.00")
            await adding.locator("button[type=submit]").click()
            await page.wait_for_selector(
                f"tr.campaign:has-text('{day}') td.items:has-text('¥39.90')"
            )
            assert "赣南脐橙 ¥39.90" in await page.locator("tr.campaign", has_text=day).inner_text()
            await screenshot(page, "operator-item-added")

            await (
                page.locator("tr.campaign", has_text=day)
                .locator("button", has_text="Run sorting")
                .click()
            )
            await page.wait_for_selector("#jobs .job[data-status=SUCCEEDED]")
            assert "Run sorting " + day in await page.inner_text("#jobs .job")

            await page.click("#settlement-run button[type=submit]")
            await page.wait_for_function(
                "document.querySelectorAll('#jobs .job[data-status]').length === 2"
            )
            settled = page.locator("#jobs .job").last
            assert await settled.get_attribute("data-status") == "SUCCEEDED"
            assert "Settlement latest period" in await settled.inner_text()
            await screenshot(page, "operator-sorted-and-settled")
