"""warehouseCreate; supplierCreate, supplierUserCreate, productCreate and
supplierWebhookSet; campaignCreate and campaignItemsAdd (operators)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.campaigns.types import (
    CampaignItemType,
    CampaignType,
    ProductType,
    StorageZoneEnum,
    SupplierType,
    WarehouseType,
)
from api.graphql.common import CoordinatesInput, TimeWindowInput
from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.transactions import in_transaction
from api.graphql.users import UserType
from fulfilment.campaigns import campaigns, catalog
from fulfilment.campaigns.models import Campaign, CampaignItem, Product, Supplier
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import Role, User
from kernel.clock import utcnow
from kernel.errors import CommonErrorCode, DomainError
from kernel.geo import CoordSystem, resolve_point


@strawberry.input
class WarehouseCreateInput:
    name: str
    address: str
    location: CoordinatesInput | None = strawberry.field(
        default=None, description="Leave out to geocode the address."
    )


@strawberry.type
class WarehouseCreatePayload:
    warehouse: WarehouseType | None
    user_errors: list[UserError]


async def warehouse_create(info: Info, input: WarehouseCreateInput) -> WarehouseCreatePayload:
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)
    loc = input.location
    try:
        # Geocoding talks to the network: done before the transaction opens.
        point = await resolve_point(
            address=input.address,
            lat=loc.lat if loc else None,
            lon=loc.lon if loc else None,
            system=loc.system if loc else CoordSystem.WGS84,
            settings=ctx.settings,
            field=["location"],
        )
    except DomainError as exc:
        return WarehouseCreatePayload(warehouse=None, user_errors=[user_error(exc)])
    warehouse, errors = await in_transaction(
        ctx,
        lambda s: create_warehouse(
            s, name=input.name, address=input.address, location=point, created_by=operator
        ),
    )
    return WarehouseCreatePayload(
        warehouse=WarehouseType.of(warehouse) if warehouse else None, user_errors=errors
    )


@strawberry.input
class SupplierCreateInput:
    name: str
    contact_name: str
    contact_phone: str


@strawberry.type
class SupplierCreatePayload:
    supplier: SupplierType | None
    user_errors: list[UserError]


async def supplier_create(info: Info, input: SupplierCreateInput) -> SupplierCreatePayload:
    info.context.require(Role.OPERATOR)
    supplier, errors = await in_transaction(
        info.context,
        lambda s: catalog.create_supplier(
            s, name=input.name, contact_name=input.contact_name, contact_phone=input.contact_phone
        ),
    )
    return SupplierCreatePayload(
        supplier=SupplierType.of(supplier) if supplier else None, user_errors=errors
    )


@strawberry.input
class SupplierUserCreateInput:
    supplier_id: strawberry.ID
    name: str


@strawberry.type
class SupplierUserCreatePayload:
    user: UserType | None
    token: str | None = strawberry.field(description="Shown once; only its digest is stored.")
    user_errors: list[UserError]


async def supplier_user_create(
    info: Info, input: SupplierUserCreateInput
) -> SupplierUserCreatePayload:
    ctx = info.context
    ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[User, str]:
        supplier_id = decode(input.supplier_id, "Supplier", ["supplierId"])
        return await catalog.create_supplier_user(
            session, supplier_id=supplier_id, name=input.name, secret=ctx.settings.token_secret
        )

    created, errors = await in_transaction(ctx, work)
    if created is None:
        return SupplierUserCreatePayload(user=None, token=None, user_errors=errors)
    return SupplierUserCreatePayload(user=UserType.of(created[0]), token=created[1], user_errors=[])


@strawberry.input
class ProductCreateInput:
    supplier_id: strawberry.ID
    name: str
    category: str
    unit: str = strawberry.field(description="The unit sold, e.g. 500g/盒.")
    weight_g: int
    volume_ml: int
    case_pack: int = strawberry.field(description="Units per supplier case.")
    cost_fen: int
    storage_zone: StorageZoneEnum  # type: ignore[valid-type]


@strawberry.type
class ProductCreatePayload:
    product: ProductType | None
    user_errors: list[UserError]


async def product_create(info: Info, input: ProductCreateInput) -> ProductCreatePayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Product:
        draft = catalog.ProductDraft(
            supplier_id=decode(input.supplier_id, "Supplier", ["supplierId"]),
            name=input.name,
            category=input.category,
            unit=input.unit,
            weight_g=input.weight_g,
            volume_ml=input.volume_ml,
            case_pack=input.case_pack,
            cost_fen=input.cost_fen,
            storage_zone=input.storage_zone,
        )
        return await catalog.create_product(session, draft)

    product, errors = await in_transaction(info.context, work)
    return ProductCreatePayload(
        product=ProductType.of(product) if product else None, user_errors=errors
    )


@strawberry.input
class SupplierWebhookSetInput:
    supplier_id: strawberry.ID
    url: str


@strawberry.type
class SupplierWebhookSetPayload:
    supplier: SupplierType | None
    secret: str | None = strawberry.field(
        description="Signs every delivery (X-Tuangou-Signature); shown once."
    )
    user_errors: list[UserError]


async def supplier_webhook_set(
    info: Info, input: SupplierWebhookSetInput
) -> SupplierWebhookSetPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> tuple[Supplier, str]:
        supplier_id = decode(input.supplier_id, "Supplier", ["supplierId"])
        return await catalog.set_webhook(session, supplier_id, input.url)

    done, errors = await in_transaction(info.context, work)
    if done is None:
        return SupplierWebhookSetPayload(supplier=None, secret=None, user_errors=errors)
    return SupplierWebhookSetPayload(
        supplier=SupplierType.of(done[0]), secret=done[1], user_errors=[]
    )


@strawberry.input
class CampaignItemInput:
    product_id: strawberry.ID
    group_price_fen: int
    list_price_fen: int
    cap: int | None = None
    per_customer_limit: int | None = None
    group_threshold: int | None = None
    sale_starts_at: datetime | None = strawberry.field(
        default=None,
        description="The item's own sale start, inside the campaign's; null: its opening.",
    )
    sale_ends_at: datetime | None = strawberry.field(
        default=None,
        description="The item's own sale end, inside the campaign's; null: its cutoff.",
    )


def _maybe_aware(value: datetime | None, field: list[str]) -> datetime | None:
    return None if value is None else aware(value, field)


def _drafts(items: list[CampaignItemInput]) -> list[campaigns.ItemDraft]:
    return [
        campaigns.ItemDraft(
            product_id=decode(item.product_id, "Product", ["items", str(i), "productId"]),
            group_price_fen=item.group_price_fen,
            list_price_fen=item.list_price_fen,
            cap=item.cap,
            per_customer_limit=item.per_customer_limit,
            group_threshold=item.group_threshold,
            sale_starts_at=_maybe_aware(item.sale_starts_at, ["items", str(i), "saleStartsAt"]),
            sale_ends_at=_maybe_aware(item.sale_ends_at, ["items", str(i), "saleEndsAt"]),
        )
        for i, item in enumerate(items)
    ]


def aware(value: datetime, field: str | list[str]) -> datetime:
    """``value`` when it carries its offset; a naive time is a user error."""
    if value.tzinfo is None:
        raise DomainError(
            CommonErrorCode.INVALID,
            "Give the time with its offset, e.g. +08:00.",
            [field] if isinstance(field, str) else field,
        )
    return value


@strawberry.input
class CampaignCreateInput:
    warehouse_id: strawberry.ID
    delivery_date: date
    opens_at: datetime
    cutoff_at: datetime
    pickup_window: TimeWindowInput
    items: list[CampaignItemInput]


@strawberry.type
class CampaignPayload:
    campaign: CampaignType | None
    user_errors: list[UserError]


async def campaign_create(info: Info, input: CampaignCreateInput) -> CampaignPayload:
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Campaign:
        draft = campaigns.CampaignDraft(
            warehouse_id=decode(input.warehouse_id, "Warehouse", ["warehouseId"]),
            delivery_date=input.delivery_date,
            opens_at=aware(input.opens_at, "opensAt"),
            cutoff_at=aware(input.cutoff_at, "cutoffAt"),
            pickup_start=input.pickup_window.start,
            pickup_end=input.pickup_window.end,
        )
        return await campaigns.create_campaign(
            session,
            draft,
            _drafts(input.items),
            created_by=operator,
            zone=ctx.settings.zone,
            now=utcnow(),
        )

    campaign, errors = await in_transaction(ctx, work)
    return CampaignPayload(
        campaign=CampaignType.of(campaign) if campaign else None, user_errors=errors
    )


@strawberry.input
class CampaignItemsAddInput:
    campaign_id: strawberry.ID
    items: list[CampaignItemInput]


@strawberry.type
class CampaignItemsAddPayload:
    items: list[CampaignItemType]
    user_errors: list[UserError]


async def campaign_items_add(info: Info, input: CampaignItemsAddInput) -> CampaignItemsAddPayload:
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> list[CampaignItem]:
        campaign_id = decode(input.campaign_id, "Campaign", ["campaignId"])
        return await campaigns.add_campaign_items(
            session, campaign_id, _drafts(input.items), now=utcnow()
        )

    items, errors = await in_transaction(info.context, work)
    return CampaignItemsAddPayload(
        items=[CampaignItemType.of(i) for i in items or []], user_errors=errors
    )
