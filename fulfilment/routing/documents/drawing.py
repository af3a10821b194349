"""Drawing a map of routes as SVG, shared by the pictures of one plan
(map.py) and of a central warehouse's two tiers at once (network_map.py):
the projection of WGS-84 points onto the canvas, the canvas, route lines
(a trunk route dashed and heavier than a van's), the warehouse and
unserved marks. Written with xml.etree (see map.py for why)."""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

SVG = "http://www.w3.org/2000/svg"


# Distinct on white and in print; red is kept for unserved stops. Routes
# beyond the palette reuse colours: their numbers still tell them apart.
PALETTE = (
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#393b79",
    "#637939",
    "#7f7f7f",
    "#843c39",
)


UNSERVED = "#d62728"

MAP_SIZE = 720  # the longer side of the drawing area, px, up to 40 stops
MAP_SIZE_MAX = 1400  # however many stops

MARGIN = 30


@dataclass(frozen=True)
class Place:
    name: str
    lat: float
    lon: float


@dataclass(frozen=True)
class MapRoute:
    number: int
    vehicle: str
    distance_m: int
    stops: list[Place]  # in visiting order


class Projection:
    """Equirectangular: x = lon · cos(mid-latitude), y = lat, scaled so the
    points fill the drawing area (north up). Over a city the distortion is
    far below what the eye notices."""

    def __init__(self, places: list[Place], size: int = MAP_SIZE) -> None:
        lats = [p.lat for p in places]
        lons = [p.lon for p in places]
        self.top, self.left = max(lats), min(lons)
        self.cos = math.cos(math.radians((max(lats) + min(lats)) / 2))
        width = (max(lons) - self.left) * self.cos
        height = self.top - min(lats)
        span = max(width, height) or 1e-6  # one point, or all in one place
        self.scale = (size - 2 * MARGIN) / span
        self.width = round(width * self.scale) + 2 * MARGIN
        self.height = round(height * self.scale) + 2 * MARGIN

    def __call__(self, place: Place) -> tuple[float, float]:
        x = MARGIN + (place.lon - self.left) * self.cos * self.scale
        y = MARGIN + (self.top - place.lat) * self.scale
        return round(x, 1), round(y, 1)


def sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    """A child element; ``stroke_width=2`` is the attribute stroke-width,
    ``class_`` is class."""
    names = {k: k.rstrip("_").replace("_", "-") for k in attrs}
    element = ET.SubElement(parent, tag, {names[k]: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def titled(parent: ET.Element, tag: str, title: str, **attrs: object) -> ET.Element:
    element = sub(parent, tag, **attrs)
    sub(element, "title", title)  # a tooltip in browsers
    return element


def cross(parent: ET.Element, x: float, y: float, size: float, title: str) -> None:
    a, b = (x - size, y - size), (x + size, y + size)
    d = f"M{a[0]},{a[1]} L{b[0]},{b[1]} M{a[0]},{b[1]} L{b[0]},{a[1]}"
    titled(parent, "path", title, d=d, stroke=UNSERVED, stroke_width=3, class_="unserved")


def warehouse_mark(parent: ET.Element, x: float, y: float, title: str) -> None:
    titled(
        parent,
        "rect",
        title,
        x=x - 8,
        y=y - 8,
        width=16,
        height=16,
        fill="#222222",
        class_="warehouse",
    )


def map_size(stops: int) -> int:
    """The drawing's longer side: it grows with the square root of the stops
    (the area per label stays about the same), from MAP_SIZE to MAP_SIZE_MAX."""
    return int(min(MAP_SIZE_MAX, max(MAP_SIZE, 115 * math.sqrt(stops))))


def canvas(width: int, height: int, title: str) -> ET.Element:
    """An empty white picture of ``width`` x ``height`` px, titled."""
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG,
            "width": str(width),
            "height": str(height),
            "viewBox": f"0 0 {width} {height}",
            "font-family": "sans-serif",
            "font-size": "12",
        },
    )
    sub(svg, "title", title)
    sub(svg, "rect", x=0, y=0, width=width, height=height, fill="white")
    return svg


def svg_bytes(svg: ET.Element) -> bytes:
    """The picture as an SVG document."""
    ET.indent(svg)
    body: bytes = ET.tostring(svg, encoding="utf-8", xml_declaration=True)
    return body


# A trunk route is drawn dashed and heavier, so it is never taken for a van's.
TRUNK_STYLE = {"stroke_width": 4, "stroke_dasharray": "12 6"}
VAN_STYLE = {"stroke_width": 2.5}


def route_group(svg: ET.Element, group_id: str, trunk: bool) -> ET.Element:
    """The group the route lines of one kind are drawn in."""
    style = TRUNK_STYLE if trunk else VAN_STYLE
    return sub(svg, "g", id=group_id, fill="none", stroke_linejoin="round", **style)


def route_line(
    group: ET.Element,
    project: Projection,
    home: Place,
    route: MapRoute,
    colour: str,
    trunk: bool,
    **attrs: object,
) -> None:
    """One route: from ``home`` through its stops and back, class ``trunk``
    or ``route`` with its number in ``data-route`` (``attrs``: more)."""
    points = [project(home), *(project(s) for s in route.stops), project(home)]
    titled(
        group,
        "polyline",
        f"第{route.number}线 {route.vehicle}",
        points=" ".join(f"{x},{y}" for x, y in points),
        stroke=colour,
        class_="trunk" if trunk else "route",
        data_route=route.number,
        **attrs,
    )
