"""Warehouses, suppliers and products, campaigns and their items, as the
client sees them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

import strawberry
from strawberry import relay

from api.graphql.common import Coordinates, TimeWindow
from api.graphql.context import Info
from api.graphql.nodes import visible_nodes
from api.graphql.permissions import can_see_supplier, can_see_warehouse, viewer_supplier_id
from fulfilment.campaigns.campaigns import (
    CampaignStatus,
    ItemStatus,
    campaign_status,
    item_status,
)
from fulfilment.campaigns.models import (
    Campaign,
    CampaignItem,
    Product,
    ProductCost,
    StorageZone,
    Supplier,
    Warehouse,
)
from kernel.clock import business_date, utcnow
from kernel.geo import LatLon


@strawberry.type(name="Warehouse")
class WarehouseType(relay.Node):
    id: relay.NodeID[int]
    name: str
    address: str
    location: Coordinates
    created_at: datetime
    version: int = strawberry.field(
        description="Bumped by every edit; edits name the version they were made from."
    )

    @classmethod
    def of(cls, warehouse: Warehouse) -> WarehouseType:
        return cls(
            id=warehouse.id,
            name=warehouse.name,
            address=warehouse.address,
            location=Coordinates.of(LatLon(warehouse.lat, warehouse.lon)),
            created_at=warehouse.created_at,
            version=warehouse.version,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[WarehouseType | None]:
        if not can_see_warehouse(info.context.viewer):
            return [None for _ in node_ids]
        return await visible_nodes(info.context.loaders.warehouse, node_ids, cls.of)


StorageZoneEnum = strawberry.enum(StorageZone, name="StorageZone")


@strawberry.type(name="Supplier")
class SupplierType(relay.Node):
    id: relay.NodeID[int]
    name: str
    contact_name: str
    contact_phone: str
    created_at: datetime

    @classmethod
    def of(cls, supplier: Supplier) -> SupplierType:
        return cls(
            id=supplier.id,
            name=supplier.name,
            contact_name=supplier.contact_name,
            contact_phone=supplier.contact_phone,
            created_at=supplier.created_at,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[SupplierType | None]:
        own = await viewer_supplier_id(info)
        viewer = info.context.viewer
        return await visible_nodes(
            info.context.loaders.supplier,
            node_ids,
            cls.of,
            lambda s: can_see_supplier(viewer, s.id, own),
        )


@strawberry.type(name="ProductCost", description="A product's cost from a date on.")
class ProductCostType:
    effective_from: date = strawberry.field(description="Business date it applies from.")
    cost_fen: int

    @classmethod
    def of(cls, cost: ProductCost) -> ProductCostType:
        return cls(effective_from=cost.effective_from, cost_fen=cost.cost_fen)


async def product_of(info: Info, product_id: int) -> ProductType | None:
    """The product behind an id, through the request's loader."""
    product = await info.context.loaders.product.load(product_id)
    return None if product is None else ProductType.of(product)


@strawberry.type(name="Product")
class ProductType(relay.Node):
    id: relay.NodeID[int]
    name: str
    category: str
    unit: str
    weight_g: int
    volume_ml: int
    case_pack: int
    storage_zone: StorageZoneEnum  # type: ignore[valid-type]
    image_urls: list[str] = strawberry.field(description="Pictures of the product, by URL.")
    version: int = strawberry.field(
        description="Bumped by every edit; edits name the version they were made from."
    )
    supplier_id: strawberry.Private[int]
    _cost_fen: strawberry.Private[int]

    @classmethod
    def of(cls, product: Product) -> ProductType:
        return cls(
            id=product.id,
            name=product.name,
            category=product.category,
            unit=product.unit,
            weight_g=product.weight_g,
            volume_ml=product.volume_ml,
            case_pack=product.case_pack,
            storage_zone=product.storage_zone,
            image_urls=list(product.image_urls or []),
            version=product.version,
            supplier_id=product.supplier_id,
            _cost_fen=product.cost_fen,
        )

    @strawberry.field(
        description="Supplier cost per unit in fen in force today (see costs): operators "
        "and the supplier."
    )
    async def cost_fen(self, info: Info) -> int | None:
        schedule = await self.costs(info)
        if schedule is None:
            return None
        today = business_date(utcnow(), info.context.settings.zone)
        current = [c.cost_fen for c in schedule if c.effective_from <= today]
        return current[-1] if current else self._cost_fen

    @strawberry.field(
        description="The supplier's cost per unit, each from a business date on, oldest "
        "first: operators and the supplier."
    )
    async def costs(self, info: Info) -> list[ProductCostType] | None:
        own = await viewer_supplier_id(info)
        if not can_see_supplier(info.context.viewer, self.supplier_id, own):
            return None
        rows = await info.context.loaders.product_costs.load(self.id)
        return [ProductCostType.of(c) for c in sorted(rows, key=lambda c: c.effective_from)]

    @strawberry.field
    async def supplier(self, info: Info) -> SupplierType | None:
        return (await SupplierType.resolve_nodes(info=info, node_ids=[str(self.supplier_id)]))[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ProductType | None]:
        if info.context.viewer is None:
            return [None for _ in node_ids]
        return await visible_nodes(info.context.loaders.product, node_ids, cls.of)


CampaignStatusEnum = strawberry.enum(CampaignStatus, name="CampaignStatus")


CampaignItemStatusEnum = strawberry.enum(
    ItemStatus,
    name="CampaignItemStatus",
    description="SCHEDULED: the campaign (or the item's own sale window) has not opened "
    "yet; ON_SALE: open, with units left under the cap (or no cap); SOLD_OUT: open, but "
    "orders hold the whole cap; CLOSED: past the item's own sale end, or past the cutoff and "
    "not cancelled, so the item goes ahead with its paid units (between the cutoff and its job, "
    "minutes, an item still to be cancelled reads CLOSED too); "
    "CANCELLED_BELOW_THRESHOLD: cancelled at cutoff because fewer units were paid for than "
    "its group threshold (未成团), every paid line refunded.",
)


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
    reserved: int = strawberry.field(
        description="Units taken from the cap by orders, unpaid or paid. Cancelled and "
        "expired orders give theirs back; refunds give none back: after the cutoff cancels "
        "an item below its threshold, or a shortage is refunded, the paid units stay counted "
        "here (refundedUnits says how many were refunded)."
    )
    version: int = strawberry.field(
        description="Bumped by each edit; campaignItemUpdate names the one it was made from."
    )
    campaign_id: strawberry.Private[int]
    product_id: strawberry.Private[int]
    cancelled_at: strawberry.Private[datetime | None] = None
    withdrawn_at: datetime | None = strawberry.field(
        default=None, description="When an operator took the item off the sale."
    )
    sale_starts_at: datetime | None = strawberry.field(
        default=None, description="The item's own sale start; null: the campaign's opening."
    )
    sale_ends_at: datetime | None = strawberry.field(
        default=None, description="The item's own sale end; null: the campaign's cutoff."
    )

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
            version=item.version,
            campaign_id=item.campaign_id,
            product_id=item.product_id,
            cancelled_at=item.cancelled_at,
            withdrawn_at=item.withdrawn_at,
            sale_starts_at=item.sale_starts_at,
            sale_ends_at=item.sale_ends_at,
        )

    @strawberry.field(description="Units left under the cap; null when uncapped.")
    def remaining(self) -> int | None:
        return None if self.cap is None else max(self.cap - self.reserved, 0)

    @strawberry.field(description="Orders hold the whole cap; status says whether it is on sale.")
    def sold_out(self) -> bool:
        return self.cap is not None and self.reserved >= self.cap

    @strawberry.field(
        description="On sale, sold out, closed, cancelled below its threshold, or withdrawn."
    )
    async def status(self, info: Info) -> CampaignItemStatusEnum:  # type: ignore[valid-type]
        campaign = await info.context.loaders.campaign.load(self.campaign_id)
        assert campaign is not None  # the item's campaign: a foreign key
        return item_status(self, campaign, utcnow())

    @strawberry.field(
        description="Units refunded on this item's order lines, whatever the reason: group "
        "threshold missed, supplier shortage, delivery issue, after-sale. A cancelled order's "
        "refund is for the whole order and its units went back to the cap instead."
    )
    async def refunded_units(self, info: Info) -> int:
        return await info.context.loaders.refunded_units.load(self.id)

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[CampaignItemType | None]:
        if info.context.viewer is None:
            return [None for _ in node_ids]
        return await visible_nodes(info.context.loaders.campaign_item, node_ids, cls.of)


@strawberry.type(name="Campaign")
class CampaignType(relay.Node):
    id: relay.NodeID[int]
    delivery_date: date
    opens_at: datetime
    cutoff_at: datetime
    pickup_window: TimeWindow
    cancelled_at: datetime | None = strawberry.field(
        description="When an operator called the campaign off before its cutoff."
    )
    version: int = strawberry.field(description="campaignUpdate's expectedVersion.")
    warehouse_id: strawberry.Private[int]

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignType:
        return cls(
            id=campaign.id,
            delivery_date=campaign.delivery_date,
            opens_at=campaign.opens_at,
            cutoff_at=campaign.cutoff_at,
            pickup_window=TimeWindow(start=campaign.pickup_start, end=campaign.pickup_end),
            cancelled_at=campaign.cancelled_at,
            version=campaign.version,
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
        return await visible_nodes(info.context.loaders.campaign, node_ids, cls.of)
