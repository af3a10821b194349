"""orderCreate on SQLite, the embedded default: the rules of
``tuangou_place_order`` (migrations/versions/0010_place_order_function.py), in
the same order, as plain SQL on the session's aiosqlite connection. The order
tests run on both databases and so check that the two agree.

Plain SQL rather than SQLAlchemy statements because every SQLAlchemy statement
on aiosqlite is four or five hops to the database thread and back: an order
took a hundred of them (about 20 ms); here it takes one per statement."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.models import Order, OrderStatus
from fulfilment.orders import order_errors
from fulfilment.orders.order_requests import OrderRequest, PlacedOrder, Placement
from kernel.clock import as_utc
from kernel.db import driver_connection

HOLDING_SQL = "('pending_payment', 'paid')"


def _stored(moment: datetime) -> str:
    # How SQLAlchemy's UTCDateTime stores a time on SQLite: naive UTC text
    # with microseconds, so that stored times compare correctly as text.
    return f"{as_utc(moment):%Y-%m-%d %H:%M:%S.%f}"


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


async def _rows(driver: Any, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return list(await driver.execute_fetchall(sql, params))


async def _replay(
    session: AsyncSession, driver: Any, request: OrderRequest, digest: str
) -> PlacedOrder | None:
    found = await _rows(
        driver,
        "SELECT id, request_hash FROM orders WHERE placed_by_id = ? AND idempotency_key = ?",
        request.placed_by.id,
        request.idempotency_key,
    )
    if not found:
        return None
    order_id, stored_hash = found[0]
    if stored_hash != digest:
        raise order_errors.idempotency_conflict()
    order = await session.get(Order, order_id)
    assert order is not None
    return PlacedOrder(order, replayed=True)


async def place_on_sqlite(
    session: AsyncSession, request: OrderRequest, placement: Placement
) -> PlacedOrder:
    """Place a checked request in the caller's transaction (see place_order)."""
    digest, number, now = placement.digest, placement.number, placement.now
    # Asking the session for its connection begins the unit of work's
    # transaction (BEGIN IMMEDIATE, kernel.db): the statements below share it.
    driver = await driver_connection(session)
    if not driver.in_transaction:
        raise RuntimeError("place_order on SQLite needs the caller's transaction")
    if (replayed := await _replay(session, driver, request, digest)) is not None:
        return replayed

    point = await _rows(
        driver,
        "SELECT l.id, l.status, sa.warehouse_id FROM pickup_points p "
        "JOIN leaders l ON l.id = p.leader_id "
        "LEFT JOIN service_areas sa ON sa.pickup_point_id = p.id WHERE p.id = ?",
        request.pickup_point_id,
    )
    if not point:
        raise order_errors.point_not_found()
    leader_id, leader_status, warehouse_id = point[0]
    if leader_status != "approved":
        raise order_errors.point_inactive()

    item_ids = [line.campaign_item_id for line in request.lines]
    rows = await _rows(
        driver,
        "SELECT ci.id, ci.campaign_id, ci.product_id, ci.group_price_fen, "
        "ci.per_customer_limit, c.warehouse_id, c.opens_at, c.cutoff_at "
        "FROM campaign_items ci JOIN campaigns c ON c.id = ci.campaign_id "
        f"WHERE ci.id IN ({_marks(item_ids)})",
        *item_ids,
    )
    items = {row[0]: row for row in rows}
    for index, item_id in enumerate(item_ids):
        if item_id not in items:
            raise order_errors.item_not_found(index)
    if len({row[1] for row in rows}) > 1:
        raise order_errors.mixed_campaigns()
    campaign_id, campaign_warehouse, opens_at, cutoff_at = (
        rows[0][1],
        rows[0][5],
        rows[0][6],
        rows[0][7],
    )
    if not opens_at <= _stored(now) < cutoff_at:
        raise order_errors.campaign_closed()
    if campaign_warehouse != warehouse_id:
        raise order_errors.point_not_served()

    created = await _rows(
        driver,
        "INSERT INTO orders (number, campaign_id, pickup_point_id, leader_id, customer_id, "
        "placed_by_id, status, total_fen, idempotency_key, request_hash, created_at, "
        "expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending_payment', 0, ?, ?, ?, ?) "
        "ON CONFLICT (placed_by_id, idempotency_key) DO NOTHING RETURNING id",
        number,
        campaign_id,
        request.pickup_point_id,
        leader_id,
        request.customer.id,
        request.placed_by.id,
        request.idempotency_key,
        digest,
        _stored(now),
        _stored(placement.expires_at),
    )
    if not created:
        # Writers take turns on SQLite (BEGIN IMMEDIATE), so a twin that won
        # the key has committed: replay it.
        replayed = await _replay(session, driver, request, digest)
        assert replayed is not None
        return replayed
    order_id = created[0][0]

    limited = [ln for ln in request.lines if items[ln.campaign_item_id][4] is not None]
    if limited:
        limited_ids = [ln.campaign_item_id for ln in limited]
        bought = dict(
            await _rows(
                driver,
                "SELECT ol.campaign_item_id, sum(ol.quantity) FROM order_lines ol "
                "JOIN orders o ON o.id = ol.order_id "
                f"WHERE o.customer_id = ? AND o.status IN {HOLDING_SQL} "
                f"AND ol.campaign_item_id IN ({_marks(limited_ids)}) "
                "GROUP BY ol.campaign_item_id",
                request.customer.id,
                *limited_ids,
            )
        )
        for index, line in enumerate(request.lines):
            limit = items[line.campaign_item_id][4]
            if limit is None:
                continue
            allowed = limit - int(bought.get(line.campaign_item_id, 0))
            if line.quantity > allowed:
                raise order_errors.limit_exceeded(index, limit, allowed)

    await driver.executemany(
        "INSERT INTO order_lines (order_id, campaign_item_id, product_id, quantity, "
        "unit_price_fen, amount_fen) VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                order_id,
                line.campaign_item_id,
                items[line.campaign_item_id][2],
                line.quantity,
                items[line.campaign_item_id][3],
                line.quantity * items[line.campaign_item_id][3],
            )
            for line in request.lines
        ],
    )
    # The total is summed by the database from the stored lines.
    ((total_fen,),) = await _rows(
        driver,
        "UPDATE orders SET total_fen = "
        "(SELECT sum(amount_fen) FROM order_lines WHERE order_id = ?) "
        "WHERE id = ? RETURNING total_fen",
        order_id,
        order_id,
    )
    await driver.execute(
        "INSERT INTO customer_bindings (user_id, pickup_point_id, bound_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET pickup_point_id = excluded.pickup_point_id, "
        "bound_at = excluded.bound_at "
        "WHERE customer_bindings.pickup_point_id <> excluded.pickup_point_id",
        (request.customer.id, request.pickup_point_id, _stored(now)),
    )
    for index, line in sorted(enumerate(request.lines), key=lambda p: p[1].campaign_item_id):
        cursor = await driver.execute(
            "UPDATE campaign_items SET reserved = reserved + ? "
            "WHERE id = ? AND (cap IS NULL OR reserved + ? <= cap)",
            (line.quantity, line.campaign_item_id, line.quantity),
        )
        if cursor.rowcount != 1:
            ((left,),) = await _rows(
                driver,
                "SELECT coalesce(cap - reserved, 0) FROM campaign_items WHERE id = ?",
                line.campaign_item_id,
            )
            raise order_errors.sold_out(["lines", str(index), "quantity"], left)

    order = Order(
        id=order_id,
        number=number,
        campaign_id=campaign_id,
        pickup_point_id=request.pickup_point_id,
        leader_id=leader_id,
        customer_id=request.customer.id,
        placed_by_id=request.placed_by.id,
        status=OrderStatus.PENDING_PAYMENT,
        total_fen=total_fen,
        idempotency_key=request.idempotency_key,
        request_hash=digest,
        created_at=as_utc(now),
        expires_at=as_utc(placement.expires_at),
        paid_at=None,
        payment_transaction_id=None,
        closed_at=None,
    )
    return PlacedOrder(order, replayed=False)
