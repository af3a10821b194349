"""Route sheets (线路单): what a driver takes along for one route of a plan.

The vehicle, departure and return (local time), then each stop in order:
the pickup point, its leader, its receiving window, the planned arrival,
totes and weight, and the stop's pick list by storage zone (from sorting:
the units per product and the totes per zone). ``route_sheet_rows`` lays it
out for CSV; ``fulfilment.routing.documents.pdf`` prints the driver's sheet
(stops only) and ``fulfilment.routing.documents.loading`` the loader's
detail (the pick lists).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import ZONE_NAMES, StorageZone, Warehouse
from fulfilment.network.queries import buying_warehouse
from fulfilment.routing.models import Route, RoutePlan, RouteStop, VehicleType
from fulfilment.sorting.models import PickupPointLoad
from fulfilment.sorting.sorting import products_by_point
from kernel.accounts import User
from kernel.errors import NotFound
from kernel.tables import Rows
from leaders.points.models import Leader, PickupPoint

SUMMARY_HEADER = (
    "线路",
    "车辆",
    "仓库",
    "送货日期",
    "出发",
    "返回",
    "站点数",
    "里程(km)",
    "重量(kg)",
    "筐数",
)


STOPS_HEADER = (
    "序号",
    "自提点",
    "地址",
    "团长",
    "电话",
    "收货时段",
    "预计到达",
    "筐数",
    "重量(kg)",
)


PICKS_HEADER = ("序号", "自提点", "存储区", "商品", "单位", "数量")


@dataclass(frozen=True)
class PickItem:
    product: str
    unit: str
    units: int


@dataclass(frozen=True)
class ZonePick:
    """A stop's goods in one storage zone (zones never share a tote)."""

    zone: StorageZone
    totes: int
    items: list[PickItem]

    @property
    def zone_name(self) -> str:
        return ZONE_NAMES[self.zone]


@dataclass(frozen=True)
class SheetStop:
    position: int
    name: str
    address: str
    leader: str  # the leader's name: who signs for the goods
    phone: str
    window_start: time
    window_end: time
    arrival: datetime  # local
    totes: int
    weight_g: int
    zones: list[ZonePick]

    @property
    def window(self) -> str:
        return f"{self.window_start:%H:%M}–{self.window_end:%H:%M}"

    def zone_totes(self, zone: StorageZone) -> int:
        """The stop's totes in one storage zone (0 when it has none there)."""
        return sum(pick.totes for pick in self.zones if pick.zone == zone)


@dataclass(frozen=True)
class RouteSheet:
    plan_id: int
    number: int
    delivery_date: date
    warehouse: str
    vehicle: str
    departure: datetime  # local
    return_at: datetime  # local
    distance_m: int
    weight_g: int
    totes: int
    stops: list[SheetStop]


def thousandths(value: int) -> str:
    """Grams as kilograms, metres as kilometres: one decimal, for people."""
    return f"{value / 1000:.1f}"


def vehicle_label(vehicle: VehicleType | None, number: int) -> str:
    return f"{vehicle.name if vehicle else '车辆'} {number}号"


async def route_sheet(
    session: AsyncSession, plan_id: int, number: int, zone: ZoneInfo
) -> RouteSheet:
    """Route ``number`` of a plan, with every stop's pick list; NotFound when
    the plan has no such route."""
    route = (
        await session.execute(select(Route).where(Route.plan_id == plan_id, Route.number == number))
    ).scalar_one_or_none()
    plan = await session.get(RoutePlan, plan_id)
    if route is None or plan is None:
        raise NotFound("Route", ["number"])
    vehicle = await session.get(VehicleType, route.vehicle_type_id)
    warehouse = await session.get(Warehouse, plan.warehouse_id)
    rows = (
        await session.execute(
            select(RouteStop, PickupPoint, User.name)
            .join(PickupPoint, PickupPoint.id == RouteStop.pickup_point_id)
            .join(Leader, Leader.id == PickupPoint.leader_id)
            .join(User, User.id == Leader.user_id)
            .where(RouteStop.route_id == route.id)
            .order_by(RouteStop.position)
        )
    ).all()
    point_ids = [point.id for _, point, _ in rows]
    zones = await _zone_picks(session, plan, point_ids)
    return RouteSheet(
        plan_id=plan.id,
        number=route.number,
        delivery_date=plan.delivery_date,
        warehouse=warehouse.name if warehouse else "",
        vehicle=vehicle_label(vehicle, route.vehicle_number),
        departure=route.departure_at.astimezone(zone),
        return_at=route.return_at.astimezone(zone),
        distance_m=route.distance_m,
        weight_g=route.weight_g,
        totes=route.totes,
        stops=[
            SheetStop(
                position=stop.position,
                name=point.name,
                address=point.address,
                leader=leader,
                phone=point.contact_phone,
                window_start=point.window_start,
                window_end=point.window_end,
                arrival=stop.arrival_at.astimezone(zone),
                totes=stop.totes,
                weight_g=stop.weight_g,
                zones=zones.get(point.id, []),
            )
            for stop, point, leader in rows
        ],
    )


async def _zone_picks(
    session: AsyncSession, plan: RoutePlan, point_ids: list[int]
) -> dict[int, list[ZonePick]]:
    """Each point's pick list grouped by storage zone, with the zone's totes
    from the last sorting run."""
    # A grid's goods were bought and sorted at its central warehouse.
    source = await buying_warehouse(session, plan.warehouse_id)
    picks = await products_by_point(session, source, plan.delivery_date, point_ids)
    products = await products_by_id(
        session, {line.product_id for lines in picks.values() for line in lines}
    )
    totes: dict[tuple[int, StorageZone], int] = {}
    if point_ids:
        loads = await session.execute(
            select(
                PickupPointLoad.pickup_point_id, PickupPointLoad.storage_zone, PickupPointLoad.totes
            ).where(
                PickupPointLoad.warehouse_id == source,
                PickupPointLoad.delivery_date == plan.delivery_date,
                PickupPointLoad.pickup_point_id.in_(point_ids),
            )
        )
        totes = {(point, zone): count for point, zone, count in loads.all()}
    out: dict[int, list[ZonePick]] = {}
    for point_id, lines in picks.items():
        by_zone: dict[StorageZone, list[PickItem]] = {}
        for line in lines:
            product = products[line.product_id]
            by_zone.setdefault(product.storage_zone, []).append(
                PickItem(product.name, product.unit, line.units)
            )
        out[point_id] = [
            ZonePick(zone, totes.get((point_id, zone), 0), by_zone[zone])
            for zone in StorageZone
            if zone in by_zone
        ]
    return out


def route_sheet_rows(sheet: RouteSheet) -> Rows:
    """The sheet as three tables: the route, its stops in order, and every
    stop's pick list by zone."""
    out = Rows()
    out.header(SUMMARY_HEADER)
    out.add(
        sheet.number,
        sheet.vehicle,
        sheet.warehouse,
        sheet.delivery_date,
        f"{sheet.departure:%H:%M}",
        f"{sheet.return_at:%H:%M}",
        len(sheet.stops),
        thousandths(sheet.distance_m),
        thousandths(sheet.weight_g),
        sheet.totes,
    )
    out.header(STOPS_HEADER)
    for stop in sheet.stops:
        out.add(
            stop.position,
            stop.name,
            stop.address,
            stop.leader,
            stop.phone,
            stop.window,
            f"{stop.arrival:%H:%M}",
            stop.totes,
            thousandths(stop.weight_g),
        )
    out.header(PICKS_HEADER)
    for stop in sheet.stops:
        for pick in stop.zones:
            for item in pick.items:
                out.add(
                    stop.position, stop.name, pick.zone_name, item.product, item.unit, item.units
                )
    return out
