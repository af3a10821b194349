"""Small shared GraphQL types: coordinates and time windows."""

from __future__ import annotations

from datetime import time

import strawberry

from kernel.geo import CoordSystem, LatLon

CoordinateSystem = strawberry.enum(
    CoordSystem,
    description="WGS84 (GPS), GCJ02 (AMap, Tencent) or BD09 (Baidu); stored as WGS84.",
)


@strawberry.input(description="A point; converted to WGS-84 before it is stored.")
class CoordinatesInput:
    lat: float
    lon: float
    system: CoordinateSystem = CoordSystem.WGS84  # type: ignore[valid-type]


@strawberry.type(description="A WGS-84 point.")
class Coordinates:
    lat: float
    lon: float

    @classmethod
    def of(cls, point: LatLon) -> Coordinates:
        return cls(lat=point.lat, lon=point.lon)


@strawberry.input(description="Local times in the platform's zone, start before end.")
class TimeWindowInput:
    start: time
    end: time


@strawberry.type
class TimeWindow:
    start: time
    end: time
