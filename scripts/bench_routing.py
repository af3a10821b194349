"""Route planning quality and speed.

Solomon mode (default): plans every Solomon VRPTW instance in a folder with
our planner at a time limit and scores the distance against the best-known
solutions (DIMACS convention: distances and times truncated to tenths).

    python scripts/bench_routing.py --time-limit 30
    python scripts/bench_routing.py --instances DIR --bks FILE.csv --only R1,RC1

City mode: generates a clustered city-like day with ``--stops`` pickup points
(07:00-11:00 windows) and reports the time to a first feasible plan and the
plan at the limit.

    python scripts/bench_routing.py --stops 1000 --time-limit 60

Each mode prints a table and, as its very last line, one JSON object.
Every plan is re-checked with the independent schedule checker.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import time
from pathlib import Path

from fulfilment.routing.solver.instances import city_day, solomon_problem
from fulfilment.routing.solver.problem import Plan, RoutingProblem
from fulfilment.routing.solver.schedule import schedule_route
from fulfilment.routing.solver.search import SearchConfig
from fulfilment.routing.solver.solver import plan_routes

SHARED = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "vrp"


def violations(problem: RoutingProblem, plan: Plan) -> int:
    """Broken windows, capacities or shifts, recomputed from the sequences."""
    count = 0
    for route in plan.routes:
        _, broken = schedule_route(problem, route.vehicle, [v.stop for v in route.visits])
        count += len(broken)
    return count


def parse_searches(text: str | None) -> list[SearchConfig] | None:
    if not text:
        return None
    configs = []
    for part in text.split(","):
        engine, *rest = part.split(":")
        if engine == "pyvrp":
            configs.append(SearchConfig("pyvrp"))
        else:
            configs.append(SearchConfig("ortools", rest[0], rest[1]))
    return configs


def solomon(args: argparse.Namespace) -> None:
    bks = {
        row["instance"]: (float(row["bks_distance"]), int(row["bks_vehicles"]))
        for row in csv.DictReader(args.bks.open())
    }
    files = sorted(args.instances.glob("*.txt"))
    if args.only:
        prefixes = tuple(args.only.split(","))
        files = [f for f in files if f.stem.startswith(prefixes)]
    configs = parse_searches(args.searches)
    print(
        f"{'instance':<9}{'veh':>5}{'bks veh':>8}{'distance':>11}{'bks':>9}{'gap %':>8}"
        f"{'first s':>9}{'time s':>8}  check"
    )
    gaps: list[float] = []
    infeasible = 0
    firsts: list[float] = []
    for path in files:
        problem = solomon_problem(path)
        started = time.monotonic()
        plan = plan_routes(problem, args.time_limit, configs=configs)
        elapsed = time.monotonic() - started
        broken = violations(problem, plan)
        feasible = not broken and not plan.dropped
        infeasible += not feasible
        distance = plan.distance_m / 10
        reference, reference_vehicles = bks[path.stem]
        gap = 100 * (distance - reference) / reference
        gaps.append(gap)
        firsts.append(plan.first_solution_s)
        print(
            f"{path.stem:<9}{len(plan.routes):>5}{reference_vehicles:>8}{distance:>11.1f}"
            f"{reference:>9.1f}{gap:>8.2f}{plan.first_solution_s:>9.2f}{elapsed:>8.1f}  "
            + ("ok" if feasible else f"INFEASIBLE ({broken} broken, {len(plan.dropped)} dropped)"),
            flush=True,
        )
    print(
        f"\n{len(files)} instances at {args.time_limit:g} s: "
        f"mean gap {statistics.mean(gaps):.2f} %,"
        f" median {statistics.median(gaps):.2f} %, max {max(gaps):.2f} %, "
        f"slowest first solution {max(firsts):.2f} s, infeasible {infeasible}"
    )
    print(
        json.dumps(
            {
                "instances": len(files),
                "mean_gap_pct": round(statistics.mean(gaps), 3),
                "max_gap_pct": round(max(gaps), 3),
                "infeasible": infeasible,
                "time_limit_s": args.time_limit,
            }
        )
    )


def city(args: argparse.Namespace) -> None:
    vehicles = args.vehicles or max(4, args.stops // 25)
    problem = city_day(args.stops, vehicles, seed=args.seed)
    started = time.monotonic()
    first_seen: list[float] = []

    def progress(fraction: float, cost: int | None) -> None:
        if cost is not None and not first_seen:
            first_seen.append(time.monotonic() - started)

    plan = plan_routes(problem, args.time_limit, progress=progress)
    elapsed = time.monotonic() - started
    broken = violations(problem, plan)
    km = plan.distance_m / 1000
    first = first_seen[0] if first_seen else plan.first_solution_s
    loads = [r.weight_g / problem.vehicles[r.vehicle].capacity_g for r in plan.routes]
    print(
        f"{'stops':>6}{'fleet':>7}{'used':>6}{'dropped':>9}{'km':>10}{'first s':>9}"
        f"{'plan s':>8}{'mean load':>11}  check"
    )
    print(
        f"{args.stops:>6}{vehicles:>7}{len(plan.routes):>6}{len(plan.dropped):>9}{km:>10.1f}"
        f"{first:>9.2f}{elapsed:>8.1f}{statistics.mean(loads) * 100 if loads else 0:>10.0f}%  "
        + ("ok" if not broken else f"{broken} BROKEN")
    )
    print(
        json.dumps(
            {
                "stops": args.stops,
                "first_feasible_s": round(first, 2),
                "plan_s": round(elapsed, 1),
                "dropped": len(plan.dropped),
                "vehicles": len(plan.routes),
                "km": round(km, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--instances", type=Path, default=SHARED / "solomon")
    parser.add_argument("--bks", type=Path, default=SHARED / "solomon_bks.csv")
    parser.add_argument("--only", help="instance name prefixes, comma separated (e.g. R1,RC2)")
    parser.add_argument("--time-limit", type=float, default=30.0)
    parser.add_argument("--stops", type=int, help="generate a city-like day with this many stops")
    parser.add_argument("--vehicles", type=int, help="fleet for --stops (default stops / 25)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--searches", help="override the searches, e.g. SAVINGS:GUIDED_LOCAL_SEARCH,..."
    )
    args = parser.parse_args()
    if args.stops:
        city(args)
    else:
        solomon(args)


if __name__ == "__main__":
    main()
