"""Route sheets (CSV, PDF) and the plan's picture (SVG) over HTTP, for
dispatchers and operators only."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from typing import Any
from xml.sax.saxutils import escape

import pytest
from reportlab import rl_config
from reportlab.platypus import Paragraph

from api.graphql.ids import encode
from fulfilment.routing.documents import loading
from fulfilment.routing.documents import pdf as printing
from kernel.accounts import Role
from tests.fulfilment.routing.route_sheets import long_sheet
from tests.support.routing import POINT_NAMES, sorted_day, store_plan

SVG = "{http://www.w3.org/2000/svg}"


def auth(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


async def get(gql: Any, url: str, token: str | None) -> Any:
    return await gql.http.get(url, headers=auth(token))


def sections(body: bytes) -> list[list[list[str]]]:
    """The CSV's tables (separated by blank rows), each with its heading."""
    assert body.startswith(b"\xef\xbb\xbf")
    out: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(body[3:].decode("utf-8"), newline="")):
        if row:
            out[-1].append(row)
        else:
            out.append([])
    return out


def pdf_info(body: bytes, key: str) -> str:
    """A text entry of the PDF's document info (UTF-16 with octal escapes)."""
    match = re.search(rb"/" + key.encode() + rb" \((.*?)(?<!\\)\)", body, re.S)
    assert match, key
    raw = re.sub(rb"\\([0-7]{1,3})", lambda m: bytes([int(m.group(1), 8)]), match.group(1))
    raw = re.sub(rb"\\(.)", rb"\1", raw)
    return raw.decode("utf-16") if raw.startswith(b"\xfe\xff") else raw.decode("latin-1")


async def day_and_plan(db: Any, routes: str = "one"):
    day = await sorted_day(db)
    point1 = day.shop.pickup_point_id
    stops = [[day.point2, point1]] if routes == "one" else [[day.point2], [point1]]
    plan = await store_plan(
        db,
        day.shop.warehouse_id,
        day.shop.delivery_date,
        stops,
        unserved=[day.point3],
        vehicle_name="Truck-7",
    )
    _, dispatcher = await db.user(Role.DISPATCHER)
    return day, plan, dispatcher


def sheet_url(plan_id: int, number: int, fmt: str) -> str:
    return f"/exports/route-plans/{encode('RoutePlan', plan_id)}/routes/{number}.{fmt}"


def map_url(plan_id: int) -> str:
    return f"/exports/route-plans/{encode('RoutePlan', plan_id)}/map.svg"


async def test_the_route_sheet_csv_lists_the_stops_in_order_with_their_pick_lists(db, gql):
    day, plan, dispatcher = await day_and_plan(db)
    response = await get(gql, sheet_url(plan.plan_id, 1, "csv"), dispatcher)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    summary, stops, picks = sections(response.content)

    assert summary[0][:6] == ["线路", "车辆", "仓库", "送货日期", "出发", "返回"]
    route = dict(zip(summary[0], summary[1], strict=True))
    assert route["车辆"].startswith("Truck-7") and route["线路"] == "1"
    # 22:00 UTC the day before is 06:00 in Shanghai; a stop every 30 minutes.
    assert (route["出发"], route["返回"], route["站点数"]) == ("06:00", "07:30", "2")
    assert route["送货日期"] == day.shop.delivery_date.isoformat()

    taozihu, lushan = POINT_NAMES[0], POINT_NAMES[1]
    assert stops[0][3] == "团长" and all(r[3] for r in stops[1:])
    assert [(r[0], r[1], r[5], r[6]) for r in stops[1:]] == [
        ("1", lushan, "07:00–11:00", "06:30"),
        ("2", taozihu, "07:00–11:00", "07:00"),
    ]
    assert [r[7:] for r in stops[1:]] == [["1", "2.0"], ["1", "3.0"]]
    assert picks[0] == ["序号", "自提点", "存储区", "商品", "单位", "数量"]
    assert picks[1:] == [
        ["1", lushan, "常温", "商品0", "500g/盒", "4"],
        ["2", taozihu, "常温", "商品0", "500g/盒", "5"],
        ["2", taozihu, "常温", "商品1", "500g/盒", "1"],
    ]


async def test_the_route_sheet_pdf_is_an_a4_document_naming_the_vehicle(db, gql):
    _, plan, dispatcher = await day_and_plan(db)
    response = await get(gql, sheet_url(plan.plan_id, 1, "pdf"), dispatcher)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    body = response.content
    assert body.startswith(b"%PDF-") and body.rstrip().endswith(b"%%EOF")
    assert "Truck-7" in pdf_info(body, "Subject")
    assert "第1线" in pdf_info(body, "Title")
    pages = re.findall(rb"/Type /Page\b(?!s)", body)
    assert len(pages) == 1
    assert b"/MediaBox [ 0 0 595.2756 841.8898 ]" in body  # A4 in points
    # The Chinese glyphs travel in the file (a TrueType subset), not the reader's fonts.
    assert b"/FontFile2" in body and b"STSong-Light" not in body


async def test_the_loading_detail_is_a_pdf_of_the_same_route(db, gql):
    _, plan, dispatcher = await day_and_plan(db)
    url = sheet_url(plan.plan_id, 1, "pdf") + "?kind=loading"
    response = await get(gql, url, dispatcher)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert "装车明细" in pdf_info(response.content, "Title")
    assert b"/FontFile2" in response.content
    for bad in ("?kind=loading", "?kind=labels"):
        refused = await get(gql, sheet_url(plan.plan_id, 1, "csv") + bad, dispatcher)
        assert refused.status_code == 400, bad


async def test_the_map_draws_one_line_per_route_and_marks_the_unserved(db, gql):
    _, plan, dispatcher = await day_and_plan(db, routes="two")
    response = await get(gql, map_url(plan.plan_id), dispatcher)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("image/svg+xml")
    assert "default-src 'none'" in response.headers["content-security-policy"]
    svg = ET.fromstring(response.content)
    lines = svg.findall(f".//{SVG}polyline[@class='route']")
    assert sorted(line.get("data-route", "") for line in lines) == ["1", "2"]
    # Each line leaves the warehouse, visits its one stop and comes back.
    for line in lines:
        points = (line.get("points") or "").split()
        assert len(points) == 3 and points[0] == points[-1]
    assert len({line.get("stroke") for line in lines}) == 2
    assert len(svg.findall(f".//{SVG}g[@id='unserved']/{SVG}path")) == 1
    assert len(svg.findall(f".//{SVG}g[@id='stops']/{SVG}circle")) == 2
    assert svg.find(f"{SVG}rect[@class='warehouse']") is not None
    assert len(svg.findall(f".//{SVG}g[@id='labels']/{SVG}g[@class='label']")) == 2
    legend = [t.text for t in svg.findall(f".//{SVG}g[@id='legend']/{SVG}text")]
    assert "Route 1: 1 stops, 10.0 km" in legend and "Unserved: 1 points" in legend
    # Whatever is drawn reads without a Chinese font; names are in tooltips.
    drawn = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert drawn and all(text.isascii() for text in drawn)
    tooltips = [t.text or "" for t in svg.findall(f".//{SVG}g[@id='stops']/{SVG}circle/{SVG}title")]
    assert any(POINT_NAMES[1] in tip for tip in tooltips)


async def test_only_dispatchers_operators_and_drivers_can_tell_a_plan_exists(db, gql):
    # The plan here is published; a draft's sheets are hidden from drivers too
    # (test_route_publishing).
    day, plan, dispatcher = await day_and_plan(db)
    _, supplier = await db.user(Role.SUPPLIER)
    _, customer = await db.user(Role.CUSTOMER)
    _, driver = await db.user(Role.DRIVER)
    missing = await get(gql, map_url(plan.plan_id + 1000), dispatcher)
    assert (missing.status_code, missing.json()) == (404, {"code": "NOT_FOUND"})
    urls = [sheet_url(plan.plan_id, 1, "csv"), sheet_url(plan.plan_id, 1, "pdf")]
    urls.append(sheet_url(plan.plan_id, 1, "pdf") + "?kind=loading")
    urls.append(map_url(plan.plan_id))
    for url in urls:
        for token in (day.shop.leader_token, supplier, customer):
            hidden = await get(gql, url, token)
            assert hidden.status_code == 404 and hidden.content == missing.content, url
        assert (await get(gql, url, None)).status_code == 401
        assert (await get(gql, url, day.shop.operator_token)).status_code == 200
        assert (await get(gql, url, driver)).status_code == 200
    no_route = await get(gql, sheet_url(plan.plan_id, 2, "csv"), dispatcher)
    assert no_route.status_code == 404
    for bad in (sheet_url(plan.plan_id, 1, "xlsx"), sheet_url(plan.plan_id, 0, "csv")):
        assert (await get(gql, bad, dispatcher)).status_code == 400


async def test_the_plan_and_its_routes_give_their_download_urls(db, gql):
    _, plan, dispatcher = await day_and_plan(db, routes="two")
    body = await gql(
        """query($id: ID!) { node(id: $id) { ... on RoutePlan {
             downloadUrls { mapSvg } routes { number downloadUrls { csv pdf loadingPdf } } } } }""",
        {"id": encode("RoutePlan", plan.plan_id)},
        token=dispatcher,
    )
    found = body["data"]["node"]
    assert found["downloadUrls"]["mapSvg"] == map_url(plan.plan_id)
    urls = [found["downloadUrls"]["mapSvg"]]
    for route in found["routes"]:
        assert route["downloadUrls"]["csv"] == sheet_url(plan.plan_id, route["number"], "csv")
        loading = route["downloadUrls"]["loadingPdf"]
        assert loading == sheet_url(plan.plan_id, route["number"], "pdf") + "?kind=loading"
        urls += [route["downloadUrls"]["csv"], route["downloadUrls"]["pdf"], loading]
    for url in urls:
        assert (await get(gql, url, dispatcher)).status_code == 200, url


def test_the_pdfs_are_the_ones_plain_reportlab_paragraphs_print(
    monkeypatch: pytest.MonkeyPatch,
):
    # The paragraphs break their lines once per width, however often platypus
    # wraps them; nothing printed may change for it: long names that wrap,
    # and a stop whose goods run over a page.
    monkeypatch.setattr(rl_config, "invariant", 1)  # no time stamps, no random file id
    sheet = long_sheet(stops=8, items=lambda n: 70 if n == 2 else 12)
    memoised = (printing.route_sheet_pdf(sheet), loading.loading_pdf(sheet))

    def plain(text: str, style: Any = None) -> Paragraph:
        return Paragraph(escape(text), style or printing.styles().text)

    monkeypatch.setattr(printing, "para", plain)
    monkeypatch.setattr(loading, "para", plain)
    assert (printing.route_sheet_pdf(sheet), loading.loading_pdf(sheet)) == memoised
    assert len(re.findall(rb"/Type /Page\b(?!s)", memoised[1])) > 3
