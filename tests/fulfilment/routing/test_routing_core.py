"""The planner without the database: feasibility on Solomon's tightest
instances, every stop accounted for, locked stops kept, and the distance
providers (haversine against geopy, OSRM's table service over HTTP)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from geopy.distance import geodesic

from fulfilment.routing.solver.distances import (
    OsrmTable,
    RoutingMatrixError,
    StraightLine,
    haversine_m,
)
from fulfilment.routing.solver.instances import city_day, solomon_problem
from fulfilment.routing.solver.problem import DropReason, Plan, RoutingProblem, StopSpec
from fulfilment.routing.solver.schedule import schedule_route
from fulfilment.routing.solver.search import plan_cost
from fulfilment.routing.solver.solver import plan_routes
from tests.support.geo import closed_port

# Two of Solomon's instances, copied from ../shared/benchmarks/vrp (BSD-2,
# see the licence file beside them) so the tests need nothing outside the repo.
SOLOMON = Path(__file__).parents[2] / "data" / "solomon"


def recheck(problem: RoutingProblem, plan: Plan) -> None:
    """Every stop is served once or reported, and each route keeps its
    windows, capacities and shift when recomputed from its sequence."""
    served = [visit.stop for route in plan.routes for visit in route.visits]
    assert len(served) == len(set(served))
    assert set(served) | set(plan.dropped) == set(range(problem.size))
    assert not set(served) & set(plan.dropped)
    for route in plan.routes:
        sequence = [visit.stop for visit in route.visits]
        again, broken = schedule_route(problem, route.vehicle, sequence)
        assert broken == []
        assert again.distance_m == route.distance_m
        for visit in again.visits:
            stop = problem.stops[visit.stop]
            assert stop.window_open_s <= visit.start_s <= stop.window_close_s
        spec = problem.vehicles[route.vehicle]
        assert again.weight_g <= spec.capacity_g and again.totes <= spec.capacity_totes


@pytest.mark.parametrize("name", ["R101", "RC101"])
def test_tight_windows_get_a_feasible_plan_at_once(name: str) -> None:
    # Path-cheapest-arc finds nothing feasible on these in 30 s; the planner
    # must have a plan serving all 100 customers well inside one second.
    problem = solomon_problem(SOLOMON / f"{name}.txt")
    plan = plan_routes(problem, 3)
    assert plan.dropped == {}
    assert plan.first_solution_s < 1.0
    recheck(problem, plan)


def test_stops_no_vehicle_can_serve_are_reported_with_the_reason() -> None:
    problem = city_day(12, 3, seed=3)
    stops = list(problem.stops)
    heaviest = max(v.capacity_g for v in problem.vehicles)
    stops[0] = replace(stops[0], weight_g=heaviest + 1)
    # Trucks cannot leave before shift start + loading: a window that closes
    # at 05:10 is out of reach.
    stops[1] = replace(stops[1], window_open_s=5 * 3600, window_close_s=5 * 3600 + 600)
    plan = plan_routes(replace(problem, stops=stops), 2)
    assert plan.dropped == {0: DropReason.TOO_HEAVY, 1: DropReason.WINDOW_UNREACHABLE}
    recheck(replace(problem, stops=stops), plan)


def test_a_fleet_too_small_serves_what_it_can_and_says_so() -> None:
    problem = city_day(30, 6, seed=5)
    one_truck = replace(problem, vehicles=problem.vehicles[:1])
    plan = plan_routes(one_truck, 2)
    assert len(plan.routes) == 1
    assert plan.dropped, "one truck cannot carry a day sized for six"
    assert set(plan.dropped.values()) == {DropReason.NOT_ENOUGH_VEHICLES}
    recheck(one_truck, plan)


def test_locked_stops_stay_on_their_vehicle_and_in_place() -> None:
    problem = city_day(40, 4, seed=11)
    first = plan_routes(problem, 2)
    routes = {route.vehicle: [v.stop for v in route.visits] for route in first.routes}
    vehicle, sequence = max(routes.items(), key=lambda item: len(item[1]))
    locked = sequence[:2] + sequence[-1:]
    again = plan_routes(replace(problem, locked={vehicle: locked}, initial_routes=routes), 2)
    recheck(problem, again)
    kept = next(r for r in again.routes if r.vehicle == vehicle)
    order = [v.stop for v in kept.visits]
    assert order[:2] == sequence[:2], "a locked first pair stays first, together"
    assert [s for s in order if s in locked] == locked
    assert again.dropped == {}


def test_plan_cost_is_fixed_costs_plus_distance_at_each_rate() -> None:
    problem = city_day(10, 2, seed=1)
    routes = {0: [0, 1, 2], 1: [3, 4, 5, 6, 7, 8, 9]}
    truck = problem.vehicles[0]
    metres = sum(schedule_route(problem, v, s)[0].distance_m for v, s in routes.items())
    assert plan_cost(problem, routes) == 2 * truck.fixed_cost * 1000 + metres * truck.cost_per_km
    assert plan_cost(problem, {0: [0]}) > plan_cost(problem, routes), "left-out stops cost more"


@pytest.mark.parametrize(
    "points",
    [
        # Changsha neighbourhoods, 1-15 km apart
        [(28.2282, 112.9388), (28.1950, 112.9722), (28.2601, 113.0702), (28.1398, 112.9101)],
        # across China: Beijing, Guangzhou, Urumqi, Harbin
        [(39.9042, 116.4074), (23.1291, 113.2644), (43.8256, 87.6168), (45.8038, 126.5350)],
    ],
)
def test_haversine_is_within_half_a_percent_of_geopy(points: list[tuple[float, float]]) -> None:
    fast = haversine_m(points)
    for i, a in enumerate(points):
        for j, b in enumerate(points):
            if i != j:
                assert fast[i, j] == pytest.approx(geodesic(a, b).meters, rel=0.005)


async def test_road_estimates_apply_circuity_and_speed() -> None:
    points = [(28.2282, 112.9388), (28.1950, 112.9722)]
    straight = float(haversine_m(points)[0, 1])
    matrices = await StraightLine(circuity=1.3, speed_kmh=30).matrices(points)
    assert matrices.distance_m[0, 1] == round(straight * 1.3)
    assert matrices.travel_s[0, 1] == round(straight * 1.3 / (30 / 3.6))
    exact = await StraightLine(circuity=1.0, exact=True).matrices(points)
    assert exact.distance_m[0, 1] == round(geodesic(*points).meters)


@contextmanager
def osrm_stand_in(max_table: int) -> Iterator[list[dict[str, Any]]]:
    """An OSRM answering /table/v1/driving with distance = 1000 x |i - j| +
    the source's index and duration = distance / 10, for the coordinates it
    was sent; it refuses tables larger than ``max_table`` as OSRM does."""
    requests: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            coordinates = parts.path.split("/")[-1].split(";")
            query = parse_qs(parts.query)
            sources = [int(s) for s in query["sources"][0].split(";")]
            targets = [int(t) for t in query["destinations"][0].split(";")]
            requests.append({"coordinates": coordinates, "sources": sources, "targets": targets})
            ids = [round(float(c.split(",")[0]) * 1000) for c in coordinates]  # lon encodes id
            body: dict[str, Any]
            if len(coordinates) > max_table:
                body = {"code": "TooBig", "message": "Too many table coordinates"}
                status = 400
            else:
                distances = [
                    [1000 * abs(ids[s] - ids[t]) + ids[s] for t in targets] for s in sources
                ]
                durations = [[d / 10 for d in row] for row in distances]
                body, status = {"code": "Ok", "distances": distances, "durations": durations}, 200
            raw = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        requests.append({"port": server.server_address[1]})
        yield requests
    finally:
        server.shutdown()
        server.server_close()


async def test_osrm_table_is_asked_in_blocks_the_server_accepts() -> None:
    points = [(28.0, (i + 1) / 1000) for i in range(7)]  # lon carries the id 1..7
    with osrm_stand_in(max_table=4) as requests:
        port = requests.pop(0)["port"]
        matrices = await OsrmTable(f"http://127.0.0.1:{port}", block=4).matrices(points)
    ids = np.arange(1, 8)
    expected = 1000 * np.abs(ids[:, None] - ids[None, :]) + ids[:, None]
    assert (matrices.distance_m == expected).all()
    assert (matrices.travel_s == np.rint(expected / 10)).all()
    assert len(requests) > 1
    assert all(len(r["coordinates"]) <= 4 for r in requests)


async def test_osrm_refusals_and_silence_are_clear_errors() -> None:
    points = [(28.0, (i + 1) / 1000) for i in range(5)]
    with osrm_stand_in(max_table=2) as requests:
        port = requests.pop(0)["port"]
        with pytest.raises(RoutingMatrixError, match="TooBig"):
            await OsrmTable(f"http://127.0.0.1:{port}", block=10).matrices(points)
    with pytest.raises(RoutingMatrixError, match="could not be asked"):
        await OsrmTable(f"http://127.0.0.1:{closed_port()}", timeout_s=2).matrices(points)


def test_a_day_with_one_stop_and_no_goods_elsewhere_plans_one_route() -> None:
    problem = city_day(1, 1, seed=2)
    plan = plan_routes(problem, 1)
    assert [[v.stop for v in r.visits] for r in plan.routes] == [[0]]
    only = problem.stops[0]
    assert isinstance(only, StopSpec)
    visit = plan.routes[0].visits[0]
    assert visit.load_g_after == 0 and plan.routes[0].weight_g == only.weight_g
