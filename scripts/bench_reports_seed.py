"""The reports benchmark's month, seeded day by day with set-based SQL
(INSERT … SELECT generate_series, foreign-key triggers off): the people and
catalogue of a medium region (api/demo/sizes.py: 300 pickup points, 5,000
customers, 120 products, 8 suppliers), then per delivery date a campaign,
30,000 paid orders of 1–5 lines, supplier and after-sale refunds with their
shortfalls, a goodwill refund now and then, the leaders' commission accrued
on every line delivered (reversed for the after-sale refunds), and each
supplier's purchase order with its receipts; then weekly settlements with a
statement per leader, and a payout per leader per week."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

ZONE = ZoneInfo("Asia/Shanghai")
LINES_PER_ORDER = 3  # on average (1–5)
ORDER_STRIDE = 1_000_000  # order ids of day d: d * stride + 1 …


def _ts(value: datetime) -> str:
    return f"TIMESTAMPTZ '{value.isoformat()}'"


def at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), ZONE).astimezone(UTC)


def world(points: int, customers: int, products: int, suppliers: int, now: datetime) -> list[str]:
    """Operator, leaders, customers, warehouse, points, suppliers, products."""
    P, C, N, S, ts = points, customers, products, suppliers, _ts(now)
    return [
        "SET LOCAL session_replication_role = replica",
        "SELECT setseed(0.42)",
        f"""INSERT INTO users (id, name, role, created_at)
            VALUES (1, '运营-bench', 'operator', {ts})""",
        f"""INSERT INTO users (id, name, role, created_at)
            SELECT 1 + g, '团长' || g, 'leader', {ts} FROM generate_series(1, {P}) g""",
        f"""INSERT INTO users (id, name, role, created_at)
            SELECT {1 + P} + g, '团员' || g, 'customer', {ts} FROM generate_series(1, {C}) g""",
        f"""INSERT INTO warehouses (id, name, address, lat, lon, created_by_id, created_at)
            VALUES (1, '中心仓-bench', '长沙市望城区', 28.345, 112.824, 1, {ts})""",
        f"""INSERT INTO leaders (id, user_id, status, applied_at, decided_at, decided_by_id)
            SELECT g, 1 + g, 'approved', {ts}, {ts}, 1 FROM generate_series(1, {P}) g""",
        f"""INSERT INTO pickup_points (id, leader_id, name, address, lat, lon, window_start,
                window_end, contact_phone, share_code, created_at, updated_at)
            SELECT g, g, '幸福小区' || g, '长沙市岳麓区 ' || g || ' 号', 28.1, 112.8,
                   TIME '07:00', TIME '11:00', '13800138000', 'BR' || lpad(g::text, 8, '0'),
                   {ts}, {ts}
              FROM generate_series(1, {P}) g""",
        f"""INSERT INTO service_areas (pickup_point_id, warehouse_id, assigned_at)
            SELECT g, 1, {ts} FROM generate_series(1, {P}) g""",
        f"""INSERT INTO commission_accounts (leader_id, pending_fen, available_fen, updated_at)
            SELECT g, 0, 0, {ts} FROM generate_series(1, {P}) g""",
        f"""INSERT INTO suppliers (id, name, contact_name, contact_phone, created_at)
            SELECT g, '供应商' || g, '老王', '13900139000', {ts} FROM generate_series(1, {S}) g""",
        f"""INSERT INTO products (id, supplier_id, name, category, unit, weight_g, volume_ml,
                case_pack, cost_fen, storage_zone, created_at)
            SELECT g, 1 + (g - 1) % {S}, '商品' || g,
                   (ARRAY['水果', '蔬菜', '肉禽', '乳品', '粮油'])[1 + g % 5], '份', 500, 800,
                   1 + (g * 7) % 24, 200 + (g * 131) % 3000, 'ambient', {ts}
              FROM generate_series(1, {N}) g""",
    ]


def day(
    d: int, delivery: date, *, orders: int, points: int, customers: int, products: int
) -> list[str]:
    """Delivery date number ``d`` (from 0): campaign ``d + 1`` and its whole day."""
    P, C, N = points, customers, products
    o0, item0, cust0 = d * ORDER_STRIDE, d * N, 1 + P
    cutoff, paid = at(delivery - timedelta(days=1), 23), at(delivery - timedelta(days=1), 20)
    return [
        "SET LOCAL session_replication_role = replica",
        f"""INSERT INTO campaigns (id, warehouse_id, delivery_date, opens_at, cutoff_at,
                pickup_start, pickup_end, created_by_id, created_at)
            VALUES ({d + 1}, 1, DATE '{delivery}', {_ts(cutoff - timedelta(hours=23))},
                    {_ts(cutoff)}, TIME '14:00', TIME '20:00', 1, {_ts(cutoff)})""",
        f"""INSERT INTO campaign_items (id, campaign_id, product_id, group_price_fen,
                list_price_fen, reserved)
            SELECT {item0} + p.id, {d + 1}, p.id, p.cost_fen + 90 + (p.id * 17) % 400,
                   p.cost_fen + 590, 0 FROM products p""",
        f"""CREATE TEMP TABLE bench_lines ON COMMIT DROP AS
            SELECT ({o0} + o) * 8 + j AS id, {o0} + o AS order_id,
                   1 + (p0 + j * 7) % {N} AS product_id, 1 + floor(random() ^ 3 * 6)::int AS qty
              FROM (SELECT o, 1 + floor(random() * 5)::int AS k,
                           floor({N} * random() ^ 2)::int AS p0
                      FROM generate_series(1, {orders}) o) s
             CROSS JOIN LATERAL generate_series(0, s.k - 1) j""",
        f"""INSERT INTO orders (id, number, campaign_id, pickup_point_id, leader_id, customer_id,
                placed_by_id, status, total_fen, idempotency_key, request_hash, created_at,
                expires_at, paid_at, payment_transaction_id, paid_fen, refunded_fen)
            SELECT t.order_id, 'TG' || lpad(t.order_id::text, 14, '0'), {d + 1}, pt, pt, cu, cu,
                   'paid', t.total, 'bench-' || t.order_id, md5(t.order_id::text),
                   {_ts(paid)}, {_ts(paid + timedelta(minutes=15))}, {_ts(paid)},
                   'wx' || lpad(t.order_id::text, 20, '0'), t.total, 0
              FROM (SELECT l.order_id, sum(l.qty * i.group_price_fen) AS total,
                           1 + floor(random() * {P})::int AS pt,
                           {cust0} + 1 + floor(random() * {C})::int AS cu
                      FROM bench_lines l JOIN campaign_items i ON i.id = {item0} + l.product_id
                     GROUP BY l.order_id) t""",
        f"""INSERT INTO order_lines (id, order_id, campaign_item_id, product_id, quantity,
                unit_price_fen, amount_fen)
            SELECT l.id, l.order_id, i.id, l.product_id, l.qty, i.group_price_fen,
                   l.qty * i.group_price_fen
              FROM bench_lines l JOIN campaign_items i ON i.id = {item0} + l.product_id""",
        *_books(d, delivery, orders),
    ]


def _books(d: int, delivery: date, orders: int) -> list[str]:
    """Day ``d``'s refunds, shortfalls, commission and purchase orders."""
    o0 = d * ORDER_STRIDE
    picked, asked = at(delivery, 15), at(delivery + timedelta(days=1), 10)
    cutoff = at(delivery - timedelta(days=1), 23)
    return [
        # Refunds: one unit of every 50th line short from the supplier, of
        # every 97th after sale; 100 fen of goodwill on every 500th order.
        f"""INSERT INTO refunds (id, order_id, order_line_id, quantity, amount_fen, reason,
                created_at, state, resend_no, attempts, succeeded_at)
            SELECT l.id, l.order_id, l.id, 1, l.unit_price_fen,
                   CASE WHEN l.id % 50 = 0 THEN 'shortage' ELSE 'after_sale_quality' END,
                   {_ts(picked)}, 'success', 0, 0, {_ts(picked)}
              FROM order_lines l
             WHERE l.order_id > {o0} AND l.order_id <= {o0 + orders}
               AND (l.id % 50 = 0 OR l.id % 97 = 0)""",
        f"""INSERT INTO refunds (id, order_id, amount_fen, reason, created_at, state, resend_no,
                attempts)
            SELECT o.id * 8 + 7, o.id, 100, 'goodwill', {_ts(asked)}, 'pending', 0, 0
              FROM orders o WHERE o.campaign_id = {d + 1} AND o.id % 500 = 3""",
        f"""INSERT INTO order_line_shortfalls (order_line_id, quantity, reason, refund_id,
                created_at)
            SELECT r.order_line_id, 1, 'supplier_short', r.id, {_ts(picked)}
              FROM refunds r JOIN orders o ON o.id = r.order_id
             WHERE o.campaign_id = {d + 1} AND r.reason = 'shortage'""",
        # Commission: 10 % of every line (shortage lines: less the unit).
        f"""INSERT INTO commission_entries (leader_id, kind, account, amount_fen,
                balance_before_fen, balance_after_fen, base_fen, rate_bps, order_line_id,
                basis_at, occurred_at, created_at)
            SELECT o.leader_id, 'accrual', 'pending', a / 10, 0, a / 10, a, 1000, l.id,
                   {_ts(picked)}, {_ts(picked)}, {_ts(picked)}
              FROM (SELECT l.*, l.amount_fen - CASE WHEN l.id % 50 = 0 THEN l.unit_price_fen
                                                    ELSE 0 END AS a
                      FROM order_lines l
                     WHERE l.order_id > {o0} AND l.order_id <= {o0 + orders}) l
              JOIN orders o ON o.id = l.order_id WHERE l.a > 0""",
        f"""INSERT INTO commission_entries (leader_id, kind, account, amount_fen,
                balance_before_fen, balance_after_fen, base_fen, rate_bps, order_line_id,
                refund_id, basis_at, occurred_at, created_at)
            SELECT o.leader_id, 'reversal', 'pending', -(r.amount_fen / 10), 0,
                   -(r.amount_fen / 10), -r.amount_fen, 1000, r.order_line_id, r.id,
                   {_ts(picked)}, {_ts(asked)}, {_ts(asked)}
              FROM refunds r JOIN orders o ON o.id = r.order_id
             WHERE o.campaign_id = {d + 1} AND r.reason = 'after_sale_quality'""",
        # Each supplier's purchase order: what was ordered, in whole cases,
        # confirmed whole but for every 11th product; QC fails one unit of
        # every 13th product.
        f"""INSERT INTO purchase_orders (id, supplier_id, warehouse_id, delivery_date, revision,
                created_at, revised_at)
            SELECT {d * 100} + s.id, s.id, 1, DATE '{delivery}', 1, {_ts(cutoff)}, {_ts(cutoff)}
              FROM suppliers s""",
        f"""INSERT INTO purchase_order_lines (purchase_order_id, revision, product_id,
                ordered_units, case_pack, cases, purchase_units, surplus_units, unit_cost_fen,
                cost_fen, confirmed_units)
            SELECT {d * 100} + p.supplier_id, 1, p.id, u, p.case_pack,
                   (u + p.case_pack - 1) / p.case_pack,
                   (u + p.case_pack - 1) / p.case_pack * p.case_pack,
                   (u + p.case_pack - 1) / p.case_pack * p.case_pack - u, p.cost_fen,
                   (u + p.case_pack - 1) / p.case_pack * p.case_pack * p.cost_fen,
                   (u + p.case_pack - 1) / p.case_pack * p.case_pack
                     - CASE WHEN p.id % 11 = 0 THEN 1 ELSE 0 END
              FROM (SELECT product_id, sum(quantity) AS u FROM order_lines
                     WHERE order_id > {o0} AND order_id <= {o0 + orders}
                     GROUP BY product_id) s JOIN products p ON p.id = s.product_id""",
        f"""INSERT INTO receipts (purchase_order_id, product_id, received_units, accepted_units,
                delivery_ref, created_at)
            SELECT purchase_order_id, product_id, confirmed_units,
                   confirmed_units - CASE WHEN product_id % 13 = 0 THEN 1 ELSE 0 END,
                   'D1', {_ts(at(delivery, 3))}
              FROM purchase_order_lines WHERE purchase_order_id / 100 = {d}""",
    ]


def weekly(period_end: date, number: int, points: int) -> list[str]:
    """Settlement ``number`` of the week ending before ``period_end``: a
    statement per leader from the ledger, and a payout of it on the next day."""
    start = period_end - timedelta(days=7)
    ends, asked = at(period_end, 0), at(period_end, 10)
    return [
        "SET LOCAL session_replication_role = replica",
        f"""INSERT INTO commission_settlements (id, period_start, period_end, picked_up_before,
                refunded_before, statement_count, line_count, total_fen, created_at)
            VALUES ({number}, DATE '{start}', DATE '{period_end}', {_ts(ends)},
                    {_ts(ends + timedelta(hours=48))}, {points}, 0, 0, {_ts(asked)})""",
        f"""INSERT INTO commission_statements (settlement_id, leader_id, period_start,
                period_end, opening_fen, accrued_fen, reversed_fen, cash_held_fen, total_fen,
                closing_fen, line_count, through_entry_id, created_at)
            SELECT {number}, l.id, DATE '{start}', DATE '{period_end}', 0,
                   coalesce(sum(e.amount_fen) FILTER (WHERE e.kind = 'accrual'), 0),
                   coalesce(sum(e.amount_fen) FILTER (WHERE e.kind = 'reversal'), 0), 0,
                   coalesce(sum(e.amount_fen), 0), coalesce(sum(e.amount_fen), 0), count(e.id),
                   coalesce(max(e.id), 0), {_ts(asked)}
              FROM leaders l LEFT JOIN commission_entries e ON e.leader_id = l.id
               AND e.basis_at >= {_ts(at(start, 0))} AND e.basis_at < {_ts(ends)}
             GROUP BY l.id""",
        f"""INSERT INTO commission_payouts (leader_id, idempotency_key, amount_fen, fee_fen,
                transfer_fen, status, requested_at, decided_at, paid_at)
            SELECT leader_id, 'bench-{number}', total_fen, 0, total_fen, 'paid', {_ts(asked)},
                   {_ts(asked)}, {_ts(asked + timedelta(hours=2))}
              FROM commission_statements WHERE settlement_id = {number} AND total_fen > 0""",
    ]
