"""orderCreate on SQLite, the embedded default: the rules of
``tuangou_place_order`` (migrations/versions/0010_place_order_function.py and
0012) as plain SQL on the session's aiosqlite connection, in 0010's order:
the reservations come last here, where 0012 moved them before the lines on
PostgreSQL for its row locks; SQLite has one writer at a time and no row locks,
so the order of the writes changes nothing. The order tests run on both
databases and so check that the two agree.

Plain SQL run in one go in aiosqlite's database thread, rather than
SQLAlchemy statements: every SQLAlchemy statement on aiosqlite is four or five
hops to that thread and back, and an order took a hundred of them (about
20 ms); here it takes one hop in all."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, cast

from sqlalchemy.dialects import sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders import errors as order_errors
from fulfilment.orders.models import HOLDING, Order, OrderStatus
from fulfilment.orders.order_requests import (
    MAX_NUMBER_DRAWS,
    OrderRequest,
    PlacedOrder,
    Placement,
)
from kernel.clock import as_utc
from kernel.db import UTCDateTime, run_in_sqlite_thread

# The statuses whose orders hold units (the model's HOLDING), as SQL.
HOLDING_SQL = "(" + ", ".join(f"'{status.value}'" for status in HOLDING) + ")"


_SQLITE = sqlite.dialect()
# How the models' UTCDateTime stores a time on SQLite (naive UTC text with
# microseconds, which compares correctly as text): its own bind processor.
_STORED = cast(
    Callable[[datetime], str], UTCDateTime().dialect_impl(_SQLITE).bind_processor(_SQLITE)
)


def _stored(moment: datetime) -> str:
    return _STORED(moment)


def _marks(values: Sequence[Any]) -> str:
    return ", ".join("?" for _ in values)


def _rows(conn: sqlite3.Connection, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    return list(conn.execute(sql, params).fetchall())


@dataclass(frozen=True)
class _Replay:
    order_id: int


@dataclass(frozen=True)
class _Placed:
    order_id: int
    number: str
    campaign_id: int
    leader_id: int
    total_fen: int


def _replay(conn: sqlite3.Connection, request: OrderRequest, digest: str) -> _Replay | None:
    found = _rows(
        conn,
        "SELECT id, request_hash FROM orders WHERE placed_by_id = ? AND idempotency_key = ?",
        request.placed_by.id,
        request.idempotency_key,
    )
    if not found:
        return None
    order_id, stored_hash = found[0]
    if stored_hash != digest:
        raise order_errors.idempotency_conflict()
    return _Replay(order_id)


async def place_on_sqlite(
    session: AsyncSession, request: OrderRequest, placement: Placement
) -> PlacedOrder:
    """Place a checked request in the caller's transaction (see place_order)."""
    done = await run_in_sqlite_thread(session, partial(_place, request, placement))
    if isinstance(done, _Replay):
        order = await session.get(Order, done.order_id)
        assert order is not None
        return PlacedOrder(order, replayed=True)
    order = Order(
        id=done.order_id,
        number=done.number,
        campaign_id=done.campaign_id,
        pickup_point_id=request.pickup_point_id,
        leader_id=done.leader_id,
        customer_id=request.customer.id,
        placed_by_id=request.placed_by.id,
        status=OrderStatus.PENDING_PAYMENT,
        total_fen=done.total_fen,
        idempotency_key=request.idempotency_key,
        request_hash=placement.digest,
        created_at=as_utc(placement.now),
        expires_at=as_utc(placement.expires_at),
        paid_at=None,
        payment_transaction_id=None,
        closed_at=None,
    )
    return PlacedOrder(order, replayed=False)


def _place(
    request: OrderRequest, placement: Placement, conn: sqlite3.Connection
) -> _Replay | _Placed:
    # In the database thread, inside the unit of work's transaction.
    digest, number, now = placement.digest, placement.number, placement.now
    if (replayed := _replay(conn, request, digest)) is not None:
        return replayed

    point = _rows(
        conn,
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
    rows = _rows(
        conn,
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

    for _ in range(MAX_NUMBER_DRAWS):
        try:
            created = _rows(
                conn,
                "INSERT INTO orders (number, campaign_id, pickup_point_id, leader_id, "
                "customer_id, placed_by_id, status, total_fen, idempotency_key, request_hash, "
                "created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, 'pending_payment', 0, ?, ?, "
                "?, ?) ON CONFLICT (placed_by_id, idempotency_key) DO NOTHING RETURNING id",
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
            break
        except sqlite3.IntegrityError as exc:
            # Another order has the number; SQLite undid only this statement.
            if "orders.number" not in str(exc):
                raise
            number = placement.draw_number()
    else:
        raise RuntimeError(f"no free order number in {MAX_NUMBER_DRAWS} draws")
    if not created:
        # Writers take turns on SQLite (BEGIN IMMEDIATE), so a twin that won
        # the key has committed: replay it.
        replayed = _replay(conn, request, digest)
        assert replayed is not None
        return replayed
    order_id = created[0][0]

    limited = [ln for ln in request.lines if items[ln.campaign_item_id][4] is not None]
    if limited:
        limited_ids = [ln.campaign_item_id for ln in limited]
        bought = dict(
            _rows(
                conn,
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

    conn.executemany(
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
    ((total_fen,),) = _rows(
        conn,
        "UPDATE orders SET total_fen = "
        "(SELECT sum(amount_fen) FROM order_lines WHERE order_id = ?) "
        "WHERE id = ? RETURNING total_fen",
        order_id,
        order_id,
    )
    conn.execute(
        "INSERT INTO customer_bindings (user_id, pickup_point_id, bound_at) VALUES (?, ?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET pickup_point_id = excluded.pickup_point_id, "
        "bound_at = excluded.bound_at "
        "WHERE customer_bindings.pickup_point_id <> excluded.pickup_point_id",
        (request.customer.id, request.pickup_point_id, _stored(now)),
    )
    for index, line in sorted(enumerate(request.lines), key=lambda p: p[1].campaign_item_id):
        cursor = conn.execute(
            "UPDATE campaign_items SET reserved = reserved + ? "
            "WHERE id = ? AND (cap IS NULL OR reserved + ? <= cap)",
            (line.quantity, line.campaign_item_id, line.quantity),
        )
        if cursor.rowcount != 1:
            ((left,),) = _rows(
                conn,
                "SELECT coalesce(cap - reserved, 0) FROM campaign_items WHERE id = ?",
                line.campaign_item_id,
            )
            raise order_errors.sold_out(["lines", str(index), "quantity"], left)

    return _Placed(order_id, number, campaign_id, leader_id, total_fen)
