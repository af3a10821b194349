"""Query fields of the catalogue and campaigns, and a pickup point by share code."""

from __future__ import annotations

import strawberry

from api.graphql.campaigns.types import CampaignType, ProductType, SupplierType, viewer_supplier_id
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode
from api.graphql.leaders.types import PickupPointType, can_see_pickup_point
from api.graphql.pagination import Connection, connection, page_window
from fulfilment.campaigns.campaigns import list_campaigns, open_campaign_for
from fulfilment.campaigns.catalog import list_products, list_suppliers
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError
from leaders.points.customers import pickup_point_by_share_code


def _id_or_none(raw: strawberry.ID | None, type_name: str) -> int | None:
    if raw is None:
        return None
    try:
        return decode(raw, type_name, [])
    except DomainError as exc:
        raise bad_input(f"Expected the ID of a {type_name}.") from exc


@strawberry.type
class CampaignQuery:
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
