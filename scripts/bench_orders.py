"""orderCreate throughput and latency against the real server on PostgreSQL.

    python scripts/bench_orders.py [--workers 2] [--clients 32] [--seconds 20]
                                   [--orders N] [--pool-size N] [--postgres-url URL]

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
import contextlib
import json
import multiprocessing as mp
import os
import random
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchdb import create_database, drop_database, libpq, with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TOKEN_SECRET = "bench-" + secrets.token_hex(8)

ORDER_CREATE = (
    "mutation($input: OrderCreateInput!) { orderCreate(input: $input) { "
    "order { id number status totalFen } userErrors { field code message } } }"
)

N_PRODUCTS = 50
PER_CUSTOMER_LIMIT = 200  # far above what one customer orders in a run
GENEROUS_CAP = 10_000_000


# --------------------------------------------------------------------------
# Database: create, seed, check, drop
# --------------------------------------------------------------------------


@dataclass
class Seed:
    campaign_id: int
    item_gids: list[str]
    point_gids: list[str]
    tokens: list[str]
    capped: int = 0
    uncapped: int = 0
    limited: int = 0


async def seed(url: str, *, customers: int, points: int) -> Seed:
    """Everything orders need, built through the domain functions."""
    from api.graphql.ids import encode
    from fulfilment.campaigns import campaigns, catalog
    from fulfilment.campaigns.models import StorageZone
    from fulfilment.campaigns.service_areas import assign_warehouse
    from fulfilment.campaigns.warehouses import create_warehouse
    from kernel.accounts import TOKEN_PREFIX, ApiToken, Role, User, create_user, token_digest
    from kernel.clock import utcnow
    from kernel.db import create_engine, create_sessionmaker, unit_of_work
    from kernel.geo import LatLon
    from kernel.settings import Settings
    from leaders.applications import lifecycle as applications
    from leaders.points.queries import pickup_points_by_leader

    settings = Settings(database_url=url, token_secret=TOKEN_SECRET)
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    rng = random.Random(7)
    now = utcnow()
    try:
        async with unit_of_work(sessions) as session:
            operator, _ = await create_user(
                session, name="运营-bench", role=Role.OPERATOR, secret=TOKEN_SECRET
            )
            warehouse = await create_warehouse(
                session,
                name="长沙望城中心仓-bench",
                address="长沙市望城区金星北路 1 号",
                location=LatLon(28.35, 112.82),
                created_by=operator,
            )
            supplier = await catalog.create_supplier(
                session, name="供应商-bench", contact_name="老王", contact_phone="13900139000"
            )
            drafts = []
            counts = {"capped": 0, "uncapped": 0, "limited": 0}
            for index in range(N_PRODUCTS):
                product = await catalog.create_product(
                    session,
                    catalog.ProductDraft(
                        supplier_id=supplier.id,
                        name=f"商品{index:02d}",
                        category="水果",
                        unit="500g/盒",
                        weight_g=500,
                        volume_ml=800,
                        case_pack=12,
                        cost_fen=600,
                        storage_zone=StorageZone.AMBIENT,
                    ),
                )
                price = 500 + 10 * index
                cap: int | None = None
                limit: int | None = None
                if index % 10 == 9:  # a few limited per customer
                    limit = PER_CUSTOMER_LIMIT
                    counts["limited"] += 1
                elif index % 2 == 0:  # capped, generously
                    cap = GENEROUS_CAP
                    counts["capped"] += 1
                else:
                    counts["uncapped"] += 1
                drafts.append(
                    campaigns.ItemDraft(
                        product_id=product.id,
                        group_price_fen=price,
                        list_price_fen=price + 300,
                        cap=cap,
                        per_customer_limit=limit,
                    )
                )
            campaign = await campaigns.create_campaign(
                session,
                campaigns.CampaignDraft(
                    warehouse_id=warehouse.id,
                    delivery_date=(now + timedelta(days=2)).date(),
                    opens_at=now - timedelta(hours=1),
                    cutoff_at=now + timedelta(hours=2),
                    pickup_start=dtime(14),
                    pickup_end=dtime(20),
                ),
                drafts,
                created_by=operator,
                zone=settings.zone,
                now=now,
            )
            item_ids = [i.id for i in await campaigns.campaign_items(session, [campaign.id])]

            # Approved leaders' pickup points, served by the warehouse.
            point_ids = []
            for index in range(points):
                applicant, _ = await create_user(
                    session, name=f"团长{index:03d}", role=Role.CUSTOMER, secret=TOKEN_SECRET
                )
                leader = await applications.apply(
                    session,
                    applicant,
                    applications.PickupPointDraft(
                        name=f"幸福小区{index:03d}",
                        address=f"长沙市岳麓区桃子湖路 {index + 1} 号",
                        location=LatLon(28.15 + rng.uniform(0, 0.1), 112.90 + rng.uniform(0, 0.1)),
                        window_start=dtime(7),
                        window_end=dtime(11),
                        contact_phone="13800138000",
                    ),
                )
                await applications.approve(session, leader.id, operator)
                point = (await pickup_points_by_leader(session, [leader.id]))[leader.id]
                await assign_warehouse(session, point.id, warehouse.id)
                point_ids.append(point.id)

        # Customers and their tokens in bulk: one INSERT … VALUES batch each
        # (create_user would flush twice per user). Same token shape and
        # digest as kernel.accounts.issue_token.
        tokens: list[str] = []
        async with unit_of_work(sessions) as session:
            users = [User(name=f"团员{n:05d}", role=Role.CUSTOMER) for n in range(customers)]
            session.add_all(users)
            await session.flush()
            for user in users:
                token = TOKEN_PREFIX + secrets.token_urlsafe(32)
                tokens.append(token)
                session.add(ApiToken(user_id=user.id, digest=token_digest(token, TOKEN_SECRET)))
            await session.flush()
    finally:
        await engine.dispose()
    return Seed(
        campaign_id=campaign.id,
        item_gids=[encode("CampaignItem", i) for i in item_ids],
        point_gids=[encode("PickupPoint", p) for p in point_ids],
        tokens=tokens,
        **counts,
    )


@dataclass
class Checks:
    orders_in_db: int
    orders_expected: int
    items_checked: int
    reserved_mismatches: list[tuple[int, int, int]]
    over_cap: list[tuple[int, int, int]]

    @property
    def count_ok(self) -> bool:
        return self.orders_in_db == self.orders_expected

    @property
    def reserved_ok(self) -> bool:
        return not self.reserved_mismatches and not self.over_cap


def check_books(url: str, campaign_id: int, expected_orders: int) -> Checks:
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True) as conn:
        rows = conn.execute(
            """
            SELECT ci.id, ci.reserved, ci.cap,
                   COALESCE((SELECT sum(ol.quantity)
                               FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                              WHERE ol.campaign_item_id = ci.id
                                AND o.status IN ('pending_payment', 'paid')), 0)
              FROM campaign_items ci WHERE ci.campaign_id = %s ORDER BY ci.id
            """,
            (campaign_id,),
        ).fetchall()
        count_row = conn.execute("SELECT count(*) FROM orders").fetchone()
    mismatches = [(i, r, int(s)) for i, r, _, s in rows if r != s]
    over = [(i, r, c) for i, r, c, _ in rows if c is not None and r > c]
    return Checks(
        orders_in_db=int(count_row[0]) if count_row else -1,
        orders_expected=expected_orders,
        items_checked=len(rows),
        reserved_mismatches=mismatches,
        over_cap=over,
    )


# --------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tuangou_executable() -> str:
    beside = Path(sys.executable).parent / "tuangou"
    if beside.exists():
        return str(beside)
    found = shutil.which("tuangou")
    if found is None:
        raise SystemExit("cannot find the 'tuangou' console script; pip install -e . first")
    return found


def _is_resource_tracker(pid: int) -> bool:
    try:
        return b"resource_tracker" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True


class Server:
    def __init__(self, url: str, workers: int, log_path: Path, pool_size: int) -> None:
        self.url = url
        self.workers = workers
        self.pool_size = pool_size
        self.port = free_port()
        self.log_path = log_path
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        import httpx

        env = dict(os.environ)
        env.update(
            TUANGOU_DATABASE_URL=self.url,
            TUANGOU_GRAPHIQL="false",
            TUANGOU_TOKEN_SECRET=TOKEN_SECRET,
            TUANGOU_GEOCODER="none",
            TUANGOU_DB_POOL_SIZE=str(self.pool_size),
        )
        cmd = [
            tuangou_executable(),
            "serve",
            "--workers",
            str(self.workers),
            "--no-migrate",
            "--port",
            str(self.port),
        ]
        log = self.log_path.open("wb")
        # Its own session: a Ctrl-C at the terminal reaches us, and we stop it.
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                healthy = httpx.get(self.base + "/healthz", timeout=2).status_code == 200
                # With several workers, wait until they have all been started.
                if healthy and len(self.worker_pids()) >= (self.workers if self.workers > 1 else 0):
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not healthy after {timeout:.0f}s:\n{self.log_tail()}")

    def worker_pids(self) -> list[int]:
        """The uvicorn worker processes (the server itself with one worker)."""
        if self.proc is None:
            return []
        try:
            children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        except OSError:
            return []
        pids = [int(p) for p in children.split() if not _is_resource_tracker(int(p))]
        return pids or [self.proc.pid]

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            # The group is the server and the workers it forked (start_new_session).
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)


# --------------------------------------------------------------------------
# The load generator (its own process)
# --------------------------------------------------------------------------


@dataclass
class LoadConfig:
    base: str
    clients: int
    warmup: float
    seconds: float
    orders: int | None
    tokens: list[str]
    point_gids: list[str]
    item_gids: list[str]
    timeout: float = 30.0


@dataclass
class LoadResult:
    latencies_ms: list[float] = field(default_factory=list)
    ok: int = 0
    http_errors: int = 0
    graphql_errors: int = 0
    user_errors: int = 0
    other_errors: int = 0  # 200 with neither an order nor an error
    warmup_ok: int = 0
    warmup_failed: int = 0
    elapsed: float = 0.0
    cpu_s: float = 0.0
    samples: dict[str, str] = field(default_factory=dict)


def _classify(result: LoadResult, status: int, body: Any, text: str) -> str:
    if status != 200 or not isinstance(body, dict):
        result.samples.setdefault("http", f"{status}: {text[:300]}")
        return "http"
    if body.get("errors"):
        result.samples.setdefault("graphql", json.dumps(body["errors"])[:300])
        return "graphql"
    payload = (body.get("data") or {}).get("orderCreate") or {}
    if payload.get("userErrors"):
        result.samples.setdefault("user", json.dumps(payload["userErrors"])[:300])
        return "user"
    if (payload.get("order") or {}).get("id"):
        return "ok"
    result.samples.setdefault("other", text[:300])
    return "other"


class Connection:
    """One keep-alive HTTP/1.1 connection of the load generator: a request
    written whole, a response read by its Content-Length (uvicorn always
    sends one). The load shares the two cores with the server it measures:
    aiohttp's client, before it, took 15-16 % of them, this takes 9 %."""

    def __init__(self, base: str, timeout: float) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.timeout = host, int(port or 80), timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, body: bytes, headers: bytes) -> tuple[int, bytes]:
        async with asyncio.timeout(self.timeout):
            if self.writer is None or self.reader is None or self.reader.at_eof():
                self.close()
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            request = (
                f"POST {path} HTTP/1.1\r\nHost: {self.host}\r\nContent-Length: {len(body)}\r\n"
            ).encode()
            self.writer.write(request + headers + b"\r\n" + body)
            try:
                head = await self.reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                fields = dict(
                    line.split(b":", 1) for line in head.split(b"\r\n")[1:] if b":" in line
                )
                named = {k.strip().lower(): v.strip().lower() for k, v in fields.items()}
                if b"content-length" not in named:
                    raise ConnectionError("response without Content-Length")
                body = await self.reader.readexactly(int(named[b"content-length"]))
                if named.get(b"connection") == b"close":
                    self.close()  # the next request opens a new connection
                return status, body
            except BaseException:
                self.close()  # a half-read response leaves the stream unusable
                raise

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


async def _drive(cfg: LoadConfig) -> LoadResult:
    result = LoadResult()
    rng = random.Random()
    headers_by_token = [
        f"Authorization: Bearer {t}\r\nContent-Type: application/json\r\n".encode()
        for t in cfg.tokens
    ]
    start = time.perf_counter()
    warmup_end = start + cfg.warmup
    measure_end = warmup_end + cfg.seconds
    issued = 0
    last_done = warmup_end

    async def one(http: Connection) -> tuple[str, float]:
        lines = [
            {"campaignItemId": gid, "quantity": rng.randint(1, 2)}
            for gid in rng.sample(cfg.item_gids, rng.randint(1, 3))
        ]
        body = json.dumps(
            {
                "query": ORDER_CREATE,
                "variables": {
                    "input": {
                        "pickupPointId": rng.choice(cfg.point_gids),
                        "lines": lines,
                        "idempotencyKey": uuid.uuid4().hex,
                    }
                },
            }
        ).encode()
        t0 = time.perf_counter()
        try:
            status, raw = await http.post("/graphql", body, rng.choice(headers_by_token))
            text = raw.decode("utf-8", "replace")
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = None
            kind = _classify(result, status, parsed, text)
        except (
            OSError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
            TimeoutError,
        ) as exc:
            result.samples.setdefault("http", f"{type(exc).__name__}: {exc}")
            kind = "http"
        return kind, (time.perf_counter() - t0) * 1000.0

    async def client() -> None:
        http = Connection(cfg.base, cfg.timeout)
        try:
            await drive(http)
        finally:
            http.close()

    async def drive(http: Connection) -> None:
        nonlocal issued, last_done
        while True:
            now = time.perf_counter()
            measured = now >= warmup_end
            if measured:
                if now >= measure_end or (cfg.orders is not None and issued >= cfg.orders):
                    return
                issued += 1
            kind, ms = await one(http)
            if not measured:
                if kind == "ok":
                    result.warmup_ok += 1
                else:
                    result.warmup_failed += 1
                continue
            last_done = max(last_done, time.perf_counter())
            result.latencies_ms.append(ms)
            if kind == "ok":
                result.ok += 1
            elif kind == "http":
                result.http_errors += 1
            elif kind == "graphql":
                result.graphql_errors += 1
            elif kind == "user":
                result.user_errors += 1
            else:
                result.other_errors += 1

    cpu0 = time.process_time()
    await asyncio.gather(*(client() for _ in range(cfg.clients)))
    result.cpu_s = time.process_time() - cpu0
    result.elapsed = max(last_done - warmup_end, 1e-9)
    return result


def loadgen_main(cfg: LoadConfig, conn: Any) -> None:
    """Entry point of the load-generator process: runs, sends back a LoadResult."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when to stop
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass
    try:
        conn.send(("ok", asyncio.run(_drive(cfg))))
    except BaseException as exc:
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def run_load(cfg: LoadConfig) -> LoadResult:
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=loadgen_main, args=(cfg, child), name="bench-loadgen")
    proc.start()
    child.close()
    try:
        limit = cfg.warmup + cfg.seconds + cfg.timeout + 60
        if not parent.poll(limit):
            raise RuntimeError("the load generator did not finish in time")
        status, payload = parent.recv()
        if status != "ok":
            raise RuntimeError(f"load generator failed: {payload}")
        return payload  # type: ignore[no-any-return]
    finally:
        proc.join(timeout=5)
        if proc.is_alive():
            proc.kill()
            proc.join()


# --------------------------------------------------------------------------
# CPU accounting (to see who used the two cores)
# --------------------------------------------------------------------------


def _proc_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def postmaster_pid(admin_url: str) -> int | None:
    """The local PostgreSQL server's postmaster: the parent of a backend."""
    import psycopg

    try:
        with psycopg.connect(libpq(admin_url), autocommit=True, connect_timeout=5) as conn:
            row = conn.execute("SELECT pg_backend_pid()").fetchone()
        stat = Path(f"/proc/{int(row[0])}/stat").read_text()  # type: ignore[index]
        return int(stat.rsplit(")", 1)[1].split()[1])
    except (psycopg.Error, OSError, ValueError, TypeError):
        return None  # not a server on this machine


def postgres_cpu(postmaster: int | None) -> float:
    """CPU seconds the whole PostgreSQL server has used so far: the postmaster,
    its live children, and every child it has reaped (``cutime``/``cstime``).
    A backend that a pool opens and closes during the run counts too; summing
    the backends alive at the end missed those."""
    if postmaster is None:
        return 0.0
    try:
        fields = Path(f"/proc/{postmaster}/stat").read_text().rsplit(")", 1)[1].split()
        children = Path(f"/proc/{postmaster}/task/{postmaster}/children").read_text().split()
    except OSError:
        return 0.0
    reaped_and_own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return reaped_and_own + sum(_proc_cpu(int(pid)) for pid in children)


def _system_busy() -> tuple[float, float]:
    """(busy jiffies, total jiffies) from /proc/stat."""
    parts = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return float(sum(parts) - idle), float(sum(parts))


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--workers", type=int, default=2, help="uvicorn workers (default 2)")
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


def main() -> int:
    args = parse_args()
    if args.pool_size is None:
        from kernel.settings import Settings

        args.pool_size = Settings().db_pool_size
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    workdir = Path(tempfile.mkdtemp(prefix="tuangou-bench-"))
    server = Server(url, args.workers, workdir / "server.log", args.pool_size)
    created = False

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    # Even when started with SIGINT ignored (a background job of a script).
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from api.cli.app import migrate
        from kernel.settings import Settings

        print(f"database {name}: creating and migrating", flush=True)
        create_database(args.postgres_url, name)
        created = True
        migrate(Settings(database_url=url, token_secret=TOKEN_SECRET))
        t0 = time.perf_counter()
        seeded = asyncio.run(seed(url, customers=args.customers, points=args.points))
        print(
            f"seeded {len(seeded.item_gids)} items, {len(seeded.point_gids)} pickup points, "
            f"{len(seeded.tokens)} customers in {time.perf_counter() - t0:.1f}s",
            flush=True,
        )
        server.start()
        pids = server.worker_pids()
        print(f"server on {server.base} (pid {server.proc.pid if server.proc else '?'}, "
              f"workers {pids}); {args.warmup:.0f}s warm-up, then {args.seconds:.0f}s "
              f"with {args.clients} clients", flush=True)  # fmt: skip

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
        cpu_before = {pid: _proc_cpu(pid) for pid in pids}
        postmaster = postmaster_pid(args.postgres_url)
        pg_cpu0 = postgres_cpu(postmaster)
        busy0, total0 = _system_busy()
        wall0 = time.perf_counter()
        profilers: list[subprocess.Popen[bytes]] = []
        if args.profile_dir is not None:
            import threading

            threading.Timer(
                args.warmup, lambda: profilers.extend(start_profilers(args, pids))
            ).start()
        result = run_load(cfg)
        wall = time.perf_counter() - wall0
        pg_cpu = postgres_cpu(postmaster) - pg_cpu0
        busy1, total1 = _system_busy()
        worker_cpu = sum(_proc_cpu(p) - c for p, c in cpu_before.items())
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

        checks = check_books(url, seeded.campaign_id, result.warmup_ok + result.ok)
        figures = report(args, result, checks, seeded, cpu)
        if server.proc is not None and server.proc.poll() is not None:
            print("server died during the run:\n" + server.log_tail())
        ok = checks.count_ok and checks.reserved_ok
        print(json.dumps(figures))
        return 0 if ok else 1
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception:
        tail = server.log_tail()
        if tail:
            print("server log (tail):\n" + tail, file=sys.stderr)
        raise
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        try:
            server.stop()
        finally:
            if created:
                try:
                    drop_database(args.postgres_url, name)
                except Exception as exc:
                    print(f"could not drop database {name}: {exc}", file=sys.stderr)
            if args.server_log is not None and server.log_path.exists():
                shutil.copy(server.log_path, args.server_log)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
