"""The purchasing benchmark's books, checked after the steps: every unit and
fen accounted for, shortages allocated latest-paid first, and the steps a
second time changing nothing."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bench_purchasing_seed import World
from bench_purchasing_steps import Run

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# Runs one SQL query, returns its rows.
Rows = Callable[[str], Awaitable[list[Any]]]

# The orders paid for: PAID, and REFUNDED since (every unit shorted). The
# benchmark cancels none, so no REFUNDED order here was closed before.
PAID = "('paid', 'refunded')"


@dataclass
class Check:
    name: str
    ok: bool
    detail: str


async def check_books(url: str, world: World, run: Run) -> list[Check]:
    from sqlalchemy import text

    from kernel.db import create_engine, create_sessionmaker

    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    checks: list[Check] = []

    async def rows(sql: str) -> list[Any]:
        async with engine.connect() as conn:
            return list((await conn.execute(text(sql))).all())

    try:
        checks += await _deliveries(rows, run)
        checks += await _supplier_shortfalls(rows, run)
        checks += await _refunds(rows)
        checks += await _money(rows, world)
        checks += await _idempotence(rows, sessions, world, run)
    finally:
        await engine.dispose()
    return checks


async def _deliveries(rows: Rows, run: Run) -> list[Check]:
    """What is delivered and loaded, against what was paid."""
    checks: list[Check] = []
    # 1. Per product: delivered (warehouse_totals) + shorted = paid units.
    paid = {
        p: (int(u), int(s))
        for p, u, s in await rows(
            f"""SELECT ol.product_id, sum(ol.quantity),
                      coalesce(sum((SELECT sum(f.quantity) FROM order_line_shortfalls f
                                     WHERE f.order_line_id = ol.id)), 0)
                 FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                WHERE o.status IN {PAID} GROUP BY ol.product_id"""
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
    return checks


async def _supplier_shortfalls(rows: Rows, run: Run) -> list[Check]:
    """The shortfalls the suppliers' confirmations left, line by line."""
    checks: list[Check] = []
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
    checks.append(Check("no line shorted beyond its quantity", not over, f"{len(over)} lines over"))
    # Latest-paid first: per product the shorted lines are the latest paid
    # (paid_at desc, order id desc), at most one of them in part.
    order_bad = await rows(
        f"""WITH l AS (
             SELECT ol.product_id, ol.quantity, o.paid_at, o.id AS order_id,
                    coalesce((SELECT sum(f.quantity) FROM order_line_shortfalls f
                               WHERE f.order_line_id = ol.id
                                 AND f.reason = 'supplier_short'), 0) AS sq
               FROM order_lines ol JOIN orders o ON o.id = ol.order_id
              WHERE o.status IN {PAID} AND ol.product_id IN (
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
    return checks


async def _refunds(rows: Rows) -> list[Check]:
    """The refunds of the shortfalls."""
    checks: list[Check] = []
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
    return checks


async def _money(rows: Rows, world: World) -> list[Check]:
    """The campaign's money, and the cutoff's own books."""
    checks: list[Check] = []
    # 4. Money: paid totals − refunds = deliverable units × unit price.
    money = (
        await rows(
            f"""SELECT
                 (SELECT sum(total_fen) FROM orders
                   WHERE campaign_id = {world.campaign_id} AND status IN {PAID}),
                 (SELECT coalesce(sum(r.amount_fen), 0) FROM refunds r
                    JOIN orders o ON o.id = r.order_id
                   WHERE o.campaign_id = {world.campaign_id}),
                 (SELECT sum((ol.quantity - coalesce(
                             (SELECT sum(f.quantity) FROM order_line_shortfalls f
                               WHERE f.order_line_id = ol.id), 0)) * ol.unit_price_fen)
                    FROM order_lines ol JOIN orders o ON o.id = ol.order_id
                   WHERE o.campaign_id = {world.campaign_id} AND o.status IN {PAID})"""
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
            f"""SELECT (SELECT count(*) FROM orders WHERE status = 'pending_payment'),
                      (SELECT count(*) FROM campaign_items i WHERE i.reserved <>
                         coalesce((SELECT sum(ol.quantity) FROM order_lines ol
                                    JOIN orders o ON o.id = ol.order_id
                                   WHERE ol.campaign_item_id = i.id
                                     AND o.status IN {PAID}), 0)),
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
    return checks


async def _idempotence(
    rows: Rows, sessions: async_sessionmaker[AsyncSession], world: World, run: Run
) -> list[Check]:
    """The allocation and the cutoff a second time."""
    from fulfilment.purchasing.cutoff import run_cutoff
    from fulfilment.purchasing.shortages import allocate_shortages
    from kernel.clock import utcnow
    from kernel.db import unit_of_work

    checks: list[Check] = []
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
    return checks
