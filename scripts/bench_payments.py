"""WeChat Pay notifications per second through the real receiver on PostgreSQL.

    python scripts/bench_payments.py [--notifications 20000] [--concurrency 32]
                                     [--workers 2] [--duplicates 0.05]
                                     [--database-url URL] [--client httpx|raw]

Creates a throwaway database (tuangou_bench_<random>), migrates it, seeds a
campaign with the order benchmark's seeding and then N orders awaiting
payment in bulk, writes fresh sandbox keys and starts ``tuangou serve`` with
WeChat Pay pointed at them. Before the clock starts it builds one
TRANSACTION.SUCCESS notification per order exactly as the sandbox sends them
(resource AES-256-GCM encrypted with the APIv3 key, signed with the platform
key), so the sender's signing is not measured. It then POSTs them, and about
5 % duplicates (the same notification again), to
``/payments/wechatpay/notify`` from ``--concurrency`` keep-alive clients,
and checks the books: every order paid, exactly one accepted notification
each, every duplicate recorded as one and never booked twice. The database
is dropped again, also on failure or Ctrl-C.

The last line printed is one JSON object:
{"notifications_per_s": …, "p99_ms": …, "errors": …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Beside this script: the order benchmark's helpers, and this one's seeding.
from bench_orders import percentile
from bench_orders_load import Connection
from bench_orders_seed import TOKEN_SECRET
from bench_orders_server import (
    Server,
    postgres_cpu,
    postmaster_pid,
    proc_cpu,
    say_if_died,
    throwaway_run,
)
from benchdb import with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench_payments_seed import (  # noqa: E402  (imports the project's modules)
    Books,
    Delivery,
    build_deliveries,
    check_books,
    seed_orders,
)

from api.sandbox.state import SandboxKeys  # noqa: E402
from kernel.wechatpay.models import TRANSACTION_NOTIFY_PATH  # noqa: E402

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"


@dataclass
class SendResult:
    """What the measured run saw from the client's side."""

    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    duplicates_ok: int = 0
    http_errors: int = 0
    elapsed: float = 0.0
    cpu_s: float = 0.0  # the sender's own CPU, so that the client's cost shows
    samples: list[str] = field(default_factory=list)


class HttpxSender:
    """The deliveries over one shared ``httpx.AsyncClient``."""

    def __init__(self, base: str, concurrency: int) -> None:
        import httpx

        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.client = httpx.AsyncClient(base_url=base, limits=limits, timeout=30.0)

    async def post(self, delivery: Delivery) -> int:
        """POST one delivery; its HTTP status."""
        response = await self.client.post(
            TRANSACTION_NOTIFY_PATH, content=delivery.body, headers=delivery.headers
        )
        return response.status_code

    async def aclose(self) -> None:
        """Close the client's pool."""
        await self.client.aclose()


class RawSender:
    """The deliveries over the order benchmark's lean keep-alive connections,
    one per client: what the client costs is not the receiver's."""

    def __init__(self, base: str, concurrency: int) -> None:
        self.base = base
        self.free = [Connection(base, 30.0) for _ in range(concurrency)]

    async def post(self, delivery: Delivery) -> int:
        """POST one delivery on a free connection; its HTTP status."""
        http = self.free.pop()
        try:
            head = "".join(f"{k}: {v}\r\n" for k, v in delivery.headers.items()).encode()
            status, _ = await http.post(TRANSACTION_NOTIFY_PATH, delivery.body, head)
            return status
        finally:
            self.free.append(http)

    async def aclose(self) -> None:
        """Close every connection."""
        for http in self.free:
            http.close()


async def send_all(
    base: str, deliveries: list[Delivery], concurrency: int, kind: str
) -> SendResult:
    """Every delivery once, ``concurrency`` at a time; each one timed."""
    sender: HttpxSender | RawSender = (
        HttpxSender(base, concurrency) if kind == "httpx" else RawSender(base, concurrency)
    )
    result = SendResult()
    queue = iter(deliveries)

    async def client() -> None:
        for delivery in queue:  # a shared iterator: each delivery goes once
            t0 = time.perf_counter()
            try:
                status = await sender.post(delivery)
            except Exception as exc:  # a transport failure is an error, not a crash
                status, note = 0, f"{type(exc).__name__}: {exc}"
            else:
                note = f"HTTP {status}"
            result.latencies_ms.append((time.perf_counter() - t0) * 1000.0)
            if 200 <= status < 300:
                result.ok += 1
                result.duplicates_ok += delivery.duplicate
            else:
                result.http_errors += 1
                if len(result.samples) < 5:
                    result.samples.append(f"order {delivery.order}: {note}")

    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        await asyncio.gather(*(client() for _ in range(concurrency)))
    finally:
        result.elapsed = max(time.perf_counter() - t0, 1e-9)
        result.cpu_s = time.process_time() - cpu0
        await sender.aclose()
    return result


def report(args: argparse.Namespace, sent: SendResult, books: Books, dups: int,
           cpu: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    """The table, and the figures of the JSON line."""
    lat = sorted(sent.latencies_ms)
    n = args.notifications
    # Every way the books can be wrong counts, beside every refused request:
    # an order left unpaid, one booked twice (or refunded as paid twice), a
    # paid order without its pickup code, a re-send not recorded as one.
    wrong = (
        (n - books.paid) + books.booked_twice + books.refunds + books.without_code
        + abs(books.duplicate_rows - dups)
    )  # fmt: skip
    errors = sent.http_errors + wrong
    per_s = len(lat) / sent.elapsed
    rows = [
        ("notifications sent (of them re-sends)", f"{len(lat)} ({dups})"),
        ("seconds", f"{sent.elapsed:.2f}"),
        ("notifications/s", f"{per_s:.1f}"),
        ("latency p50 / p95 / p99 / max",
         " / ".join(f"{percentile(lat, q):.1f}" for q in (50, 95, 99)) + f" / {lat[-1]:.1f} ms"),
        ("errors (non-2xx / books)", f"{errors} ({sent.http_errors} / {wrong})"),
        ("duplicates answered 2xx / recorded as duplicate", f"{sent.duplicates_ok} / "
         f"{books.duplicate_rows} of {dups}"),
        ("orders paid / accepted notifications", f"{books.paid} / {books.accepted} of {n}"),
        ("booked twice / refunds / paid without code",
         f"{books.booked_twice} / {books.refunds} / {books.without_code}"),
        ("workers / concurrency / client", f"{args.workers} / {args.concurrency} / {args.client}"),
        ("CPU per notification: workers / postgres / client",
         f"{cpu['worker_ms']:.2f} / {cpu['postgres_ms']:.2f} / "
         f"{1000.0 * sent.cpu_s / max(1, len(lat)):.2f} ms"),
    ]  # fmt: skip
    width = max(len(k) for k, _ in rows)
    print()
    print("WeChat Pay notification benchmark".center(width + 40))
    print("-" * (width + 40))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 40))
    for sample in sent.samples:
        print("first errors:", sample)
    return {
        "notifications_per_s": round(per_s, 1),
        "p99_ms": round(percentile(lat, 99), 2),
        "errors": errors,
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--notifications", type=int, default=20_000, help="orders to pay (20000)")
    p.add_argument("--concurrency", type=int, default=32, help="requests in flight (32)")
    p.add_argument("--workers", type=int, default=2, help="server workers (default 2)")
    p.add_argument("--duplicates", type=float, default=0.05, help="share re-sent (0.05)")
    p.add_argument("--points", type=int, default=20, help="pickup points the orders use (20)")
    p.add_argument(
        "--client",
        choices=("httpx", "raw"),
        default="raw",
        help="raw: the order benchmark's lean keep-alive connections (default);\n"
        "httpx: one httpx.AsyncClient, which costs the shared cores ~20x more per request",
    )
    p.add_argument("--pool-size", type=int, default=None, help="DB connections per worker")
    p.add_argument(
        "--database-url",
        default=os.environ.get("TUANGOU_BENCH_POSTGRES_URL", DEFAULT_PG),
        help="a server to create the throwaway database on",
    )
    p.add_argument("--server-log", type=Path, default=None, help="keep the server's log here")
    args = p.parse_args(argv)
    if args.notifications < 1 or args.concurrency < 1:
        p.error("--notifications and --concurrency must be positive")
    return args


def prepare(args: argparse.Namespace, url: str, workdir: Path) -> list[Delivery]:
    """Migrate and seed the database, write the sandbox keys where the server
    reads them (its environment), and prebuild the deliveries."""
    from api.cli.app import migrate
    from kernel.settings import Settings

    migrate(Settings(database_url=url, token_secret=TOKEN_SECRET))
    t0 = time.perf_counter()
    orders = seed_orders(url, args.notifications, args.points)
    print(f"seeded {len(orders)} orders in {time.perf_counter() - t0:.1f}s", flush=True)
    keys = SandboxKeys.generate()
    # The server inherits this environment; the sandbox need not run.
    os.environ.update(keys.write(workdir / "keys", "http://127.0.0.1:9"))
    t0 = time.perf_counter()
    lag = 4 * args.concurrency
    deliveries = build_deliveries(keys, orders, args.duplicates, lag)
    print(f"built {len(deliveries)} notifications in {time.perf_counter() - t0:.1f}s", flush=True)
    return deliveries


def measure(
    args: argparse.Namespace, server: Server, deliveries: list[Delivery]
) -> tuple[SendResult, dict[str, float]]:
    """The measured run, and the CPU the workers and PostgreSQL spent on it."""
    pids = server.worker_pids()
    cpu0 = {pid: proc_cpu(pid) for pid in pids}
    postmaster = postmaster_pid(args.database_url)
    pg0 = postgres_cpu(postmaster)
    sent = asyncio.run(send_all(server.base, deliveries, args.concurrency, args.client))
    n = max(1, len(deliveries))
    cpu = {
        "worker_ms": 1000.0 * sum(proc_cpu(p) - c for p, c in cpu0.items()) / n,
        "postgres_ms": 1000.0 * (postgres_cpu(postmaster) - pg0) / n,
    }
    return sent, cpu


def main(argv: list[str] | None = None) -> int:
    """One run, the database dropped whatever happens; 0 when errors is 0."""
    args = parse_args(argv)
    if args.pool_size is None:
        from kernel.settings import Settings

        args.pool_size = Settings().db_pool_size
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.database_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="tuangou-bench-pay-"))
    server = Server(url, args.workers, workdir / "server.log", args.pool_size)
    try:
        with throwaway_run(args.database_url, name, server, workdir, args.server_log):
            deliveries = prepare(args, url, workdir)
            server.start()
            print(f"server on {server.base} (workers {server.worker_pids()}); sending "
                  f"{len(deliveries)} with {args.concurrency} in flight", flush=True)  # fmt: skip
            sent, cpu = measure(args, server, deliveries)
            dups = sum(d.duplicate for d in deliveries)
            figures = report(args, sent, check_books(url), dups, cpu)
            say_if_died(server)
            print(json.dumps(figures))
            return 0 if figures["errors"] == 0 else 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
