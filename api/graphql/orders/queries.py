"""Query fields of orders: a customer's own, and a leader's point's orders and
totals for a delivery date."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.context import Info
from api.graphql.orders.types import (
    CustomerTotal,
    ItemTotal,
    OrderStatusEnum,
    OrderType,
    PickupPointTotals,
)
from api.graphql.pagination import Connection, connection, page_window, paginate
from fulfilment.orders.models import OrderStatus
from fulfilment.orders.queries import list_orders, pickup_point_totals
from kernel.accounts import Role
from leaders.applications.queries import leader_of_user
from leaders.points.models import PickupPoint
from leaders.points.queries import pickup_points_by_leader


async def _own_pickup_point(info: Info) -> PickupPoint | None:
    viewer = info.context.require(Role.LEADER)
    leader = await leader_of_user(info.context.session, viewer.id)
    if leader is None:
        return None
    return (await pickup_points_by_leader(info.context.session, [leader.id])).get(leader.id)


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="Your own orders, newest last; deliveryDate narrows them to one day's "
        "(several campaigns sell at once, each for its own delivery date)."
    )
    async def my_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        delivery_date: date | None = None,
    ) -> Connection[OrderType]:
        viewer = info.context.require(Role.CUSTOMER, Role.LEADER)
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_orders(
                info.context.session,
                customer_id=viewer.id,
                delivery_date=delivery_date,
                after_id=after_id,
                limit=limit,
            ),
            OrderType.of,
        )

    @strawberry.field(description="A leader's pickup point orders for a delivery date.")
    async def pickup_point_orders(
        self,
        info: Info,
        delivery_date: date,
        status: list[OrderStatusEnum] | None = None,  # type: ignore[valid-type]
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[OrderType]:
        size, after_id = page_window(first, after)
        point = await _own_pickup_point(info)
        if point is None:
            return connection([], size, OrderType.of, after_id=after_id)
        rows = await list_orders(
            info.context.session,
            pickup_point_id=point.id,
            delivery_date=delivery_date,
            statuses=status,
            after_id=after_id,
            limit=size + 1,
        )
        return connection(rows, size, OrderType.of, after_id=after_id)

    @strawberry.field(
        description="Per-customer and per-item totals of a leader's pickup point for a "
        "delivery date (paid orders unless statuses are given)."
    )
    async def pickup_point_totals(
        self,
        info: Info,
        delivery_date: date,
        status: list[OrderStatusEnum] | None = None,  # type: ignore[valid-type]
    ) -> PickupPointTotals:
        point = await _own_pickup_point(info)
        if point is None:
            return PickupPointTotals(by_customer=[], by_item=[])
        per_customer, per_item = await pickup_point_totals(
            info.context.session, point.id, delivery_date, status or [OrderStatus.PAID]
        )
        users = await info.context.loaders.user.load_many([c.customer_id for c in per_customer])
        return PickupPointTotals(
            by_customer=[
                CustomerTotal(
                    customer_name=u.name if u else "",
                    customer_phone=u.phone if u else None,
                    orders=c.orders,
                    units=c.units,
                    total_fen=c.total_fen,
                )
                for c, u in zip(per_customer, users, strict=True)
            ],
            by_item=[
                ItemTotal(
                    units=i.units,
                    total_fen=i.total_fen,
                    campaign_item_id=i.campaign_item_id,
                    product_id=i.product_id,
                )
                for i in per_item
            ],
        )
