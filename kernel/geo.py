"""Coordinates: stored in WGS-84; Chinese map providers' GCJ-02 and BD-09 are
converted on the way in. Addresses without coordinates are geocoded by geopy."""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from enum import Enum

import prcoords
from geopy.distance import geodesic
from geopy.exc import GeopyError
from geopy.geocoders import ArcGIS, BaiduV3, Nominatim
from geopy.geocoders.base import Geocoder

from kernel.errors import DomainError
from kernel.settings import Settings

log = logging.getLogger(__name__)


class CoordSystem(Enum):
    WGS84 = "WGS84"
    GCJ02 = "GCJ02"  # AMap (高德), Tencent
    BD09 = "BD09"  # Baidu


class GeoErrorCode(Enum):
    INVALID_COORDINATES = "INVALID_COORDINATES"
    COORDINATES_REQUIRED = "COORDINATES_REQUIRED"
    ADDRESS_NOT_FOUND = "ADDRESS_NOT_FOUND"


@dataclass(frozen=True, slots=True)
class LatLon:
    lat: float
    lon: float


def check_lat_lon(lat: float, lon: float, field: list[str]) -> None:
    """Refuse values no place on earth has (and NaN)."""
    if not (-90.0 <= lat <= 90.0) or not (-180.0 <= lon <= 180.0):
        raise DomainError(
            GeoErrorCode.INVALID_COORDINATES,
            "Latitude must be within ±90 and longitude within ±180 degrees.",
            field,
        )


def to_wgs84(lat: float, lon: float, system: CoordSystem) -> LatLon:
    """Convert a point to WGS-84.

    GCJ-02 has no closed-form inverse; prcoords' ``*_bored`` functions iterate
    the forward transform until the error is far below a metre, where the usual
    one-step inverse is off by up to a few metres. Points outside China are
    left as they are, as every GCJ-02 implementation does.
    """
    if system is CoordSystem.WGS84:
        return LatLon(lat, lon)
    gcj = prcoords.Coords(lat, lon)
    if system is CoordSystem.BD09:
        gcj = prcoords.bd_gcj_bored(gcj)
    # prcoords' iterated inverse skips its own "in China" check, so a point
    # abroad would be moved by the GCJ-02 offset; test it here, as
    # from_wgs84 (prcoords.wgs_gcj) does.
    wgs = prcoords.gcj_wgs_bored(gcj) if _in_china(gcj) else gcj
    return LatLon(float(wgs.lat), float(wgs.lon))


def from_wgs84(point: LatLon, system: CoordSystem) -> LatLon:
    """The inverse of :func:`to_wgs84`, for showing a point on a Chinese map."""
    if system is CoordSystem.WGS84:
        return point
    coords = prcoords.Coords(point.lat, point.lon)
    gcj = prcoords.wgs_gcj(coords, False) if _in_china(coords) else coords
    out = gcj if system is CoordSystem.GCJ02 else prcoords.gcj_bd(gcj)
    return LatLon(float(out.lat), float(out.lon))


def _in_china(point: prcoords.Coords) -> bool:
    """Where GCJ-02 applies; outside it GCJ-02 equals WGS-84."""
    return bool(prcoords.sanity_in_china_p(point))


def _geocoder(settings: Settings) -> tuple[Geocoder, CoordSystem] | None:
    timeout = settings.geocoder_timeout_s
    if settings.geocoder == "baidu" and settings.geocoder_api_key:
        # Baidu answers in its own BD-09 unless told otherwise.
        return BaiduV3(api_key=settings.geocoder_api_key, timeout=timeout), CoordSystem.BD09
    if settings.geocoder == "nominatim":
        extra = {"domain": settings.geocoder_domain} if settings.geocoder_domain else {}
        return (
            Nominatim(
                user_agent="tuangou", timeout=timeout, scheme=settings.geocoder_scheme, **extra
            ),
            CoordSystem.WGS84,
        )
    if settings.geocoder == "arcgis":
        return ArcGIS(timeout=timeout, scheme=settings.geocoder_scheme), CoordSystem.WGS84
    return None


async def geocode(address: str, settings: Settings, field: list[str]) -> LatLon:
    """The WGS-84 point of ``address``, or a DomainError asking for coordinates.

    geopy is synchronous, so the lookup runs in a thread and never blocks the
    event loop.
    """
    configured = _geocoder(settings)
    if configured is None:
        raise DomainError(
            GeoErrorCode.COORDINATES_REQUIRED,
            "No geocoder is configured; give the latitude and longitude of the address.",
            field,
        )
    geocoder, system = configured
    try:
        found = await asyncio.to_thread(geocoder.geocode, address)
    except GeopyError as exc:
        log.warning("geocoder %s failed for %r: %s", settings.geocoder, address, exc)
        raise DomainError(
            GeoErrorCode.COORDINATES_REQUIRED,
            "The geocoder could not be reached; give the latitude and longitude instead.",
            field,
        ) from exc
    if found is None:
        raise DomainError(
            GeoErrorCode.ADDRESS_NOT_FOUND,
            "The geocoder does not know this address; give the latitude and longitude.",
            field,
        )
    return to_wgs84(float(found.latitude), float(found.longitude), system)


async def resolve_point(
    *,
    address: str,
    lat: float | None,
    lon: float | None,
    system: CoordSystem,
    settings: Settings,
    field: list[str],
) -> LatLon:
    """Coordinates given (in any system) win; otherwise the address is geocoded."""
    if lat is None and lon is None:
        return await geocode(address, settings, field)
    if lat is None or lon is None:
        raise DomainError(
            GeoErrorCode.INVALID_COORDINATES, "Give both latitude and longitude, or neither.", field
        )
    check_lat_lon(lat, lon, field)
    point = to_wgs84(lat, lon, system)
    # Near the poles or the antimeridian the BD-09 offset can carry a valid
    # input past ±90/±180; refuse it rather than fail the database's check.
    check_lat_lon(point.lat, point.lon, field)
    return point


# The WGS-84 ellipsoid's shortest radius (polar), in metres: a box drawn with
# it is never smaller than the circle it must contain.
_POLAR_RADIUS_M = 6_356_752.3


def distance_m(a: LatLon, b: LatLon) -> float:
    """The geodesic distance between two WGS-84 points, in metres."""
    return float(geodesic((a.lat, a.lon), (b.lat, b.lon)).meters)


@dataclass(frozen=True, slots=True)
class Box:
    """A latitude/longitude rectangle; ``lon_min > lon_max`` when it crosses
    the antimeridian."""

    lat_min: float
    lat_max: float
    lon_min: float
    lon_max: float


def bounding_box(centre: LatLon, radius_m: float) -> Box:
    """A rectangle holding every point within ``radius_m`` of ``centre``
    (a little more, never less), for a prefilter on plain columns."""
    dlat = math.degrees(radius_m / _POLAR_RADIUS_M) * 1.01
    lat_min, lat_max = max(-90.0, centre.lat - dlat), min(90.0, centre.lat + dlat)
    widest = max(abs(lat_min), abs(lat_max))
    if widest >= 89.9:
        return Box(lat_min, lat_max, -180.0, 180.0)
    dlon = dlat / math.cos(math.radians(widest))
    if dlon >= 180.0:
        return Box(lat_min, lat_max, -180.0, 180.0)
    lon_min, lon_max = centre.lon - dlon, centre.lon + dlon
    if lon_min < -180.0:
        lon_min += 360.0
    if lon_max > 180.0:
        lon_max -= 360.0
    return Box(lat_min, lat_max, lon_min, lon_max)
