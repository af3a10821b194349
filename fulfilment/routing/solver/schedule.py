"""Recompute a route's times and loads from its stop sequence alone.

This is the independent check of every plan: the solver's answer, a
dispatcher's manual edit and the tests all go through it, so a plan that
breaks a window or a capacity cannot be stored whatever produced it.
"""

from __future__ import annotations

from dataclasses import dataclass

from fulfilment.routing.solver.problem import PlannedRoute, RoutingProblem, Visit


@dataclass(frozen=True)
class Violation:
    kind: str  # "capacity_weight", "capacity_totes", "window", "shift"
    stop: int | None
    message: str


def _forward(
    problem: RoutingProblem, sequence: list[int], departure_s: int
) -> tuple[list[tuple[int, int, int]], int, int]:
    """(arrival, start, departure) per stop, the return time and total wait."""
    times: list[tuple[int, int, int]] = []
    node, clock, waited = 0, departure_s, 0
    for stop_index in sequence:
        spec = problem.stops[stop_index]
        arrival = clock + int(problem.travel_s[node, stop_index + 1])
        start = max(arrival, spec.window_open_s)
        waited += start - arrival
        clock = start + spec.service_s
        times.append((arrival, start, clock))
        node = stop_index + 1
    return times, clock + int(problem.travel_s[node, 0]), waited


def schedule_route(
    problem: RoutingProblem, vehicle: int, sequence: list[int]
) -> tuple[PlannedRoute, list[Violation]]:
    """Times and loads of ``sequence`` on ``vehicle``, leaving as late as
    possible without arriving anywhere later, and every rule it breaks."""
    spec = problem.vehicles[vehicle]
    earliest = spec.shift_start_s + problem.loading_s
    times, _, _ = _forward(problem, sequence, earliest)
    # Leave later to turn waiting at early stops into time at the warehouse:
    # a delay is free while some wait before each stop absorbs it and no
    # window closes first.
    delay, waits_so_far = None, 0
    for stop_index, (arrival, start, _) in zip(sequence, times, strict=True):
        waits_so_far += start - arrival
        room = waits_so_far + problem.stops[stop_index].window_close_s - start
        delay = room if delay is None else min(delay, room)
    total_wait = waits_so_far
    shift = max(0, min(delay or 0, total_wait))
    departure = earliest + shift
    times, back, _ = _forward(problem, sequence, departure)

    weight = sum(problem.stops[i].weight_g for i in sequence)
    totes = sum(problem.stops[i].totes for i in sequence)
    visits: list[Visit] = []
    load_g, load_totes, node, distance = weight, totes, 0, 0
    violations: list[Violation] = []
    for stop_index, (arrival, start, leave) in zip(sequence, times, strict=True):
        stop = problem.stops[stop_index]
        load_g -= stop.weight_g
        load_totes -= stop.totes
        distance += int(problem.distance_m[node, stop_index + 1])
        node = stop_index + 1
        visits.append(Visit(stop_index, arrival, start, leave, load_g, load_totes))
        if start > stop.window_close_s:
            violations.append(
                Violation("window", stop_index, "arrives after the receiving window closes")
            )
    distance += int(problem.distance_m[node, 0])
    if weight > spec.capacity_g:
        violations.append(
            Violation("capacity_weight", None, f"{weight} g exceeds {spec.capacity_g} g")
        )
    if totes > spec.capacity_totes:
        violations.append(
            Violation("capacity_totes", None, f"{totes} totes exceed {spec.capacity_totes}")
        )
    if sequence and back - (departure - problem.loading_s) > spec.max_shift_s:
        violations.append(Violation("shift", None, "the route is longer than the shift"))
    if sequence and back > problem.horizon_s:
        violations.append(Violation("shift", None, "the route ends after the planning horizon"))
    route = PlannedRoute(
        vehicle=vehicle,
        visits=visits,
        departure_s=departure,
        return_s=back if sequence else departure,
        distance_m=distance if sequence else 0,
        weight_g=weight,
        totes=totes,
    )
    return route, violations
