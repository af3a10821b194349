"""Distance and travel-time matrices between the warehouse and its stops.

Three providers behind one interface, chosen by ``routing_matrix``:

- ``haversine``: great circles for the whole matrix at once with numpy; a
  2,000-stop day is four million pairs, far too many for per-pair geopy.
- ``geodesic``: geopy's ellipsoidal distance per pair; exact, for small days
  and as the reference the haversine figures are checked against.
- ``osrm``: an OSRM server's ``table`` service, for real road distances and
  durations, asked in blocks no bigger than the server accepts.

Straight-line figures are turned into road estimates with a circuity factor
and an average speed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import httpx
import numpy as np
from geopy.distance import geodesic

from fulfilment.routing.errors import RoutingErrorCode
from fulfilment.routing.solver.problem import IntMatrix
from kernel.errors import DomainError

Point = tuple[float, float]  # (lat, lon), WGS-84


EARTH_RADIUS_M = 6_371_008.8  # mean radius (IUGG)


@dataclass(frozen=True)
class Matrices:
    distance_m: IntMatrix
    travel_s: IntMatrix


class MatrixProvider(Protocol):
    async def matrices(self, points: list[Point]) -> Matrices: ...


def haversine_m(points: list[Point]) -> np.ndarray:
    """Great-circle distances in metres between every pair of points."""
    coords = np.radians(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    lat, lon = coords[:, 0], coords[:, 1]
    half_dlat = (lat[:, None] - lat[None, :]) / 2
    half_dlon = (lon[:, None] - lon[None, :]) / 2
    a = (
        np.sin(half_dlat) ** 2
        + np.cos(lat)[:, None] * np.cos(lat)[None, :] * np.sin(half_dlon) ** 2
    )
    result: np.ndarray = 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
    return result


def geodesic_m(points: list[Point]) -> np.ndarray:
    """Ellipsoidal (WGS-84) distances in metres, one geopy call per pair."""
    size = len(points)
    result = np.zeros((size, size), dtype=np.float64)
    for i in range(size):
        for j in range(i + 1, size):
            result[i, j] = result[j, i] = geodesic(points[i], points[j]).meters
    return result


@dataclass(frozen=True)
class StraightLine:
    """Road estimates from straight lines: distance x circuity, at a speed."""

    circuity: float = 1.3
    speed_kmh: float = 30.0
    exact: bool = False  # geopy per pair instead of vectorised haversine

    async def matrices(self, points: list[Point]) -> Matrices:
        metres = (geodesic_m(points) if self.exact else haversine_m(points)) * self.circuity
        seconds = metres / (self.speed_kmh / 3.6)
        return Matrices(np.rint(metres).astype(np.int64), np.rint(seconds).astype(np.int64))


class RoutingMatrixError(DomainError):
    """The road-distance service could not give a matrix."""

    def __init__(self, message: str) -> None:
        super().__init__(RoutingErrorCode.ROUTING_MATRIX_UNAVAILABLE, message, ["warehouseId"])


@dataclass(frozen=True)
class OsrmTable:
    """Road distances and durations from OSRM's table service
    (``/table/v1/{profile}/{lon,lat;...}?annotations=distance,duration``)."""

    base_url: str
    profile: str = "driving"
    block: int = 100
    timeout_s: float = 30.0

    async def matrices(self, points: list[Point]) -> Matrices:
        size = len(points)
        distance = np.zeros((size, size), dtype=np.int64)
        travel = np.zeros((size, size), dtype=np.int64)
        # Each request names at most ``block`` coordinates in all, half as
        # sources and half as destinations, so it stays within the limit.
        half = max(1, self.block // 2)
        blocks = [list(range(start, min(size, start + half))) for start in range(0, size, half)]
        async with httpx.AsyncClient(base_url=self.base_url, timeout=self.timeout_s) as client:
            for sources in blocks:
                for targets in blocks:
                    d, t = await self._table(client, points, sources, targets)
                    distance[np.ix_(sources, targets)] = d
                    travel[np.ix_(sources, targets)] = t
        return Matrices(distance, travel)

    async def _table(
        self, client: httpx.AsyncClient, points: list[Point], sources: list[int], targets: list[int]
    ) -> tuple[np.ndarray, np.ndarray]:
        nodes = sources + [t for t in targets if t not in sources]
        where = {node: position for position, node in enumerate(nodes)}
        coordinates = ";".join(f"{points[n][1]:.6f},{points[n][0]:.6f}" for n in nodes)
        params = {
            "annotations": "distance,duration",
            "sources": ";".join(str(where[s]) for s in sources),
            "destinations": ";".join(str(where[t]) for t in targets),
        }
        try:
            response = await client.get(f"/table/v1/{self.profile}/{coordinates}", params=params)
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise RoutingMatrixError(f"the OSRM server could not be asked: {error}") from error
        if response.status_code != 200 or body.get("code") != "Ok":
            raise RoutingMatrixError(
                f"the OSRM server refused the table: {body.get('code')} {body.get('message', '')}"
            )
        distances = body.get("distances")
        durations = body.get("durations")
        if distances is None or durations is None:
            raise RoutingMatrixError("the OSRM server returned no distances or durations")
        # OSRM answers null for pairs it cannot connect; such a stop is then
        # unreachable, which the planner reports rather than guessing.
        unreachable = 10**9
        d = np.array([[unreachable if x is None else x for x in row] for row in distances])
        t = np.array([[unreachable if x is None else x for x in row] for row in durations])
        return np.rint(d).astype(np.int64), np.rint(t).astype(np.int64)


def provider_from_settings(
    kind: str,
    *,
    circuity: float,
    speed_kmh: float,
    osrm_url: str = "",
    osrm_profile: str = "driving",
    osrm_block: int = 100,
    osrm_timeout_s: float = 30.0,
) -> MatrixProvider:
    """The matrix provider that the settings name."""
    if kind == "osrm":
        return OsrmTable(osrm_url, osrm_profile, osrm_block, osrm_timeout_s)
    return StraightLine(circuity, speed_kmh, exact=kind == "geodesic")
