"""The web client in a real browser: Debian's Chromium driven by Playwright
against `tuangou serve` on a free port and a SQLite file the test has filled.

Screenshots go to tests/artifacts/ (git-ignored) for a human to look at."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, ViewportSize, async_playwright

from api.http.app import create_app
from api.sandbox.embedded import ThreadServer
from kernel.db import create_engine, create_sessionmaker
from tests.api.test_e2e_server import env_for, serving
from tests.conftest import TOKEN_SECRET, TestDB, test_settings
from tests.support.factories import Shop, open_shop

CHROMIUM = Path("/usr/bin/chromium")


ARTIFACTS = Path(__file__).parents[1] / "artifacts"


needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian's chromium is not installed (apt-get install chromium); .ci/run installs it",
)


@asynccontextmanager
async def sqlite_file(template: Path, tmp_path: Path) -> AsyncIterator[TestDB]:
    """A migrated SQLite file for the test to fill before the server starts."""
    path = tmp_path / "tuangou.db"
    shutil.copy(template, path)
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        yield TestDB("sqlite", url, test_settings(url), engine, create_sessionmaker(engine))
    finally:
        await engine.dispose()


@contextmanager
def live_server(db: TestDB, cwd: Path, *, process: bool = False) -> Iterator[str]:
    """The platform's app on ``db`` (jobs inline, as on any SQLite) over real
    HTTP on a free port; yields its base URL. By default under uvicorn in a
    thread of this process: `tuangou serve` as a process of its own cost
    about 4 s a test, mostly importing the platform again. ``process``: that
    process, for the pages that need what only `serve` adds (its embedded
    WeChat Pay sandbox)."""
    if process:
        env = {**env_for(db.url), "TUANGOU_TOKEN_SECRET": TOKEN_SECRET, "TUANGOU_GEOCODER": "none"}
        with serving(env, cwd, "--no-migrate") as base:
            yield base
        return
    server = ThreadServer().start(create_app(test_settings(db.url)))
    try:
        yield server.url
    finally:
        server.stop()


@asynccontextmanager
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        chromium = await playwright.chromium.launch(executable_path=str(CHROMIUM))
        try:
            yield chromium
        finally:
            await chromium.close()


@asynccontextmanager
async def signed_in(
    base: str,
    token: str,
    *,
    mobile: bool = False,
    path: str = "/app/",
    viewport: ViewportSize | None = None,
) -> AsyncIterator[Page]:
    """A fresh browser page at ``path`` signed in with ``token`` (a phone-sized
    one if ``mobile``; ``viewport`` for another size, e.g. a tablet's)."""
    async with browser() as chromium:
        size: ViewportSize = viewport or (
            {"width": 390, "height": 844} if mobile else {"width": 1280, "height": 900}
        )
        context = await chromium.new_context(viewport=size, locale="zh-CN")
        page = await context.new_page()
        page.set_default_timeout(30_000)
        console: list[str] = []
        page.on("console", lambda message: console.append(message.text))
        page.on("pageerror", lambda error: console.append(str(error)))
        await page.goto(f"{base}{path}")
        await page.fill("#sign-in input[name=token]", token)
        await page.click("#sign-in button[type=submit]")
        await page.wait_for_selector("#sign-out:not([hidden])")
        try:
            yield page
        except Exception:
            # What the page showed when the test gave up, and what the browser logged.
            await screenshot(page, "last-failure")
            print("browser console:", *console, sep="\n")
            raise
        finally:
            await context.close()


async def screenshot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@dataclass
class LeaderAtWork:
    """A served shop on its own SQLite file, and its leader's phone page."""

    db: TestDB
    shop: Shop
    base: str
    page: Page

    async def order_for_resident(self, phone: str = "13800138000", units: int = 2) -> None:
        """Place a 代下单 order of ``units`` of the first item for ``phone``."""
        form = self.page.locator("#resident-order-form")
        await form.locator("input[name=customerPhone]").fill(phone)
        await form.locator("input[data-item]").first.fill(str(units))
        await form.locator("button[type=submit]").click()


@asynccontextmanager
async def leader_at_work(
    template: Path, tmp_path: Path, *, process: bool = False
) -> AsyncIterator[LeaderAtWork]:
    """The platform on a fresh shop, its leader signed in on a phone, the
    resident-order form shown (``process``: see ``live_server``)."""
    async with sqlite_file(template, tmp_path) as db:
        shop = await open_shop(db)
    with live_server(db, tmp_path, process=process) as base:
        async with signed_in(base, shop.leader_token, mobile=True) as page:
            await page.locator("#resident-order-form").wait_for()
            yield LeaderAtWork(db, shop, base, page)
