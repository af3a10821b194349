"""orderCreate on SQLite, the embedded default: the rules of
``tuangou_place_order`` (placing_postgres.sql, beside this module) as plain SQL
on the session's aiosqlite connection, one function per section of that file
with the same names: replay, point, items, key, limits, lines, reservations.
In the same order but for one: the reservations come last here, in 0010's
order, where 0012 moved them before the lines on PostgreSQL for its row locks;
SQLite has one writer at a time and no row locks, so the order of the writes
changes nothing. The order tests run on both databases and so check that the
two agree; tests/fulfilment/orders/test_place_order_sql.py checks that the sections do.

Plain SQL run in one go in aiosqlite's database thread, rather than
SQLAlchemy statements: every SQLAlchemy statement on aiosqlite is four or five
hops to that thread and back, and an order took a hundred of them (about
20 ms); here it takes one hop in all: the sections are plain functions called
in turn in that thread."""

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
from kernel.db import UTCDateTime
from kernel.sqlite import run_in_sqlite_thread

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


# The request's campaign items by id: id, campaign_id, product_id,
# group_price_fen, per_customer_limit, warehouse_id, opens_at, cutoff_at,
# cancelled_at (set when withdrawn or cancelled: it sells no more).
_Items = dict[int, tuple[Any, ...]]


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
    # In the database thread, inside the unit of work's transaction: the
    # sections of tuangou_place_order (placing_postgres.sql), one function
    # each, in its order but for the reservations, which come last here (see
    # the module docstring).
    if (replayed := _replay(conn, request, placement.digest)) is not None:
        return replayed
    leader_id, warehouse_id = _point(conn, request)
    items, campaign_id = _items(conn, request, placement.now, warehouse_id)
    claimed = _key(conn, request, placement, campaign_id, leader_id)
    if isinstance(claimed, _Replay):
        return claimed
    order_id, number = claimed
    _limits(conn, request, items)
    total_fen = _lines(conn, request, placement.now, order_id, items)
    _reservations(conn, request)
    return _Placed(order_id, number, campaign_id, leader_id, total_fen)


def _replay(conn: sqlite3.Connection, request: OrderRequest, digest: str) -> _Replay | None:
    """section: replay. The caller's earlier order with this key, if any."""
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


def _point(conn: sqlite3.Connection, request: OrderRequest) -> tuple[int, int | None]:
    """section: point. The point's leader (approved) and serving warehouse."""
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
    return leader_id, warehouse_id


def _items(
    conn: sqlite3.Connection, request: OrderRequest, now: datetime, warehouse_id: int | None
) -> tuple[_Items, int]:
    """section: items. The request's items by id and their one campaign, open
    now and sold from the warehouse that serves the point."""
    item_ids = [line.campaign_item_id for line in request.lines]
    rows = _rows(
        conn,
        "SELECT ci.id, ci.campaign_id, ci.product_id, ci.group_price_fen, "
        "ci.per_customer_limit, c.warehouse_id, c.opens_at, c.cutoff_at, ci.cancelled_at, "
        "ci.sale_starts_at, ci.sale_ends_at "
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
    # Withdrawn, or outside the item's own sale window: the first such line.
    stored_now = _stored(now)
    for index, item_id in enumerate(item_ids):
        cancelled_at, sale_starts_at, sale_ends_at = items[item_id][8:11]
        if cancelled_at is not None:
            raise order_errors.item_withdrawn(index)
        if (sale_starts_at is not None and stored_now < sale_starts_at) or (
            sale_ends_at is not None and stored_now >= sale_ends_at
        ):
            raise order_errors.item_not_on_sale(index)
    campaign_id, campaign_warehouse, opens_at, cutoff_at = (
        rows[0][1],
        rows[0][5],
        rows[0][6],
        rows[0][7],
    )
    if not opens_at <= stored_now < cutoff_at:
        raise order_errors.campaign_closed()
    if campaign_warehouse != warehouse_id:
        raise order_errors.point_not_served()
    return items, campaign_id


def _key(
    conn: sqlite3.Connection,
    request: OrderRequest,
    placement: Placement,
    campaign_id: int,
    leader_id: int,
) -> _Replay | tuple[int, str]:
    """section: key. Claim the key with the order's row (total 0 until the
    lines are in): its id and number, or the twin's order that has the key."""
    digest, number, now = placement.digest, placement.number, placement.now
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
    return created[0][0], number


def _limits(conn: sqlite3.Connection, request: OrderRequest, items: _Items) -> None:
    """section: limits. Per-customer limits, counted over the customer's
    orders that hold units."""
    limited = [ln for ln in request.lines if items[ln.campaign_item_id][4] is not None]
    if not limited:
        return
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


def _lines(
    conn: sqlite3.Connection, request: OrderRequest, now: datetime, order_id: int, items: _Items
) -> int:
    """section: lines. The lines at the group price, the total summed from
    them by the database (returned), and the customer bound to the point."""
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
    return int(total_fen)


def _reservations(conn: sqlite3.Connection, request: OrderRequest) -> None:
    """section: reservations. Each item in id order, within its cap. Last
    here; PostgreSQL reserves before the lines since 0012 (module docstring)."""
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
