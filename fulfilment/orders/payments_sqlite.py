"""A payment notification on SQLite, the embedded default, in one hop to
aiosqlite's database thread: the facts, ``decide`` and the writes run there
together, as the prebuilt statements of payment_rules.py compiled once.
Through the session they were nine hops (one per round trip of each
statement), and the hops, not SQLite, were the cost of a payment."""

from __future__ import annotations

import sqlite3
from datetime import date, datetime
from functools import partial

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncSession

from fulfilment.orders.models import OrderStatus
from fulfilment.orders.payment_rules import FACTS, Decision, OrderFacts, plan
from fulfilment.orders.pickup_codes import MAX_DRAWS, code_insert, draw_code
from kernel.db import Prepared, prepared
from kernel.sqlite import run_in_sqlite_thread


async def record_on_sqlite(
    session: AsyncSession,
    number: str,
    amount_fen: int,
    transaction_id: str | None,
    now: datetime,
) -> tuple[Decision, int | None]:
    """Apply the notification in the unit of work's transaction; the
    decision and the id of the order it named, if any."""
    dialect = session.get_bind().dialect
    return await run_in_sqlite_thread(
        session, partial(_record, dialect, number, amount_fen, transaction_id, now)
    )


def _record(
    dialect: Dialect,
    number: str,
    amount_fen: int,
    transaction_id: str | None,
    now: datetime,
    conn: sqlite3.Connection,
) -> tuple[Decision, int | None]:
    # In the database thread, inside the unit of work's transaction (BEGIN
    # IMMEDIATE: writers take turns, so what is read here stays true).
    found = prepared(FACTS, dialect).run(
        conn, number=number, tx=transaction_id, tx64=transaction_id and transaction_id[:64]
    )
    facts = None
    if found:
        order_id, total, status, paid_by, point_id, day, another, before, cash = found[0]
        facts = OrderFacts(
            order_id,
            total,
            OrderStatus(status),
            paid_by,
            point_id,
            date.fromisoformat(day),
            bool(another),
            bool(before),
            bool(cash),
        )
    decision, planned = plan(
        facts, number=number, amount_fen=amount_fen, transaction_id=transaction_id, now=now
    )
    for statement, params in planned:
        prepared(statement, dialect).run(conn, **params)
    if facts is not None and decision.issue_code:
        _issue_code(prepared(code_insert("sqlite"), dialect), conn, facts, now)
    return decision, None if facts is None else facts.order_id


def _issue_code(code: Prepared, conn: sqlite3.Connection, facts: OrderFacts, now: datetime) -> None:
    # An order being paid has no code yet, and no other writer runs meanwhile,
    # so only a code another order of the day holds is ever skipped.
    for _ in range(MAX_DRAWS):
        if code.run(
            conn,
            order_id=facts.order_id,
            pickup_point_id=facts.pickup_point_id,
            delivery_date=facts.delivery_date,
            code=draw_code(),
            created_at=now,
        ):
            return
    raise RuntimeError(f"no free pickup code found for order {facts.order_id}")
