"""orderCreate throughput and latency against the real server on PostgreSQL.

    python scripts/bench_orders.py [--workers 2] [--clients 32] [--seconds 20]
                                   [--orders N] [--pool-size N] [--postgres-url URL]
                                   [--server tuangou|gunicorn]

Creates a throwaway database (tuangou_bench_<random>), migrates it, seeds one
open campaign through the domain functions, starts ``tuangou serve`` as a
subprocess, drives orderCreate over HTTP from a separate load-generator
process, checks the books afterwards (reserved units and order count) and
drops the database again, also on failure or Ctrl-C.

The last line printed is one JSON object:
{"orders_per_s": …, "p50_ms": …, "p99_ms": …, "errors": …, …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

# Beside this script: the load generator, the seeding and the books, the server.
from bench_orders_load import LoadConfig, LoadResult, run_load
from bench_orders_seed import TOKEN_SECRET, Checks, Seed, check_books, seed
from bench_orders_server import (
    Server,
    postgres_cpu,
    postmaster_pid,
    proc_cpu,
    say_if_died,
    system_busy,
    throwaway_run,
)
from benchdb import with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values) + 0.5) - 1))
    return sorted_values[index]


def report(
    args: argparse.Namespace,
    result: LoadResult,
    checks: Checks,
    seeded: Seed,
    cpu: dict[str, float],
) -> dict[str, Any]:
    lat = sorted(result.latencies_ms)
    errors = result.http_errors + result.graphql_errors + result.user_errors + result.other_errors
    per_s = result.ok / result.elapsed
    figures = {
        "orders_per_s": round(per_s, 1),
        "p50_ms": round(percentile(lat, 50), 2),
        "p99_ms": round(percentile(lat, 99), 2),
        "errors": errors,
        "p90_ms": round(percentile(lat, 90), 2),
        "max_ms": round(lat[-1] if lat else 0.0, 2),
        "orders": result.ok,
        "seconds": round(result.elapsed, 2),
        "workers": args.workers,
        "clients": args.clients,
        "pool_size": args.pool_size,
        "checks_ok": checks.count_ok and checks.reserved_ok,
        "server_cpu_ms_per_order": round(cpu["worker_ms"], 2),
    }
    pcts = " / ".join(f"{percentile(lat, q):.1f}" for q in (50, 90, 99)) + (
        f" / {lat[-1] if lat else 0.0:.1f} ms"
    )
    rows = [
        ("orders (successful, measured)", f"{result.ok}"),
        ("seconds (measured)", f"{result.elapsed:.2f}"),
        ("orders/s", f"{per_s:.1f}"),
        ("latency p50 / p90 / p99 / max", pcts),
        ("latency mean", f"{statistics.fmean(lat) if lat else 0.0:.1f} ms"),
        ("errors: HTTP / GraphQL / userErrors / other",
         f"{result.http_errors} / {result.graphql_errors} / {result.user_errors} / "
         f"{result.other_errors}"),
        ("workers / clients / pool per worker",
         f"{args.workers} / {args.clients} / {args.pool_size}"),
        ("warm-up (not counted)", f"{args.warmup:.0f} s, {result.warmup_ok} orders, "
         f"{result.warmup_failed} failed"),
        ("seed", f"{len(seeded.item_gids)} items ({seeded.capped} capped, {seeded.uncapped} "
         f"uncapped, {seeded.limited} per-customer limited), {len(seeded.point_gids)} pickup "
         f"points, {len(seeded.tokens)} customers"),
        ("CPU during run (of 2 cores = 200%)",
         f"system {cpu['system']:.0f}%, server workers {cpu['workers']:.0f}%, "
         f"postgres (whole server) {cpu['postgres']:.0f}%, "
         f"load generator {cpu['loadgen']:.0f}%"),
        ("CPU per request: server workers / postgres",
         f"{cpu['worker_ms']:.2f} / {cpu['postgres_ms']:.2f} ms"),
        ("check: reserved == Σ holding lines",
         ("OK" if checks.reserved_ok else "FAILED")
         + f" ({checks.items_checked} items; {len(checks.reserved_mismatches)} mismatched, "
         f"{len(checks.over_cap)} over cap)"),
        ("check: orders in DB == successful",
         ("OK" if checks.count_ok else "FAILED")
         + f" ({checks.orders_in_db} in DB, {checks.orders_expected} counted incl. warm-up)"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print()
    print("orderCreate benchmark".center(width + 40))
    print("-" * (width + 40))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 40))
    for kind, sample in result.samples.items():
        print(f"first {kind} error: {sample}")
    if checks.reserved_mismatches:
        print("reserved mismatches (item, reserved, Σ lines):", checks.reserved_mismatches[:10])
    if checks.over_cap:
        print("over cap (item, reserved, cap):", checks.over_cap[:10])
    return figures


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
    p.add_argument(
        "--server",
        choices=("tuangou", "gunicorn"),
        default="tuangou",
        help="tuangou serve (a socket per worker, SO_REUSEPORT) or gunicorn with "
        "uvicorn-worker and --reuse-port (one shared socket), to compare",
    )
    p.add_argument("--clients", type=int, default=32, help="concurrent HTTP clients (default 32)")
    p.add_argument(
        "--pool-size",
        type=int,
        default=None,
        help="database connections per worker (default: the server's, TUANGOU_DB_POOL_SIZE)",
    )
    p.add_argument("--seconds", type=float, default=20.0, help="measured seconds (default 20)")
    p.add_argument("--orders", type=int, default=None, help="stop after this many requests")
    p.add_argument("--warmup", type=float, default=3.0, help="warm-up seconds, not counted")
    p.add_argument("--customers", type=int, default=3000, help="customer accounts (default 3000)")
    p.add_argument("--points", type=int, default=200, help="pickup points (default 200)")
    p.add_argument(
        "--postgres-url", default=os.environ.get("TUANGOU_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    p.add_argument("--server-log", type=Path, default=None, help="keep the server's log here")
    p.add_argument(
        "--profile-dir",
        type=Path,
        default=None,
        help="record each worker with py-spy during the measured window into this folder",
    )
    return p.parse_args()


def start_profilers(args: argparse.Namespace, pids: list[int]) -> list[subprocess.Popen[bytes]]:
    if args.profile_dir is None:
        return []
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    args.profile_dir.mkdir(parents=True, exist_ok=True)
    procs = []
    for pid in pids:
        out = args.profile_dir / f"worker-{pid}.txt"
        procs.append(
            subprocess.Popen(
                [spy, "record", "--pid", str(pid), "--duration", str(int(args.seconds)),
                 "--rate", "200", "--format", "raw", "--output", str(out), "--nonblocking"],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )
        )  # fmt: skip
    return procs


def migrate_and_seed(url: str, args: argparse.Namespace) -> Seed:
    """Migrate the fresh database, then seed it through the domain functions."""
    from api.cli.app import migrate
    from kernel.settings import Settings

    migrate(Settings(database_url=url, token_secret=TOKEN_SECRET))
    t0 = time.perf_counter()
    seeded = asyncio.run(seed(url, customers=args.customers, points=args.points))
    print(
        f"seeded {len(seeded.item_gids)} items, {len(seeded.point_gids)} pickup points, "
        f"{len(seeded.tokens)} customers in {time.perf_counter() - t0:.1f}s",
        flush=True,
    )
    return seeded


def measure(
    args: argparse.Namespace, server: Server, seeded: Seed, pids: list[int]
) -> tuple[LoadResult, dict[str, float]]:
    """The load from its own process, and who used the CPU meanwhile."""
    cfg = LoadConfig(
        base=server.base,
        clients=args.clients,
        warmup=args.warmup,
        seconds=args.seconds,
        orders=args.orders,
        tokens=seeded.tokens,
        point_gids=seeded.point_gids,
        item_gids=seeded.item_gids,
    )
    # CPU counters are sampled around the whole load (warm-up included);
    # only the shares are reported.
    cpu_before = {pid: proc_cpu(pid) for pid in pids}
    postmaster = postmaster_pid(args.postgres_url)
    pg_cpu0 = postgres_cpu(postmaster)
    busy0, total0 = system_busy()
    wall0 = time.perf_counter()
    profilers: list[subprocess.Popen[bytes]] = []
    if args.profile_dir is not None:
        import threading

        threading.Timer(args.warmup, lambda: profilers.extend(start_profilers(args, pids))).start()
    result = run_load(cfg)
    wall = time.perf_counter() - wall0
    pg_cpu = postgres_cpu(postmaster) - pg_cpu0
    busy1, total1 = system_busy()
    worker_cpu = sum(proc_cpu(p) - c for p, c in cpu_before.items())
    requests = max(1, result.warmup_ok + result.warmup_failed + len(result.latencies_ms))
    cpu = {
        # CPU time per request: steadier than orders/s on a machine that
        # other work shares.
        "worker_ms": 1000.0 * worker_cpu / requests,
        "postgres_ms": 1000.0 * pg_cpu / requests,
        "system": 100.0 * os.cpu_count() * (busy1 - busy0) / max(total1 - total0, 1),  # type: ignore[operator]
        "workers": 100.0 * worker_cpu / wall,
        "loadgen": 100.0 * result.cpu_s / wall,
        "postgres": 100.0 * pg_cpu / wall,
    }
    for prof in profilers:
        prof.wait(timeout=60)
    return result, cpu


def main() -> int:
    args = parse_args()
    if args.pool_size is None:
        from kernel.settings import Settings

        args.pool_size = Settings().db_pool_size
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="tuangou-bench-"))
    server = Server(url, args.workers, workdir / "server.log", args.pool_size, args.server)
    try:
        with throwaway_run(args.postgres_url, name, server, workdir, args.server_log):
            seeded = migrate_and_seed(url, args)
            server.start()
            pids = server.worker_pids()
            print(f"server on {server.base} (pid {server.proc.pid if server.proc else '?'}, "
                  f"workers {pids}); {args.warmup:.0f}s warm-up, then {args.seconds:.0f}s "
                  f"with {args.clients} clients", flush=True)  # fmt: skip
            result, cpu = measure(args, server, seeded, pids)

            checks = check_books(url, seeded.campaign_id, result.warmup_ok + result.ok)
            figures = report(args, result, checks, seeded, cpu)
            say_if_died(server)
            print(json.dumps(figures))
            return 0 if checks.count_ok and checks.reserved_ok else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
