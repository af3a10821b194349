"""orderCreate's domain: all lines or none, caps never oversold, limits
counted across the customer's orders, and one order per idempotency key.

The rules run in one PostgreSQL function where there is one (the evening
rush's hot path, placing_postgres.py) and as plain SQL on SQLite
(placing_sqlite.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fulfilment.orders.order_requests import (
    MAX_LINES,
    MAX_QUANTITY,
    LineRequest,
    OrderRequest,
    PlacedOrder,
    Placement,
    checked_request,
    order_number,
    request_hash,
)
from fulfilment.orders.placing_postgres import place_on_postgres
from fulfilment.orders.placing_sqlite import place_on_sqlite
from kernel.db import dialect_name

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "LineRequest",
    "OrderRequest",
    "PlacedOrder",
    "place_order",
]


async def place_order(
    db: AsyncSession | AsyncConnection,
    request: OrderRequest,
    *,
    now: datetime,
    zone: ZoneInfo,
    payment_window: timedelta,
    draw_number: Callable[[datetime, ZoneInfo], str] = order_number,
) -> PlacedOrder:
    """Place an order awaiting payment, or return the one placed before with
    the same idempotency key. Every rule is checked before anything is kept:
    a DomainError leaves nothing behind, and when the caller's transaction
    has begun it is left to roll back whole. On PostgreSQL ``db`` may be a
    bare connection (the rules need no ORM there). ``draw_number`` makes the
    order's number (drawn again when another order has it)."""
    request = checked_request(request)
    draw = partial(draw_number, now, zone)
    placement = Placement(
        digest=request_hash(request),
        number=draw(),
        now=now,
        expires_at=now + payment_window,
        draw_number=draw,
    )
    if dialect_name(db) == "postgresql":
        return await place_on_postgres(db, request, placement)
    if not isinstance(db, AsyncSession):
        raise TypeError("on SQLite an order is placed in a session's unit of work")
    return await place_on_sqlite(db, request, placement)
