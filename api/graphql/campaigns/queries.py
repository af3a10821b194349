"""Query fields of the catalogue, campaigns, purchase orders and orders
(one type, so that the schema's field order stays as it was)."""

from __future__ import annotations

from datetime import date

import strawberry

from api.graphql.campaigns.types import CampaignType, ProductType, SupplierType, viewer_supplier_id
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode
from api.graphql.leaders.types import PickupPointType, can_see_pickup_point
from api.graphql.orders.types import (
    CustomerTotal,
    ItemTotal,
    OrderStatusEnum,
    OrderType,
    PickupPointTotals,
)
from api.graphql.pagination import Connection, connection, page_window
from api.graphql.purchasing.types import PurchaseOrderType
from fulfilment.campaigns.campaigns import list_campaigns, open_campaign_for
from fulfilment.campaigns.catalog import list_products, list_suppliers
from fulfilment.orders.models import OrderStatus
from fulfilment.orders.queries import list_orders, pickup_point_totals
from fulfilment.purchasing.queries import list_purchase_orders
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from leaders.applications.queries import leader_of_user
from leaders.points.customers import pickup_point_by_share_code
from leaders.points.models import PickupPoint
from leaders.points.queries import pickup_points_by_leader


def _id_or_none(raw: strawberry.ID | None, type_name: str) -> int | None:
    if raw is None:
        return None
    try:
        return decode(raw, type_name, [])
    except DomainError as exc:
        raise bad_input(f"Expected the ID of a {type_name}.") from exc


async def _own_pickup_point(info: Info) -> PickupPoint | None:
    viewer = info.context.require(Role.LEADER)
    leader = await leader_of_user(info.context.session, viewer.id)
    if leader is None:
        return None
    return (await pickup_points_by_leader(info.context.session, [leader.id])).get(leader.id)


@strawberry.type
class CommerceQuery:
    @strawberry.field(description="Suppliers (operators).")
    async def suppliers(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[SupplierType]:
        info.context.require(Role.OPERATOR)
        size, after_id = page_window(first, after)
        rows = await list_suppliers(info.context.session, after_id=after_id, limit=size + 1)
        return connection(rows, size, SupplierType.of, after_id=after_id)

    @strawberry.field(description="Products: all for operators, their own for suppliers.")
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        supplier_id: strawberry.ID | None = None,
    ) -> Connection[ProductType]:
        viewer = info.context.require(Role.OPERATOR, Role.SUPPLIER)
        size, after_id = page_window(first, after)
        wanted = _id_or_none(supplier_id, "Supplier")
        if viewer.role is Role.SUPPLIER:
            wanted = await viewer_supplier_id(info) or -1
        rows = await list_products(
            info.context.session, supplier_id=wanted, after_id=after_id, limit=size + 1
        )
        return connection(rows, size, ProductType.of, after_id=after_id)

    @strawberry.field(description="Campaigns (operators and dispatchers).")
    async def campaigns(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        warehouse_id: strawberry.ID | None = None,
    ) -> Connection[CampaignType]:
        info.context.require(Role.OPERATOR, Role.DISPATCHER)
        size, after_id = page_window(first, after)
        rows = await list_campaigns(
            info.context.session,
            warehouse_id=_id_or_none(warehouse_id, "Warehouse"),
            after_id=after_id,
            limit=size + 1,
        )
        return connection(rows, size, CampaignType.of, after_id=after_id)

    @strawberry.field(description="The campaign taking orders now at a pickup point, if any.")
    async def open_campaign(
        self, info: Info, pickup_point_id: strawberry.ID
    ) -> CampaignType | None:
        info.context.require()
        point = (
            await PickupPointType.resolve_nodes(
                info=info, node_ids=[str(_id_or_none(pickup_point_id, "PickupPoint"))]
            )
        )[0]
        if point is None:
            return None
        campaign = await open_campaign_for(info.context.session, point.id, utcnow())
        return None if campaign is None else CampaignType.of(campaign)

    @strawberry.field(description="The pickup point behind a leader's share link or code.")
    async def pickup_point_by_share_code(self, info: Info, code: str) -> PickupPointType | None:
        viewer = info.context.require()
        point = await pickup_point_by_share_code(info.context.session, code)
        if point is None:
            return None
        leader = await info.context.loaders.leader.load(point.leader_id)
        # Customers open any code of a point taking orders; a leader only their own.
        if not can_see_pickup_point(viewer, point, leader):
            return None
        return PickupPointType.of(point)

    @strawberry.field(description="Purchase orders: all for operators, their own for suppliers.")
    async def purchase_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        delivery_date: date | None = None,
    ) -> Connection[PurchaseOrderType]:
        viewer = info.context.require(Role.OPERATOR, Role.SUPPLIER)
        size, after_id = page_window(first, after)
        supplier_id = None
        if viewer.role is Role.SUPPLIER:
            supplier_id = await viewer_supplier_id(info) or -1
        rows = await list_purchase_orders(
            info.context.session,
            supplier_id=supplier_id,
            delivery_date=delivery_date,
            after_id=after_id,
            limit=size + 1,
        )
        return connection(rows, size, PurchaseOrderType.of, after_id=after_id)

    @strawberry.field(description="Your own orders, newest last.")
    async def my_orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[OrderType]:
        viewer = info.context.require(Role.CUSTOMER, Role.LEADER)
        size, after_id = page_window(first, after)
        rows = await list_orders(
            info.context.session, customer_id=viewer.id, after_id=after_id, limit=size + 1
        )
        return connection(rows, size, OrderType.of, after_id=after_id)

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
