"""One picture of a central warehouse's day with both tiers (干线与末端):
the trunk routes from the central to its grid warehouses, dashed and
heavier as on the trunk plan's own picture, and under them every grid's van
routes to its points (and the central's own vans to the points it serves
directly), one colour per warehouse. Each warehouse's plan in force is
drawn: the published one, else the latest draft (``plans.plan_in_force``).

The drawing is map.py's (drawing.py: projection, canvas, route lines,
marks); as there, every character drawn is ASCII and names are in the
tooltips. Grid warehouses are diamonds labelled G1, G2, … in the legend's
order; van stops are dots without labels (each plan's own picture labels
them), so a day of a few hundred points stays readable.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.models import Warehouse
from fulfilment.network.models import GridWarehouse
from fulfilment.network.queries import grids_of
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
from fulfilment.routing.documents.map import plan_map
from fulfilment.routing.documents.sheets import thousandths
from fulfilment.routing.models import PlanKind, RoutePlanStatus
from fulfilment.routing.plans import plan_in_force
from kernel.errors import NotFound

TRUNK_COLOUR = "#333333"  # darker than any van colour
LEGEND_WIDTH = 330


@dataclass(frozen=True)
class VanTier:
    """One warehouse's van routes: a grid's, or the central's own."""

    depot: Place
    grid: bool
    status: RoutePlanStatus | None  # of the plan drawn; None: no plan yet
    routes: list[MapRoute]
    unserved: list[Place]


@dataclass(frozen=True)
class NetworkMap:
    delivery_date: date
    central: Place
    trunk: list[MapRoute]
    trunk_status: RoutePlanStatus | None
    tiers: list[VanTier]  # the central's own first, then its grids in id order


async def _tier(session: AsyncSession, warehouse: Warehouse, day: date, grid: bool) -> VanTier:
    depot = Place(warehouse.name, warehouse.lat, warehouse.lon)
    plan = await plan_in_force(session, warehouse.id, day)
    if plan is None:
        return VanTier(depot, grid, None, [], [])
    drawn = await plan_map(session, plan.id)
    return VanTier(depot, grid, plan.status, drawn.routes, [p for p, _ in drawn.unserved])


async def network_map(session: AsyncSession, central_id: int, day: date) -> NetworkMap:
    """What the two-tier picture of the central's day shows; NotFound for
    a missing warehouse or a grid warehouse (its central has the picture)."""
    central = await session.get(Warehouse, central_id)
    if central is None or await session.get(GridWarehouse, central_id) is not None:
        raise NotFound("Central warehouse", ["centralId"])
    trunk_plan = await plan_in_force(session, central_id, day, PlanKind.TRUNK)
    trunk = [] if trunk_plan is None else (await plan_map(session, trunk_plan.id)).routes
    tiers = [await _tier(session, central, day, grid=False)]
    for grid in await grids_of(session, central_id):
        tiers.append(await _tier(session, grid.warehouse, day, grid=True))
    return NetworkMap(
        delivery_date=day,
        central=tiers[0].depot,
        trunk=trunk,
        trunk_status=None if trunk_plan is None else trunk_plan.status,
        tiers=tiers,
    )


def network_map_svg(network: NetworkMap) -> bytes:
    """The picture: van routes, the trunk over them, the warehouses, a legend."""
    places = [network.central, *(s for r in network.trunk for s in r.stops)]
    for tier in network.tiers:
        places += [tier.depot, *(s for r in tier.routes for s in r.stops), *tier.unserved]
    project = Projection(places, map_size(len(places)))
    height = max(project.height, 40 + 22 * (len(network.tiers) + 6))
    width = project.width + LEGEND_WIDTH
    day = network.delivery_date.isoformat()
    svg = canvas(width, height, f"干线与末端线路图 {day} {network.central.name}")
    dots = []
    for index, tier in enumerate(network.tiers):
        colour = PALETTE[index % len(PALETTE)]
        lines = route_group(svg, f"vans-{index}", trunk=False)
        for route in tier.routes:
            route_line(lines, project, tier.depot, route, colour, False, data_tier=index)
        dots += [(colour, stop) for route in tier.routes for stop in route.stops]
    stops = sub(svg, "g", id="stops", stroke="white", stroke_width=1)
    for colour, stop in dots:
        x, y = project(stop)
        titled(stops, "circle", stop.name, cx=x, cy=y, r=3, fill=colour)
    crosses = sub(svg, "g", id="unserved")
    for tier in network.tiers:
        for place in tier.unserved:
            cross(crosses, *project(place), 5, f"未服务：{place.name}")
    trunk = route_group(svg, "trunk", trunk=True)
    for route in network.trunk:
        route_line(trunk, project, network.central, route, TRUNK_COLOUR, True)
    for index, tier in enumerate(network.tiers[1:], start=1):
        x, y = project(tier.depot)
        _grid_mark(svg, x, y, PALETTE[index % len(PALETTE)], tier.depot.name)
        sub(svg, "text", f"G{index}", x=x + 11, y=y + 4, font_size=11, class_="grid-label")
    warehouse_mark(svg, *project(network.central), f"中心仓：{network.central.name}")
    _legend(svg, network, project.width + 10)
    return svg_bytes(svg)


def _grid_mark(parent: ET.Element, x: float, y: float, colour: str, name: str) -> None:
    """A grid warehouse: a diamond in its vans' colour."""
    d = f"M{x},{y - 9} L{x + 9},{y} L{x},{y + 9} L{x - 9},{y} Z"
    titled(parent, "path", f"网格仓：{name}", d=d, fill=colour, stroke="#222222", class_="grid")


def _status(status: RoutePlanStatus | None) -> str:
    return "no plan" if status is None else status.value


def _summary(routes: list[MapRoute]) -> str:
    stops = sum(len(r.stops) for r in routes)
    km = thousandths(sum(r.distance_m for r in routes))
    return f"{len(routes)} routes, {stops} stops, {km} km"


def _legend(svg: ET.Element, network: NetworkMap, left: int) -> None:
    legend = sub(svg, "g", id="legend")
    day = network.delivery_date.isoformat()
    sub(legend, "text", f"{day} trunk and van routes", x=left, y=24, font_size=14)
    y = 48
    sub(legend, "line", x1=left, y1=y - 4, x2=left + 18, y2=y - 4, stroke=TRUNK_COLOUR,
        stroke_width=4, stroke_dasharray="6 3")  # fmt: skip
    trunk = f"Trunk ({_status(network.trunk_status)}): {_summary(network.trunk)}"
    sub(legend, "text", trunk, x=left + 26, y=y, class_="legend-trunk")
    y += 22
    for index, tier in enumerate(network.tiers):
        colour = PALETTE[index % len(PALETTE)]
        sub(legend, "rect", x=left, y=y - 9, width=18, height=10, fill=colour)
        who = f"G{index}" if tier.grid else "Central"
        text = f"{who} ({_status(tier.status)}): {_summary(tier.routes)}"
        titled(legend, "text", tier.depot.name, x=left + 26, y=y, class_="legend-tier").text = text
        y += 22
    warehouse_mark(legend, left + 9, y - 4, "中心仓")
    sub(legend, "text", "Central warehouse", x=left + 26, y=y)
    y += 22
    _grid_mark(legend, left + 9, y - 4, "#ffffff", "")
    sub(legend, "text", "Grid warehouse (G1, G2, ...)", x=left + 26, y=y)
    y += 22
    unserved = sum(len(t.unserved) for t in network.tiers)
    cross(legend, left + 9, y - 4, 5, "未服务")
    sub(legend, "text", f"Unserved: {unserved} points", x=left + 26, y=y)
