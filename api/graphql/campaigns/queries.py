"""Query fields of the catalogue and campaigns: suppliers, products,
campaigns, and the campaign open at a pickup point."""

from __future__ import annotations

import strawberry

from api.graphql.campaigns.types import CampaignType, ProductType, SupplierType
from api.graphql.context import Info
from api.graphql.errors import bad_input
from api.graphql.ids import decode
from api.graphql.pagination import Connection, connection, page_window, paginate
from api.graphql.permissions import can_see_pickup_point, viewer_supplier_id
from fulfilment.campaigns.campaigns import list_campaigns
from fulfilment.campaigns.catalog import list_products, list_suppliers
from fulfilment.campaigns.copying import open_campaigns_for
from kernel.accounts import Role
from kernel.clock import utcnow
from kernel.errors import DomainError


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
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_suppliers(
                info.context.session, after_id=after_id, limit=limit
            ),
            SupplierType.of,
        )

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
            own = await viewer_supplier_id(info) or -1
            # Another supplier's catalogue reads like one that does not exist.
            wanted = own if wanted in (None, own) else -1
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
        # The warehouse id is decoded inside ``fetch``: a bad page window is
        # still the error reported first.
        return await paginate(
            info,
            first,
            after,
            lambda after_id, limit: list_campaigns(
                info.context.session,
                warehouse_id=_id_or_none(warehouse_id, "Warehouse"),
                after_id=after_id,
                limit=limit,
            ),
            CampaignType.of,
        )

    @strawberry.field(
        description="The campaign taking orders now at a pickup point with the earliest "
        "delivery date, if any (openCampaigns lists them all)."
    )
    async def open_campaign(
        self, info: Info, pickup_point_id: strawberry.ID
    ) -> CampaignType | None:
        point_id = await _visible_point(info, pickup_point_id)
        if point_id is None:
            return None
        found = await open_campaigns_for(info.context.session, point_id, utcnow())
        return CampaignType.of(found[0]) if found else None

    @strawberry.field(
        description="Every campaign taking orders now at a pickup point, earliest delivery "
        "date first (次日达 beside later presale dates)."
    )
    async def open_campaigns(
        self, info: Info, pickup_point_id: strawberry.ID
    ) -> list[CampaignType]:
        point_id = await _visible_point(info, pickup_point_id)
        if point_id is None:
            return []
        found = await open_campaigns_for(info.context.session, point_id, utcnow())
        return [CampaignType.of(c) for c in found]


async def _visible_point(info: Info, pickup_point_id: strawberry.ID) -> int | None:
    """The point's id, or None when it does not exist or the viewer may not
    see it (the two read alike)."""
    viewer = info.context.require()
    point = await info.context.loaders.pickup_point.load(
        _id_or_none(pickup_point_id, "PickupPoint") or -1
    )
    leader = None if point is None else await info.context.loaders.leader.load(point.leader_id)
    if point is None or not can_see_pickup_point(viewer, point, leader):
        return None
    return point.id
