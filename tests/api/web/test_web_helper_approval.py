"""The operator approves pickup helpers (店员) leaders registered: the page
lists the pending ones with their point; a reject without a reason is
refused beside the helper; Approve and Reject (with the reason) are kept."""

from __future__ import annotations

from pathlib import Path

from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from leaders.points.helpers import add_helper
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.factories import open_shop
from tests.support.pickup import rows

pytestmark = needs_chromium


async def test_operator_approves_one_helper_and_rejects_another(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        shop = await open_shop(db)
        helpers = {}
        for name in ("店员甲", "店员乙"):
            user, _ = await db.user(Role.CUSTOMER, name)
            async with unit_of_work(db.sessions) as session:
                added = await add_helper(
                    session, shop.leader_user.id, user_id=user.id, now=utcnow()
                )
                helpers[name] = added.id
        point = await db.scalar(
            "SELECT name FROM pickup_points WHERE id = :p", p=shop.pickup_point_id
        )

    with live_server(db, tmp_path) as base:
        async with signed_in(base, shop.operator_token) as page:
            forms = page.locator("#helpers form.helper")
            await forms.first.wait_for()
            assert await forms.count() == 2
            first, second = forms.nth(0), forms.nth(1)
            assert "店员甲" in await first.inner_text() and point in await first.inner_text()
            assert "店员乙" in await second.inner_text()
            await screenshot(page, "operator-helpers-pending")

            await second.locator("button[value=reject]").click()
            refused = second.locator(".field-error[data-field=reason]")
            await refused.wait_for()
            assert await refused.get_attribute("data-code") == "INVALID"

            await first.locator("button[value=approve]").click()
            await page.locator("#helpers form.helper[data-status=APPROVED]").wait_for()
            await second.locator("input[name=reason]").fill("不是本小区住户")
            await second.locator("button[value=reject]").click()
            rejected = page.locator("#helpers form.helper[data-status=REJECTED]")
            await rejected.wait_for()
            assert "不是本小区住户" in await rejected.inner_text()
            await screenshot(page, "operator-helpers-decided")

    decided = await rows(db, "SELECT id, status, status_reason FROM pickup_helpers ORDER BY id")
    assert decided == [
        (helpers["店员甲"], "approved", None),
        (helpers["店员乙"], "rejected", "不是本小区住户"),
    ]
