"""A warehouse's fleet (vehicle types and how many of each) and its stop
timings: what route planning may use and how long each stop takes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields, replace
from datetime import time
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.campaigns.errors import CampaignErrorCode
from fulfilment.campaigns.models import Warehouse
from fulfilment.routing.models import RoutingSettings, VehicleType
from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.validation import clean_text

GRAMS_PER_KG = 1000


@dataclass(frozen=True)
class VehicleTypeDraft:
    """A vehicle type as the operator describes it; capacity in whole kg."""

    name: str
    capacity_kg: int
    capacity_totes: int
    count: int
    fixed_cost_fen: int
    cost_per_km_fen: int
    shift_start: time  # local time, platform zone
    max_shift_minutes: int
    # A central's trunk truck (to its grid warehouses, trunk.py), not a
    # delivery vehicle: each kind of plan uses only its own.
    trunk: bool = False


# (field, API path, lowest, highest) of every whole-number field.
_BOUNDS = (
    ("capacity_kg", "capacityKg", 1, 100_000),
    ("capacity_totes", "capacityTotes", 1, 10_000),
    ("count", "count", 0, 1_000),
    ("fixed_cost_fen", "fixedCostFen", 0, 10_000_000),
    ("cost_per_km_fen", "costPerKmFen", 0, 1_000_000),
    ("max_shift_minutes", "maxShiftMinutes", 1, 24 * 60),
)


def _checked(draft: VehicleTypeDraft) -> VehicleTypeDraft:
    name = clean_text(draft.name, ["name"], max_len=100)
    for attr, path, low, high in _BOUNDS:
        value = getattr(draft, attr)
        if not low <= value <= high:
            raise DomainError(CommonErrorCode.INVALID, f"Must be between {low} and {high}.", [path])
    return replace(draft, name=name)


async def _refuse_taken_name(
    session: AsyncSession, warehouse_id: int, name: str, except_id: int | None = None
) -> None:
    stmt = select(VehicleType.id).where(
        VehicleType.warehouse_id == warehouse_id, VehicleType.name == name
    )
    if except_id is not None:
        stmt = stmt.where(VehicleType.id != except_id)
    if (await session.execute(stmt)).first() is not None:
        raise DomainError(
            CampaignErrorCode.DUPLICATE_NAME,
            f"This warehouse has a vehicle type named {name!r} already.",
            ["name"],
        )


def _apply(vehicle: VehicleType, draft: VehicleTypeDraft) -> None:
    vehicle.name = draft.name
    vehicle.capacity_g = draft.capacity_kg * GRAMS_PER_KG
    vehicle.capacity_totes = draft.capacity_totes
    vehicle.count = draft.count
    vehicle.fixed_cost_fen = draft.fixed_cost_fen
    vehicle.cost_per_km_fen = draft.cost_per_km_fen
    vehicle.shift_start = draft.shift_start
    vehicle.max_shift_minutes = draft.max_shift_minutes
    vehicle.trunk = draft.trunk


async def create_vehicle_type(
    session: AsyncSession, warehouse_id: int, draft: VehicleTypeDraft
) -> VehicleType:
    """Add a vehicle type to a warehouse's fleet; names are unique per warehouse."""
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    draft = _checked(draft)
    await _refuse_taken_name(session, warehouse_id, draft.name)
    vehicle = VehicleType(warehouse_id=warehouse_id)
    _apply(vehicle, draft)
    session.add(vehicle)
    await session.flush()
    return vehicle


def draft_of(vehicle: VehicleType) -> VehicleTypeDraft:
    return VehicleTypeDraft(
        name=vehicle.name,
        capacity_kg=vehicle.capacity_g // GRAMS_PER_KG,
        capacity_totes=vehicle.capacity_totes,
        count=vehicle.count,
        fixed_cost_fen=vehicle.fixed_cost_fen,
        cost_per_km_fen=vehicle.cost_per_km_fen,
        shift_start=vehicle.shift_start,
        max_shift_minutes=vehicle.max_shift_minutes,
        trunk=vehicle.trunk,
    )


async def update_vehicle_type(
    session: AsyncSession, vehicle_type_id: int, changes: Mapping[str, Any]
) -> VehicleType:
    """Change some fields of a vehicle type (``changes`` are VehicleTypeDraft
    fields); a count of 0 retires the type without losing the plans that
    used it."""
    known = {f.name for f in fields(VehicleTypeDraft)}
    unknown = set(changes) - known
    if unknown:
        raise ValueError(f"not vehicle type fields: {sorted(unknown)}")
    vehicle = await session.get(VehicleType, vehicle_type_id, with_for_update=True)
    if vehicle is None:
        raise NotFound("Vehicle type", ["id"])
    draft = _checked(replace(draft_of(vehicle), **changes))
    await _refuse_taken_name(session, vehicle.warehouse_id, draft.name, except_id=vehicle.id)
    _apply(vehicle, draft)
    await session.flush()
    return vehicle


async def vehicle_types(session: AsyncSession, warehouse_id: int) -> Sequence[VehicleType]:
    """A warehouse's vehicle types in the order they were added (retired ones too)."""
    stmt = select(VehicleType).where(VehicleType.warehouse_id == warehouse_id)
    return (await session.execute(stmt.order_by(VehicleType.id))).scalars().all()


def default_routing_settings(warehouse_id: int) -> RoutingSettings:
    """The timings a warehouse has until an operator sets its own (not stored)."""
    return RoutingSettings(
        warehouse_id=warehouse_id, loading_minutes=30, stop_fixed_s=300, stop_per_tote_s=20
    )


async def routing_settings_of(session: AsyncSession, warehouse_id: int) -> RoutingSettings:
    """The warehouse's stop timings, or the defaults when none were set."""
    found = await session.get(RoutingSettings, warehouse_id)
    return found if found is not None else default_routing_settings(warehouse_id)


async def set_routing_settings(
    session: AsyncSession,
    warehouse_id: int,
    *,
    loading_minutes: int,
    stop_fixed_s: int,
    stop_per_tote_s: int,
) -> RoutingSettings:
    """Set a warehouse's loading time and stop service times (created on first use)."""
    if await session.get(Warehouse, warehouse_id) is None:
        raise NotFound("Warehouse", ["warehouseId"])
    for value, path, high in (
        (loading_minutes, "loadingMinutes", 600),
        (stop_fixed_s, "stopFixedSeconds", 7_200),
        (stop_per_tote_s, "stopPerToteSeconds", 600),
    ):
        if not 0 <= value <= high:
            raise DomainError(CommonErrorCode.INVALID, f"Must be between 0 and {high}.", [path])
    found = await session.get(RoutingSettings, warehouse_id, with_for_update=True)
    if found is None:
        found = RoutingSettings(warehouse_id=warehouse_id)
        session.add(found)
    found.loading_minutes = loading_minutes
    found.stop_fixed_s = stop_fixed_s
    found.stop_per_tote_s = stop_per_tote_s
    await session.flush()
    return found
