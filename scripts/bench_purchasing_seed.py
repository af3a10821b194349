"""The purchasing benchmark's world, seeded with set-based SQL (INSERT …
SELECT generate_series) with the foreign-key triggers off and the keys
checked afterwards: people, a warehouse and its pickup points, the
catalogue, a campaign whose cutoff has passed, and its orders."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

PENDING_SHARE = 0.05  # of the orders, still unpaid at cutoff
LINES_PER_ORDER = 3  # on average (1–5)


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
        *_people(P, C, cust0, ts_now, ts_open),
        *_catalogue(N, S, delivery, ts_now, ts_open, ts_cut),
        *_orders(P, N, C, L, cust0, ts_cut, n_orders_max),
        *_reservations(),
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


def _people(P: int, C: int, cust0: int, ts_now: str, ts_open: str) -> list[str]:
    """The operator, the leaders and the customers; the warehouse, and the
    leaders' approved pickup points it serves."""
    return [
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
    ]


def _catalogue(N: int, S: int, delivery: date, ts_now: str, ts_open: str, ts_cut: str) -> list[str]:
    """Suppliers, products, and the campaign selling every product."""
    return [
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
    ]


def _orders(
    P: int, N: int, C: int, L: int, cust0: int, ts_cut: str, n_orders_max: int
) -> list[str]:
    """Exactly ``L`` order lines over as many orders as it takes."""
    return [
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
                                created_at, expires_at, paid_at, payment_transaction_id,
                                paid_fen)
            SELECT o.o, 'TG' || lpad(o.o::text, 12, '0'), 1, o.point, o.point, {cust0} + o.cust,
                   {cust0} + o.cust,
                   CASE WHEN o.paid THEN 'paid' ELSE 'pending_payment' END,
                   t.total, 'bench-' || o.o, md5(o.o::text),
                   CASE WHEN o.paid THEN o.created_at ELSE {ts_cut} - interval '5 minutes' END,
                   CASE WHEN o.paid THEN o.created_at ELSE {ts_cut} END + interval '15 minutes',
                   CASE WHEN o.paid THEN o.paid_at END,
                   CASE WHEN o.paid THEN 'wx4200' || lpad(o.o::text, 14, '0') END,
                   CASE WHEN o.paid THEN t.total ELSE 0 END
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
    ]


def _reservations() -> list[str]:
    """Each item's reserved units; caps and group thresholds."""
    return [
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
    ]


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
