"""Routing problems that do not come from the database: the Solomon VRPTW
benchmark and generated city-like days, for the benchmark and the tests."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from fulfilment.routing.solver.distances import haversine_m
from fulfilment.routing.solver.problem import RoutingProblem, StopSpec, VehicleSpec

# Solomon files carry one decimal of precision under the DIMACS convention:
# distances and times are truncated to tenths, so we count in tenths.
SOLOMON_SCALE = 10


def solomon_problem(path: Path) -> RoutingProblem:
    """A Solomon instance as a distance-only problem (no fixed vehicle cost),
    in tenths of a unit, truncated as the best-known solutions were scored."""
    import vrplib  # only the benchmark and tests read this format

    data = vrplib.read_instance(str(path), instance_format="solomon")
    coords = np.asarray(data["node_coord"], dtype=np.float64)
    diff = coords[:, None, :] - coords[None, :, :]
    tenths = np.floor(np.sqrt((diff**2).sum(axis=2)) * SOLOMON_SCALE + 1e-9).astype(np.int64)
    windows = np.asarray(data["time_window"], dtype=np.int64) * SOLOMON_SCALE
    service = np.asarray(data["service_time"], dtype=np.int64) * SOLOMON_SCALE
    demand = np.asarray(data["demand"], dtype=np.int64)
    capacity = int(data["capacity"])
    horizon = int(windows[0, 1])
    stops = [
        StopSpec(int(demand[i]), 0, int(windows[i, 0]), int(windows[i, 1]), int(service[i]))
        for i in range(1, len(coords))
    ]
    vehicle = VehicleSpec(capacity, 0, 0, 1, int(windows[0, 0]), horizon)
    return RoutingProblem(
        distance_m=tenths,
        travel_s=tenths.copy(),
        stops=stops,
        vehicles=[vehicle] * int(data["vehicles"]),
        horizon_s=horizon,
        coordinates=[(float(x), float(y)) for x, y in coords],
    )


def city_day(
    stops: int,
    vehicles: int,
    *,
    seed: int = 7,
    centre: tuple[float, float] = (28.2282, 112.9388),
    circuity: float = 1.3,
    speed_kmh: float = 30.0,
) -> RoutingProblem:
    """A generated morning around ``centre`` (Changsha by default): pickup
    points in neighbourhood clusters, 07:00-11:00 receiving windows, a
    warehouse on the edge of town and a fleet that can carry the day."""
    rng = np.random.default_rng(seed)
    clusters = max(4, stops // 40)
    km = 1 / 111.0
    cluster_centres = rng.normal(0.0, 6 * km, size=(clusters, 2))
    members = rng.integers(0, clusters, size=stops)
    offsets = rng.normal(0.0, 0.7 * km, size=(stops, 2))
    points = cluster_centres[members] + offsets
    lat0, lon0 = centre
    depot = (lat0 - 9 * km, lon0 + 4 * km / math.cos(math.radians(lat0)))
    coordinates = [depot] + [
        (lat0 + float(p[0]), lon0 + float(p[1]) / math.cos(math.radians(lat0))) for p in points
    ]
    metres = haversine_m(coordinates) * circuity
    distance = np.rint(metres).astype(np.int64)
    travel = np.rint(metres / (speed_kmh / 3.6)).astype(np.int64)
    weights = rng.integers(20_000, 120_000, size=stops)
    totes = np.maximum(1, weights // 12_000)
    opens = 7 * 3600 + 1800 * rng.integers(0, 3, size=stops)
    stop_specs = [
        StopSpec(int(weights[i]), int(totes[i]), int(opens[i]), 11 * 3600, 300 + 30 * int(totes[i]))
        for i in range(stops)
    ]
    total_weight = int(weights.sum())
    capacity = max(1_500_000, int(total_weight * 1.2 / vehicles) // 100_000 * 100_000 + 100_000)
    truck = VehicleSpec(capacity, capacity // 10_000, 30_000, 300, 5 * 3600, 8 * 3600)
    return RoutingProblem(
        distance_m=distance,
        travel_s=travel,
        stops=stop_specs,
        vehicles=[truck] * vehicles,
        loading_s=1200,
        coordinates=coordinates,
    )
