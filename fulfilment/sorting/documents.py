"""What a pickup point's paper says on a delivery date, one document per
reader (issue 21):

- **the sorter's totals** (``PointTotals``): the point's goods by storage
  zone, then product, with cases and loose units, and the totes per zone
  from the last sorting run;
- **the leader's hand-out list** (``HandOutList``): one entry per resident
  order: the resident, a masked phone, the order number, the last digits of
  its pickup code and what to hand over.

Units are sorting's deliverable units (``sorting.deliverable``, by the one
rule of ``fulfilment.orders.hand_out``). ``exports`` lays these out as CSV
or XLSX rows, ``printing`` and ``labels`` print them; nothing here decides
who may read them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import Product, ServiceArea, StorageZone
from fulfilment.orders.models import Order, PickupCode
from fulfilment.sorting.cases import CasePacked
from fulfilment.sorting.models import PickupPointLoad
from fulfilment.sorting.sorting import deliverable, products_by_point
from kernel.accounts import User
from kernel.errors import NotFound
from leaders.points.models import Leader, PickupPoint

# The order a sorter walks the warehouse in, and the order of every zone
# section: ambient, chilled, frozen (the enum's order, not the alphabet's).
ZONE_ORDER = {zone: index for index, zone in enumerate(StorageZone)}


# How many of the pickup code's six digits the hand-out list shows. The full
# code is the resident's proof of collection: the list lies open on the
# counter, and anyone reading a full code off it could collect someone
# else's order. Three digits let the leader check the code a resident shows
# (and tell a resident's two orders apart) while leaving 1,000 guesses, which
# the wrong-code rate limit of fulfilment.pickup.verification stops.
CODE_DIGITS_SHOWN = 3


@dataclass(frozen=True)
class TotalLine(CasePacked):
    """One product of a point's goods."""

    zone: StorageZone
    product_id: int
    product: str
    spec: str  # the selling unit, e.g. 500g/盒
    case_pack: int  # units per supplier case
    units: int


@dataclass(frozen=True)
class PointTotals:
    """A point's goods for a delivery date, zone by zone (``lines`` in zone,
    then product order) and its totes per zone (empty before sorting ran)."""

    point_id: int
    point_name: str
    leader_name: str
    delivery_date: date
    lines: list[TotalLine] = field(default_factory=list)
    totes: dict[StorageZone, int] = field(default_factory=dict)

    def zones(self) -> list[tuple[StorageZone, list[TotalLine]]]:
        """The zones that hold anything, in ``ZONE_ORDER``, with their lines."""
        found: dict[StorageZone, list[TotalLine]] = {}
        for line in self.lines:
            found.setdefault(line.zone, []).append(line)
        return sorted(found.items(), key=lambda item: ZONE_ORDER[item[0]])


@dataclass(frozen=True)
class HandOutItem:
    product: str
    spec: str
    units: int


@dataclass(frozen=True)
class HandOutOrder:
    """What one resident collects for one order."""

    resident: str
    phone: str  # masked: mask_phone
    order_number: str
    code_tail: str  # the code's last digits only: see CODE_DIGITS_SHOWN
    items: list[HandOutItem]


@dataclass(frozen=True)
class HandOutList:
    point_id: int
    point_name: str
    leader_name: str
    delivery_date: date
    orders: list[HandOutOrder] = field(default_factory=list)


def mask_phone(phone: str | None) -> str:
    """``13800138000`` as ``138****8000``: enough for a resident to know
    their own line, not a number to call from a list left on a counter."""
    if not phone:
        return ""
    if len(phone) < 8:
        return "*" * max(len(phone) - 2, 0) + phone[-2:]
    return f"{phone[:3]}{'*' * (len(phone) - 7)}{phone[-4:]}"


def code_tail(code: str | None) -> str:
    """The last ``CODE_DIGITS_SHOWN`` digits of a pickup code, after stars:
    a text cell a spreadsheet keeps as text (leading zeros and all)."""
    if not code:
        return ""
    return "*" * (len(code) - CODE_DIGITS_SHOWN) + code[-CODE_DIGITS_SHOWN:]


@dataclass(frozen=True)
class _Point:
    name: str
    leader: str
    warehouse_id: int | None


async def _points(session: AsyncSession, point_ids: Sequence[int]) -> dict[int, _Point]:
    """The points of ``point_ids`` with their leader's name and warehouse;
    NotFound if any is missing."""
    wanted = set(point_ids)
    found = await session.execute(
        select(PickupPoint.id, PickupPoint.name, User.name, ServiceArea.warehouse_id)
        .outerjoin(Leader, Leader.id == PickupPoint.leader_id)
        .outerjoin(User, User.id == Leader.user_id)
        .outerjoin(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
        .where(PickupPoint.id.in_(wanted))
    )
    points = {pid: _Point(name, leader or "", wid) for pid, name, leader, wid in found}
    if len(points) < len(wanted):
        raise NotFound("Pickup point", ["pickupPointId"])
    return points


def _by_warehouse(points: dict[int, _Point]) -> dict[int, list[int]]:
    """Point ids per serving warehouse; a point no warehouse serves gets nothing."""
    served: dict[int, list[int]] = {}
    for point_id, point in points.items():
        if point.warehouse_id is not None:
            served.setdefault(point.warehouse_id, []).append(point_id)
    return served


async def point_totals(
    session: AsyncSession, point_ids: Sequence[int], delivery_date: date
) -> dict[int, PointTotals]:
    """Several points' totals, by point id, in a few statements however many
    points there are (a region has hundreds). Any missing point is NotFound."""
    points = await _points(session, point_ids)
    units: dict[int, list[tuple[int, int]]] = {}
    for warehouse_id, ids in _by_warehouse(points).items():
        found = await products_by_point(session, warehouse_id, delivery_date, ids)
        units |= {p: [(line.product_id, line.units) for line in ls] for p, ls in found.items()}
    products = await products_by_id(session, (p for ls in units.values() for p, _ in ls))
    totes: dict[int, dict[StorageZone, int]] = {}
    if points:
        loads = await session.execute(
            select(
                PickupPointLoad.pickup_point_id, PickupPointLoad.storage_zone, PickupPointLoad.totes
            ).where(
                PickupPointLoad.pickup_point_id.in_(points),
                PickupPointLoad.delivery_date == delivery_date,
            )
        )
        for point_id, zone, count in loads:
            totes.setdefault(point_id, {})[zone] = count
    out: dict[int, PointTotals] = {}
    for point_id, point in points.items():
        lines = [_line(products[p], n) for p, n in units.get(point_id, []) if p in products]
        lines.sort(key=lambda ln: (ZONE_ORDER[ln.zone], ln.product, ln.product_id))
        zone_totes = dict(sorted(totes.get(point_id, {}).items(), key=lambda z: ZONE_ORDER[z[0]]))
        out[point_id] = PointTotals(
            point_id, point.name, point.leader, delivery_date, lines, zone_totes
        )
    return out


def _line(product: Product, units: int) -> TotalLine:
    return TotalLine(
        product.storage_zone, product.id, product.name, product.unit, product.case_pack, units
    )


async def hand_out_lists(
    session: AsyncSession, point_ids: Sequence[int], delivery_date: date
) -> dict[int, HandOutList]:
    """Several points' hand-out lists, by point id, in a few statements.
    Each point's orders run by the phone's last four digits, then name and
    order number: residents at the counter give their 手机尾号. Any missing
    point is NotFound."""
    points = await _points(session, point_ids)
    # (point, order number) -> customer, code tail, {product: units}
    orders: dict[tuple[int, str], tuple[int, str, dict[int, int]]] = {}
    for warehouse_id, ids in _by_warehouse(points).items():
        lines = (
            deliverable(warehouse_id, delivery_date)
            .add_columns(Order.number, PickupCode.code)
            .outerjoin(PickupCode, PickupCode.order_id == Order.id)
            .where(Order.pickup_point_id.in_(ids))
        )
        for point_id, customer_id, product_id, units, number, code in await session.execute(lines):
            entry = orders.setdefault((point_id, number), (customer_id, code_tail(code), {}))
            entry[2][product_id] = entry[2].get(product_id, 0) + int(units)
    products = await products_by_id(session, (p for *_, ps in orders.values() for p in ps))
    customer_ids = {customer for customer, _, _ in orders.values()}
    users: dict[int, tuple[str, str | None]] = {}
    if customer_ids:
        found = await session.execute(
            select(User.id, User.name, User.phone).where(User.id.in_(customer_ids))
        )
        users = {uid: (name, phone) for uid, name, phone in found}
    out = {
        point_id: HandOutList(point_id, point.name, point.leader, delivery_date)
        for point_id, point in points.items()
    }
    for (point_id, number), (customer_id, tail, units) in orders.items():
        name, phone = users.get(customer_id, ("", None))
        items = [
            HandOutItem(products[p].name, products[p].unit, n)
            for p, n in sorted(units.items(), key=lambda i: (products[i[0]].name, i[0]))
        ]
        out[point_id].orders.append(HandOutOrder(name, mask_phone(phone), number, tail, items))
    for handout in out.values():
        handout.orders.sort(key=lambda o: (o.phone[-4:], o.resident, o.order_number))
    return out
