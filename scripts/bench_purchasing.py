"""The night's fulfilment steps at scale on PostgreSQL: cutoff, consolidation,
shortage allocation and sorting over a million order lines.

    python scripts/bench_purchasing.py [--lines 1000000] [--points 2000]
                                       [--products 500] [--suppliers 40]
                                       [--postgres-url URL] [--seed 42]
                                       [--sql-log FILE] [--drop-index NAME]

Creates a throwaway database (tuangou_bench_<random>), migrates it, and seeds
it with set-based SQL (INSERT … SELECT generate_series): one warehouse,
suppliers, products (case packs 1–24, some items with a group threshold that
is missed and some with one that is met, some capped), approved leaders'
pickup points served by the warehouse, one campaign whose cutoff has passed,
and ``--lines`` order lines over ~lines/3 orders from many customers — 95 %
PAID (distinct transaction ids, paid over the evening, ties to the second
included), 5 % still PENDING_PAYMENT.

Then it times the real domain functions, each step in its own unit of work:

  cutoff         run_cutoff(campaign)
  consolidation  consolidate(warehouse, delivery date)
  allocation     ~5 % of the products on the purchase orders are confirmed
                 short: confirm(...) once per purchase order concerned (each
                 its own unit of work, as suppliers would), which allocates
                 the shortage at once; the step's time is the sum
  sorting        sort_day(tote 40 l); warehouse_totals and one pick_list are
                 timed as well

and the peak RSS of this process after each step (ru_maxrss is a high-water
mark). It checks the books afterwards, prints a table, and drops the database
again, also on failure or Ctrl-C.

The last line printed is one JSON object:
{"lines": …, "cutoff_s": …, "consolidation_s": …, "allocation_s": …,
 "sorting_s": …, "peak_mb": …, …}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import sys
import time
import traceback
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from benchdb import create_database, drop_database, with_database

# Runnable from anywhere as a plain script: the project root on the path.
ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DEFAULT_PG = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
TOTE_VOLUME_ML = 40_000
SHORT_SHARE = 0.05  # of the products on the purchase orders
PENDING_SHARE = 0.05  # of the orders, still unpaid at cutoff
LINES_PER_ORDER = 3  # on average (1–5)


# --------------------------------------------------------------------------
# Database: create, drop
# --------------------------------------------------------------------------


def peak_mb() -> float:
    """The process's peak resident set so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------
# Seed: set-based SQL only
# --------------------------------------------------------------------------


@dataclass
class World:
    warehouse_id: int
    campaign_id: int
    delivery_date: date
    cutoff_at: datetime
    orders: int
    paid_orders: int
    pending_orders: int
    customers: int
    missed_items: int
    met_items: int
    capped_items: int


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


# (table, column, referenced table) of the rows seeded with the triggers off.
FK_CHECKS = [
    ("leaders", "user_id", "users"),
    ("pickup_points", "leader_id", "leaders"),
    ("service_areas", "pickup_point_id", "pickup_points"),
    ("products", "supplier_id", "suppliers"),
    ("campaign_items", "product_id", "products"),
    ("orders", "campaign_id", "campaigns"),
    ("orders", "pickup_point_id", "pickup_points"),
    ("orders", "leader_id", "leaders"),
    ("orders", "customer_id", "users"),
    ("orders", "placed_by_id", "users"),
    ("order_lines", "order_id", "orders"),
    ("order_lines", "campaign_item_id", "campaign_items"),
    ("order_lines", "product_id", "products"),
]


def seed_statements(
    *, lines: int, points: int, products: int, suppliers: int, seed: int, now: datetime
) -> tuple[list[str], dict[str, Any]]:
    """The seeding SQL, in order. Every value interpolated is an int or a
    datetime computed here (no user text)."""
    n_orders_max = int(lines / LINES_PER_ORDER * 1.1) + 20
    customers = max(100, lines // 10)
    cutoff_at = now - timedelta(hours=1)
    opens_at = cutoff_at - timedelta(hours=23)
    delivery = (now + timedelta(days=1)).date()
    P, N, S, C, L = points, products, suppliers, customers, lines
    cust0 = 1 + P  # customers are users cust0+1 … cust0+C
    ts_now, ts_cut, ts_open = _ts(now), _ts(cutoff_at), _ts(opens_at)
    statements = [
        # Bulk load: foreign-key triggers off for this transaction only (the
        # keys are checked set-based afterwards, see FK_CHECKS); CHECK and
        # UNIQUE constraints still apply row by row.
        "SET LOCAL session_replication_role = replica",
        f"SELECT setseed({(seed % 1000) / 1000.0})",
        # People: an operator, the leaders, the customers.
        f"""INSERT INTO users (id, name, role, created_at)
            VALUES (1, '运营-bench', 'operator', {ts_now})""",
        f"""INSERT INTO users (id, name, role, created_at)
            SELECT 1 + g, '团长' || g, 'leader', {ts_now} FROM generate_series(1, {P}) g""",
        f"""INSERT INTO users (id, name, role, created_at)
            SELECT {cust0} + g, '团员' || g, 'customer', {ts_now} FROM generate_series(1, {C}) g""",
        f"""INSERT INTO warehouses (id, name, address, lat, lon, created_by_id, created_at)
            VALUES (1, '长沙望城中心仓-bench', '长沙市望城区金星北路 1 号', 28.345, 112.824,
                    1, {ts_now})""",
        f"""INSERT INTO leaders (id, user_id, status, applied_at, decided_at, decided_by_id)
            SELECT g, 1 + g, 'approved', {ts_open}, {ts_open}, 1 FROM generate_series(1, {P}) g""",
        f"""INSERT INTO pickup_points (id, leader_id, name, address, lat, lon, window_start,
                                       window_end, contact_phone, share_code, created_at,
                                       updated_at)
            SELECT g, g, '幸福小区' || g, '长沙市岳麓区桃子湖路 ' || g || ' 号',
                   28.05 + random() * 0.3, 112.75 + random() * 0.3, TIME '07:00', TIME '11:00',
                   '13800138000', 'BN' || lpad(g::text, 8, '0'), {ts_now}, {ts_now}
              FROM generate_series(1, {P}) g""",
        f"""INSERT INTO service_areas (pickup_point_id, warehouse_id, assigned_at)
            SELECT g, 1, {ts_now} FROM generate_series(1, {P}) g""",
        # Catalogue.
        f"""INSERT INTO suppliers (id, name, contact_name, contact_phone, created_at)
            SELECT g, '供应商' || g, '老王', '13900139000', {ts_now}
              FROM generate_series(1, {S}) g""",
        f"""INSERT INTO products (id, supplier_id, name, category, unit, weight_g, volume_ml,
                                  case_pack, cost_fen, storage_zone, created_at)
            SELECT g, 1 + (g - 1) % {S}, '商品' || g,
                   (ARRAY['水果', '蔬菜', '肉禽', '乳品', '粮油'])[1 + g % 5], '份',
                   100 + (g * 37) % 1900, 150 + (g * 53) % 2850, 1 + (g * 7) % 24,
                   200 + (g * 131) % 3000,
                   CASE WHEN g % 20 < 12 THEN 'ambient' WHEN g % 20 < 17 THEN 'chilled'
                        ELSE 'frozen' END,
                   {ts_now}
              FROM generate_series(1, {N}) g""",
        # The campaign: inserted directly, its cutoff already past.
        f"""INSERT INTO campaigns (id, warehouse_id, delivery_date, opens_at, cutoff_at,
                                   pickup_start, pickup_end, created_by_id, created_at)
            VALUES (1, 1, DATE '{delivery.isoformat()}', {ts_open}, {ts_cut}, TIME '14:00',
                    TIME '20:00', 1, {ts_open})""",
        """INSERT INTO campaign_items (id, campaign_id, product_id, group_price_fen,
                                        list_price_fen, reserved)
            SELECT p.id, 1, p.id, p.cost_fen + 90 + (p.id * 17) % 400,
                   p.cost_fen + 590 + (p.id * 17) % 400, 0
              FROM products p""",
        # Orders: 1–5 lines each, until exactly L lines. Popular products are
        # the low ids (random()²); paid over the last six hours, to the second
        # (so ties on paid_at exist and order ids break them).
        f"""CREATE TEMP TABLE bench_orders AS
            SELECT o, k, sum(k) OVER (ORDER BY o) - k AS first_line, p0, point, cust, paid,
                   paid_at, paid_at - make_interval(secs => floor(random() * 600)) AS created_at
              FROM (SELECT o, 1 + floor(random() * 5)::int AS k,
                           floor({N} * random() ^ 2)::int AS p0,
                           1 + floor(random() * {P})::int AS point,
                           1 + floor(random() * {C})::int AS cust,
                           random() >= {PENDING_SHARE} AS paid,
                           date_trunc('second', {ts_cut} - make_interval(secs => 10 +
                                      floor(random() * 6 * 3600))) AS paid_at
                      FROM generate_series(1, {n_orders_max}) o) s""",
        f"DELETE FROM bench_orders WHERE first_line >= {L}",
        f"UPDATE bench_orders SET k = {L} - first_line WHERE first_line + k > {L}",
        f"""CREATE TEMP TABLE bench_lines AS
            SELECT o.first_line + j + 1 AS id, o.o AS order_id,
                   1 + (o.p0 + j * 7) % {N} AS product_id,
                   1 + floor(random() ^ 3 * 6)::int AS quantity
              FROM bench_orders o CROSS JOIN LATERAL generate_series(0, o.k - 1) j""",
        f"""INSERT INTO orders (id, number, campaign_id, pickup_point_id, leader_id, customer_id,
                                placed_by_id, status, total_fen, idempotency_key, request_hash,
                                created_at, expires_at, paid_at, payment_transaction_id)
            SELECT o.o, 'TG' || lpad(o.o::text, 12, '0'), 1, o.point, o.point, {cust0} + o.cust,
                   {cust0} + o.cust,
                   CASE WHEN o.paid THEN 'paid' ELSE 'pending_payment' END,
                   t.total, 'bench-' || o.o, md5(o.o::text),
                   CASE WHEN o.paid THEN o.created_at ELSE {ts_cut} - interval '5 minutes' END,
                   CASE WHEN o.paid THEN o.created_at ELSE {ts_cut} END + interval '15 minutes',
                   CASE WHEN o.paid THEN o.paid_at END,
                   CASE WHEN o.paid THEN 'wx4200' || lpad(o.o::text, 14, '0') END
              FROM bench_orders o
              JOIN (SELECT l.order_id, sum(l.quantity * i.group_price_fen) AS total
                      FROM bench_lines l JOIN campaign_items i ON i.id = l.product_id
                     GROUP BY l.order_id) t ON t.order_id = o.o
             ORDER BY o.o""",
        """INSERT INTO order_lines (id, order_id, campaign_item_id, product_id, quantity,
                                    unit_price_fen, amount_fen)
           SELECT l.id, l.order_id, i.id, l.product_id, l.quantity, i.group_price_fen,
                  l.quantity * i.group_price_fen
             FROM bench_lines l JOIN campaign_items i ON i.id = l.product_id
            ORDER BY l.id""",
        # reserved = units held by pending and paid orders (all of them here);
        # a few items capped just above that; thresholds: 4 % missed (their
        # paid lines are refunded at cutoff), 4 % met.
        """UPDATE campaign_items i SET reserved = s.units
             FROM (SELECT campaign_item_id, sum(quantity) AS units FROM order_lines
                    GROUP BY campaign_item_id) s
            WHERE s.campaign_item_id = i.id""",
        "UPDATE campaign_items SET cap = reserved + 1 + id % 7 WHERE id % 10 = 3",
        """UPDATE campaign_items i
              SET group_threshold = CASE WHEN i.id % 25 = 7 THEN s.units + 1 + i.id % 5
                                         ELSE greatest(1, s.units / 2) END
             FROM (SELECT ci.id, coalesce(sum(ol.quantity) FILTER (WHERE o.status = 'paid'),
                                          0) AS units
                     FROM campaign_items ci
                     LEFT JOIN order_lines ol ON ol.campaign_item_id = ci.id
                     LEFT JOIN orders o ON o.id = ol.order_id
                    WHERE ci.id % 25 IN (7, 8)
                    GROUP BY ci.id) s
            WHERE s.id = i.id""",
        "DROP TABLE bench_lines",
        "DROP TABLE bench_orders",
    ]
    for table in (
        "users",
        "leaders",
        "pickup_points",
        "warehouses",
        "suppliers",
        "products",
        "campaigns",
        "campaign_items",
        "orders",
        "order_lines",
    ):
        statements.append(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"
        )
    info = {"cutoff_at": cutoff_at, "delivery_date": delivery, "customers": C}
    return statements, info


async def seed_world(url: str, args: argparse.Namespace, now: datetime) -> World:
    from sqlalchemy import text

    from kernel.db import create_engine

    statements, info = seed_statements(
        lines=args.lines,
        points=args.points,
        products=args.products,
        suppliers=args.suppliers,
        seed=args.seed,
        now=now,
    )
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for index in args.drop_index:
                await conn.exec_driver_sql(f'DROP INDEX "{index}"')
        async with engine.begin() as conn:
            # Driver SQL: no bind parameters, so times like '07:00' stay text.
            for sql in statements:
                await conn.exec_driver_sql(sql)
        async with engine.begin() as conn:
            for table, column, parent in FK_CHECKS:
                dangling = (
                    await conn.exec_driver_sql(
                        f"SELECT count(*) FROM {table} t WHERE NOT EXISTS "
                        f"(SELECT FROM {parent} p WHERE p.id = t.{column})"
                    )
                ).scalar_one()
                if dangling:
                    raise RuntimeError(f"seed: {dangling} {table}.{column} not in {parent}")
            await conn.exec_driver_sql("ANALYZE")
            row = (
                await conn.execute(
                    text(
                        """SELECT count(*), count(*) FILTER (WHERE status = 'paid'),
                                  count(*) FILTER (WHERE status = 'pending_payment'),
                                  (SELECT count(*) FROM order_lines),
                                  (SELECT count(*) FROM campaign_items WHERE id % 25 = 7),
                                  (SELECT count(*) FROM campaign_items WHERE id % 25 = 8),
                                  (SELECT count(*) FROM campaign_items WHERE cap IS NOT NULL)
                             FROM orders"""
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    if row[3] != args.lines:
        raise RuntimeError(f"seeded {row[3]} lines, wanted {args.lines}")
    return World(
        warehouse_id=1,
        campaign_id=1,
        delivery_date=info["delivery_date"],
        cutoff_at=info["cutoff_at"],
        orders=int(row[0]),
        paid_orders=int(row[1]),
        pending_orders=int(row[2]),
        customers=info["customers"],
        missed_items=int(row[4]),
        met_items=int(row[5]),
        capped_items=int(row[6]),
    )


# --------------------------------------------------------------------------
# The steps
# --------------------------------------------------------------------------


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    detail: str
    statements: int = 0


@dataclass
class Run:
    steps: dict[str, Step] = field(default_factory=dict)
    shorted_products: dict[int, int] = field(default_factory=dict)  # product → units short
    purchase_orders: list[tuple[int, int]] = field(default_factory=list)  # (po, supplier)
    totals: dict[int, int] = field(default_factory=dict)  # warehouse_totals: product → units
    sort_units: int = 0


class SqlLog:
    """Counts statements (and optionally writes them with their durations)
    through the engine's cursor events: what to EXPLAIN when a step is slow."""

    def __init__(self, out: TextIO | None) -> None:
        self.out = out
        self.count = 0
        self.step = ""
        self._started: list[float] = []

    def attach(self, sync_engine: Any) -> None:
        from sqlalchemy import event

        event.listen(sync_engine, "before_cursor_execute", self._before)
        event.listen(sync_engine, "after_cursor_execute", self._after)

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        self._started.append(time.perf_counter())

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        elapsed = time.perf_counter() - self._started.pop()
        self.count += 1
        if self.out is not None:
            shown = repr(params)
            if len(shown) > 2000:
                shown = shown[:2000] + f"… ({len(shown)} chars)"
            self.out.write(
                f"-- [{self.step}] {elapsed * 1000:.1f} ms\n{statement};\n-- params: {shown}\n\n"
            )
            self.out.flush()


@contextmanager
def timed(run: Run, log: SqlLog, name: str) -> Iterator[dict[str, Any]]:
    """Times the block; the block puts its summary in the dict's 'detail'."""
    info: dict[str, Any] = {"detail": ""}
    log.step = name
    before = log.count
    started = time.perf_counter()
    yield info
    seconds = time.perf_counter() - started
    run.steps[name] = Step(name, seconds, peak_mb(), str(info["detail"]), log.count - before)
    print(f"  {name:<16} {seconds:8.2f} s  peak {peak_mb():5.0f} MB  {info['detail']}", flush=True)


async def run_steps(url: str, world: World, args: argparse.Namespace, log: SqlLog) -> Run:
    from sqlalchemy import select

    from fulfilment.purchasing.consolidation import consolidate
    from fulfilment.purchasing.cutoff import run_cutoff
    from fulfilment.purchasing.models import PurchaseOrder, PurchaseOrderLine
    from fulfilment.purchasing.receiving import confirm
    from fulfilment.sorting.sorting import pick_list, sort_day, warehouse_totals
    from kernel.clock import utcnow
    from kernel.db import create_engine, create_sessionmaker, unit_of_work

    engine = create_engine(url)
    log.attach(engine.sync_engine)
    sessions = create_sessionmaker(engine)
    run = Run()
    rng = random.Random(args.seed)
    try:
        # Warm the pool (connect, type introspection) outside the timings.
        async with unit_of_work(sessions) as session:
            await session.execute(select(1))

        with timed(run, log, "cutoff") as info:
            async with unit_of_work(sessions) as session:
                cut = await run_cutoff(session, world.campaign_id, utcnow())
            info["detail"] = (
                f"{cut.expired_orders} orders expired, {cut.cancelled_items} items missed "
                f"their threshold, {cut.refunded_lines} lines refunded"
            )

        with timed(run, log, "consolidation") as info:
            async with unit_of_work(sessions) as session:
                pos = await consolidate(session, world.warehouse_id, world.delivery_date, utcnow())
                po_ids = [(po.id, po.supplier_id, po.revision) for po in pos]
            info["detail"] = f"{len(po_ids)} purchase orders"

        # What to confirm short is chosen outside the timing (a supplier
        # decides it); the step is the confirmations and their allocation.
        async with unit_of_work(sessions) as session:
            po_lines = (
                await session.execute(
                    select(
                        PurchaseOrderLine.purchase_order_id,
                        PurchaseOrderLine.product_id,
                        PurchaseOrderLine.ordered_units,
                    )
                    .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
                    .where(PurchaseOrderLine.revision == PurchaseOrder.revision)
                    .order_by(PurchaseOrderLine.id)
                )
            ).all()
        supplier_of = {po: supplier for po, supplier, _ in po_ids}
        run.purchase_orders = sorted(supplier_of.items())
        chosen = rng.sample(po_lines, max(1, round(SHORT_SHARE * len(po_lines))))
        per_po: dict[int, dict[int, int]] = defaultdict(dict)
        for po_id, product_id, ordered in chosen:
            short = max(1, round(ordered * rng.uniform(0.05, 0.6)))
            per_po[po_id][product_id] = max(0, ordered - short)
            run.shorted_products[product_id] = ordered - per_po[po_id][product_id]

        with timed(run, log, "allocation") as info:
            lines = units = 0
            for po_id in sorted(per_po):
                async with unit_of_work(sessions) as session:
                    _, summary = await confirm(
                        session, po_id, supplier_of[po_id], per_po[po_id], utcnow()
                    )
                lines += summary.lines
                units += summary.units
            info["detail"] = (
                f"{len(chosen)} of {len(po_lines)} products confirmed short on "
                f"{len(per_po)} POs: {lines} lines, {units} units shorted"
            )

        with timed(run, log, "sorting") as info:
            async with unit_of_work(sessions) as session:
                sorted_ = await sort_day(
                    session,
                    world.warehouse_id,
                    world.delivery_date,
                    tote_volume_ml=TOTE_VOLUME_ML,
                    now=utcnow(),
                )
            run.sort_units = sorted_.units
            info["detail"] = (
                f"{sorted_.pickup_points} pickup points, {sorted_.units} units, "
                f"{sorted_.totes} totes"
            )

        with timed(run, log, "warehouse_totals") as info:
            async with unit_of_work(sessions) as session:
                totals = await warehouse_totals(session, world.warehouse_id, world.delivery_date)
            run.totals = {t.product_id: t.units for t in totals}
            info["detail"] = f"{len(totals)} products, {sum(run.totals.values())} units"

        with timed(run, log, "pick_list") as info:
            async with unit_of_work(sessions) as session:
                per_product, per_customer = await pick_list(
                    session, world.warehouse_id, world.delivery_date, 1
                )
            info["detail"] = (
                f"pickup point 1: {len(per_product)} products, {len(per_customer)} customer rows"
            )
    finally:
        await engine.dispose()
    return run


# --------------------------------------------------------------------------
# Checks
# --------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


async def check_books(url: str, world: World, run: Run) -> list[Check]:
    from sqlalchemy import text

    from fulfilment.purchasing.cutoff import run_cutoff
    from fulfilment.purchasing.shortages import allocate_shortages
    from kernel.clock import utcnow
    from kernel.db import create_engine, create_sessionmaker, unit_of_work

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    checks: list[Check] = []

    async def rows(sql: str) -> list[Any]:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())

    try:
        # 1. Per product: delivered (warehouse_totals) + shorted = paid units.
        paid = {
            p: (int(u), int(s))
            for p, u, s in await rows(
                """SELECT ol.product_id, sum(ol.quantity),
                          coalesce(sum((SELECT sum(f.quantity) FROM order_line_shortfalls f
                                         WHERE f.order_line_id = ol.id)), 0)
                     FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                    WHERE o.status = 'paid' GROUP BY ol.product_id"""
            )
        }
        bad = [p for p, (u, s) in paid.items() if run.totals.get(p, 0) + s != u]
        bad += [p for p in run.totals if p not in paid]
        checks.append(
            Check(
                "per product: delivered + shorted = paid units",
                not bad,
                f"{len(paid)} products, {sum(u for u, _ in paid.values())} paid units, "
                f"{sum(s for _, s in paid.values())} shorted; {len(bad)} wrong {bad[:5]}",
            )
        )
        loads = (await rows("SELECT coalesce(sum(units), 0) FROM pickup_point_loads"))[0][0]
        total = sum(run.totals.values())
        checks.append(
            Check(
                "pickup point loads = warehouse totals",
                int(loads) == total == run.sort_units,
                f"{int(loads)} units loaded, {total} in totals",
            )
        )
        # 2. Supplier shortages: what was confirmed short is exactly covered.
        short = {
            int(p): int(u)
            for p, u in await rows(
                """SELECT ol.product_id, sum(f.quantity) FROM order_line_shortfalls f
                     JOIN order_lines ol ON ol.id = f.order_line_id
                    WHERE f.reason = 'supplier_short' GROUP BY ol.product_id"""
            )
        }
        checks.append(
            Check(
                "supplier shortfall per product = units confirmed short",
                short == run.shorted_products,
                f"{len(short)} products, {sum(short.values())} units "
                f"(expected {len(run.shorted_products)}, {sum(run.shorted_products.values())})",
            )
        )
        over = await rows(
            """SELECT ol.id FROM order_lines ol JOIN order_line_shortfalls f
                 ON f.order_line_id = ol.id
                GROUP BY ol.id, ol.quantity HAVING sum(f.quantity) > ol.quantity"""
        )
        checks.append(
            Check("no line shorted beyond its quantity", not over, f"{len(over)} lines over")
        )
        # Latest-paid first: per product the shorted lines are the latest paid
        # (paid_at desc, order id desc), at most one of them in part.
        order_bad = await rows(
            """WITH l AS (
                 SELECT ol.product_id, ol.quantity, o.paid_at, o.id AS order_id,
                        coalesce((SELECT sum(f.quantity) FROM order_line_shortfalls f
                                   WHERE f.order_line_id = ol.id
                                     AND f.reason = 'supplier_short'), 0) AS sq
                   FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                  WHERE o.status = 'paid' AND ol.product_id IN (
                        SELECT ol2.product_id FROM order_line_shortfalls f2
                          JOIN order_lines ol2 ON ol2.id = f2.order_line_id
                         WHERE f2.reason = 'supplier_short')),
               r AS (SELECT *, row_number() OVER (PARTITION BY product_id
                                                  ORDER BY paid_at DESC, order_id DESC) AS rn
                       FROM l)
               SELECT product_id FROM r GROUP BY product_id
               HAVING max(rn) FILTER (WHERE sq > 0) <> count(*) FILTER (WHERE sq > 0)
                   OR count(*) FILTER (WHERE sq > 0 AND sq < quantity) > 1"""
        )
        checks.append(
            Check(
                "latest-paid lines shorted first, at most one in part",
                not order_bad,
                f"{len(order_bad)} products out of order",
            )
        )
        # 3. Shortage refunds: shorted units × unit price, line by line.
        refunds = (
            await rows(
                """SELECT count(*),
                          count(*) FILTER (WHERE r.amount_fen <> r.quantity * ol.unit_price_fen),
                          coalesce(sum(r.amount_fen), 0),
                          (SELECT coalesce(sum(f.quantity * ol2.unit_price_fen), 0)
                             FROM order_line_shortfalls f
                             JOIN order_lines ol2 ON ol2.id = f.order_line_id
                            WHERE f.reason = 'supplier_short'),
                          count(*) FILTER (WHERE NOT EXISTS (
                              SELECT FROM order_line_shortfalls f WHERE f.refund_id = r.id))
                     FROM refunds r JOIN order_lines ol ON ol.id = r.order_line_id
                    WHERE r.reason = 'shortage'"""
            )
        )[0]
        n, wrong, fen, expected, unlinked = (int(v) for v in refunds)
        checks.append(
            Check(
                "shortage refunds = shorted units × unit price",
                wrong == 0 and fen == expected and unlinked == 0,
                f"{n} refunds, {fen} fen (shortfalls × price {expected}); {wrong} wrong, "
                f"{unlinked} without a shortfall",
            )
        )
        # 4. Money: paid totals − refunds = deliverable units × unit price.
        money = (
            await rows(
                f"""SELECT
                     (SELECT sum(total_fen) FROM orders
                       WHERE campaign_id = {world.campaign_id} AND status = 'paid'),
                     (SELECT coalesce(sum(r.amount_fen), 0) FROM refunds r
                        JOIN orders o ON o.id = r.order_id
                       WHERE o.campaign_id = {world.campaign_id}),
                     (SELECT sum((ol.quantity - coalesce(
                                 (SELECT sum(f.quantity) FROM order_line_shortfalls f
                                   WHERE f.order_line_id = ol.id), 0)) * ol.unit_price_fen)
                        FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                       WHERE o.campaign_id = {world.campaign_id} AND o.status = 'paid')"""
            )
        )[0]
        paid_fen, refund_fen, deliver_fen = (int(v) for v in money)
        checks.append(
            Check(
                "paid totals − refunds = deliverable units × price",
                paid_fen - refund_fen == deliver_fen,
                f"{paid_fen} − {refund_fen} = {paid_fen - refund_fen} fen; deliverable "
                f"{deliver_fen} fen",
            )
        )
        # Cutoff's own books: nothing pending, reserved = paid units.
        cut = (
            await rows(
                """SELECT (SELECT count(*) FROM orders WHERE status = 'pending_payment'),
                          (SELECT count(*) FROM campaign_items i WHERE i.reserved <>
                             coalesce((SELECT sum(ol.quantity) FROM order_lines ol
                                        JOIN orders o ON o.id = ol.order_id
                                       WHERE ol.campaign_item_id = i.id
                                         AND o.status = 'paid'), 0)),
                          (SELECT count(*) FROM campaign_items WHERE cancelled_at IS NOT NULL)"""
            )
        )[0]
        checks.append(
            Check(
                "cutoff: no order pending, reserved = paid units",
                int(cut[0]) == 0 and int(cut[1]) == 0 and int(cut[2]) <= world.missed_items,
                f"{int(cut[0])} pending, {int(cut[1])} items off, {int(cut[2])} cancelled "
                f"(≤ {world.missed_items} seeded to miss)",
            )
        )
        # 5. Idempotence: allocation again adds nothing; cutoff again is done.
        before = (await rows("SELECT count(*) FROM refunds"))[0][0]
        added = 0
        for po_id, _ in run.purchase_orders:
            async with unit_of_work(sessions) as session:
                again = await allocate_shortages(session, po_id, utcnow())
            added += again.lines + again.units
        after = (await rows("SELECT count(*) FROM refunds"))[0][0]
        checks.append(
            Check(
                "allocation again adds nothing",
                added == 0 and before == after,
                f"{len(run.purchase_orders)} POs; {added} lines/units, refunds {before} → {after}",
            )
        )
        async with unit_of_work(sessions) as session:
            again_cut = await run_cutoff(session, world.campaign_id, utcnow())
        checks.append(
            Check(
                "cutoff again: already_done",
                again_cut.already_done and again_cut.expired_orders == 0,
                f"already_done={again_cut.already_done}",
            )
        )
    finally:
        await engine.dispose()
    return checks


# --------------------------------------------------------------------------
# Report and main
# --------------------------------------------------------------------------

TARGETS = {"consolidation": 3.0, "allocation": 5.0, "sorting": 5.0}
PEAK_TARGET_MB = 500.0


def report(
    args: argparse.Namespace, world: World, run: Run, checks: list[Check], seed_s: float
) -> dict[str, Any]:
    rows: list[tuple[str, str]] = [
        (
            "seed",
            f"{args.lines} lines, {world.orders} orders ({world.paid_orders} paid, "
            f"{world.pending_orders} pending), {world.customers} customers, {args.points} "
            f"pickup points, {args.products} products, {args.suppliers} suppliers "
            f"in {seed_s:.1f} s",
        ),
        (
            "items",
            f"{world.missed_items} set to miss their threshold, {world.met_items} to meet it, "
            f"{world.capped_items} capped",
        ),
    ]
    for step in run.steps.values():
        target = TARGETS.get(step.name)
        verdict = ""
        if target is not None:
            verdict = f" (target < {target:.0f} s: {'met' if step.seconds < target else 'MISSED'})"
        rows.append(
            (
                step.name,
                f"{step.seconds:7.2f} s  peak {step.peak_mb:5.0f} MB  "
                f"{step.statements:4d} stmts{verdict}  {step.detail}",
            )
        )
    peak = max(s.peak_mb for s in run.steps.values())
    rows.append(
        ("peak RSS", f"{peak:.0f} MB (target < {PEAK_TARGET_MB:.0f} MB: "
         f"{'met' if peak < PEAK_TARGET_MB else 'MISSED'})")
    )  # fmt: skip
    for check in checks:
        rows.append((f"check: {check.name}", ("OK " if check.ok else "FAILED ") + check.detail))
    width = max(len(k) for k, _ in rows)
    print()
    print("purchasing benchmark".center(width + 60))
    print("-" * (width + 60))
    for key, value in rows:
        print(f"{key:<{width}}  {value}")
    print("-" * (width + 60))
    s = run.steps
    return {
        "lines": args.lines,
        "cutoff_s": round(s["cutoff"].seconds, 3),
        "consolidation_s": round(s["consolidation"].seconds, 3),
        "allocation_s": round(s["allocation"].seconds, 3),
        "sorting_s": round(s["sorting"].seconds, 3),
        "peak_mb": round(peak, 1),
        "warehouse_totals_s": round(s["warehouse_totals"].seconds, 3),
        "pick_list_s": round(s["pick_list"].seconds, 3),
        "seed_s": round(seed_s, 1),
        "orders": world.orders,
        "shorted_products": len(run.shorted_products),
        "peak_mb_by_step": {k: round(v.peak_mb, 1) for k, v in s.items()},
        "checks_ok": all(c.ok for c in checks),
    }


def parse_args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--lines", type=int, default=1_000_000, help="order lines (default 1000000)")
    p.add_argument("--points", type=int, default=2000, help="pickup points (default 2000)")
    p.add_argument("--products", type=int, default=500, help="products (default 500)")
    p.add_argument("--suppliers", type=int, default=40, help="suppliers (default 40)")
    p.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    p.add_argument(
        "--postgres-url", default=os.environ.get("TUANGOU_BENCH_POSTGRES_URL", DEFAULT_PG)
    )
    p.add_argument(
        "--sql-log", type=Path, default=None, help="write every timed statement here, with its ms"
    )
    p.add_argument(
        "--drop-index",
        action="append",
        default=[],
        metavar="NAME",
        help="drop this index after migrating (A/B measurements; repeatable)",
    )
    args = p.parse_args()
    if args.products < 40 or args.points < 1 or args.suppliers < 1 or args.lines < 100:
        p.error("need at least 40 products, 1 point, 1 supplier and 100 lines")
    return args


async def _main(url: str, args: argparse.Namespace, log: SqlLog) -> tuple[World, Run, float]:
    from kernel.clock import utcnow

    t0 = time.perf_counter()
    world = await seed_world(url, args, utcnow())
    seed_s = time.perf_counter() - t0
    print(
        f"seeded {args.lines} lines in {world.orders} orders ({world.pending_orders} pending) "
        f"in {seed_s:.1f}s; peak {peak_mb():.0f} MB",
        flush=True,
    )
    run = await run_steps(url, world, args, log)
    return world, run, seed_s


def main() -> int:
    args = parse_args()
    name = f"tuangou_bench_{uuid.uuid4().hex[:10]}"
    url = with_database(args.postgres_url, name)
    created = False
    sql_out = args.sql_log.open("w") if args.sql_log else None
    log = SqlLog(sql_out)

    def on_sigterm(*_: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        from api.cli.app import migrate
        from kernel.settings import Settings

        print(f"database {name}: creating and migrating", flush=True)
        create_database(args.postgres_url, name)
        created = True
        migrate(Settings(database_url=url))
        world, run, seed_s = asyncio.run(_main(url, args, log))
        checks = asyncio.run(check_books(url, world, run))
        figures = report(args, world, run, checks, seed_s)
        print(json.dumps(figures))
        return 0 if figures["checks_ok"] else 1
    except KeyboardInterrupt:
        print("interrupted; cleaning up", file=sys.stderr)
        return 130
    except Exception as exc:
        # SQLAlchemy errors quote the whole statement: keep the report readable.
        text = "".join(traceback.format_exception(exc))
        print(text if len(text) < 6000 else text[:3000] + "\n…\n" + text[-3000:], file=sys.stderr)
        print(json.dumps({"lines": args.lines, "error": f"{type(exc).__name__}: {exc}"[:500]}))
        return 1
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if sql_out is not None:
            sql_out.close()
        if created:
            try:
                drop_database(args.postgres_url, name)
            except Exception as exc:
                print(f"could not drop database {name}: {exc}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
