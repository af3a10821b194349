"""orderCreate on PostgreSQL: one call of ``tuangou_place_order`` (migration
0010; 0011 gives it generic plans, 0012 reserves before the lines), straight
on the unit of work's asyncpg connection. The function as the migrations
leave it, to read: placing_postgres.sql beside this module."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from fulfilment.orders import errors as order_errors
from fulfilment.orders.models import Order, OrderStatus
from fulfilment.orders.order_requests import (
    MAX_NUMBER_DRAWS,
    OrderRequest,
    PlacedOrder,
    Placement,
)
from kernel.db import driver_connection

_ORDER_COLUMNS = tuple(c.key for c in Order.__table__.columns)
NUMBER_CONSTRAINT = "uq_orders_number"
_CALL = (
    "SELECT r.replayed, (r.placed).* FROM tuangou_place_order("
    "$1, $2, $3, $4::bigint[], $5::integer[], $6, $7, $8, $9, $10) AS r"
)

FUNCTION_SQL = "placing_postgres.sql"


@cache
def place_order_function_sql() -> str:
    """placing_postgres.sql: ``tuangou_place_order`` and its helper as the
    migrations leave them at head. Nothing runs it; the tests compare it with
    the database."""
    package = __name__.rpartition(".")[0]
    return resources.files(package).joinpath(FUNCTION_SQL).read_text(encoding="utf-8")


async def place_on_postgres(
    db: AsyncSession | AsyncConnection, request: OrderRequest, placement: Placement
) -> PlacedOrder:
    """Place a checked request with one statement (see place_order)."""
    # The driver's connection, not SQLAlchemy's execute: this is the evening
    # rush's hottest call, and SQLAlchemy's per-statement work cost more than
    # the statement. When the unit of work has not begun a transaction on the
    # database yet, the call is a transaction of its own: enough, as it is the
    # whole order, and it saves the BEGIN and COMMIT round trips.
    driver = await driver_connection(db)
    for _ in range(MAX_NUMBER_DRAWS):
        try:
            if driver.is_in_transaction():
                # A savepoint: a number another order took must leave the
                # caller's transaction usable for the next draw.
                async with driver.transaction():
                    row = await _call(driver, request, placement)
            else:
                row = await _call(driver, request, placement)
            break
        except asyncpg.UniqueViolationError as exc:
            if exc.constraint_name != NUMBER_CONSTRAINT:
                raise
            placement = placement.renumbered()
        except asyncpg.PostgresError as exc:
            if exc.sqlstate == order_errors.RULE_SQLSTATE:
                raise order_errors.from_database(exc.args[0]) from None
            raise
    else:
        raise RuntimeError(f"no free order number in {MAX_NUMBER_DRAWS} draws")
    order = Order(**{name: row[name] for name in _ORDER_COLUMNS})
    order.status = OrderStatus(row["status"])
    return PlacedOrder(order, replayed=row["replayed"])


async def _call(driver: Any, request: OrderRequest, placement: Placement) -> Any:
    return await driver.fetchrow(
        _CALL,
        request.customer.id,
        request.placed_by.id,
        request.pickup_point_id,
        [ln.campaign_item_id for ln in request.lines],
        [ln.quantity for ln in request.lines],
        request.idempotency_key,
        placement.digest,
        placement.number,
        placement.now,
        placement.expires_at,
    )
