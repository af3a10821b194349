"""The operator's catalogue in a real browser: a product renamed and given a
picture (its version goes up), an edit made over another operator's refused
as STALE next to the form, a bad case pack refused next to its field, and a
cost scheduled from tomorrow shown in the product's schedule."""

from __future__ import annotations

from pathlib import Path

from fulfilment.campaigns.editing import ProductChanges, update_product
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.db import unit_of_work
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commerce import make_product

pytestmark = needs_chromium


async def test_operator_edits_a_product_and_schedules_its_cost(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        other, token = await db.user(Role.OPERATOR, "运营")
        product_id = await make_product(db, name="脐橙")

    with live_server(db, tmp_path) as base:
        async with signed_in(base, token) as page:
            row = page.locator("#catalogue article.product").first
            await row.wait_for()
            assert await row.get_attribute("data-version") == "1"
            edit = row.locator("form.product-edit")
            await edit.locator("input[name=name]").fill("赣南脐橙")
            await edit.locator("textarea[name=imageUrls]").fill("https://img.example.com/o.jpg")
            await edit.locator("button[type=submit]").click()
            await page.locator("#catalogue article.product[data-version='2']").wait_for()
            row = page.locator("#catalogue article.product").first
            assert "赣南脐橙" in await row.locator("h3").inner_text()
            assert await db.scalar("SELECT name FROM products") == "赣南脐橙"

            edit = row.locator("form.product-edit")
            await edit.locator("input[name=casePack]").fill("0")
            await edit.locator("button[type=submit]").click()
            error = edit.locator(".field-error[data-field=casePack]")
            await error.wait_for()
            assert await error.get_attribute("data-code") == "INVALID"

            # Another operator edits the product meanwhile: this page's edit is stale.
            async with unit_of_work(db.sessions) as session:
                await update_product(
                    session,
                    product_id,
                    ProductChanges(unit="3斤/箱"),
                    expected_version=2,
                    actor_id=other.id,
                    now=utcnow(),
                )
            await edit.locator("input[name=casePack]").fill("6")
            await edit.locator("button[type=submit]").click()
            stale = edit.locator(".form-error[data-code=STALE]")
            await stale.wait_for()
            assert "reload" in await stale.inner_text()
            assert await db.scalar("SELECT case_pack FROM products") == 4

            await page.reload()
            row = page.locator("#catalogue article.product[data-version='3']")
            await row.wait_for()
            cost = row.locator("form.product-cost")
            await cost.locator("input[name=cost]").fill("16.50")
            await cost.locator("button[type=submit]").click()
            await page.locator("#catalogue article.product[data-version='4']").wait_for()
            row = page.locator("#catalogue article.product").first
            assert "¥16.50" in await row.locator(".costs").inner_text()
            assert "Cost now ¥15.00" in await row.locator(".costs").inner_text()
            assert await db.scalar("SELECT max(cost_fen) FROM product_costs") == 1650
            await screenshot(page, "operator-catalogue")
