"""A customer without a share link, in a real browser: the phone's location
finds the pickup points nearby, nearest first with their distances; choosing
one shows its campaign and the customer orders there. The choice is the
server's: with the browser's storage wiped, signing in again shows it. The
latitude and longitude typed in are the fallback, and a second choice
replaces the first."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import BrowserContext, Page
from sqlalchemy import text

from kernel.accounts import Role
from kernel.geo import LatLon, distance_m
from tests.conftest import TestDB
from tests.support.browser import browser, live_server, needs_chromium, screenshot, sqlite_file
from tests.support.factories import approved_pickup_point, open_shop

pytestmark = needs_chromium

# Metres per degree of latitude near 28°N, close enough for placing points.
_M_PER_DEG = 110_850.0
POINT = LatLon(28.2, 112.9)  # where the factories put a pickup point
HERE = LatLon(POINT.lat - 350 / _M_PER_DEG, POINT.lon)
FARTHER = LatLon(HERE.lat + 1200 / _M_PER_DEG, POINT.lon)


def distance_text(a: LatLon, b: LatLon) -> str:
    """As the page words it (nearby.js)."""
    metres = round(distance_m(a, b))
    return f"{metres} 米" if metres < 1000 else f"{metres / 1000:.1f} 公里"


async def two_points(db: TestDB) -> tuple[int, int]:
    """An open campaign served at two points: 桃子湖 ~350 m from HERE, 麓山
    ~1.2 km (both supplied by the campaign's warehouse)."""
    shop = await open_shop(db)
    farther, _, _ = await approved_pickup_point(db, shop.operator, shop.warehouse_id)
    async with db.engine.begin() as conn:
        for point_id, name, at in (
            (shop.pickup_point_id, "桃子湖", POINT),
            (farther, "麓山", FARTHER),
        ):
            await conn.execute(
                text("UPDATE pickup_points SET name = :n, lat = :lat, lon = :lon WHERE id = :id"),
                {"n": name, "lat": at.lat, "lon": at.lon, "id": point_id},
            )
    return shop.pickup_point_id, farther


async def sign_in(page: Page, base: str, token: str) -> None:
    await page.goto(f"{base}/app/")
    await page.fill("#sign-in input[name=token]", token)
    await page.click("#sign-in button[type=submit]")
    await page.wait_for_selector("#sign-out:not([hidden])")


async def test_a_customer_finds_a_point_nearby_chooses_it_and_orders(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        near, farther = await two_points(db)
        customer, token = await db.user(Role.CUSTOMER, "小张")

    with live_server(db, tmp_path) as base:
        async with browser() as chromium:
            context = await chromium.new_context(
                viewport={"width": 390, "height": 844},
                locale="zh-CN",
                geolocation={"latitude": HERE.lat, "longitude": HERE.lon},
                permissions=["geolocation"],
            )
            page = await context.new_page()
            page.set_default_timeout(30_000)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(str(error)))
            try:
                await _find_choose_and_order(page, db, base, token, customer.id, near)
                await _the_choice_is_the_servers(context, page, db, base, token, customer.id, near)
                await _typed_in_and_chosen_again(page, db, customer.id, farther)
            except Exception:
                await screenshot(page, "last-failure")
                print("browser console:", *console, sep="\n")
                raise
            finally:
                await context.close()


async def _bound(db: TestDB, user_id: int) -> int | None:
    found = await db.scalar(
        "SELECT pickup_point_id FROM customer_bindings WHERE user_id = :u", u=user_id
    )
    return None if found is None else int(found)


async def _find_choose_and_order(
    page: Page, db: TestDB, base: str, token: str, user_id: int, near: int
) -> None:
    await sign_in(page, base, token)
    finder = page.locator("#nearby")
    await finder.wait_for()
    assert await page.locator("#shop").count() == 0
    await page.click("#use-location")
    found = page.locator("#nearby-results form.nearby-point")
    await page.wait_for_function(
        "document.querySelectorAll('#nearby-results form.nearby-point').length === 2"
    )
    assert await found.locator(".name").all_inner_texts() == ["桃子湖", "麓山"]
    assert await found.locator(".distance").all_inner_texts() == [
        distance_text(HERE, POINT),
        distance_text(HERE, FARTHER),
    ]
    assert (await found.locator(".distance").first.inner_text()).endswith(" 米")
    assert await found.locator(".distance").nth(1).inner_text() == "1.2 公里"
    assert "长沙市岳麓区" in await found.first.locator(".address").inner_text()
    await screenshot(page, "customer-nearby")

    await found.first.locator("button[type=submit]").click()
    shop = page.locator("#shop")
    await shop.wait_for()
    assert await shop.locator("h1").inner_text() == "桃子湖"
    assert await _bound(db, user_id) == near
    await page.locator("#order-form input[data-item]").first.fill("2")
    await page.click("#order-form button[type=submit]")
    placed = page.locator("#order-result .notice")
    await placed.wait_for()
    number = await db.scalar("SELECT number FROM orders WHERE customer_id = :c", c=user_id)
    assert await placed.inner_text() == f"下单成功：订单 {number}，合计 ¥19.80"
    assert (
        await db.scalar("SELECT pickup_point_id FROM orders WHERE customer_id = :c", c=user_id)
        == near
    )
    await page.locator(f"#my-orders form.order[data-number='{number}']").wait_for()
    await screenshot(page, "customer-nearby-ordered")


async def _the_choice_is_the_servers(
    context: BrowserContext, page: Page, db: TestDB, base: str, token: str, user_id: int, near: int
) -> None:
    # Nothing kept in the browser: not the token, not a share code.
    await page.evaluate("localStorage.clear()")
    await context.clear_cookies()
    await page.reload()
    await page.locator("#sign-in").wait_for()
    await page.fill("#sign-in input[name=token]", token)
    await page.click("#sign-in button[type=submit]")
    shop = page.locator("#shop")
    await shop.wait_for()
    assert await shop.locator("h1").inner_text() == "桃子湖"
    assert await shop.get_attribute("data-point") is not None
    assert await page.evaluate("localStorage.getItem('tuangou.share')") is None
    assert await page.locator("#nearby").count() == 0
    assert await _bound(db, user_id) == near


async def _typed_in_and_chosen_again(page: Page, db: TestDB, user_id: int, farther: int) -> None:
    await page.locator("#shop button.change-point", has_text="换一个自提点").click()
    form = page.locator("#nearby-form")
    await form.wait_for()
    await form.locator("input[name=lat]").fill(f"{HERE.lat:.6f}")
    await form.locator("input[name=lon]").fill(f"{HERE.lon:.6f}")
    await form.locator("select[name=radiusM]").select_option("1000")
    await form.locator("button[type=submit]").click()
    found = page.locator("#nearby-results form.nearby-point")
    await found.first.wait_for()
    assert await found.locator(".name").all_inner_texts() == ["桃子湖"]

    await form.locator("select[name=radiusM]").select_option("3000")
    await form.locator("button[type=submit]").click()
    await page.wait_for_function(
        "document.querySelectorAll('#nearby-results form.nearby-point').length === 2"
    )
    await found.nth(1).locator("button[type=submit]").click()
    await page.wait_for_selector("#shop h1:has-text('麓山')")
    assert await _bound(db, user_id) == farther
    await page.reload()
    await page.wait_for_selector("#shop h1:has-text('麓山')")
    await screenshot(page, "customer-nearby-changed")
