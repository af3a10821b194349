"""A picture of a route plan (线路图) as SVG, for the dispatcher: each route
a coloured line from the warehouse through its stops and back, the stops
numbered in visiting order, the stops the plan could not serve crossed out
in red, and a legend (route, stops, km). No map tiles: the coordinates are
projected onto the canvas.

Written with xml.etree rather than reportlab.graphics: the picture is a
few lines, circles and labels, and writing the elements directly keeps one
<polyline> per route with its number in the markup (tools and tests can
find it), lets the browser draw the Chinese labels with its own fonts, and
ElementTree escapes every name.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Warehouse
from fulfilment.routing.documents.sheets import thousandths, vehicle_label
from fulfilment.routing.models import Route, RoutePlan, RouteStop, UnservedStop, VehicleType
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


MAP_SIZE = 720  # the longer side of the drawing area, px


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
    stops = (
        await session.execute(
            select(RouteStop.route_id, PickupPoint)
            .join(PickupPoint, PickupPoint.id == RouteStop.pickup_point_id)
            .where(RouteStop.plan_id == plan.id)
            .order_by(RouteStop.route_id, RouteStop.position)
        )
    ).all()
    by_route: dict[int, list[Place]] = {}
    for route_id, point in stops:
        by_route.setdefault(route_id, []).append(_place(point))
    unserved = (
        await session.execute(
            select(UnservedStop.reason, PickupPoint)
            .join(PickupPoint, PickupPoint.id == UnservedStop.pickup_point_id)
            .where(UnservedStop.plan_id == plan.id)
            .order_by(PickupPoint.id)
        )
    ).all()
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
        unserved=[(_place(point), reason) for reason, point in unserved],
    )


def _place(point: PickupPoint) -> Place:
    return Place(point.name, point.lat, point.lon)


class _Projection:
    """Equirectangular: x = lon · cos(mid-latitude), y = lat, scaled so the
    points fill the drawing area (north up). Over a city the distortion is
    far below what the eye notices."""

    def __init__(self, places: list[Place]) -> None:
        lats = [p.lat for p in places]
        lons = [p.lon for p in places]
        self.top, self.left = max(lats), min(lons)
        self.cos = math.cos(math.radians((max(lats) + min(lats)) / 2))
        width = (max(lons) - self.left) * self.cos
        height = self.top - min(lats)
        span = max(width, height) or 1e-6  # one point, or all in one place
        self.scale = (MAP_SIZE - 2 * MARGIN) / span
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


def plan_map_svg(plan: PlanMap) -> bytes:
    """The picture: routes over the pickup points, and a legend beside it."""
    places = [plan.warehouse, *(s for r in plan.routes for s in r.stops)]
    places += [place for place, _ in plan.unserved]
    project = _Projection(places)
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
    _sub(svg, "title", f"线路图 {plan.delivery_date.isoformat()} {plan.warehouse.name}")
    _sub(svg, "rect", x=0, y=0, width=width, height=height, fill="white")

    lines = _sub(svg, "g", id="routes", fill="none", stroke_width=2.5, stroke_linejoin="round")
    stops = _sub(svg, "g", id="stops", text_anchor="middle", font_size=9, fill="white")
    home = project(plan.warehouse)
    for index, route in enumerate(plan.routes):
        colour = PALETTE[index % len(PALETTE)]
        points = [home, *(project(s) for s in route.stops), home]
        _titled(
            lines,
            "polyline",
            f"第{route.number}线 {route.vehicle}",
            points=" ".join(f"{x},{y}" for x, y in points),
            stroke=colour,
            class_="route",
            data_route=route.number,
        )
        for position, stop in enumerate(route.stops, start=1):
            x, y = project(stop)
            dot = _titled(
                stops, "circle", f"{route.number}-{position} {stop.name}", cx=x, cy=y, r=7
            )
            dot.set("fill", colour)
            _sub(stops, "text", str(position), x=x, y=y + 3)
    crosses = _sub(svg, "g", id="unserved")
    for place, reason in plan.unserved:
        x, y = project(place)
        _cross(crosses, x, y, 6, f"未服务：{place.name}（{DROP_REASONS[reason]}）")
    _warehouse(svg, *home, f"仓库：{plan.warehouse.name}")

    _legend(svg, plan, project.width + 10)
    ET.indent(svg)
    body: bytes = ET.tostring(svg, encoding="utf-8", xml_declaration=True)
    return body


def _legend(svg: ET.Element, plan: PlanMap, left: int) -> None:
    legend = _sub(svg, "g", id="legend")
    _sub(legend, "text", f"{plan.delivery_date.isoformat()} 线路", x=left, y=24, font_size=14)
    y = 48
    for index, route in enumerate(plan.routes):
        colour = PALETTE[index % len(PALETTE)]
        _sub(legend, "rect", x=left, y=y - 9, width=18, height=10, fill=colour)
        label = f"第{route.number}线 · {len(route.stops)} 站 · {thousandths(route.distance_m)} km"
        _sub(legend, "text", label, x=left + 26, y=y, class_="legend-route")
        y += 22
    _warehouse(legend, left + 9, y - 4, "仓库")
    _sub(legend, "text", f"仓库：{plan.warehouse.name}", x=left + 26, y=y)
    y += 22
    _cross(legend, left + 9, y - 4, 5, "未服务")
    _sub(legend, "text", f"未服务：{len(plan.unserved)} 个自提点", x=left + 26, y=y)
