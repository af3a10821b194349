"""warehouseCreate."""

from __future__ import annotations

import strawberry

from api.context import Info
from api.errors import UserError, user_error
from api.mutations.base import in_transaction
from api.types.common import CoordinatesInput
from api.types.warehouses import WarehouseType
from fulfilment.campaigns.warehouses import create_warehouse
from kernel.accounts import Role
from kernel.errors import DomainError
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
