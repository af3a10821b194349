"""The payment benchmark's database and notifications: orders awaiting
payment seeded in bulk beside the order benchmark's campaign, one signed and
encrypted TRANSACTION.SUCCESS per order built as the sandbox builds them, and
the books read back after the run."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass

from bench_orders_seed import seed
from benchdb import libpq

from api.sandbox.notify import envelope
from api.sandbox.state import SandboxKeys, SandboxOrder, SandboxState, china_now
from kernel.wechatpay import crypto


@dataclass(frozen=True)
class Delivery:
    """One prebuilt POST: which order it pays, and whether it is a re-send."""

    order: int
    duplicate: bool
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Books:
    """What the database says the receiver booked (``check_books``)."""

    orders: int
    paid: int
    accepted: int
    booked_twice: int
    duplicate_rows: int
    refunds: int
    without_code: int


def seed_orders(url: str, n: int, points: int) -> list[tuple[str, int]]:
    """A campaign through the order benchmark's seeding, then ``n`` orders
    awaiting payment in bulk (one line each, the items' reservations kept
    in step), as orderCreate would leave them. Their (number, total_fen)."""
    import psycopg

    seeded = asyncio.run(seed(url, customers=50, points=points))
    rng = random.Random(11)
    with psycopg.connect(libpq(url)) as conn:
        items = conn.execute(
            "SELECT id, product_id, group_price_fen FROM campaign_items WHERE campaign_id = %s",
            (seeded.campaign_id,),
        ).fetchall()
        spots = conn.execute("SELECT id, leader_id FROM pickup_points").fetchall()
        people = [r[0] for r in conn.execute("SELECT id FROM users WHERE role = 'customer'")]
        # Sorted numbers: the date prefix orderCreate uses, then a sequence.
        prefix = conn.execute("SELECT to_char(now(), 'YYMMDD')").fetchone()[0]  # type: ignore[index]
        rows = []
        for i in range(n):
            item, spot, qty = rng.choice(items), rng.choice(spots), rng.randint(1, 3)
            rows.append((f"{prefix}{i:010d}", spot, rng.choice(people), item, qty))
        ids = conn.execute(
            """
            INSERT INTO orders (number, campaign_id, pickup_point_id, leader_id, customer_id,
                                placed_by_id, status, total_fen, idempotency_key, request_hash,
                                created_at, expires_at)
            SELECT num, %(campaign)s, pt, ld, cu, cu, 'pending_payment', tot, num, md5(num),
                   now(), now() + interval '2 hours'
              FROM unnest(%(num)s::text[], %(pt)s::bigint[], %(ld)s::bigint[],
                          %(cu)s::bigint[], %(tot)s::int[]) AS u(num, pt, ld, cu, tot)
            RETURNING id
            """,
            {
                "campaign": seeded.campaign_id,
                "num": [r[0] for r in rows],
                "pt": [r[1][0] for r in rows],
                "ld": [r[1][1] for r in rows],
                "cu": [r[2] for r in rows],
                "tot": [r[3][2] * r[4] for r in rows],
            },
        ).fetchall()
        conn.execute(
            """
            INSERT INTO order_lines (order_id, campaign_item_id, product_id, quantity,
                                     unit_price_fen, amount_fen)
            SELECT o, i, p, q, u, q * u
              FROM unnest(%s::bigint[], %s::bigint[], %s::bigint[], %s::int[], %s::int[])
                   AS x(o, i, p, q, u)
            """,
            (
                [r[0] for r in ids],
                [r[3][0] for r in rows],
                [r[3][1] for r in rows],
                [r[4] for r in rows],
                [r[3][2] for r in rows],
            ),
        )
        conn.execute(
            """
            UPDATE campaign_items ci SET reserved = ci.reserved + s.units
              FROM (SELECT campaign_item_id, sum(quantity) AS units FROM order_lines
                     GROUP BY 1) s
             WHERE s.campaign_item_id = ci.id
            """
        )
    return [(r[0], r[3][2] * r[4]) for r in rows]


def build_deliveries(
    keys: SandboxKeys, orders: list[tuple[str, int]], duplicate_share: float, lag: int
) -> list[Delivery]:
    """One signed, encrypted TRANSACTION.SUCCESS per order, as the sandbox
    builds them (``api.sandbox.notify``), and re-sends of a random
    ``duplicate_share`` of them, each placed ``lag`` deliveries after its
    original: WeChat re-sends one it did not hear back about, usually later."""
    state = SandboxState(keys=keys)
    now = int(time.time())
    originals = []
    for index, (number, total) in enumerate(orders):
        paid = SandboxOrder(
            out_trade_no=number,
            description="社区团购订单",
            notify_url="",
            total=total,
            trade_type="JSAPI",
            openid=f"oBench{index:010d}",
            prepay_id=f"wx{index:030d}",
            trade_state="SUCCESS",
            transaction_id=f"4200{index:024d}",
            success_time=china_now(),
        )
        body = envelope(state, "TRANSACTION.SUCCESS", paid.as_json(keys))
        headers = crypto.signed_headers(keys.platform_key, keys.platform_serial, body, now)
        headers["Content-Type"] = "application/json"
        headers["Wechatpay-Signature-Type"] = crypto.SCHEME
        originals.append(Delivery(index, False, body, headers))
    rng = random.Random(5)
    chosen = rng.sample(range(len(orders)), round(len(orders) * duplicate_share))
    # (position, tie-break, delivery): a re-send sorts after the original.
    slots = [(float(i), 0, d) for i, d in enumerate(originals)]
    slots += [(i + lag + 0.5, 1, Delivery(i, True, originals[i].body, originals[i].headers))
              for i in chosen]  # fmt: skip
    return [d for _, _, d in sorted(slots, key=lambda s: (s[0], s[1]))]


def check_books(url: str) -> Books:
    """What the receiver booked, from the database itself."""
    import psycopg

    with psycopg.connect(libpq(url), autocommit=True) as conn:

        def one(sql: str) -> int:
            row = conn.execute(sql).fetchone()
            return int(row[0]) if row else -1

        return Books(
            orders=one("SELECT count(*) FROM orders"),
            paid=one("SELECT count(*) FROM orders WHERE status = 'paid'"),
            accepted=one("SELECT count(*) FROM payment_notifications WHERE outcome = 'accepted'"),
            booked_twice=one(
                "SELECT count(*) FROM (SELECT order_number FROM payment_notifications"
                " WHERE outcome = 'accepted' GROUP BY 1 HAVING count(*) > 1) t"
            ),
            duplicate_rows=one(
                "SELECT count(*) FROM payment_notifications WHERE outcome = 'duplicate'"
            ),
            refunds=one("SELECT count(*) FROM refunds"),
            without_code=one(
                "SELECT count(*) FROM orders o WHERE o.status = 'paid' AND NOT EXISTS"
                " (SELECT 1 FROM pickup_codes c WHERE c.order_id = o.id)"
            ),
        )
