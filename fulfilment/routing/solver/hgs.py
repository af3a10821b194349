"""The same routing problem for PyVRP's iterated local search, the second
engine of the portfolio.

OR-Tools models everything the dispatcher can ask for (locked stops, edits
kept in place); PyVRP's search finds shorter plans for the free problem in
the same time. Both get the same objective in the same units (see
``search.COST_SCALE``), so their answers compare directly.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any

import numpy as np
import pyvrp

from fulfilment.routing.solver.problem import RoutingProblem, VehicleSpec
from fulfilment.routing.solver.search import COST_SCALE, Reporter, SearchResult, drop_penalty


def _matrix(values: np.ndarray) -> Any:
    # PyVRP's stubs spell the array type in a way numpy's typing cannot meet.
    return np.ascontiguousarray(values, dtype=np.int64)


def _problem_data(problem: RoutingProblem) -> tuple[pyvrp.ProblemData, list[list[int]]]:
    """PyVRP's view of the problem, and for each of its vehicle types the
    indices of our vehicles it stands for."""
    coordinates = problem.coordinates or [(0.0, 0.0)] * (problem.size + 1)
    locations = [pyvrp.Location(x=float(x), y=float(y)) for x, y in coordinates]
    # The warehouse's loading time is spent before the truck leaves: start the
    # vehicle's clock that much later and shorten its shift by as much.
    depot = pyvrp.Depot(0, tw_early=0, tw_late=problem.horizon_s)
    penalty = drop_penalty(problem)
    clients = [
        pyvrp.Client(
            i + 1,
            delivery=[stop.weight_g, stop.totes],
            service_duration=stop.service_s,
            tw_early=stop.window_open_s,
            tw_late=stop.window_close_s,
            prize=penalty,
            required=False,
        )
        for i, stop in enumerate(problem.stops)
    ]
    kinds: Counter[VehicleSpec] = Counter(problem.vehicles)
    members: list[list[int]] = []
    vehicle_types = []
    for spec, count in kinds.items():
        members.append([i for i, v in enumerate(problem.vehicles) if v == spec])
        vehicle_types.append(
            pyvrp.VehicleType(
                num_available=count,
                capacity=[spec.capacity_g, spec.capacity_totes],
                fixed_cost=spec.fixed_cost * COST_SCALE,
                tw_early=spec.shift_start_s + problem.loading_s,
                tw_late=problem.horizon_s,
                shift_duration=max(0, spec.max_shift_s - problem.loading_s),
                unit_distance_cost=max(spec.cost_per_km, 1),
            )
        )
    data = pyvrp.ProblemData(
        locations=locations,
        clients=clients,
        depots=[depot],
        vehicle_types=vehicle_types,
        distance_matrices=[_matrix(problem.distance_m)],
        duration_matrices=[_matrix(problem.travel_s)],
    )
    return data, members


class _Progress(pyvrp.IteratedLocalSearchCallbacks):
    """Reports each new best feasible plan, like the OR-Tools search does."""

    def __init__(self, started: float, report: Reporter | None) -> None:
        self.started = started
        self.report = report
        self.first: float | None = None

    def on_best(self, best: pyvrp.Solution) -> None:
        if not best.is_feasible():
            return
        elapsed = time.monotonic() - self.started
        if self.first is None:
            self.first = elapsed
        if self.report is not None:
            cost = best.distance_cost() + best.fixed_vehicle_cost() + best.uncollected_prizes()
            self.report(elapsed, int(cost))


def run_hgs(
    problem: RoutingProblem, time_limit_s: float, seed: int = 1, report: Reporter | None = None
) -> SearchResult | None:
    """PyVRP's search until ``time_limit_s`` after the call; None if it found
    nothing feasible."""
    started = time.monotonic()
    deadline = started + max(0.1, time_limit_s)
    data, members = _problem_data(problem)
    progress = _Progress(started, report)
    params = pyvrp.SolveParams(ils=pyvrp.IteratedLocalSearchParams(callbacks=progress))

    # A deadline rather than MaxRuntime: that one starts counting only after
    # the initial solution is built, which takes seconds on a large day.
    def stop(best_cost: float) -> bool:
        return time.monotonic() >= deadline

    result = pyvrp.solve(data, stop=stop, seed=seed, params=params, display=False)
    if not result.is_feasible():
        return None
    routes: dict[int, list[int]] = {}
    free = [list(group) for group in members]
    for route in result.best.routes():
        vehicle = free[route.vehicle_type()].pop(0)
        routes[vehicle] = [a.idx for a in route.schedule() if a.is_client()]
    first = progress.first if progress.first is not None else time.monotonic() - started
    return SearchResult(routes, int(result.cost()), first, result.num_iterations)
