"""The operator builds the two-tier network in a real browser: picks the
central warehouse, makes another warehouse its grid (fee typed in yuan,
stored in whole fen), takes the proposals for a chosen point and then for
all, sees the points move under the grid, releases one back to the central;
bad terms are refused in Chinese beside their inputs and change nothing, and
an edit over one made through the API meanwhile is refused as STALE."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from playwright.async_api import Locator, Page, expect
from sqlalchemy import text

from api.graphql.ids import encode
from kernel.geo import LatLon
from tests.conftest import TestDB
from tests.support.browser import live_server, needs_chromium, screenshot, signed_in, sqlite_file
from tests.support.commerce import make_warehouse
from tests.support.factories import approved_pickup_point, open_shop

pytestmark = needs_chromium

SET = """mutation($input: GridWarehouseSetInput!) { gridWarehouseSet(input: $input) {
  grid { version } userErrors { code } } }"""


@dataclass
class City:
    """A central serving three points directly, and a warehouse 1 km from two of them."""

    db: TestDB
    token: str
    central: str  # names, as the page shows them
    grid_id: int
    central_id: int


async def _city(db: TestDB) -> City:
    shop = await open_shop(db)
    points = [
        shop.pickup_point_id,
        (await approved_pickup_point(db, shop.operator, shop.warehouse_id))[0],
        (await approved_pickup_point(db, shop.operator, shop.warehouse_id))[0],
    ]
    places = [("岳麓小区", 28.2, 112.9), ("开福小区", 28.2, 112.92), ("远郊小区", 28.6, 113.4)]
    async with db.engine.begin() as conn:
        for point, (name, lat, lon) in zip(points, places, strict=True):
            await conn.execute(
                text("UPDATE pickup_points SET name = :n, lat = :lat, lon = :lon WHERE id = :id"),
                {"n": name, "lat": lat, "lon": lon, "id": point},
            )
    grid = await make_warehouse(db, shop.operator, LatLon(28.2, 112.91), name="网格仓-岳麓")
    central = await db.scalar("SELECT name FROM warehouses WHERE id = :id", id=shop.warehouse_id)
    return City(db, shop.operator_token, central, grid, shop.warehouse_id)


async def _grid_row(db: TestDB) -> tuple[Any, ...] | None:
    async with db.engine.connect() as conn:
        row = (
            await conn.execute(
                text("SELECT piece_fee_fen, service_radius_m, version FROM grid_warehouses")
            )
        ).first()
        return None if row is None else tuple(row)


async def _direct_points(section: Locator) -> list[list[str]]:
    """The rows of directly served points: name, proposed grid, distance."""
    rows = []
    for row in await section.locator("tr.direct-point").all():
        cells = [row.locator(f"td.{c}") for c in ("point", "proposal", "distance")]
        rows.append([(await c.inner_text()).split(" ")[0].strip() for c in cells])
    return rows


async def _make_the_grid(page: Page, city: City) -> None:
    network = page.locator("#network")
    form = network.locator("form.grid-create")
    await form.locator("select[name=warehouseId]").select_option(label="网格仓-岳麓")
    fee = form.locator("input[name=pieceFeeFen]")
    # Three decimals is no amount in yuan: refused before anything is sent.
    await fee.fill("1.234")
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".field-error[data-field=pieceFeeFen]")).to_have_text(
        "请输入金额（元），最多两位小数"
    )
    # A negative fee is the server's refusal, in Chinese beside the fee.
    await fee.fill("-1")
    await form.locator("button[type=submit]").click()
    error = form.locator(".field-error[data-field=pieceFeeFen][data-code=INVALID_GRID_TERMS]")
    await expect(error).to_have_text("每件费用须在 0 到 100 元之间")
    # A window that ends before it starts, beside the window.
    await fee.fill("0.29")
    await form.locator("input[name='receivingWindow.start']").fill("04:00")
    await form.locator("input[name='receivingWindow.end']").fill("01:00")
    await form.locator("button[type=submit]").click()
    window = form.locator(".field-error[data-field=receivingWindow]")
    await expect(window).to_have_text("收货时间须先开始、后结束（同一天内）")
    await expect(form.locator(".field-error")).to_have_count(1)
    assert await _grid_row(city.db) is None
    await screenshot(page, "network-bad-terms")

    await form.locator("input[name='receivingWindow.start']").fill("01:00")
    await form.locator("input[name='receivingWindow.end']").fill("04:30")
    await form.locator("input[name=serviceRadiusM]").fill("5000")
    await form.locator("button[type=submit]").click()
    grid = network.locator("article.grid[data-version='1']")
    await expect(grid.locator(".summary")).to_have_text(
        "¥0.29/件 · 收货 01:00–04:30 · 半径 5.0 公里 · 0 个自提点"
    )
    await expect(network.locator("p.notice")).to_contain_text("网格仓-岳麓 已成为")
    # 0.29 yuan is 29 fen, not 28 (0.29 × 100 is 28.999… in floating point).
    assert await _grid_row(city.db) == (29, 5000, 1)


async def _take_proposals(page: Page, city: City) -> None:
    network = page.locator("#network")
    proposals = network.locator("#grid-proposals")
    await expect(proposals.locator("tr.direct-point")).to_have_count(3)
    assert await _direct_points(proposals) == [
        ["岳麓小区", "网格仓-岳麓", "1.0"],
        ["开福小区", "网格仓-岳麓", "1.0"],
        ["远郊小区", "无", "—"],
    ]
    # Only the chosen one: 开福小区 is unticked.
    await proposals.get_by_label("开福小区", exact=True).uncheck()
    await proposals.locator("button[value=chosen]").click()
    grid = network.locator("article.grid")
    await expect(grid.locator(".summary")).to_contain_text("1 个自提点")
    await expect(grid.locator(".grid-points p")).to_have_text(["岳麓小区"])
    await expect(network.locator("h3").last).to_contain_text("Points served directly (2)")
    # Then all that a grid reaches: 远郊小区 stays with the central.
    await network.locator("#grid-proposals button[value=all]").click()
    await expect(grid.locator(".grid-points p")).to_have_text(["岳麓小区", "开福小区"])
    await expect(grid.locator(".summary")).to_contain_text("2 个自提点")
    assert await _direct_points(network.locator("#grid-proposals")) == [["远郊小区", "无", "—"]]
    assert await city.db.scalar("SELECT count(*) FROM grid_points") == 2
    await screenshot(page, "network-assigned")

    # 岳麓小区 goes back to the central, and is proposed again.
    release = grid.locator("form.grid-release")
    await release.get_by_label("岳麓小区").check()
    await release.locator("button[type=submit]").click()
    await expect(network.locator("p.notice")).to_contain_text("已释放 1 个自提点")
    await expect(grid.locator(".grid-points p")).to_have_text(["开福小区"])
    assert (await _direct_points(network.locator("#grid-proposals")))[0] == [
        "岳麓小区",
        "网格仓-岳麓",
        "1.0",
    ]
    assert await city.db.scalar("SELECT count(*) FROM grid_points") == 1


async def _edit_over_another(page: Page, city: City, base: str) -> None:
    """Another operator changes the terms through the API after the page showed v1."""
    variables = {
        "input": {
            "warehouseId": encode("Warehouse", city.grid_id),
            "centralId": encode("Warehouse", city.central_id),
            "pieceFeeFen": 50,
            "receivingWindow": {"start": "01:00", "end": "04:30"},
            "serviceRadiusM": 5000,
            "expectedVersion": 1,
        }
    }
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        answer = await http.post(
            "/graphql",
            json={"query": SET, "variables": variables},
            headers={"Authorization": f"Bearer {city.token}"},
        )
    assert answer.json()["data"]["gridWarehouseSet"] == {"grid": {"version": 2}, "userErrors": []}

    grid = page.locator("#network article.grid[data-version='1']")
    edit = grid.locator("form.grid-terms")
    await edit.locator("input[name=pieceFeeFen]").fill("0.35")
    await edit.locator("button[type=submit]").click()
    stale = edit.locator(".form-error[data-code=STALE]")
    await expect(stale).to_contain_text("已被他人修改，请刷新后重新编辑")
    assert await _grid_row(city.db) == (50, 5000, 2)
    await screenshot(page, "network-stale")

    await stale.locator("button.reload").click()
    grid = page.locator("#network article.grid[data-version='2']")
    await expect(grid.locator(".summary")).to_contain_text("¥0.50/件")
    edit = grid.locator("form.grid-terms")
    await expect(edit.locator("input[name=pieceFeeFen]")).to_have_value("0.50")
    await edit.locator("input[name=pieceFeeFen]").fill("0.35")
    await edit.locator("input[name=serviceRadiusM]").fill("8000")
    await edit.locator("button[type=submit]").click()
    grid = page.locator("#network article.grid[data-version='3']")
    await expect(grid.locator(".summary")).to_have_text(
        "¥0.35/件 · 收货 01:00–04:30 · 半径 8.0 公里 · 1 个自提点"
    )
    assert await _grid_row(city.db) == (35, 8000, 3)


async def test_an_operator_builds_a_grid_and_moves_points_under_it(
    sqlite_template: Path, tmp_path: Path
) -> None:
    async with sqlite_file(sqlite_template, tmp_path) as db:
        city = await _city(db)

    with live_server(db, tmp_path) as base:
        async with signed_in(base, city.token) as page:
            network = page.locator("#network")
            await network.locator("select[name=centralId]").select_option(label=city.central)
            await expect(network.locator("h3").first).to_have_text(
                f"{city.central} 的网格仓 Grid warehouses"
            )
            await expect(network.locator("#network-central .empty").first).to_have_text(
                "还没有网格仓：所有自提点由中心仓直送。"
            )
            await _make_the_grid(page, city)
            await _take_proposals(page, city)
            await _edit_over_another(page, city, base)
            await screenshot(page, "network")
