"""vehicleTypeCreate, vehicleTypeUpdate and routingSettingsSet (operators)."""

from __future__ import annotations

from dataclasses import fields
from datetime import time
from typing import Any

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from api.context import Info
from api.errors import UserError
from api.ids import decode
from api.mutations.base import in_transaction
from api.types.routing import RoutingSettingsType, VehicleTypeType
from fulfilment.routing import fleet
from fulfilment.routing.models import RoutingSettings, VehicleType
from kernel.accounts import Role


@strawberry.input
class VehicleTypeCreateInput:
    warehouse_id: strawberry.ID
    name: str
    capacity_kg: int
    capacity_totes: int
    count: int
    fixed_cost_fen: int = strawberry.field(description="Cost of using one vehicle for a day.")
    cost_per_km_fen: int
    shift_start: time = strawberry.field(description="Local time the driver starts.")
    max_shift_minutes: int


@strawberry.input(description="Only the fields given change.")
class VehicleTypeUpdateInput:
    id: strawberry.ID
    name: str | None = None
    capacity_kg: int | None = None
    capacity_totes: int | None = None
    count: int | None = strawberry.field(default=None, description="0 retires the type.")
    fixed_cost_fen: int | None = None
    cost_per_km_fen: int | None = None
    shift_start: time | None = None
    max_shift_minutes: int | None = None


@strawberry.type
class VehicleTypePayload:
    vehicle_type: VehicleTypeType | None
    user_errors: list[UserError]


def _payload(found: VehicleType | None, errors: list[UserError]) -> VehicleTypePayload:
    return VehicleTypePayload(
        vehicle_type=None if found is None else VehicleTypeType.of(found), user_errors=errors
    )


async def vehicle_type_create(info: Info, input: VehicleTypeCreateInput) -> VehicleTypePayload:
    """Add a vehicle type to a warehouse's fleet."""
    info.context.require(Role.OPERATOR)
    draft = fleet.VehicleTypeDraft(
        **{f.name: getattr(input, f.name) for f in fields(fleet.VehicleTypeDraft)}
    )

    async def work(session: AsyncSession) -> VehicleType:
        warehouse_id = decode(input.warehouse_id, "Warehouse", ["warehouseId"])
        return await fleet.create_vehicle_type(session, warehouse_id, draft)

    return _payload(*await in_transaction(info.context, work))


async def vehicle_type_update(info: Info, input: VehicleTypeUpdateInput) -> VehicleTypePayload:
    """Change a vehicle type; plans already made keep what they planned."""
    info.context.require(Role.OPERATOR)
    changes: dict[str, Any] = {
        f.name: getattr(input, f.name)
        for f in fields(fleet.VehicleTypeDraft)
        if getattr(input, f.name) is not None
    }

    async def work(session: AsyncSession) -> VehicleType:
        vehicle_type_id = decode(input.id, "VehicleType", ["id"])
        return await fleet.update_vehicle_type(session, vehicle_type_id, changes)

    return _payload(*await in_transaction(info.context, work))


@strawberry.input
class RoutingSettingsSetInput:
    warehouse_id: strawberry.ID
    loading_minutes: int = strawberry.field(description="Loading before the vehicles leave.")
    stop_fixed_seconds: int = strawberry.field(description="Service time at every stop.")
    stop_per_tote_seconds: int = strawberry.field(description="Added per tote handed over.")


@strawberry.type
class RoutingSettingsSetPayload:
    routing_settings: RoutingSettingsType | None
    user_errors: list[UserError]


async def routing_settings_set(
    info: Info, input: RoutingSettingsSetInput
) -> RoutingSettingsSetPayload:
    """Set a warehouse's loading time and stop service times."""
    info.context.require(Role.OPERATOR)

    async def work(session: AsyncSession) -> RoutingSettings:
        return await fleet.set_routing_settings(
            session,
            decode(input.warehouse_id, "Warehouse", ["warehouseId"]),
            loading_minutes=input.loading_minutes,
            stop_fixed_s=input.stop_fixed_seconds,
            stop_per_tote_s=input.stop_per_tote_seconds,
        )

    found, errors = await in_transaction(info.context, work)
    return RoutingSettingsSetPayload(
        routing_settings=None if found is None else RoutingSettingsType.of(found),
        user_errors=errors,
    )
