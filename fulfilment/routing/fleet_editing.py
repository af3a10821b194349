"""Versioned edits of a warehouse's fleet (vehicleTypeUpdate with an
``expectedVersion``): capacity, count, costs and shift of a vehicle type.

The rules of the fields are fleet.py's; this adds the version check and the
history row (kernel/versioning.py). Route plans already made keep the
vehicles and costs they were planned with; plans made after the edit use
the new values. Vehicle costs only weigh the solver's choice, no money is
paid by them, so they change at once rather than from a date.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.routing.fleet import update_vehicle_type
from fulfilment.routing.models import VehicleType
from kernel.errors import NotFound
from kernel.versioning import apply_versioned, check_version, snapshot

VEHICLE_FIELDS = (
    "name",
    "capacity_g",
    "capacity_totes",
    "count",
    "fixed_cost_fen",
    "cost_per_km_fen",
    "shift_start",
    "max_shift_minutes",
)


async def edit_vehicle_type(
    session: AsyncSession,
    vehicle_type_id: int,
    changes: Mapping[str, Any],
    *,
    expected_version: int | None,
    actor_id: int | None,
    now: datetime,
) -> VehicleType:
    """Change some fields of a vehicle type (VehicleTypeDraft fields). With
    ``expected_version`` an edit made from a replaced version is refused
    (STALE); without it (older clients) the edit applies to whatever is
    current. Either way the version goes up and the change is recorded."""
    vehicle = await session.get(VehicleType, vehicle_type_id, with_for_update=True)
    if vehicle is None:
        raise NotFound("Vehicle type", ["id"])
    if expected_version is not None:
        check_version(vehicle.version, expected_version, "vehicle type")
    before = snapshot(vehicle, VEHICLE_FIELDS)
    vehicle = await update_vehicle_type(session, vehicle_type_id, changes)
    await apply_versioned(
        session,
        vehicle,
        entity_type="VehicleType",
        names=VEHICLE_FIELDS,
        before=before,
        actor_id=actor_id,
        now=now,
    )
    await session.flush()
    return vehicle
