"""GraphiQL with no way out: the page at GET /graphql must load React and
GraphiQL from the platform itself (api/web/vendor/), so a browser that may
reach nothing but the server still gets a working IDE."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote, urlsplit

from playwright.async_api import Route

from tests.support.browser import browser, live_server, needs_chromium, screenshot, sqlite_file

pytestmark = needs_chromium


async def test_graphiql_runs_a_query_with_every_other_host_blocked(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        pass
    blocked: list[str] = []

    async def only_the_server(route: Route) -> None:
        if urlsplit(route.request.url).hostname in ("127.0.0.1", "localhost"):
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    with live_server(db, tmp_path) as base:
        async with browser() as chromium:
            context = await chromium.new_context()
            await context.route("**/*", only_the_server)
            page = await context.new_page()
            page.set_default_timeout(30_000)
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            await page.goto(f"{base}/graphql?q={quote('{ __typename }')}")
            await page.locator(".graphiql-execute-button").click()
            result = page.locator(".result-window")
            await result.filter(has_text='"__typename": "Query"').wait_for()
            await screenshot(page, "graphiql-offline")
            await context.close()
    assert blocked == [], "the page asked another host for something"
    assert errors == []
