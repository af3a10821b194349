"""Pick lists and pickup point loads."""

from __future__ import annotations

import strawberry

from api.graphql.campaigns.types import ProductType, StorageZoneEnum, product_of
from api.graphql.context import Info


@strawberry.type
class PickListLine:
    units: int
    product_id: strawberry.Private[int]

    @strawberry.field
    async def product(self, info: Info) -> ProductType | None:
        return await product_of(info, self.product_id)


@strawberry.type
class CustomerPickLine(PickListLine):
    customer_name: str
    customer_phone: str | None


@strawberry.type
class PickupPointLoadType:
    storage_zone: StorageZoneEnum  # type: ignore[valid-type]
    units: int
    weight_g: int
    volume_ml: int
    totes: int


@strawberry.type
class PickList:
    products: list[PickListLine]
    customers: list[CustomerPickLine] = strawberry.field(
        description="What the leader hands each resident."
    )
    loads: list[PickupPointLoadType] = strawberry.field(
        description="Per storage zone, from the last sorting run (empty before it)."
    )
