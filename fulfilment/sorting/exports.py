"""Sorting's documents: a pickup point's pick list (by product, then by
customer) and a warehouse's totals, as rows with Chinese headers for
``kernel.tables``' writers. Who may read what is the caller's business:
these functions only read."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.catalog import products_by_id
from fulfilment.campaigns.models import ServiceArea, Warehouse
from fulfilment.sorting.sorting import (
    CustomerPick,
    PickLine,
    customers_by_point,
    products_by_point,
    warehouse_totals,
)
from kernel.accounts import User
from kernel.errors import NotFound
from kernel.tables import Rows
from leaders.points.models import Leader, PickupPoint

PICK_LIST_PRODUCT_HEADER = ("自提点", "团长", "商品", "数量")


PICK_LIST_CUSTOMER_HEADER = ("顾客", "电话", "商品", "数量")


WAREHOUSE_TOTALS_HEADER = ("商品", "数量")


async def pick_list_rows(session: AsyncSession, pickup_point_id: int, delivery_date: date) -> Rows:
    """What a pickup point gets on a delivery date: per product (with the
    point and its leader), then per customer, net of every shortfall. A point
    no warehouse serves gets the headings only."""
    return (await pick_lists_rows(session, [pickup_point_id], delivery_date))[pickup_point_id]


async def pick_lists_rows(
    session: AsyncSession, pickup_point_ids: Sequence[int], delivery_date: date
) -> dict[int, Rows]:
    """Several points' pick lists (``pick_list_rows``), by point id, in a
    few statements however many points there are: on SQLite each statement
    costs a round trip to the database thread, and a region has hundreds of
    points. Any point that does not exist is NotFound."""
    wanted = set(pickup_point_ids)
    found = await session.execute(
        select(PickupPoint, User.name, ServiceArea.warehouse_id)
        .outerjoin(Leader, Leader.id == PickupPoint.leader_id)
        .outerjoin(User, User.id == Leader.user_id)
        .outerjoin(ServiceArea, ServiceArea.pickup_point_id == PickupPoint.id)
        .where(PickupPoint.id.in_(wanted))
    )
    points = {point.id: (point, leader or "", warehouse) for point, leader, warehouse in found}
    if len(points) < len(wanted):
        raise NotFound("Pickup point", ["pickupPointId"])
    served: dict[int, list[int]] = {}
    for point_id, (_, _, warehouse_id) in points.items():
        if warehouse_id is not None:
            served.setdefault(warehouse_id, []).append(point_id)
    per_product: dict[int, list[PickLine]] = {}
    per_customer: dict[int, list[CustomerPick]] = {}
    for warehouse_id, ids in served.items():
        per_product |= await products_by_point(session, warehouse_id, delivery_date, ids)
        per_customer |= await customers_by_point(session, warehouse_id, delivery_date, ids)
    products = await products_by_id(
        session,
        [p.product_id for lines in per_product.values() for p in lines]
        + [c.product_id for lines in per_customer.values() for c in lines],
    )
    user_ids = {c.customer_id for lines in per_customer.values() for c in lines}
    users = (
        {
            u.id: u
            for u in (await session.execute(select(User).where(User.id.in_(user_ids)))).scalars()
        }
        if user_ids
        else {}
    )

    def name(product_id: int) -> str:
        product = products.get(product_id)
        return product.name if product else ""

    out: dict[int, Rows] = {}
    for point_id, (point, leader, _) in points.items():
        rows = out[point_id] = Rows()
        rows.header(PICK_LIST_PRODUCT_HEADER)
        for p in per_product.get(point_id, []):
            rows.add(point.name, leader, name(p.product_id), p.units)
        rows.header(PICK_LIST_CUSTOMER_HEADER)
        for c in per_customer.get(point_id, []):
            customer = users.get(c.customer_id)
            rows.add(
                customer.name if customer else "",
                (customer.phone or "") if customer else "",
                name(c.product_id),
                c.units,
            )
    return out


async def warehouse_totals_rows(
    session: AsyncSession, warehouse_id: int, delivery_date: date
) -> Rows:
    """Units of each product a warehouse sends out on a delivery date."""
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    totals = await warehouse_totals(session, warehouse_id, delivery_date)
    products = await products_by_id(session, (t.product_id for t in totals))
    out = Rows()
    out.header(WAREHOUSE_TOTALS_HEADER)
    for t in totals:
        product = products.get(t.product_id)
        out.add(product.name if product else "", t.units)
    return out
