"""Campaigns and their items, with prices and what is left."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.context import Info
from api.ids import node_db_ids
from api.types.catalog import ProductType, product_of
from api.types.common import TimeWindow
from api.types.warehouses import WarehouseType, can_see_warehouse
from fulfilment.campaigns.campaigns import CampaignStatus, campaign_status
from fulfilment.campaigns.models import Campaign, CampaignItem
from kernel.clock import utcnow

CampaignStatusEnum = strawberry.enum(CampaignStatus, name="CampaignStatus")


@strawberry.type(name="CampaignItem")
class CampaignItemType(relay.Node):
    id: relay.NodeID[int]
    group_price_fen: int
    list_price_fen: int
    cap: int | None = strawberry.field(description="Supplier capacity (限量); null: no cap.")
    per_customer_limit: int | None = strawberry.field(description="限购; null: no limit.")
    group_threshold: int | None = strawberry.field(
        description="成团: units the item needs in total to go ahead."
    )
    reserved: int = strawberry.field(description="Units held by unpaid and paid orders.")
    campaign_id: strawberry.Private[int]
    product_id: strawberry.Private[int]

    @classmethod
    def of(cls, item: CampaignItem) -> CampaignItemType:
        return cls(
            id=item.id,
            group_price_fen=item.group_price_fen,
            list_price_fen=item.list_price_fen,
            cap=item.cap,
            per_customer_limit=item.per_customer_limit,
            group_threshold=item.group_threshold,
            reserved=item.reserved,
            campaign_id=item.campaign_id,
            product_id=item.product_id,
        )

    @strawberry.field(description="Units left under the cap; null when uncapped.")
    def remaining(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.reserved, 0)

    @strawberry.field
    def sold_out(self) -> bool:
        return self.cap is not None and self.reserved >= self.cap

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CampaignItemType | None]:
        if info.context.viewer is None:
            return [None for _ in node_ids]
        found = await info.context.loaders.campaign_item.load_many(node_db_ids(node_ids))
        return [cls.of(i) if i else None for i in found]


@strawberry.type(name="Campaign")
class CampaignType(relay.Node):
    id: relay.NodeID[int]
    delivery_date: date
    opens_at: datetime
    cutoff_at: datetime
    pickup_window: TimeWindow
    warehouse_id: strawberry.Private[int]

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignType:
        return cls(
            id=campaign.id,
            delivery_date=campaign.delivery_date,
            opens_at=campaign.opens_at,
            cutoff_at=campaign.cutoff_at,
            pickup_window=TimeWindow(start=campaign.pickup_start, end=campaign.pickup_end),
            warehouse_id=campaign.warehouse_id,
        )

    @strawberry.field
    def status(self) -> CampaignStatusEnum:  # type: ignore[valid-type]
        return campaign_status(self, utcnow())

    @strawberry.field
    async def items(self, info: Info) -> list[CampaignItemType]:
        items = await info.context.loaders.campaign_items.load(self.id)
        return [CampaignItemType.of(i) for i in items]

    @strawberry.field
    async def warehouse(self, info: Info) -> WarehouseType | None:
        if not can_see_warehouse(info.context.viewer):
            return None
        found = await info.context.loaders.warehouse.load(self.warehouse_id)
        return None if found is None else WarehouseType.of(found)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CampaignType | None]:
        if info.context.viewer is None:
            return [None for _ in node_ids]
        found = await info.context.loaders.campaign.load_many(node_db_ids(node_ids))
        return [cls.of(c) if c else None for c in found]
