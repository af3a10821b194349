"""Plan routes: screen out stops no vehicle can serve, run differently
started searches side by side (one per core) and keep the best plan.

The searches run in worker processes, so planning never holds the event
loop or the GIL of the process that asked for it; progress comes back over
a queue and is handed to ``progress`` as (fraction of the time limit used,
best cost so far).
"""

from __future__ import annotations

import multiprocessing
import queue as queue_module
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from multiprocessing.context import BaseContext
from typing import Any

from fulfilment.routing.solver.problem import DropReason, Plan, PlannedRoute, RoutingProblem
from fulfilment.routing.solver.schedule import schedule_route
from fulfilment.routing.solver.search import SearchConfig, SearchResult, plan_cost, run_search

Progress = Callable[[float, int | None], None]


# A portfolio, one search per core. OR-Tools: parallel cheapest insertion
# finds a feasible plan on tight windows within a fraction of a second, and
# guided local search improves it while reporting progress. PyVRP's iterated
# local search finds markedly shorter plans in the same time (0.2 % from the
# best known on Solomon against OR-Tools' 2-3 %), so on a free problem it
# usually supplies the answer.
DEFAULT_CONFIGS: tuple[SearchConfig, ...] = (
    SearchConfig("ortools", "PARALLEL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH"),
    SearchConfig("pyvrp"),
)


# PyVRP cannot keep stops in place, so a plan with locked stops is left to
# OR-Tools alone, from two different starts.
LOCKED_CONFIGS: tuple[SearchConfig, ...] = (
    SearchConfig("ortools", "PARALLEL_CHEAPEST_INSERTION", "GUIDED_LOCAL_SEARCH"),
    SearchConfig("ortools", "SAVINGS", "GUIDED_LOCAL_SEARCH"),
)


class PlanningFailed(Exception):
    """No plan exists that keeps the locked stops where they are."""


def _context() -> BaseContext:
    # forkserver: a clean, single-threaded parent for the searches, started
    # once and with OR-Tools already imported, so each search starts fast.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["fulfilment.routing.solver.search"])
    return context


def screen(problem: RoutingProblem) -> dict[int, DropReason]:
    """Stops that no vehicle of the fleet could serve even on its own."""
    reasons: dict[int, DropReason] = {}
    if not problem.vehicles:
        return {i: DropReason.NOT_ENOUGH_VEHICLES for i in range(problem.size)}
    heaviest = max(v.capacity_g for v in problem.vehicles)
    roomiest = max(v.capacity_totes for v in problem.vehicles)
    alone = replace(problem, locked={}, initial_routes=None)
    for index, stop in enumerate(problem.stops):
        if stop.weight_g > heaviest or stop.totes > roomiest:
            reasons[index] = DropReason.TOO_HEAVY
            continue
        reachable = any(
            not schedule_route(alone, v, [index])[1]
            for v, spec in enumerate(problem.vehicles)
            if spec.capacity_g >= stop.weight_g and spec.capacity_totes >= stop.totes
        )
        if not reachable:
            reasons[index] = DropReason.WINDOW_UNREACHABLE
    return reasons


def _subproblem(problem: RoutingProblem, keep: list[int]) -> RoutingProblem:
    nodes = [0] + [i + 1 for i in keep]
    renumber = {old: new for new, old in enumerate(keep)}

    def remap(routes: dict[int, list[int]]) -> dict[int, list[int]]:
        return {v: [renumber[s] for s in stops if s in renumber] for v, stops in routes.items()}

    return replace(
        problem,
        distance_m=problem.distance_m[nodes][:, nodes],
        travel_s=problem.travel_s[nodes][:, nodes],
        stops=[problem.stops[i] for i in keep],
        locked=remap(problem.locked),
        initial_routes=remap(problem.initial_routes) if problem.initial_routes else None,
        coordinates=[problem.coordinates[n] for n in nodes] if problem.coordinates else None,
    )


def _worker(
    problem: RoutingProblem, config: SearchConfig, time_limit_s: float, channel: Any, tag: int
) -> None:
    last = [0.0]

    def report(elapsed: float, cost: int) -> None:
        if elapsed - last[0] >= 0.25 or last[0] == 0.0:
            last[0] = elapsed
            channel.put(("progress", tag, elapsed, cost))

    try:
        if config.engine == "pyvrp":
            from fulfilment.routing.solver.hgs import run_hgs

            result = run_hgs(problem, time_limit_s, seed=tag + 1, report=report)
        else:
            result = run_search(problem, config, time_limit_s, report)
        channel.put(("result", tag, result))
    except Exception as error:
        channel.put(("error", tag, repr(error)))


def run_searches(
    problem: RoutingProblem,
    time_limit_s: float,
    configs: Sequence[SearchConfig] = DEFAULT_CONFIGS,
    progress: Progress | None = None,
) -> list[SearchResult]:
    """Run one search per config in parallel and return every result."""
    context = _context()
    channel = context.Queue()
    workers = [
        context.Process(  # type: ignore[attr-defined]
            target=_worker, args=(problem, config, time_limit_s, channel, tag), daemon=True
        )
        for tag, config in enumerate(configs)
    ]
    for worker in workers:
        worker.start()
    started = time.monotonic()
    results: list[SearchResult] = []
    pending, best, errors = len(workers), None, []
    try:
        while pending:
            try:
                message = channel.get(timeout=0.5)
            except queue_module.Empty:
                if not any(w.is_alive() for w in workers):
                    break
                continue
            kind = message[0]
            if kind == "progress":
                best = message[3] if best is None else min(best, message[3])
                if progress is not None:
                    progress(min(1.0, (time.monotonic() - started) / time_limit_s), best)
            else:
                pending -= 1
                if kind == "result" and message[2] is not None:
                    results.append(message[2])
                elif kind == "error":
                    errors.append(message[2])
    finally:
        for worker in workers:
            worker.join(timeout=5)
            if worker.is_alive():
                worker.kill()
    if errors and not results:
        raise RuntimeError(f"route search failed: {errors[0]}")
    return results


def plan_routes(
    problem: RoutingProblem,
    time_limit_s: float,
    *,
    configs: Sequence[SearchConfig] | None = None,
    progress: Progress | None = None,
) -> Plan:
    """The best plan found within ``time_limit_s`` for ``problem``.

    Stops no vehicle can serve are reported with the reason and left out of
    the search; stops the search could not fit (the fleet is too small for
    the day) come back as NOT_ENOUGH_VEHICLES. Raises PlanningFailed only if
    locked stops cannot all be kept.
    """
    started = time.monotonic()
    dropped = screen(problem)
    keep = [i for i in range(problem.size) if i not in dropped]
    if any(stop in dropped for stops in problem.locked.values() for stop in stops):
        raise PlanningFailed("a locked stop cannot be served by its vehicle")
    if not keep:
        return Plan([], dropped, 0, 0.0, time.monotonic() - started)
    sub = _subproblem(problem, keep)
    if configs is None:
        configs = LOCKED_CONFIGS if sub.locked else DEFAULT_CONFIGS
    # The searches stop a little early: starting them, building their models
    # and handing back a large plan take time too, and the limit is the
    # dispatcher's, for the whole answer.
    reserve = 0.5 + 0.04 * time_limit_s + sub.size / 1000
    budget = max(0.5, time_limit_s - reserve - (time.monotonic() - started))
    results = run_searches(sub, budget, configs, progress)
    if not results:
        raise PlanningFailed("no plan keeps the locked stops in place")
    best = min(results, key=lambda r: plan_cost(sub, r.routes))
    firsts = [r.first_solution_s for r in results if r.first_solution_s is not None]
    routes: list[PlannedRoute] = []
    served: set[int] = set()
    for vehicle, stops in sorted(best.routes.items()):
        original = [keep[s] for s in stops]
        served.update(original)
        route, _ = schedule_route(problem, vehicle, original)
        routes.append(route)
    for index in keep:
        if index not in served:
            dropped[index] = DropReason.NOT_ENOUGH_VEHICLES
    return Plan(
        routes=routes,
        dropped=dropped,
        cost=best.cost,
        first_solution_s=min(firsts) if firsts else 0.0,
        solve_s=time.monotonic() - started,
    )
