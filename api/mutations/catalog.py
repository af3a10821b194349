"""supplierCreate, supplierUserCreate, productCreate."""

from __future__ import annotations

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.types.catalog import ProductType, StorageZoneEnum, SupplierType
from api.types.users import UserType
from fulfilment.campaigns import catalog
from fulfilment.campaigns.models import Product, Supplier
from kernel.accounts import Role, User


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
