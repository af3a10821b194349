"""productUpdate, productCostSet and warehouseUpdate (operators): editing
the setup, versioned (docs/setup-editing.md)."""

from __future__ import annotations

from datetime import date

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.graphql.campaigns.types import ProductType, StorageZoneEnum, WarehouseType
from api.graphql.common import CoordinatesInput
from api.graphql.context import Info
from api.graphql.errors import UserError, user_error
from api.graphql.ids import decode
from api.graphql.places import moved_to
from api.graphql.transactions import in_transaction
from fulfilment.campaigns.editing import ProductChanges, update_product, update_warehouse
from fulfilment.campaigns.models import Product, Warehouse
from fulfilment.purchasing.costs import CostChange, set_cost
from kernel.accounts import Role
from kernel.clock import business_date, utcnow
from kernel.errors import DomainError

VERSION_HELP = "The version the edit was made from; another edit since: STALE."


@strawberry.input(description="Only the fields given change.")
class ProductUpdateInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION_HELP)
    name: str | None = None
    category: str | None = None
    unit: str | None = None
    weight_g: int | None = None
    volume_ml: int | None = None
    case_pack: int | None = strawberry.field(default=None, description="Units per case, ≥ 1.")
    storage_zone: StorageZoneEnum | None = None  # type: ignore[valid-type]
    image_urls: list[str] | None = strawberry.field(
        default=None, description="Replaces the pictures: up to 10 http(s) URLs."
    )


@strawberry.type
class ProductPayload:
    product: ProductType | None
    user_errors: list[UserError]


def _product_payload(found: Product | None, errors: list[UserError]) -> ProductPayload:
    return ProductPayload(
        product=None if found is None else ProductType.of(found), user_errors=errors
    )


async def product_update(info: Info, input: ProductUpdateInput) -> ProductPayload:
    """Change a product's description; its cost changes from a date (productCostSet)."""
    operator = info.context.require(Role.OPERATOR)
    changes = ProductChanges(
        name=input.name,
        category=input.category,
        unit=input.unit,
        weight_g=input.weight_g,
        volume_ml=input.volume_ml,
        case_pack=input.case_pack,
        storage_zone=input.storage_zone,
        image_urls=input.image_urls,
    )

    async def work(session: AsyncSession) -> Product:
        return await update_product(
            session,
            decode(input.id, "Product", ["id"]),
            changes,
            expected_version=input.expected_version,
            actor_id=operator.id,
            now=utcnow(),
        )

    return _product_payload(*await in_transaction(info.context, work))


@strawberry.input
class ProductCostSetInput:
    product_id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION_HELP)
    cost_fen: int = strawberry.field(description="The supplier's cost per unit, in fen.")
    effective_from: date = strawberry.field(
        description="Business date it applies from: today or later, and after the "
        "supplier's last purchase order (COST_RETROACTIVE otherwise)."
    )


async def product_cost_set(info: Info, input: ProductCostSetInput) -> ProductPayload:
    """Schedule a product's cost from a date on; purchase orders before it keep the old."""
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> Product:
        now = utcnow()
        change = CostChange(
            product_id=decode(input.product_id, "Product", ["productId"]),
            cost_fen=input.cost_fen,
            effective_from=input.effective_from,
            expected_version=input.expected_version,
        )
        return await set_cost(
            session,
            change,
            actor_id=operator.id,
            today=business_date(now, ctx.settings.zone),
            now=now,
        )

    return _product_payload(*await in_transaction(ctx, work))


@strawberry.input(description="Only the fields given change.")
class WarehouseUpdateInput:
    id: strawberry.ID
    expected_version: int = strawberry.field(description=VERSION_HELP)
    name: str | None = None
    address: str | None = strawberry.field(
        default=None, description="A new address without a location is geocoded."
    )
    location: CoordinatesInput | None = strawberry.field(
        default=None, description="Converted to WGS-84 (GCJ02, BD09) before it is stored."
    )


@strawberry.type
class WarehousePayload:
    warehouse: WarehouseType | None
    user_errors: list[UserError]


async def warehouse_update(info: Info, input: WarehouseUpdateInput) -> WarehousePayload:
    """Rename or move a warehouse; plans already made keep their depot."""
    ctx = info.context
    operator = ctx.require(Role.OPERATOR)
    try:
        warehouse_id = decode(input.id, "Warehouse", ["id"])
        current = await ctx.loaders.warehouse.load(warehouse_id)
        location = await moved_to(
            info, current.address if current else None, input.address, input.location
        )
    except DomainError as exc:
        return WarehousePayload(warehouse=None, user_errors=[user_error(exc)])

    async def work(session: AsyncSession) -> Warehouse:
        return await update_warehouse(
            session,
            warehouse_id,
            name=input.name,
            address=input.address,
            location=location,
            expected_version=input.expected_version,
            actor_id=operator.id,
            now=utcnow(),
        )

    found, errors = await in_transaction(ctx, work)
    return WarehousePayload(
        warehouse=None if found is None else WarehouseType.of(found), user_errors=errors
    )
