"""What the people holding the printed documents check: a driver's sheet
fits on a page or two, the loader's pages each say which route, stop and
zone they are in, the Chinese font travels in the file, and the map's stop
labels can be read where stops crowd."""

from __future__ import annotations

import math
import random
import re
import xml.etree.ElementTree as ET
from datetime import date

from fulfilment.campaigns.models import StorageZone
from fulfilment.routing.documents.drawing import MapRoute, Place
from fulfilment.routing.documents.labels import place_labels
from fulfilment.routing.documents.loading import loading_pdf
from fulfilment.routing.documents.map import PlanMap, plan_map_svg
from fulfilment.routing.documents.pdf import route_sheet_pdf
from tests.fulfilment.routing.route_sheets import long_sheet

SVG = "{http://www.w3.org/2000/svg}"


def pages(body: bytes) -> int:
    return len(re.findall(rb"/Type /Page\b(?!s)", body))


def test_a_twenty_stop_route_sheet_is_at_most_two_pages_with_the_font_inside():
    # Forty items a zone per stop: none of them is on the driver's sheet.
    sheet = long_sheet(stops=20, items=lambda n: 40)
    body = route_sheet_pdf(sheet)
    assert pages(body) <= 2
    assert b"/FontFile2" in body and b"STSong-Light" not in body


def test_every_loading_page_names_the_route_and_the_stop_and_zone_it_is_in():
    sheet = long_sheet(stops=6, items=lambda n: 60, zones=(StorageZone.FROZEN, StorageZone.AMBIENT))
    heads: list[str] = []
    body = loading_pdf(sheet, heads)
    assert len(heads) == pages(body) > 4
    assert b"/FontFile2" in body
    route = "装车明细 2026-11-24 第1线 Truck 1号"
    sections = []
    for head in heads:
        title, where = head.split(" | ")
        assert title == route
        found = re.fullmatch(r"(常温|冷藏|冷冻) · 第(\d)站 \S+?(（续）)?", where)
        assert found, where
        sections.append((found.group(1), int(found.group(2)), bool(found.group(3))))
    # Sixty items do not fit a page: every stop runs over into a continuation.
    assert sum(continued for *_, continued in sections) >= 6
    # Loaded ambient first, frozen last; in each zone the last stop first.
    order = [(zone, stop) for zone, stop, _ in sections]
    key = {"常温": 0, "冷藏": 1, "冷冻": 2}
    assert order == sorted(order, key=lambda s: (key[s[0]], -s[1]))
    assert order[0] == ("常温", 6) and order[-1][0] == "冷冻"


def test_a_route_with_no_goods_prints_a_one_page_loading_detail():
    heads: list[str] = []
    body = loading_pdf(long_sheet(stops=3, zones=()), heads)
    assert pages(body) == 1 and heads[0].endswith(" | ")


def test_labels_in_a_dense_cluster_never_overlap_each_other_or_a_stop():
    rng = random.Random(3)
    # Sixty stops within 40 px, as a neighbourhood looks on a city's map.
    anchors = [(300 + rng.gauss(0, 15), 300 + rng.gauss(0, 15)) for _ in range(60)]
    sizes = [(rng.choice((20.6, 26.8, 33.0)), 13.0) for _ in anchors]
    boxes = place_labels(anchors, sizes, (600, 600), 4)
    assert len(boxes) == len(anchors)
    for i, a in enumerate(boxes):
        assert (a.width, a.height) == sizes[i]
        assert min(a.x, a.y) >= 0 and max(a.x + a.width, a.y + a.height) <= 600
        for b in boxes[i + 1 :]:
            assert not a.overlaps(b)
        assert not any(a.touches_circle(x, y, 4) for x, y in anchors)
    # Room was found near the cluster, not at the drawing's edge.
    assert max(math.dist(b.centre, (300, 300)) for b in boxes) < 200


def test_the_map_of_a_crowded_plan_draws_apart_labels_in_ascii():
    rng = random.Random(5)
    routes = [
        MapRoute(
            number,
            f"Van {number}",
            30_000,
            [
                Place(
                    f"自提点{number}-{k}", 28.2 + rng.gauss(0, 0.004), 112.9 + rng.gauss(0, 0.004)
                )
                for k in range(20)
            ],
        )
        for number in range(1, 12)
    ]
    plan = PlanMap(1, date(2026, 11, 24), Place("中心仓", 28.12, 112.98), routes, [])
    svg = ET.fromstring(plan_map_svg(plan))
    rects = [
        tuple(float(r.get(k) or 0) for k in ("x", "y", "width", "height"))
        for r in svg.findall(f".//{SVG}g[@class='label']/{SVG}rect")
    ]
    assert len(rects) == 220
    for i, (x, y, w, h) in enumerate(rects):
        for x2, y2, w2, h2 in rects[i + 1 :]:
            # Coordinates are rounded to 0.1 px in the markup.
            assert (
                x + w <= x2 + 0.2 or x2 + w2 <= x + 0.2 or y + h <= y2 + 0.2 or y2 + h2 <= y + 0.2
            )
    texts = [t.text or "" for t in svg.iter(f"{SVG}text")]
    assert "11-20" in texts and all(text.isascii() for text in texts)
