"""Suppliers and products."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from strawberry import relay

from api.context import Info
from api.ids import node_db_ids
from fulfilment.campaigns.catalog import supplier_of_user
from fulfilment.campaigns.models import Product, StorageZone, Supplier
from kernel.accounts import Role, User

StorageZoneEnum = strawberry.enum(StorageZone, name="StorageZone")


async def viewer_supplier_id(info: Info) -> int | None:
    """The supplier a supplier account acts for (None for other roles)."""
    viewer = info.context.viewer
    if viewer is None or viewer.role is not Role.SUPPLIER:
        return None
    return await supplier_of_user(info.context.session, viewer.id)


def can_see_supplier(viewer: User | None, supplier_id: int, own: int | None) -> bool:
    return viewer is not None and (viewer.role is Role.OPERATOR or supplier_id == own)


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
        found = await info.context.loaders.supplier.load_many(node_db_ids(node_ids))
        viewer = info.context.viewer
        return [cls.of(s) if s and can_see_supplier(viewer, s.id, own) else None for s in found]


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
            supplier_id=product.supplier_id,
            _cost_fen=product.cost_fen,
        )

    @strawberry.field(description="Supplier cost per unit in fen: operators and the supplier.")
    async def cost_fen(self, info: Info) -> int | None:
        own = await viewer_supplier_id(info)
        visible = can_see_supplier(info.context.viewer, self.supplier_id, own)
        return self._cost_fen if visible else None

    @strawberry.field
    async def supplier(self, info: Info) -> SupplierType | None:
        return (await SupplierType.resolve_nodes(info=info, node_ids=[str(self.supplier_id)]))[0]

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[ProductType | None]:
        if info.context.viewer is None:
            return [None for _ in node_ids]
        found = await info.context.loaders.product.load_many(node_db_ids(node_ids))
        return [cls.of(p) if p else None for p in found]
