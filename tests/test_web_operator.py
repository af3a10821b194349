"""The operator's web page in a real browser: approve a leader, create a
campaign (a refused cutoff first), cut a campaign off and consolidate its
purchase orders, watching both jobs."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from kernel.accounts import Role
from leaders.models import LeaderStatus
from tests.factories import approved_pickup_point, open_shop
from tests.helpers_browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.test_cutoff_purchasing import order

pytestmark = needs_chromium


async def test_operator_approves_creates_a_campaign_and_runs_the_night_jobs(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
        _, applicant, _ = await approved_pickup_point(
            db, shop.operator, None, status=LeaderStatus.PENDING
        )
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
