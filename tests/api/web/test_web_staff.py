"""The operator's staff accounts in a real browser: a refused phone shown
next to the field, a driver created with a phone, found by searching the
phone, disabled (the row says so) and enabled again, moved to another role;
the role filter and paging on with "More"."""

from __future__ import annotations

from pathlib import Path

from kernel.accounts import Role
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file

pytestmark = needs_chromium

PHONE = "13712345678"


async def test_operator_creates_finds_disables_enables_and_moves_a_driver(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        _, operator_token = await db.user(Role.OPERATOR, "运营")
        for i in range(23):
            await db.user(Role.CUSTOMER, f"居民{i:02d}")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, operator_token) as page:
            staff = page.locator("#staff")
            await staff.locator("tr.user").first.wait_for()
            assert await page.get_attribute("html", "lang") == "en"

            form = staff.locator("#user-create")
            await form.locator("input[name=name]").fill("Driver Li")
            await form.locator("input[name=phone]").fill("12345")
            assert await form.locator("select[name=role]").input_value() == "DRIVER"
            await form.locator("button[type=submit]").click()
            error = form.locator(".field-error[data-field=phone]")
            await error.wait_for()
            assert await error.get_attribute("data-code") == "INVALID_PHONE"
            assert await form.locator("input[name=name]").input_value() == "Driver Li"

            await form.locator("input[name=phone]").fill(f"+86 {PHONE}")
            await form.locator("button[type=submit]").click()
            await form.locator(".notice").wait_for()
            assert "Created Driver Li (DRIVER)" in await form.locator(".notice").inner_text()
            user_id = await db.scalar("SELECT id FROM users WHERE phone = :p", p=PHONE)
            assert await db.scalar("SELECT role FROM users WHERE id = :u", u=user_id) == "driver"

            search = staff.locator("#staff-search")
            await search.locator("input[name=query]").fill(PHONE[:7])
            await search.locator("button[type=submit]").click()
            await page.wait_for_function("document.querySelectorAll('#staff tr.user').length === 1")
            row = staff.locator("tr.user")
            assert await row.locator(".name").inner_text() == "Driver Li"
            assert await row.locator(".phone").inner_text() == PHONE
            assert await row.locator(".status").inner_text() == "Active"

            await row.locator("button[value=disable]").click()
            await staff.locator("tr.user[data-disabled]").wait_for()
            assert await row.locator(".status").inner_text() == "Disabled"
            assert await db.scalar("SELECT disabled_at FROM users WHERE id = :u", u=user_id)
            await screenshot(page, "operator-staff-disabled")

            await row.locator("button[value=enable]").click()
            await staff.locator("tr.user:not([data-disabled]) button[value=disable]").wait_for()
            assert await row.locator(".status").inner_text() == "Active"
            assert await db.scalar("SELECT disabled_at FROM users WHERE id = :u", u=user_id) is None

            await row.locator("select[name=role]").select_option("DISPATCHER")
            await row.locator("button[value=role]").click()
            await staff.locator("tr.user td.role", has_text="DISPATCHER").wait_for()
            role = await db.scalar("SELECT role FROM users WHERE id = :u", u=user_id)
            assert role == "dispatcher"
            await screenshot(page, "operator-staff-role")

            # Every customer, twenty a page: "More" brings the last three.
            await search.locator("input[name=query]").fill("")
            await search.locator("select[name=role]").select_option("CUSTOMER")
            await search.locator("button[type=submit]").click()
            await page.wait_for_function(
                "document.querySelectorAll('#staff tr.user').length === 20"
            )
            assert set(await staff.locator("tr.user .role").all_inner_texts()) == {"CUSTOMER"}
            more = staff.locator("button.more")
            assert await more.is_visible()
            await more.click()
            await page.wait_for_function(
                "document.querySelectorAll('#staff tr.user').length === 23"
            )
            assert await more.is_hidden()
            names = await staff.locator("tr.user .name").all_inner_texts()
            assert names == [f"居民{i:02d}" for i in range(23)]
