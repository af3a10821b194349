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
from fulfilment.routing.documents.drawing import (
    PALETTE,
    MapRoute,
    Place,
    Projection,
    canvas,
    cross,
    map_size,
    route_group,
    route_line,
    sub,
    svg_bytes,
    titled,
    warehouse_mark,
)
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

DROP_REASONS = {
    DropReason.TOO_HEAVY: "超出车辆载重",
    DropReason.WINDOW_UNREACHABLE: "无法在收货时段送达",
    DropReason.NOT_ENOUGH_VEHICLES: "车辆不足",
}


DOT = 4  # a stop's radius, px
CHAR_WIDTH = 6.2  # px, a digit at LABEL_FONT in the usual sans-serif faces


LABEL_FONT = 10  # px
LABEL_HEIGHT = 13  # px
LEGEND_WIDTH = 230


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


def plan_map_svg(plan: PlanMap) -> bytes:
    """The picture: routes over the pickup points, and a legend beside it."""
    places = [plan.warehouse, *(s for r in plan.routes for s in r.stops)]
    places += [place for place, _ in plan.unserved]
    project = Projection(places, map_size(len(places)))
    legend_rows = len(plan.routes) + 2
    height = max(project.height, 40 + 22 * legend_rows)
    width = project.width + LEGEND_WIDTH
    kind = "干线图" if plan.trunk else "线路图"
    svg = canvas(width, height, f"{kind} {plan.delivery_date.isoformat()} {plan.warehouse.name}")
    lines = route_group(svg, "routes", plan.trunk)
    home = project(plan.warehouse)
    for index, route in enumerate(plan.routes):
        route_line(lines, project, plan.warehouse, route, PALETTE[index % len(PALETTE)], plan.trunk)
    crosses = sub(svg, "g", id="unserved")
    for place, reason in plan.unserved:
        x, y = project(place)
        cross(crosses, x, y, 6, f"未服务：{place.name}（{DROP_REASONS[reason]}）")
    warehouse_mark(svg, *home, f"仓库：{plan.warehouse.name}")
    _stops(svg, plan, project, (project.width, project.height))
    _legend(svg, plan, project.width + 10)
    return svg_bytes(svg)


def _stops(svg: ET.Element, plan: PlanMap, project: Projection, area: tuple[float, float]) -> None:
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
    leaders = sub(svg, "g", id="leaders", stroke="#555555", stroke_width=0.7)
    dots = sub(svg, "g", id="stops", stroke="white", stroke_width=1)
    labels = sub(svg, "g", id="labels", font_size=LABEL_FONT, text_anchor="middle")
    for (colour, label, stop), (x, y), box in zip(stops, anchors, boxes, strict=True):
        titled(dots, "circle", f"{label} {stop.name}", cx=x, cy=y, r=DOT, fill=colour)
        if _stands_off(box, x, y):
            end_x, end_y = box.nearest_point(x, y)
            sub(leaders, "line", x1=x, y1=y, x2=round(end_x, 1), y2=round(end_y, 1))
        group = titled(labels, "g", f"{label} {stop.name}", class_="label")
        sub(
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
        sub(group, "text", label, x=round(centre_x, 1), y=round(centre_y + 3.5, 1), fill="#222222")


def _stands_off(box: Box, x: float, y: float) -> bool:
    # Beside its dot a label needs no line; further than a few px it does.
    end_x, end_y = box.nearest_point(x, y)
    return math.hypot(end_x - x, end_y - y) > DOT + 3


def _legend(svg: ET.Element, plan: PlanMap, left: int) -> None:
    legend = sub(svg, "g", id="legend")
    routes = "trunk routes (dashed)" if plan.trunk else "routes"
    sub(legend, "text", f"{plan.delivery_date.isoformat()} {routes}", x=left, y=24, font_size=14)
    y = 48
    for index, route in enumerate(plan.routes):
        colour = PALETTE[index % len(PALETTE)]
        sub(legend, "rect", x=left, y=y - 9, width=18, height=10, fill=colour)
        label = (
            f"Route {route.number}: {len(route.stops)} stops, {thousandths(route.distance_m)} km"
        )
        titled(legend, "text", route.vehicle, x=left + 26, y=y, class_="legend-route").text = label
        y += 22
    warehouse_mark(legend, left + 9, y - 4, "仓库")
    sub(legend, "text", "Warehouse", x=left + 26, y=y)
    y += 22
    cross(legend, left + 9, y - 4, 5, "未服务")
    sub(legend, "text", f"Unserved: {len(plan.unserved)} points", x=left + 26, y=y)
    y += 22
    sub(legend, "text", "3-12 = route 3, stop 12", x=left, y=y, font_size=11, fill="#555555")
