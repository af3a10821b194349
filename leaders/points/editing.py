"""Editing a pickup point (pickupPointUpdate): its name, address, contact
phone, receiving window and location.

A moved point arrives here in WGS-84: the caller converted the coordinates
it was given (GCJ-02, BD-09) or geocoded the new address (kernel/geo.py).
Edits are versioned like every setup row (kernel/versioning.py).

Route plans already published keep what they planned: their stops name the
point, but their arrival times were computed for the old location and
window, and a published plan is frozen. Drafts are planned again by the
dispatcher; the next day's plan uses the new values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time

from sqlalchemy.ext.asyncio import AsyncSession

from kernel.errors import CommonErrorCode, DomainError, NotFound
from kernel.geo import LatLon
from kernel.validation import clean_phone, clean_text
from kernel.versioning import apply_versioned, check_version, snapshot
from leaders.points.models import PickupPoint

POINT_FIELDS = (
    "name",
    "address",
    "lat",
    "lon",
    "window_start",
    "window_end",
    "contact_phone",
)


@dataclass(frozen=True)
class PointChanges:
    """The fields of a pickup point to change; None leaves one as it is."""

    name: str | None = None
    address: str | None = None
    location: LatLon | None = None  # WGS-84
    window_start: time | None = None
    window_end: time | None = None
    contact_phone: str | None = None


def _apply(point: PickupPoint, changes: PointChanges) -> None:
    if changes.name is not None:
        point.name = clean_text(changes.name, ["name"], max_len=100)
    if changes.address is not None:
        point.address = clean_text(changes.address, ["address"], max_len=300)
    if changes.contact_phone is not None:
        point.contact_phone = clean_phone(changes.contact_phone, ["contactPhone"])
    if changes.location is not None:
        point.lat, point.lon = changes.location.lat, changes.location.lon
    start = changes.window_start if changes.window_start is not None else point.window_start
    end = changes.window_end if changes.window_end is not None else point.window_end
    if not start < end:
        raise DomainError(
            CommonErrorCode.INVALID,
            "The receiving window must start before it ends.",
            ["receivingWindow"],
        )
    point.window_start, point.window_end = start, end


async def update_point(
    session: AsyncSession,
    point_id: int,
    changes: PointChanges,
    *,
    expected_version: int,
    actor_id: int,
    now: datetime,
) -> PickupPoint:
    """Change some of a pickup point's fields, made from ``expected_version``."""
    point = await session.get(PickupPoint, point_id, with_for_update=True)
    if point is None:
        raise NotFound("Pickup point", ["id"])
    check_version(point.version, expected_version, "pickup point")
    before = snapshot(point, POINT_FIELDS)
    _apply(point, changes)
    await apply_versioned(
        session,
        point,
        entity_type="PickupPoint",
        names=POINT_FIELDS,
        before=before,
        actor_id=actor_id,
        now=now,
    )
    await session.flush()
    return point


async def point_address(session: AsyncSession, point_id: int) -> str | None:
    """The point's address as stored, to tell whether an edit moves it."""
    point = await session.get(PickupPoint, point_id)
    return None if point is None else point.address
