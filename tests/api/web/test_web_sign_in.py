"""Signing in on the web page with a phone and an SMS code, in a real browser:
a resident opens a leader's share link, is asked to sign in, gets a code
(read from the server's log, where the console SMS provider writes it), lands
on the pickup point's campaign and orders; the token refreshes silently;
signing out ends the session."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.async_api import Page, Route

from tests.api.test_e2e_server import TUANGOU, env_for, free_port
from tests.api.web.test_web_customer import shop_behind_a_share_link
from tests.conftest import TOKEN_SECRET, TestDB
from tests.support.browser import browser, needs_chromium, screenshot, sqlite_file

pytestmark = needs_chromium

PHONE = "13912345678"
EXPIRED = {"message": "Sign in", "extensions": {"code": "UNAUTHENTICATED", "reason": "EXPIRED"}}


@contextmanager
def server_with_log(db: TestDB, cwd: Path) -> Iterator[tuple[str, Path]]:
    """`tuangou serve` on ``db`` writing its log to a file; yields (base URL, log)."""
    env = {**env_for(db.url), "TUANGOU_TOKEN_SECRET": TOKEN_SECRET, "TUANGOU_GEOCODER": "none"}
    log = cwd / "server.log"
    port = free_port()
    with log.open("w") as out:
        proc = subprocess.Popen(
            [TUANGOU, "serve", "--port", str(port), "--no-migrate"],
            cwd=cwd,
            env={**env, "TUANGOU_SMS_PROVIDER": "console"},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                httpx.get(f"{base}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.2)
        yield base, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def code_in_log(log: Path, phone: str) -> str:
    """The last code the console provider logged for ``phone``."""
    deadline = time.monotonic() + 10
    while True:
        found = re.findall(rf"sign-in code for {phone}: (\d{{6}})", log.read_text())
        if found:
            return str(found[-1])
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


async def stored(page: Page, key: str) -> str | None:
    value = await page.evaluate("(key) => localStorage.getItem(key)", key)
    return None if value is None else str(value)


async def test_a_resident_signs_in_from_a_share_link_and_orders(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        share_code = await shop_behind_a_share_link(db)

    with server_with_log(db, tmp_path) as (base, log):
        async with browser() as chromium:
            context = await chromium.new_context(
                viewport={"width": 390, "height": 844}, locale="zh-CN"
            )
            page = await context.new_page()
            page.set_default_timeout(30_000)
            console: list[str] = []
            page.on("console", lambda message: console.append(message.text))
            page.on("pageerror", lambda error: console.append(str(error)))
            try:
                await _sign_in_and_order(page, db, base, log, share_code)
                await _refresh_and_sign_out(page, db)
            except Exception:
                await screenshot(page, "last-failure")
                print("browser console:", *console, sep="\n")
                raise
            finally:
                await context.close()


async def _sign_in_and_order(page: Page, db: TestDB, base: str, log: Path, share_code: str) -> None:
    await page.goto(f"{base}/app/?share={share_code}")
    form = page.locator("#phone-sign-in")
    await form.wait_for()
    # A wrong number first: the error in Chinese, next to the field.
    await form.locator("input[name=phone]").fill("12345")
    await page.click("#ask-code")
    error = form.locator(".field-error[data-field='phone']")
    await error.wait_for()
    assert await error.inner_text() == "请输入正确的手机号"

    await form.locator("input[name=phone]").fill(PHONE)
    await page.click("#ask-code")
    ask = page.locator("#ask-code")
    await page.wait_for_function("document.querySelector('#ask-code').textContent.includes('秒')")
    assert await ask.is_disabled()
    assert re.fullmatch(r"(60|59|58) 秒后可重新获取", await ask.inner_text())
    code = code_in_log(log, PHONE)
    await form.locator("input[name=code]").fill("000000" if code != "000000" else "111111")
    await form.locator("button[type=submit]").click()
    wrong = form.locator(".form-error[data-code=WRONG_CODE], .field-error[data-code=WRONG_CODE]")
    await wrong.wait_for()
    assert "验证码错误" in await wrong.inner_text()
    await form.locator("input[name=code]").fill(code)
    await form.locator("button[type=submit]").click()
    await page.locator("#shop").wait_for()
    await page.wait_for_selector("#sign-out:not([hidden])")
    await screenshot(page, "sign-in-landed")
    assert await stored(page, "tuangou.refresh")
    assert await stored(page, "tuangou.expires")

    # A new customer, bound to the share link's point, orders there.
    user_id = await db.scalar("SELECT id FROM users WHERE phone = :p", p=PHONE)
    point_id = await db.scalar("SELECT id FROM pickup_points WHERE share_code = :s", s=share_code)
    bound = "SELECT pickup_point_id FROM customer_bindings WHERE user_id = :u"
    assert await db.scalar(bound, u=user_id) == point_id
    await page.locator("#order-form input[data-item]").first.fill("2")
    await page.click("#order-form button[type=submit]")
    await page.locator("#order-result .notice").wait_for()
    assert await db.scalar("SELECT count(*) FROM orders WHERE customer_id = :u", u=user_id) == 1


async def _refresh_and_sign_out(page: Page, db: TestDB) -> None:
    # The access token about to expire: the next request refreshes first.
    before = await stored(page, "tuangou.refresh")
    await page.evaluate("localStorage.setItem('tuangou.expires', new Date().toISOString())")
    await page.reload()
    await page.locator("#shop").wait_for()
    assert await stored(page, "tuangou.refresh") not in (None, before)

    # The server says the access token expired (its clock ahead of ours):
    # refreshed, and the request sent again.
    before = await stored(page, "tuangou.refresh")
    answered: list[str] = []

    async def expired_once(route: Route) -> None:
        # The reloaded page's first question (main.js), not a request the
        # page being left still had on its way: that one's refresh would
        # never run.
        if answered or "{ viewer { id name role } }" not in (route.request.post_data or ""):
            await route.continue_()
            return
        answered.append(route.request.url)
        await route.fulfill(json={"data": None, "errors": [EXPIRED]})

    await page.route("**/graphql", expired_once)
    await page.reload()
    await page.locator("#shop").wait_for()
    await page.unroute("**/graphql")
    assert answered and await stored(page, "tuangou.refresh") not in (None, before)

    # 退出登录 ends the session on the server and forgets the tokens.
    kept = {key: await stored(page, key) for key in ("tuangou.token", "tuangou.refresh")}
    await page.click("#sign-out")
    await page.locator("#phone-sign-in").wait_for()
    assert await stored(page, "tuangou.token") is None
    assert await db.scalar("SELECT count(*) FROM auth_sessions WHERE revoked_at IS NULL") == 0

    # A copy of those tokens, near expiry: the refresh is refused, back to sign-in.
    for key, value in kept.items():
        await page.evaluate("([k, v]) => localStorage.setItem(k, v)", [key, value])
    await page.evaluate("localStorage.setItem('tuangou.expires', new Date().toISOString())")
    await page.reload()
    await page.wait_for_function("localStorage.getItem('tuangou.token') === null")
    await page.locator("#phone-sign-in").wait_for()
    assert await page.locator("#sign-out").is_hidden()
