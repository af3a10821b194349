"""One OR-Tools search over a routing problem; runs in a worker process.

Distances, times and demands are registered as matrices and vectors rather
than Python callbacks: the search then never calls back into Python for an
arc, which roughly doubles the moves it tries per second.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from fulfilment.routing.solver.problem import RoutingProblem

# Cost units: arc costs are metres x fen/km, i.e. thousandths of a fen, so a
# vehicle's fixed cost (fen) is scaled by the same 1000 to compare like with like.
COST_SCALE = 1000


@dataclass(frozen=True)
class SearchConfig:
    """How one worker searches: with which engine, where it starts and how
    it improves (the last three are OR-Tools' names and apply to it only)."""

    engine: str = "ortools"  # or "pyvrp"
    first_solution: str = "PARALLEL_CHEAPEST_INSERTION"
    metaheuristic: str = "GUIDED_LOCAL_SEARCH"
    lambda_coefficient: float = 0.1


@dataclass(frozen=True)
class SearchResult:
    routes: dict[int, list[int]]  # vehicle -> stop indices (of the problem given)
    cost: int
    first_solution_s: float | None
    solutions: int


# Called with (seconds since the search started, cost) at each improvement.
Reporter = Callable[[float, int], None]


def drop_penalty(problem: RoutingProblem) -> int:
    """A penalty larger than anything serving one stop could cost, so a stop
    is left out only when it truly cannot be served."""
    longest = int(problem.distance_m.max()) if problem.size else 0
    dearest_km = max((v.cost_per_km for v in problem.vehicles), default=1)
    dearest_fixed = max((v.fixed_cost for v in problem.vehicles), default=0)
    return 2 * longest * max(dearest_km, 1) + dearest_fixed * COST_SCALE + 10**6


def plan_cost(problem: RoutingProblem, routes: dict[int, list[int]]) -> int:
    """The objective both engines minimise, recomputed from the routes alone:
    fixed costs of the vehicles used, distance at each vehicle's rate, and
    the penalty of every stop left out."""
    cost, served = 0, 0
    for vehicle, stops in routes.items():
        if not stops:
            continue
        spec = problem.vehicles[vehicle]
        nodes = [0, *(s + 1 for s in stops), 0]
        metres = int(problem.distance_m[nodes[:-1], nodes[1:]].sum())
        cost += spec.fixed_cost * COST_SCALE + metres * max(spec.cost_per_km, 1)
        served += len(stops)
    return cost + (problem.size - served) * drop_penalty(problem)


def run_search(
    problem: RoutingProblem,
    config: SearchConfig,
    time_limit_s: float,
    report: Reporter | None = None,
) -> SearchResult | None:
    """Search for ``time_limit_s`` and return the best plan found, or None
    when not even a first solution exists (only possible with locked stops)."""
    started = time.monotonic()
    manager = pywrapcp.RoutingIndexManager(problem.size + 1, len(problem.vehicles), 0)
    routing = pywrapcp.RoutingModel(manager)
    _add_costs(problem, routing)
    _add_capacities(problem, routing)
    clock = _add_time(problem, manager, routing)
    _add_drops(problem, manager, routing)
    _apply_locks(problem, manager, routing, clock)
    params = _search_parameters(config, time_limit_s, started)

    first: list[float] = []
    solutions = [0]

    def on_solution() -> None:
        solutions[0] += 1
        elapsed = time.monotonic() - started
        if not first:
            first.append(elapsed)
        if report is not None:
            report(elapsed, int(routing.CostVar().Value()))

    routing.AddAtSolutionCallback(on_solution)
    solution = _solve(problem, routing, params)
    if solution is None:
        return None
    return SearchResult(
        routes=_routes_of(problem, manager, routing, solution),
        cost=int(solution.ObjectiveValue()),
        first_solution_s=first[0] if first else None,
        solutions=solutions[0],
    )


def _add_costs(problem: RoutingProblem, routing: pywrapcp.RoutingModel) -> None:
    """Arc costs at each vehicle's rate (one matrix per distinct rate), and
    the fixed cost of each vehicle used."""
    vehicles = problem.vehicles
    distance = problem.distance_m
    for per_km in sorted({v.cost_per_km for v in vehicles}):
        cost_cb = routing.RegisterTransitMatrix((distance * max(per_km, 1)).tolist())
        for index, spec in enumerate(vehicles):
            if spec.cost_per_km == per_km:
                routing.SetArcCostEvaluatorOfVehicle(cost_cb, index)
    for index, spec in enumerate(vehicles):
        if spec.fixed_cost:
            routing.SetFixedCostOfVehicle(spec.fixed_cost * COST_SCALE, index)


def _add_capacities(problem: RoutingProblem, routing: pywrapcp.RoutingModel) -> None:
    """Each vehicle's weight and tote capacity."""
    vehicles = problem.vehicles
    weight_cb = routing.RegisterUnaryTransitVector([0] + [s.weight_g for s in problem.stops])
    routing.AddDimensionWithVehicleCapacity(
        weight_cb, 0, [v.capacity_g for v in vehicles], True, "weight"
    )
    totes_cb = routing.RegisterUnaryTransitVector([0] + [s.totes for s in problem.stops])
    routing.AddDimensionWithVehicleCapacity(
        totes_cb, 0, [v.capacity_totes for v in vehicles], True, "totes"
    )


def _add_time(
    problem: RoutingProblem, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> Any:
    """The time dimension (returned): each stop's window, each vehicle's
    shift start and longest shift."""
    # Leaving node i takes its service time, then the drive; leaving the
    # warehouse takes the loading time.
    service = [problem.loading_s] + [s.service_s for s in problem.stops]
    transit = problem.travel_s.copy()
    transit += [[s] for s in service]
    time_cb = routing.RegisterTransitMatrix(transit.tolist())
    horizon = problem.horizon_s
    routing.AddDimension(time_cb, horizon, horizon, False, "time")
    clock = routing.GetDimensionOrDie("time")
    for stop_index, stop in enumerate(problem.stops):
        clock.CumulVar(manager.NodeToIndex(stop_index + 1)).SetRange(
            stop.window_open_s, stop.window_close_s
        )
    for index, spec in enumerate(problem.vehicles):
        clock.CumulVar(routing.Start(index)).SetRange(spec.shift_start_s, horizon)
        clock.CumulVar(routing.End(index)).SetRange(0, horizon)
        clock.SetSpanUpperBoundForVehicle(spec.max_shift_s, index)
    return clock


def _add_drops(
    problem: RoutingProblem, manager: pywrapcp.RoutingIndexManager, routing: pywrapcp.RoutingModel
) -> None:
    """Every stop but a locked one may be left out, at ``drop_penalty``."""
    locked = {stop for stops in problem.locked.values() for stop in stops}
    penalty = drop_penalty(problem)
    for stop_index in range(problem.size):
        if stop_index not in locked:
            routing.AddDisjunction([manager.NodeToIndex(stop_index + 1)], penalty)


def _search_parameters(config: SearchConfig, time_limit_s: float, started: float) -> Any:
    """The config's strategies, and what is left of the time limit (at
    least 0.1 s) after building the model."""
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = getattr(
        routing_enums_pb2.FirstSolutionStrategy, config.first_solution
    )
    _set_metaheuristic(params, config)
    remaining = max(0.1, time_limit_s - (time.monotonic() - started))
    params.time_limit.FromMilliseconds(int(remaining * 1000))
    return params


def _solve(problem: RoutingProblem, routing: pywrapcp.RoutingModel, params: Any) -> Any:
    """Solve, starting from the problem's initial routes when it has them
    (and they are feasible); None when no solution is found."""
    if not problem.initial_routes:
        return routing.SolveWithParameters(params)
    routing.CloseModelWithParameters(params)
    hint = [problem.initial_routes.get(v, []) for v in range(len(problem.vehicles))]
    start = routing.ReadAssignmentFromRoutes([[stop + 1 for stop in route] for route in hint], True)
    return (
        routing.SolveFromAssignmentWithParameters(start, params)
        if start is not None
        else routing.SolveWithParameters(params)
    )


def _routes_of(
    problem: RoutingProblem,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    solution: Any,
) -> dict[int, list[int]]:
    """Each used vehicle's stops (problem stop indices) in visiting order."""
    routes: dict[int, list[int]] = {}
    for vehicle in range(len(problem.vehicles)):
        index = solution.Value(routing.NextVar(routing.Start(vehicle)))
        stops: list[int] = []
        while not routing.IsEnd(index):
            stops.append(manager.IndexToNode(index) - 1)
            index = solution.Value(routing.NextVar(index))
        if stops:
            routes[vehicle] = stops
    return routes


def _set_metaheuristic(params: Any, config: SearchConfig) -> None:
    params.local_search_metaheuristic = getattr(
        routing_enums_pb2.LocalSearchMetaheuristic, config.metaheuristic
    )
    params.guided_local_search_lambda_coefficient = config.lambda_coefficient


def _apply_locks(
    problem: RoutingProblem,
    manager: pywrapcp.RoutingIndexManager,
    routing: pywrapcp.RoutingModel,
    clock: Any,
) -> None:
    """A locked stop stays on its vehicle, after the same locked stops as
    before; locked neighbours stay neighbours, and a locked first stop stays
    first, so a run of locked stops is not broken up."""
    solver = routing.solver()
    for vehicle, stops in problem.locked.items():
        previous: int | None = None
        for stop in stops:
            index = manager.NodeToIndex(stop + 1)
            # Not SetAllowedVehiclesForIndex: OR-Tools 9.15's wrapper takes no
            # Python list for its absl::Span argument. -1 leaves the stop droppable,
            # as that call did.
            routing.VehicleVar(index).SetValues([-1, vehicle])
            if previous is not None:
                solver.Add(clock.CumulVar(previous) <= clock.CumulVar(index))
            previous = index
        anchors = _locked_adjacencies(problem, vehicle, stops)
        for before, after in anchors:
            before_index = (
                routing.Start(vehicle) if before is None else manager.NodeToIndex(before + 1)
            )
            solver.Add(routing.NextVar(before_index) == manager.NodeToIndex(after + 1))


def _locked_adjacencies(
    problem: RoutingProblem, vehicle: int, stops: list[int]
) -> list[tuple[int | None, int]]:
    """Pairs of consecutive locked stops in the route they were locked in
    (``None`` for the warehouse when the first stop is locked)."""
    route = (problem.initial_routes or {}).get(vehicle, [])
    locked = set(stops)
    pairs: list[tuple[int | None, int]] = []
    previous: int | None = None
    for position, stop in enumerate(route):
        if stop in locked and (position == 0 or previous in locked):
            pairs.append((previous, stop))
        previous = stop
    return pairs
