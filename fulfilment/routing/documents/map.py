"""A picture of a route plan (线路图) as SVG, for the dispatcher: each route
a coloured line from the warehouse through its stops and back, each stop a
dot labelled ``route-position`` (``3-12``: route 3's twelfth stop, row 12 of
route 3's sheet), the stops the plan could not serve crossed out in red,
and a legend (route, stops, km). No map tiles: the coordinates are
projected onto the canvas.

Readable where stops crowd (a neighbourhood's dozen points within a few
hundred metres): labels are placed apart from each other and from the dots
(``labels.place_labels``), with a leader line back to the stop when a label
had to move away from it.

Every character drawn is ASCII (numbers, km, a short English legend), so
the picture renders the same with or without a Chinese font on the viewer's
machine; point names are in each dot's ``<title>`` (a browser's tooltip,
drawn by the browser's own interface) and, for print, on the route sheets,
whose sequence column the labels refer to.

Written with xml.etree rather than reportlab.graphics: the picture is a
few lines, circles and labels, and writing the elements directly keeps one
<polyline> per route with its number in the markup (tools and tests can
find it), and ElementTree escapes every name.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Warehouse
from fulfilment.routing.documents.labels import Box, place_labels
from fulfilment.routing.documents.sheets import thousandths, vehicle_label
from fulfilment.routing.models import (
    PlanKind,
    Route,
    RoutePlan,
    RouteStop,
    TrunkStop,
    TrunkUnserved,
    UnservedStop,
    VehicleType,
)
from fulfilment.routing.solver.problem import DropReason
from kernel.errors import NotFound
from leaders.points.models import PickupPoint

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


DROP_REASONS = {
    DropReason.TOO_HEAVY: "超出车辆载重",
    DropReason.WINDOW_UNREACHABLE: "无法在收货时段送达",
    DropReason.NOT_ENOUGH_VEHICLES: "车辆不足",
}


MAP_SIZE = 720  # the longer side of the drawing area, px, up to 40 stops
MAP_SIZE_MAX = 1400  # however many stops


DOT = 4  # a stop's radius, px
CHAR_WIDTH = 6.2  # px, a digit at LABEL_FONT in the usual sans-serif faces


LABEL_FONT = 10  # px
LABEL_HEIGHT = 13  # px
MARGIN = 30
LEGEND_WIDTH = 230


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


@dataclass(frozen=True)
class PlanMap:
    plan_id: int
    delivery_date: date
    warehouse: Place
    routes: list[MapRoute]
    unserved: list[tuple[Place, DropReason]]
    # A trunk plan (central to grid warehouses): drawn dashed and heavier,
    # so a trunk line is never taken for a van's route.
    trunk: bool = False


async def plan_map(session: AsyncSession, plan_id: int) -> PlanMap:
    """What the picture of a plan shows; NotFound for a missing plan."""
    plan = await session.get(RoutePlan, plan_id)
    if plan is None:
        raise NotFound("Route plan", ["id"])
    warehouse = await session.get(Warehouse, plan.warehouse_id)
    assert warehouse is not None
    routes = (
        await session.execute(
            select(Route, VehicleType)
            .join(VehicleType, VehicleType.id == Route.vehicle_type_id)
            .where(Route.plan_id == plan.id)
            .order_by(Route.number)
        )
    ).all()
    trunk = plan.kind is PlanKind.TRUNK
    by_route, unserved = await (_trunk_sites if trunk else _point_sites)(session, plan.id)
    return PlanMap(
        plan_id=plan.id,
        delivery_date=plan.delivery_date,
        warehouse=Place(warehouse.name, warehouse.lat, warehouse.lon),
        routes=[
            MapRoute(
                route.number,
                vehicle_label(vehicle, route.vehicle_number),
                route.distance_m,
                by_route.get(route.id, []),
            )
            for route, vehicle in routes
        ],
        unserved=unserved,
        trunk=trunk,
    )


Sites = tuple[dict[int, list[Place]], list[tuple[Place, DropReason]]]


async def _point_sites(session: AsyncSession, plan_id: int) -> Sites:
    """A delivery plan's pickup points, by route in visiting order, and
    those it leaves out."""
    stops = await session.execute(
        select(RouteStop.route_id, PickupPoint)
        .join(PickupPoint, PickupPoint.id == RouteStop.pickup_point_id)
        .where(RouteStop.plan_id == plan_id)
        .order_by(RouteStop.route_id, RouteStop.position)
    )
    by_route: dict[int, list[Place]] = {}
    for route_id, point in stops:
        by_route.setdefault(route_id, []).append(_place(point))
    unserved = await session.execute(
        select(UnservedStop.reason, PickupPoint)
        .join(PickupPoint, PickupPoint.id == UnservedStop.pickup_point_id)
        .where(UnservedStop.plan_id == plan_id)
        .order_by(PickupPoint.id)
    )
    return by_route, [(_place(point), reason) for reason, point in unserved]


async def _trunk_sites(session: AsyncSession, plan_id: int) -> Sites:
    """A trunk plan's grid warehouses, likewise."""
    stops = await session.execute(
        select(TrunkStop.route_id, Warehouse)
        .join(Warehouse, Warehouse.id == TrunkStop.grid_id)
        .where(TrunkStop.plan_id == plan_id)
        .order_by(TrunkStop.route_id, TrunkStop.position)
    )
    by_route: dict[int, list[Place]] = {}
    for route_id, grid in stops:
        by_route.setdefault(route_id, []).append(_place(grid))
    unserved = await session.execute(
        select(TrunkUnserved.reason, Warehouse)
        .join(Warehouse, Warehouse.id == TrunkUnserved.grid_id)
        .where(TrunkUnserved.plan_id == plan_id)
        .order_by(Warehouse.id)
    )
    return by_route, [(_place(grid), reason) for reason, grid in unserved]


def _place(point: PickupPoint | Warehouse) -> Place:
    return Place(point.name, point.lat, point.lon)


class _Projection:
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


def _sub(parent: ET.Element, tag: str, text: str | None = None, /, **attrs: object) -> ET.Element:
    """A child element; ``stroke_width=2`` is the attribute stroke-width,
    ``class_`` is class."""
    names = {k: k.rstrip("_").replace("_", "-") for k in attrs}
    element = ET.SubElement(parent, tag, {names[k]: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _titled(parent: ET.Element, tag: str, title: str, **attrs: object) -> ET.Element:
    element = _sub(parent, tag, **attrs)
    _sub(element, "title", title)  # a tooltip in browsers
    return element


def _cross(parent: ET.Element, x: float, y: float, size: float, title: str) -> None:
    a, b = (x - size, y - size), (x + size, y + size)
    d = f"M{a[0]},{a[1]} L{b[0]},{b[1]} M{a[0]},{b[1]} L{b[0]},{a[1]}"
    _titled(parent, "path", title, d=d, stroke=UNSERVED, stroke_width=3, class_="unserved")


def _warehouse(parent: ET.Element, x: float, y: float, title: str) -> None:
    _titled(
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


def plan_map_svg(plan: PlanMap) -> bytes:
    """The picture: routes over the pickup points, and a legend beside it."""
    places = [plan.warehouse, *(s for r in plan.routes for s in r.stops)]
    places += [place for place, _ in plan.unserved]
    project = _Projection(places, map_size(len(places)))
    legend_rows = len(plan.routes) + 2
    height = max(project.height, 40 + 22 * legend_rows)
    width = project.width + LEGEND_WIDTH
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
    kind = "干线图" if plan.trunk else "线路图"
    _sub(svg, "title", f"{kind} {plan.delivery_date.isoformat()} {plan.warehouse.name}")
    _sub(svg, "rect", x=0, y=0, width=width, height=height, fill="white")

    style = {"stroke_width": 4, "stroke_dasharray": "12 6"} if plan.trunk else {"stroke_width": 2.5}
    lines = _sub(svg, "g", id="routes", fill="none", stroke_linejoin="round", **style)
    home = project(plan.warehouse)
    for index, route in enumerate(plan.routes):
        points = [home, *(project(s) for s in route.stops), home]
        _titled(
            lines,
            "polyline",
            f"第{route.number}线 {route.vehicle}",
            points=" ".join(f"{x},{y}" for x, y in points),
            stroke=PALETTE[index % len(PALETTE)],
            class_="trunk" if plan.trunk else "route",
            data_route=route.number,
        )
    crosses = _sub(svg, "g", id="unserved")
    for place, reason in plan.unserved:
        x, y = project(place)
        _cross(crosses, x, y, 6, f"未服务：{place.name}（{DROP_REASONS[reason]}）")
    _warehouse(svg, *home, f"仓库：{plan.warehouse.name}")
    _stops(svg, plan, project, (project.width, project.height))
    _legend(svg, plan, project.width + 10)
    ET.indent(svg)
    body: bytes = ET.tostring(svg, encoding="utf-8", xml_declaration=True)
    return body


def _stops(svg: ET.Element, plan: PlanMap, project: _Projection, area: tuple[float, float]) -> None:
    """The stops' dots, then their labels where ``place_labels`` puts them,
    with a leader line when a label stands off its dot."""
    stops = [
        (PALETTE[index % len(PALETTE)], f"{route.number}-{position}", stop)
        for index, route in enumerate(plan.routes)
        for position, stop in enumerate(route.stops, start=1)
    ]
    anchors = [project(stop) for _, _, stop in stops]
    sizes = [(len(label) * CHAR_WIDTH + 4, LABEL_HEIGHT) for _, label, _ in stops]
    # The warehouse and the crosses stay visible too (they are about two dots wide).
    marks = [project(plan.warehouse), *(project(place) for place, _ in plan.unserved)]
    boxes = place_labels(
        anchors,
        sizes,
        area,
        DOT,
        [(x + dx, y + dy) for x, y in marks for dx in (-4, 4) for dy in (-4, 4)],
    )
    leaders = _sub(svg, "g", id="leaders", stroke="#555555", stroke_width=0.7)
    dots = _sub(svg, "g", id="stops", stroke="white", stroke_width=1)
    labels = _sub(svg, "g", id="labels", font_size=LABEL_FONT, text_anchor="middle")
    for (colour, label, stop), (x, y), box in zip(stops, anchors, boxes, strict=True):
        _titled(dots, "circle", f"{label} {stop.name}", cx=x, cy=y, r=DOT, fill=colour)
        if _stands_off(box, x, y):
            end_x, end_y = box.nearest_point(x, y)
            _sub(leaders, "line", x1=x, y1=y, x2=round(end_x, 1), y2=round(end_y, 1))
        group = _titled(labels, "g", f"{label} {stop.name}", class_="label")
        _sub(
            group,
            "rect",
            x=round(box.x, 1),
            y=round(box.y, 1),
            width=round(box.width, 1),
            height=box.height,
            fill="white",
            fill_opacity=0.85,
            stroke=colour,
            stroke_width=1.2,
            rx=2,
        )
        centre_x, centre_y = box.centre
        _sub(group, "text", label, x=round(centre_x, 1), y=round(centre_y + 3.5, 1), fill="#222222")


def _stands_off(box: Box, x: float, y: float) -> bool:
    # Beside its dot a label needs no line; further than a few px it does.
    end_x, end_y = box.nearest_point(x, y)
    return math.hypot(end_x - x, end_y - y) > DOT + 3


def _legend(svg: ET.Element, plan: PlanMap, left: int) -> None:
    legend = _sub(svg, "g", id="legend")
    routes = "trunk routes (dashed)" if plan.trunk else "routes"
    _sub(legend, "text", f"{plan.delivery_date.isoformat()} {routes}", x=left, y=24, font_size=14)
    y = 48
    for index, route in enumerate(plan.routes):
        colour = PALETTE[index % len(PALETTE)]
        _sub(legend, "rect", x=left, y=y - 9, width=18, height=10, fill=colour)
        label = (
            f"Route {route.number}: {len(route.stops)} stops, {thousandths(route.distance_m)} km"
        )
        _titled(legend, "text", route.vehicle, x=left + 26, y=y, class_="legend-route").text = label
        y += 22
    _warehouse(legend, left + 9, y - 4, "仓库")
    _sub(legend, "text", "Warehouse", x=left + 26, y=y)
    y += 22
    _cross(legend, left + 9, y - 4, 5, "未服务")
    _sub(legend, "text", f"Unserved: {len(plan.unserved)} points", x=left + 26, y=y)
    y += 22
    _sub(legend, "text", "3-12 = route 3, stop 12", x=left, y=y, font_size=11, fill="#555555")
