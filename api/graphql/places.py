"""Where an edited place (a warehouse, a pickup point) now is."""

from __future__ import annotations

from api.graphql.common import CoordinatesInput
from api.graphql.context import Info
from kernel.geo import LatLon, geocode, resolve_point


async def moved_to(
    info: Info,
    current_address: str | None,
    address: str | None,
    location: CoordinatesInput | None,
) -> LatLon | None:
    """Where an edited place now is: coordinates given are converted; a new
    address without them is geocoded; otherwise it has not moved (None).
    Talks to the geocoder, so it runs before the transaction opens."""
    settings = info.context.settings
    if location is not None:
        return await resolve_point(
            address=address or "",
            lat=location.lat,
            lon=location.lon,
            system=location.system,
            settings=settings,
            field=["location"],
        )
    new_address = None if address is None else address.strip()
    if new_address and current_address is not None and new_address != current_address:
        return await geocode(new_address, settings, ["address"])
    return None
